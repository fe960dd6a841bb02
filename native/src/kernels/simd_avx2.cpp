// The AVX2+FMA path (compiled with -mavx2 -mfma): simd_body.h at 32-byte vectors.
#define RNNLAB_ISA_NS isa_avx2
#define RNNLAB_VEC_BYTES 32
#include "simd_body.h"

namespace rnnlab {
const SimdOps<float>& simd_ops_avx2() {
  static const SimdOps<float> table = isa_avx2::make_ops<float>("avx2");
  return table;
}
}  // namespace rnnlab
