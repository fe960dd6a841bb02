// The table of recurrent cells. Adding a cell type: one kernel file, one row here, one line in the gradient check.
// Legend: T steps, B batch, I input features, H hidden units, G gates.
#pragma once
#include "gru.h"
#include "lstm.h"
#include "simple_rnn.h"

namespace rnnlab {

enum class CellType { SimpleRnn, Lstm, Gru };

struct CellOptions {
  bool relu = false;        // SimpleRNN activation relu instead of tanh
  bool reset_after = true;  // GRU: ONNX linear_before_reset=1
};

template <typename S>
using CellForward = void (*)(S* h, S* cache, const S* x, const S* W, const S* R, const S* bias,
                             const S* mask_h, S* scratch, int T, int B, int I, int H, bool reverse,
                             const CellOptions& opt);
template <typename S>
using CellBackward = void (*)(S* dx, S* dW, S* dR, S* dbias, S* dh, const S* h, const S* cache, const S* x,
                              const S* W, const S* R, const S* bias, const S* mask_h, S* scratch, int T, int B,
                              int I, int H, bool reverse, const CellOptions& opt);

template <typename S>
struct CellKernel {
  const char* name;         // as written in the spec: "simple_rnn", "lstm", "gru"
  int gates;                // G: rows of W and R are G*H
  int cache_per_unit;       // floats per (t, b, unit) kept for backward besides h
  int forget_gate;          // gate whose input bias starts at 1 (Keras unit_forget_bias), or -1
  long (*scratch_size)(int T, int B, int I, int H);  // workspace values for one direction's forward or backward
  CellForward<S> forward;
  CellBackward<S> backward;
};

// The reference kernels' workspace: a (B, H) carry and a few rows. The fast kernels (fast.h) are their own table
// with the same signatures and a larger workspace ((T, B, G*H) gate gradients, packed weights).
inline long reference_scratch_size(int, int B, int, int H) { return (long)B * H + 8L * H; }

template <typename S>
using CellTable = const CellKernel<S>& (*)(CellType);

// The reference table: the oracle that fast kernels are tested against.
template <typename S>
inline const CellKernel<S>& cell_kernel(CellType type) {
  static const CellKernel<S> table[] = {
      {"simple_rnn", SIMPLE_RNN_GATES, SIMPLE_RNN_CACHE, -1, reference_scratch_size,
       [](S* h, S* c, const S* x, const S* W, const S* R, const S* b, const S* m, S* w, int T, int B, int I, int H,
          bool rev, const CellOptions& o) { simple_rnn_forward(h, c, x, W, R, b, m, w, T, B, I, H, rev, o.relu); },
       [](S* dx, S* dW, S* dR, S* db, S* dh, const S* h, const S* c, const S* x, const S* W, const S* R,
          const S* b, const S* m, S* w, int T, int B, int I, int H, bool rev, const CellOptions& o) {
         simple_rnn_backward(dx, dW, dR, db, dh, h, c, x, W, R, b, m, w, T, B, I, H, rev, o.relu);
       }},
      {"lstm", LSTM_GATES, LSTM_CACHE, 2, reference_scratch_size,
       [](S* h, S* c, const S* x, const S* W, const S* R, const S* b, const S* m, S* w, int T, int B, int I, int H,
          bool rev, const CellOptions&) { lstm_forward(h, c, x, W, R, b, m, w, T, B, I, H, rev); },
       [](S* dx, S* dW, S* dR, S* db, S* dh, const S* h, const S* c, const S* x, const S* W, const S* R,
          const S* b, const S* m, S* w, int T, int B, int I, int H, bool rev, const CellOptions&) {
         lstm_backward(dx, dW, dR, db, dh, h, c, x, W, R, b, m, w, T, B, I, H, rev);
       }},
      {"gru", GRU_GATES, GRU_CACHE, -1, reference_scratch_size,
       [](S* h, S* c, const S* x, const S* W, const S* R, const S* b, const S* m, S* w, int T, int B, int I, int H,
          bool rev, const CellOptions& o) { gru_forward(h, c, x, W, R, b, m, w, T, B, I, H, rev, o.reset_after); },
       [](S* dx, S* dW, S* dR, S* db, S* dh, const S* h, const S* c, const S* x, const S* W, const S* R,
          const S* b, const S* m, S* w, int T, int B, int I, int H, bool rev, const CellOptions& o) {
         gru_backward(dx, dW, dR, db, dh, h, c, x, W, R, b, m, w, T, B, I, H, rev, o.reset_after);
       }},
  };
  return table[static_cast<int>(type)];
}

}  // namespace rnnlab
