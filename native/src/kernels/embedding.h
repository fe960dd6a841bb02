// Keras Embedding: a table of inputDim rows of outputDim values; the input's one feature holds a token id per step.
// Forward gathers rows; backward adds each step's output gradient to its id's row (a sparse update of the dense
// gradient buffer, so Adam then updates the whole table as Keras's dense Adam does). No gradient reaches the ids.
#pragma once
#include <cmath>
#include <cstdint>

namespace rnnlab {

// The row a float id names; ids are checked by the binding, and a stray one here reads row 0 (padding).
inline long embedding_row(double id, int input_dim) {
  const long r = std::lround(id);
  return r >= 0 && r < input_dim ? r : 0;
}

template <typename S>
void embedding_forward(S* out,        // (N, D)
                       const S* ids,  // (N) token ids as values
                       const S* E,    // (inputDim, D)
                       long N, int input_dim, int D) {
  for (long n = 0; n < N; n++) {
    const S* row = E + embedding_row(double(ids[n]), input_dim) * D;
    for (int d = 0; d < D; d++) out[n * D + d] = row[d];
  }
}

template <typename S>
void embedding_backward(S* dE,         // (inputDim, D) accumulated
                        const S* dout, // (N, D)
                        const S* ids,  // (N)
                        long N, int input_dim, int D) {
  for (long n = 0; n < N; n++) {
    S* row = dE + embedding_row(double(ids[n]), input_dim) * D;
    for (int d = 0; d < D; d++) row[d] += dout[n * D + d];
  }
}

}  // namespace rnnlab
