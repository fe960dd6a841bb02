// The cases the engine's test programs share, read from the table of cells (src/kernels/cells.h): every cell in each
// of its kernel variants (each option the cell takes, both ways: simple_rnn_tanh, simple_rnn_relu, lstm,
// gru_reset_after, gru_reset_before), and the direction modes. A new cell gets its cases from its table row.
#pragma once
#include <string>
#include <vector>

#include "../src/kernels/cells.h"
#include "../src/kernels/layers.h"

namespace rnnlab {

struct CellCase {
  std::string name;  // also the cell name of the PyTorch fixtures (test/fixtures/reference)
  CellType type;
  CellOptions options;
};

// The options that change what a kernel computes: the word for the default and for the other value.
struct KernelOption {
  unsigned flag;  // CellOptionFlags
  const char *usual, *other;
  void (*set_other)(CellOptions&);
};
inline const KernelOption KERNEL_OPTIONS[] = {
    {CELL_RELU, "tanh", "relu", [](CellOptions& o) { o.relu = true; }},
    {CELL_RESET_AFTER, "reset_after", "reset_before", [](CellOptions& o) { o.reset_after = false; }},
};

inline std::vector<CellCase> cell_cases() {
  std::vector<CellCase> out;
  for (const CellInfo<float>& c : CELLS<float>) {
    std::vector<CellCase> variants{{c.name, c.type, CellOptions{}}};
    for (const KernelOption& k : KERNEL_OPTIONS) {
      if (!(c.options & k.flag)) continue;
      std::vector<CellCase> both;
      for (const CellCase& v : variants) {
        both.push_back({v.name + "_" + k.usual, v.type, v.options});
        both.push_back({v.name + "_" + k.other, v.type, v.options});
        k.set_other(both.back().options);
      }
      variants = both;
    }
    out.insert(out.end(), variants.begin(), variants.end());
  }
  return out;
}

struct Mode {
  const char* name;
  int directions;
  bool go_backwards;
  MergeMode merge;
  bool shared;
};

// one direction (either way), bidirectional with each merge, and bidirectional with shared weights
inline const Mode MODES[] = {
    {"forward", 1, false, MergeMode::Concat, false},   {"go_backwards", 1, true, MergeMode::Concat, false},
    {"bi_concat", 2, false, MergeMode::Concat, false}, {"bi_sum", 2, false, MergeMode::Sum, false},
    {"bi_mul", 2, false, MergeMode::Mul, false},       {"bi_ave", 2, false, MergeMode::Ave, false},
    {"bi_shared", 2, false, MergeMode::Concat, true},
};

}  // namespace rnnlab
