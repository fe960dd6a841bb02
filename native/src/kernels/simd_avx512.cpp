// The AVX-512 path (compiled with -mavx512f -mfma): simd_gemm.h and simd_cells.h at 64-byte vectors.
#define RNNLAB_ISA_NS isa_avx512
#define RNNLAB_VEC_BYTES 64
#include "simd_gemm.h"
#include "simd_cells.h"

namespace rnnlab {
const SimdOps<float>& simd_ops_avx512() {
  static const SimdOps<float> table = [] {
    SimdOps<float> ops;
    ops.name = "avx512";
    isa_avx512::set_gemm_ops(ops);
    isa_avx512::set_cell_step_ops(ops);
    return ops;
  }();
  return table;
}
}  // namespace rnnlab
