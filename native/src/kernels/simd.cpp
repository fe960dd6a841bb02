// The portable path (no ISA flags: 16-byte vectors, what any x86-64 or ARM64 has) and the run-time choice of path.
#define RNNLAB_ISA_NS isa_portable
#define RNNLAB_VEC_BYTES 16
#include "simd_gemm.h"
#include "simd_cells.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace rnnlab {

#if defined(RNNLAB_HAVE_X86_PATHS)
const SimdOps<float>& simd_ops_avx512();
const SimdOps<float>& simd_ops_avx2();
#endif

const char* isa_name(Isa isa) { return isa == Isa::Avx512 ? "avx512" : isa == Isa::Avx2 ? "avx2" : "portable"; }

bool isa_supported(Isa isa) {
  if (isa == Isa::Portable) return true;
#if defined(RNNLAB_HAVE_X86_PATHS)
  __builtin_cpu_init();
  if (isa == Isa::Avx2) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

Isa best_isa() {
  if (const char* env = std::getenv("RNNLAB_ISA")) {
    for (Isa isa : {Isa::Avx512, Isa::Avx2, Isa::Portable})
      if (std::strcmp(env, isa_name(isa)) == 0 && isa_supported(isa)) return isa;
  }
  for (Isa isa : {Isa::Avx512, Isa::Avx2})
    if (isa_supported(isa)) return isa;
  return Isa::Portable;
}

namespace {
std::atomic<int> chosen{-1};
const SimdOps<float>& portable_float() {
  static const SimdOps<float> table = [] {
    SimdOps<float> ops;
    ops.name = "portable";
    isa_portable::set_gemm_ops(ops);
    isa_portable::set_cell_step_ops(ops);
    return ops;
  }();
  return table;
}
}  // namespace

void force_isa(Isa isa) { chosen.store(isa_supported(isa) ? (int)isa : (int)Isa::Portable); }

template <>
const SimdOps<float>& ops<float>() {
  int isa = chosen.load(std::memory_order_relaxed);
  if (isa < 0) {
    isa = (int)best_isa();
    chosen.store(isa);
  }
#if defined(RNNLAB_HAVE_X86_PATHS)
  if (isa == (int)Isa::Avx512) return simd_ops_avx512();
  if (isa == (int)Isa::Avx2) return simd_ops_avx2();
#endif
  return portable_float();
}

template <>
const SimdOps<double>& ops<double>() {
  static const SimdOps<double> table = [] {
    SimdOps<double> ops;
    ops.name = "portable-double";
    isa_portable::set_gemm_ops(ops);
    isa_portable::set_cell_step_ops(ops);
    return ops;
  }();
  return table;
}

}  // namespace rnnlab
