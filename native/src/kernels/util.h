// Small row-level helpers shared by the reference kernels (plain loops, no allocation).
// Legend: G gates, H hidden units, I input features.
#pragma once
#include <cmath>

namespace rnnlab {

template <typename S> inline S sigmoid(S a) { return S(1) / (S(1) + std::exp(-a)); }

// y[r] += sum_c A[r, c] * x[c]
template <typename S>
inline void matvec_acc(S* y,        // (rows)
                       const S* A,  // (rows, cols)
                       const S* x,  // (cols)
                       int rows, int cols) {
  for (int r = 0; r < rows; r++) {
    const S* a = A + (long)r * cols;
    S acc = 0;
    for (int c = 0; c < cols; c++) acc += a[c] * x[c];
    y[r] += acc;
  }
}

// y[c] += sum_r A[r, c] * x[r]   (A transposed times x)
template <typename S>
inline void matTvec_acc(S* y,        // (cols)
                        const S* A,  // (rows, cols)
                        const S* x,  // (rows)
                        int rows, int cols) {
  for (int r = 0; r < rows; r++) {
    const S* a = A + (long)r * cols;
    const S xr = x[r];
    for (int c = 0; c < cols; c++) y[c] += a[c] * xr;
  }
}

// dA[r, c] += g[r] * x[c]
template <typename S>
inline void outer_acc(S* dA,       // (rows, cols)
                      const S* g,  // (rows)
                      const S* x,  // (cols)
                      int rows, int cols) {
  for (int r = 0; r < rows; r++) {
    S* d = dA + (long)r * cols;
    const S gr = g[r];
    for (int c = 0; c < cols; c++) d[c] += gr * x[c];
  }
}

// time index of processing step s, and of the step processed before it
inline int step_time(int s, int T, bool reverse) { return reverse ? T - 1 - s : s; }
inline int prev_time(int t, bool reverse) { return reverse ? t + 1 : t - 1; }

}  // namespace rnnlab
