// The AVX2+FMA path (compiled with -mavx2 -mfma): simd_gemm.h and simd_cells.h at 32-byte vectors.
#define RNNLAB_ISA_NS isa_avx2
#define RNNLAB_VEC_BYTES 32
#include "simd_gemm.h"
#include "simd_cells.h"

namespace rnnlab {
const SimdOps<float>& simd_ops_avx2() {
  static const SimdOps<float> table = [] {
    SimdOps<float> ops;
    ops.name = "avx2";
    isa_avx2::set_gemm_ops(ops);
    isa_avx2::set_cell_step_ops(ops);
    return ops;
  }();
  return table;
}
}  // namespace rnnlab
