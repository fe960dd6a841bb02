// The AVX-512 path (compiled with -mavx512f -mfma): simd_body.h at 64-byte vectors.
#define RNNLAB_ISA_NS isa_avx512
#define RNNLAB_VEC_BYTES 64
#include "simd_body.h"

namespace rnnlab {
const SimdOps<float>& simd_ops_avx512() {
  static const SimdOps<float> table = isa_avx512::make_ops<float>("avx512");
  return table;
}
}  // namespace rnnlab
