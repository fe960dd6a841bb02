// The instruction-set paths of the fast kernels: one table of function pointers per path (AVX-512, AVX2+FMA,
// portable), each compiled from simd_body.h with its own flags; ops<float>() picks the best the CPU supports at run
// time (RNNLAB_ISA=avx512|avx2|portable forces one, for tests); ops<double>() is always the portable body.
// Legend: M, N, K matrix sizes; B batch, H units; rs/cs row and column strides in elements.
#pragma once

namespace rnnlab {

enum class Isa { Portable, Avx2, Avx512 };

template <typename S>
struct SimdOps {
  const char* name = "";
  long (*packed_b_size)(int K, int N) = nullptr;  // values pack_b writes
  long a_pack_size = 0;                           // workspace values gemm_packed needs for A
  // op(B)[k, n] = B[k * rsb + n * csb]  (K, N) -> NR-wide panels
  void (*pack_b)(S* dst, const S* B, long rsb, long csb, int K, int N) = nullptr;
  // C (M, N) at row stride ldc = [C +] op(A) . Bp;  op(A)[m, k] = A[m * rsa + k * csa]
  void (*gemm_packed)(S* C, long ldc, const S* A, long rsa, long csa, const S* Bp, int M, int N, int K,
                      bool accumulate, S* a_pack) = nullptr;
  // C (M, N) = [C +] op(A) . B, B row-major (B[k * ldb + n]) read in place, no packing beforehand
  void (*gemm_rowb)(S* C, long ldc, const S* A, long rsa, long csa, const S* B, long ldb, int M, int N, int K,
                    bool accumulate, S* a_pack) = nullptr;
  void (*lstm_step_forward)(S* cache, long ldcache, S* h, const S* cprev, long ldcprev, const S* bias, int B,
                            int H) = nullptr;
  void (*lstm_step_backward)(S* da, S* dc_next, const S* cache, long ldcache, const S* cprev, long ldcprev,
                             const S* dh, int B, int H) = nullptr;
  void (*simple_rnn_step_forward)(S* h, const S* bias, int B, int H, bool relu) = nullptr;
  void (*simple_rnn_step_backward)(S* da, const S* h, const S* dh, int B, int H, bool relu) = nullptr;
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
