// The table of recurrent cells, one row per CellType: what the spec calls it, its shape, the options the spec may
// set on it, and its kernels (the reference ones, the oracle, and the fast ones the engine trains with). Everything
// else that depends on the cell reads it from here: the spec reader (spec_js.cpp), the model (model.h) and the tests.
// Adding a cell: a kernel file, then here its include, its enumerator and its row (native/README.md).
// Legend: T steps, B batch, I input features, H hidden units, G gates.
#pragma once
#include "cell.h"
#include "fast.h"
#include "gru.h"
#include "lstm.h"
#include "simple_rnn.h"

namespace rnnlab {

// One enumerator per row of CELLS below, in its order (checked at compile time).
enum class CellType { SimpleRnn, Lstm, Gru, Count /* not a cell: the number of cells */ };

// The spec options a cell may take besides those every cell has (flags of CellInfo::options).
enum CellOptionFlags : unsigned {
  CELL_RELU = 1,                  // activation: 'relu' besides 'tanh' (CellOptions::relu)
  CELL_RECURRENT_ACTIVATION = 2,  // recurrentActivation: 'sigmoid' (its gates)
  CELL_RESET_AFTER = 4,           // resetAfter (CellOptions::reset_after)
};

template <typename S>
struct CellInfo {
  CellType type;
  const char* name;    // as the spec writes it
  int gates;           // G: rows of W and R are G*H, in ONNX's gate order
  int cache_per_unit;  // values per (t, b, unit) the forward keeps for the backward besides h
  int forget_gate;     // the gate whose input bias starts at 1 (unitForgetBias, Keras unit_forget_bias), or -1
  unsigned options;    // CellOptionFlags
  // whether the recurrent half of the bias (Rb) is trained; nullptr: never (Keras has one bias per gate)
  bool (*recurrent_bias)(const CellOptions&);
  CellKernel<S> reference, fast;
  // the activated gates the forward keeps in its cache, in ONNX's order (common/cells.ts `gates`: LSTM c and GRU h
  // are the candidates c~ and h~); LSTM's cache row then holds the cell state c (inspect.h reads both)
  const char* gate_names[4];
};

template <typename S>
inline constexpr CellInfo<S> CELLS[] = {
    {CellType::SimpleRnn, "simple_rnn", SIMPLE_RNN_GATES, SIMPLE_RNN_CACHE, -1, CELL_RELU, nullptr,
     {simple_rnn_scratch_size, simple_rnn_forward<S>, simple_rnn_backward<S>},
     {fast_scratch_size<simple_rnn_fast_needs>, simple_rnn_fast_forward<S>, simple_rnn_fast_backward<S>},
     {}},
    {CellType::Lstm, "lstm", LSTM_GATES, LSTM_CACHE, LSTM_FORGET_GATE, CELL_RECURRENT_ACTIVATION, nullptr,
     {lstm_scratch_size, lstm_forward<S>, lstm_backward<S>},
     {fast_scratch_size<lstm_fast_needs>, lstm_fast_forward<S>, lstm_fast_backward<S>},
     {"i", "o", "f", "c"}},
    {CellType::Gru, "gru", GRU_GATES, GRU_CACHE, -1, CELL_RECURRENT_ACTIVATION | CELL_RESET_AFTER, gru_recurrent_bias,
     {gru_scratch_size, gru_forward<S>, gru_backward<S>},
     {fast_scratch_size<gru_fast_needs>, gru_fast_forward<S>, gru_fast_backward<S>},
     {"z", "r", "h"}},
};

constexpr int CELL_COUNT = static_cast<int>(CellType::Count);

template <typename S>
constexpr bool cells_in_enum_order() {
  for (int k = 0; k < CELL_COUNT; k++)
    if (CELLS<S>[k].type != static_cast<CellType>(k)) return false;
  return true;
}
static_assert(sizeof(CELLS<float>) / sizeof(CELLS<float>[0]) == CELL_COUNT, "one row per CellType");
static_assert(cells_in_enum_order<float>(), "the rows in CellType's order");

// The row of a cell (S-independent fields: cell_info(type).name, .gates, ...).
template <typename S = float>
inline const CellInfo<S>& cell_info(CellType type) { return CELLS<S>[static_cast<int>(type)]; }

// The reference table: the plain kernels, the oracle that fast kernels are tested against.
template <typename S>
inline const CellKernel<S>& cell_kernel(CellType type) { return cell_info<S>(type).reference; }

// The fast table: what the engine trains with.
template <typename S>
inline const CellKernel<S>& fast_cell_kernel(CellType type) { return cell_info<S>(type).fast; }

template <typename S>
using CellTable = const CellKernel<S>& (*)(CellType);

}  // namespace rnnlab
