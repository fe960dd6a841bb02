// The instruction-set paths of the fast kernels: one table of function pointers per path (AVX-512, AVX2+FMA,
// portable), each compiled from simd_gemm.h (the matrix product) and simd_cells.h (the cells' fused steps) with its
// own flags; ops<float>() picks the best the CPU supports at run time (RNNLAB_ISA=avx512|avx2|portable forces one,
// for tests); ops<double>() is always the portable path.
// Legend: M, N, K matrix sizes; B batch, H units; rs/cs row and column strides in elements.
#pragma once

namespace rnnlab {

enum class Isa { Portable, Avx2, Avx512 };

// The product's workspace, the same on every path: sized for the largest register tile of them all (simd_gemm.h
// checks each path's tile against these at compile time), so a buffer sized once fits whichever path runs, and its
// size does not depend on the CPU.
constexpr int GEMM_KC = 256;     // depth (k) of one block of the product
constexpr int GEMM_MAX_MR = 8;   // rows of the tallest register tile (AVX-512 float)
constexpr int GEMM_MAX_NR = 32;  // values across the widest packed B panel (AVX-512 float: two vectors of 16)
// Large products split C's rows at multiples of this (of every path's tile height: 8, 6 and 4), so that each element
// is computed by the same tile, in the same order, whatever the split.
constexpr int GEMM_ROW_SPLIT = 24;

// values pack_b writes for a (K, N) operand, on any path
inline long packed_b_size(int K, int N) { return (long)K * ((N + GEMM_MAX_NR - 1) / GEMM_MAX_NR) * GEMM_MAX_NR; }
// values the products' a_pack needs: one MR-row A panel and one B edge panel, KC deep
constexpr long A_PACK_SIZE = (long)(GEMM_MAX_MR + GEMM_MAX_NR) * GEMM_KC;

// Each path's file fills its own table with the functions of its own namespace (set_gemm_ops, set_cell_step_ops).
template <typename S>
struct SimdOps {
  const char* name = "";
  int tile_rows = 1;  // MR: rows of this path's register tile (the recurrent loop's row chunks are a multiple)
  // the matrix product (simd_gemm.h); a_pack: A_PACK_SIZE values
  // op(B)[k, n] = B[k * rsb + n * csb]  (K, N) -> NR-wide panels, packed_b_size(K, N) values
  void (*pack_b)(S* dst, const S* B, long rsb, long csb, int K, int N) = nullptr;
  // C (M, N) at row stride ldc = [C +] op(A) . Bp;  op(A)[m, k] = A[m * rsa + k * csa]
  void (*gemm_packed)(S* C, long ldc, const S* A, long rsa, long csa, const S* Bp, int M, int N, int K,
                      bool accumulate, S* a_pack) = nullptr;
  // C (M, N) = [C +] op(A) . B, B row-major (B[k * ldb + n]) read in place, no packing beforehand
  void (*gemm_rowb)(S* C, long ldc, const S* A, long rsa, long csa, const S* B, long ldb, int M, int N, int K,
                    bool accumulate, S* a_pack) = nullptr;
  // the cells' fused steps (simd_cells.h)
  void (*lstm_step_forward)(S* cache, long ldcache, S* h, const S* cprev, long ldcprev, const S* bias, int B,
                            int H) = nullptr;
  void (*lstm_step_backward)(S* da, S* dc_next, const S* cache, long ldcache, const S* cprev, long ldcprev,
                             const S* dh, int B, int H) = nullptr;
  void (*simple_rnn_step_forward)(S* h, const S* bias, int B, int H, bool relu) = nullptr;
  void (*simple_rnn_step_backward)(S* da, const S* h, const S* dh, int B, int H, bool relu) = nullptr;
  // reset_after: the whole step (rec holds R hm for z, r and h)
  void (*gru_step_forward)(S* zrh, const S* rec, S* h, const S* hp, const S* bias, int B, int H) = nullptr;
  // without reset_after: z, r and u = r * hm; then, once the caller added Rh u into rec, h~ and h
  void (*gru_step_forward_zr)(S* zrh, S* rec, const S* hm, S* u, const S* bias, int B, int H, bool reset_after,
                              bool has_prev) = nullptr;
  void (*gru_step_forward_h)(S* zrh, const S* rec, S* h, const S* hp, const S* bias, int B, int H,
                             bool reset_after) = nullptr;
  void (*gru_step_backward_a)(S* dax, S* dar, S* dhp, const S* zrh, const S* hp, const S* dh, int B, int H,
                              bool reset_after) = nullptr;
  void (*gru_step_backward_u)(S* dax, S* dar, S* dhm, const S* du, const S* zrh, const S* hm, int B,
                              int H) = nullptr;
};

bool isa_supported(Isa isa);   // compiled in and supported by this CPU
Isa best_isa();                // RNNLAB_ISA if set (and supported), else the widest supported
void force_isa(Isa isa);       // for tests: the path ops<float>() returns from now on
const char* isa_name(Isa isa);

template <typename S> const SimdOps<S>& ops();
template <> const SimdOps<float>& ops<float>();
template <> const SimdOps<double>& ops<double>();

}  // namespace rnnlab
