// One instruction-set path's matrix product: C = [C +] op(A) op(B) with any strides, B packed into column panels,
// a register-blocked micro-kernel. Included once per ISA file (simd.cpp, simd_avx2.cpp, simd_avx512.cpp) with
// RNNLAB_ISA_NS (its namespace) and RNNLAB_VEC_BYTES (vector width) defined, beside simd_cells.h (the cells' fused
// steps); the file is compiled with that ISA's flags, and the same source read at another width makes the other
// paths. No include guard on purpose.
// Legend: M, N, K matrix sizes; lda/ldb/ldc row strides in elements.
#include <algorithm>
#include <cstring>

#include "simd.h"

namespace rnnlab {
namespace RNNLAB_ISA_NS {

// ---- matrix product: C (M, N) = [C +] op(A) (M, K) . op(B) (K, N) ----
// op(A)[m, k] = A[m * rsa + k * csa]; op(B)[k, n] = B[k * rsb + n * csb]; so either operand may be transposed.
// B is packed once into column panels (K x NR each; the last one only as wide as it needs, in whole vectors, zero
// padded). A is read in place when one of its strides is 1 (the micro-kernel broadcasts its values from wherever
// they are); only the last, partial MR-row panel (or a fully strided A) is copied into a zero-padded panel.

template <typename S>
struct Blocking;
template <> struct Blocking<float> {
  static constexpr int VL = RNNLAB_VEC_BYTES / 4;  // floats per vector
  static constexpr int NRV = 2;                    // vectors per micro-tile row
  static constexpr int NR = VL * NRV;
  static constexpr int MR = RNNLAB_VEC_BYTES == 64 ? 8 : RNNLAB_VEC_BYTES == 32 ? 6 : 4;
};
template <> struct Blocking<double> {
  static constexpr int VL = RNNLAB_VEC_BYTES / 8;
  static constexpr int NRV = 2;
  static constexpr int NR = VL * NRV;
  static constexpr int MR = 4;
};
constexpr int KC = GEMM_KC, MC = 120;
// the workspace sizes of simd.h (packed_b_size, A_PACK_SIZE: one MR-row A panel and one KC-deep B edge panel) and
// the row split of large products hold for this path's tiles
static_assert(GEMM_MAX_NR % Blocking<float>::NR == 0 && GEMM_MAX_NR % Blocking<double>::NR == 0, "B panel too wide");
static_assert(Blocking<float>::MR <= GEMM_MAX_MR && Blocking<double>::MR <= GEMM_MAX_MR, "register tile too tall");
static_assert(GEMM_ROW_SPLIT % Blocking<float>::MR == 0 && GEMM_ROW_SPLIT % Blocking<double>::MR == 0,
              "a split of C's rows would cut a tile");

// width of the packed panel starting at column j0: NR, or the remainder rounded up to whole vectors
template <typename S>
inline int panel_width(int N, int j0) {
  using BL = Blocking<S>;
  const int rest = N - j0;
  return rest >= BL::NR ? BL::NR : (rest + BL::VL - 1) / BL::VL * BL::VL;
}

template <typename S>
void pack_b(S* dst, const S* B, long rsb, long csb, int K, int N) {
  const int NR = Blocking<S>::NR;
  for (int j0 = 0; j0 < N; j0 += NR) {
    const int w = panel_width<S>(N, j0), nr = std::min(NR, N - j0);
    S* panel = dst + (long)j0 * K;
    if (csb == 1 && nr == w) {
      for (int k = 0; k < K; k++) std::memcpy(panel + (long)k * w, B + k * rsb + j0, sizeof(S) * w);
    } else {
      for (int k = 0; k < K; k++) {
        S* row = panel + (long)k * w;
        for (int j = 0; j < nr; j++) row[j] = B[k * rsb + (j0 + j) * csb];
        for (int j = nr; j < w; j++) row[j] = 0;
      }
    }
  }
}

// mr rows of op(A) (kc columns) into an MR-row panel, k-major, zero padded
template <typename S>
void pack_a_panel(S* panel, const S* A, long rsa, long csa, int mr, int kc) {
  const int MR = Blocking<S>::MR;
  for (int k = 0; k < kc; k++) {
    for (int i = 0; i < mr; i++) panel[(long)k * MR + i] = A[i * rsa + k * csa];
    for (int i = mr; i < MR; i++) panel[(long)k * MR + i] = 0;
  }
}

// C tile (mr, nr) = [C +] sum_k a[i * rsa + k * csa] * b[k * NRV * VL + j]; rsa/csa are compile-time 1 when known.
// MR rows: the full tile height, or 1 for the rows left over below the last full tile (batch 1 among them).
template <typename S, int NRV, bool RowA, int MR = Blocking<S>::MR>
inline void micro_kernel(int kc, const S* __restrict a, long lda, const S* __restrict b, long ldb, S* C, long ldc,
                         int mr, int nr, bool accumulate) {
  using BL = Blocking<S>;
  constexpr int VL = BL::VL, W = VL * NRV;
  typedef S V __attribute__((vector_size(VL * sizeof(S)), aligned(sizeof(S))));
  V acc[MR][NRV];
  for (int i = 0; i < MR; i++)
    for (int v = 0; v < NRV; v++) acc[i][v] = V{};
  for (int k = 0; k < kc; k++) {
    V bv[NRV];
    for (int v = 0; v < NRV; v++) std::memcpy(&bv[v], b + k * ldb + v * VL, sizeof(V));
    for (int i = 0; i < MR; i++) {
      // RowA: A row-major (a[i * lda + k]); else column-major panels (a[i + k * lda]), packed panels included
      const S ai = RowA ? a[i * lda + k] : a[i + k * lda];
      for (int v = 0; v < NRV; v++) acc[i][v] += ai * bv[v];
    }
  }
  if (mr == MR && nr == W) {
    for (int i = 0; i < MR; i++)
      for (int v = 0; v < NRV; v++) {
        S* c = C + i * ldc + v * VL;
        V cv;
        if (accumulate) { std::memcpy(&cv, c, sizeof(V)); cv += acc[i][v]; }
        else cv = acc[i][v];
        std::memcpy(c, &cv, sizeof(V));
      }
    return;
  }
  S tile[MR][W];
  for (int i = 0; i < MR; i++)
    for (int v = 0; v < NRV; v++) std::memcpy(&tile[i][v * VL], &acc[i][v], sizeof(V));
  for (int i = 0; i < mr; i++)
    for (int j = 0; j < nr; j++) C[i * ldc + j] = (accumulate ? C[i * ldc + j] : S(0)) + tile[i][j];
}

// b: the panel's first row, rows ldb apart (w for a packed panel, B's row stride when read in place)
template <typename S, bool RowA, int MR = Blocking<S>::MR>
inline void tile(int kc, const S* a, long lda, const S* bp, long ldb, int w, S* C, long ldc, int mr, int nr,
                 bool acc) {
  if (w == Blocking<S>::NR) micro_kernel<S, Blocking<S>::NRV, RowA, MR>(kc, a, lda, bp, ldb, C, ldc, mr, nr, acc);
  else micro_kernel<S, 1, RowA, MR>(kc, a, lda, bp, ldb, C, ldc, mr, nr, acc);  // a last panel one vector wide
}

// One column panel (kc rows of B from bp, ldb apart, w wide) times all M rows of op(A).
template <typename S>
void panel_product(S* C, long ldc, const S* A, long rsa, long csa, const S* bp, long ldb, int w, int nr, int M,
                   int kc, bool acc, S* a_pack) {
  const int MR = Blocking<S>::MR;
  const bool row_a = csa == 1, col_a = !row_a && rsa == 1;
  for (int i = 0; i < M; i += MR) {
    const int mr = std::min(MR, M - i);
    const S* a = A + i * rsa;
    S* c = C + i * ldc;
    if (mr == MR && row_a) tile<S, true>(kc, a, rsa, bp, ldb, w, c, ldc, mr, nr, acc);
    else if (mr == MR && col_a) tile<S, false>(kc, a, csa, bp, ldb, w, c, ldc, mr, nr, acc);
    else if (row_a || col_a) {  // the rows below the last full tile, one at a time: no padded rows computed
      for (int r = 0; r < mr; r++) {
        if (row_a) tile<S, true, 1>(kc, a + r * rsa, rsa, bp, ldb, w, c + r * ldc, ldc, 1, nr, acc);
        else tile<S, false, 1>(kc, a + r * rsa, csa, bp, ldb, w, c + r * ldc, ldc, 1, nr, acc);
      }
    } else {
      pack_a_panel(a_pack, a, rsa, csa, mr, kc);
      tile<S, false>(kc, a_pack, MR, bp, ldb, w, c, ldc, mr, nr, acc);
    }
  }
}

// C (M, N) = [C +] op(A) . B with B row-major (B[k * ldb + n]) read in place: full NR-wide panels straight from B,
// only the last, narrower one copied (per KC block, into a_pack after the A panel's room).
template <typename S>
void gemm_rowb(S* C, long ldc, const S* A, long rsa, long csa, const S* B, long ldb, int M, int N, int K,
               bool accumulate, S* a_pack) {
  const int MR = Blocking<S>::MR, NR = Blocking<S>::NR;
  if (K == 0) {
    if (!accumulate)
      for (int i = 0; i < M; i++) std::fill(C + i * ldc, C + i * ldc + N, S(0));
    return;
  }
  S* edge = a_pack + (long)MR * KC;
  for (int k0 = 0; k0 < K; k0 += KC) {
    const int kc = std::min(KC, K - k0);
    const bool acc = accumulate || k0 > 0;
    for (int j0 = 0; j0 < N; j0 += NR) {
      const int w = panel_width<S>(N, j0), nr = std::min(NR, N - j0);
      const S* a = A + k0 * csa;
      if (nr == NR) {
        panel_product(C + j0, ldc, a, rsa, csa, B + k0 * ldb + j0, ldb, w, nr, M, kc, acc, a_pack);
      } else {
        pack_b(edge, B + k0 * ldb + j0, ldb, 1, kc, nr);
        panel_product(C + j0, ldc, a, rsa, csa, edge, w, w, nr, M, kc, acc, a_pack);
      }
    }
  }
}

// C (M, N) = [C +] op(A) . Bp, with Bp from pack_b(K, N); a_pack: A_PACK_SIZE values.
template <typename S>
void gemm_packed(S* C, long ldc, const S* A, long rsa, long csa, const S* Bp, int M, int N, int K, bool accumulate,
                 S* a_pack) {
  const int NR = Blocking<S>::NR;
  if (K == 0) {
    if (!accumulate)
      for (int i = 0; i < M; i++) std::fill(C + i * ldc, C + i * ldc + N, S(0));
    return;
  }
  for (int k0 = 0; k0 < K; k0 += KC) {
    const int kc = std::min(KC, K - k0);
    const bool acc = accumulate || k0 > 0;
    for (int i0 = 0; i0 < M; i0 += MC) {
      const int mc = std::min(MC, M - i0);
      for (int j0 = 0; j0 < N; j0 += NR) {
        const int w = panel_width<S>(N, j0), nr = std::min(NR, N - j0);
        panel_product(C + i0 * ldc + j0, ldc, A + i0 * rsa + k0 * csa, rsa, csa, Bp + (long)j0 * K + (long)k0 * w, w,
                      w, nr, mc, kc, acc, a_pack);
      }
    }
  }
}

// this path's product in its table
template <typename S>
void set_gemm_ops(SimdOps<S>& ops) {
  ops.tile_rows = Blocking<S>::MR;
  ops.pack_b = pack_b<S>;
  ops.gemm_packed = gemm_packed<S>;
  ops.gemm_rowb = gemm_rowb<S>;
}

}  // namespace RNNLAB_ISA_NS
}  // namespace rnnlab
