// The fast kernels against the reference kernels (the oracle): forward outputs and every gradient (W, R, B, dense,
// input) on random shapes — sizes that are not multiples of any vector width, batch 1, one time step — for every
// cell x direction mode, with and without in-cell dropout, stacked, on each ISA path in turn (float to 1e-5
// relative per tensor, max |diff| / max |value|, and the double path to 1e-9). Also: 2, 3, 4 and 8 threads against
// 1 (the directions of a layer, the row chunks of the recurrent loop, the chunks of the large products), and a
// repeated run on each, bit for bit; and 1030 units (the fused steps' loops for layers wider than their stack
// buffers).
// Prints one line per case and path; exits 1 on any failure.  fastcheck [filter]
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "../src/model.h"
#include "matrix.h"

using namespace rnnlab;

namespace {

struct Size { int T, B, F, H; };

// Normwise relative difference per tensor (the output, each gradient tensor, the input gradient):
// max |got - want| / max |want| over the tensor; the largest over all tensors is reported. Elementwise relative
// error is not a fair measure between two float summation orders: the reference's own float path is 1e-4 off the
// double truth in places where a gradient nearly cancels.
struct Diff {
  double rel = 0;
  std::string at = "-";
  bool identical = true;
};

Diff normwise(const std::vector<double>& got, const std::vector<double>& want,
              const std::vector<std::pair<std::string, std::pair<long, long>>>& segments) {
  Diff d;
  for (const auto& seg : segments) {
    double diff = 0, scale = 0;
    long worst = seg.second.first;
    for (long k = seg.second.first; k < seg.second.first + seg.second.second; k++) {
      if (got[k] != want[k]) d.identical = false;
      const double a = std::fabs(got[k] - want[k]);
      if (!(a <= diff)) { diff = a; worst = k; }
      scale = std::max(scale, std::fabs(want[k]));
    }
    const double r = diff / std::max(scale, 1e-6);
    if (!(r <= d.rel)) { d.rel = r; d.at = seg.first + "[" + std::to_string(worst - seg.second.first) + "]"; }
  }
  return d;
}

// forward + backward of sum(y * r) on one model; returns y, then grads, then dx, flattened
template <typename S>
std::vector<double> run(Model<S>& model, const std::vector<double>& params, const std::vector<double>& x_in,
                        const std::vector<double>& r_in, int B, bool training) {
  for (size_t k = 0; k < params.size(); k++) model.params[k] = S(params[k]);
  std::vector<S> x(x_in.begin(), x_in.end()), r(r_in.begin(), r_in.end());
  Rng dropout(7);
  const S* y = model.forward(x.data(), B, training, &dropout);
  const long out = (long)model.out_steps() * B * model.out_features();
  std::vector<double> all(y, y + out);
  model.zero_grads();
  const S* dx = model.backward(r.data());
  all.insert(all.end(), model.grads.begin(), model.grads.end());
  all.insert(all.end(), dx, dx + x.size());
  return all;
}

int failed = 0, cases = 0;

void check(const std::string& name, ModelSpec spec, int B, bool training) {
  spec.threads = 1;
  Model<float> ref(spec, cell_kernel<float>);
  Rng rng(std::hash<std::string>{}(name));
  // uniform weights scaled by fan-in (the tensor's last dimension), so that the wider layers stay well
  // conditioned: with +-0.6 at H = 45 the recurrence explodes and the reference's own float error reaches 1e-3
  std::vector<double> params(ref.params.size());
  for (const TensorInfo& t : ref.tensors()) {
    const double a = 0.6 * std::min(1.0, std::sqrt(6.0 / t.dims.back()));
    for (long k = 0; k < t.size; k++) params[t.offset + k] = rng.uniform(-a, a);
  }
  std::vector<double> x((long)spec.steps * B * spec.features);
  for (auto& v : x) v = rng.uniform(-1, 1);
  std::vector<double> r((long)ref.out_steps() * B * ref.out_features());
  for (auto& v : r) v = rng.uniform(-1, 1);
  const long out = (long)r.size(), n_params = (long)params.size();

  const std::vector<double> want = run(ref, params, x, r, B, training);
  Model<double> ref64(spec, cell_kernel<double>);
  const std::vector<double> want64 = run(ref64, params, x, r, B, training);
  std::vector<std::pair<std::string, std::pair<long, long>>> segments{{"y", {0, out}}};
  for (const TensorInfo& t : ref.tensors()) segments.push_back({t.name, {out + t.offset, t.size}});
  segments.push_back({"x", {out + n_params, (long)x.size()}});
  const Diff oracle = normwise(want, want64, segments);  // the reference's own float error, printed for scale

  auto report = [&](const char* path, const Diff& d, double tol, const char* extra) {
    const bool ok = d.rel <= tol;
    cases++;
    failed += !ok;
    std::printf("case %s %s max_rel %.3e at %s%s (reference float vs double %.1e) %s\n", name.c_str(), path,
                d.rel, d.at.c_str(), extra, oracle.rel, ok ? "ok" : "FAIL");
  };
  auto compare = [&](const std::vector<double>& got, const std::vector<double>& exp) {
    return normwise(got, exp, segments);
  };

  {  // the double path checks the fast algorithm itself, free of float rounding
    force_isa(Isa::Portable);
    Model<double> fast64(spec, fast_cell_kernel<double>);
    report("double", compare(run(fast64, params, x, r, B, training), want64), 1e-9, "");
  }
  for (Isa isa : {Isa::Portable, Isa::Avx2, Isa::Avx512}) {
    if (!isa_supported(isa)) continue;
    force_isa(isa);
    Model<float> fast(spec, fast_cell_kernel<float>);
    const std::vector<double> got = run(fast, params, x, r, B, training);
    report(isa_name(isa), compare(got, want), 1e-5, "");
    // the memory check's count (buffer_values) is what the model allocated
    const double counted = (fast.buffer_values(B) + 2.0 * fast.params.size()) * sizeof(float);
    if (fast.allocated_bytes() != counted) {
      failed++;
      std::printf("case %s %s allocated %.0f bytes, buffer_values counts %.0f FAIL\n", name.c_str(), isa_name(isa),
                  fast.allocated_bytes(), counted);
    }
    if (isa == best_isa()) {  // more threads than this machine has cores included: the bits must not change
      for (int threads : {2, 3, 4, 8}) {
        ModelSpec more = spec;
        more.threads = threads;
        Model<float> fastn(more, fast_cell_kernel<float>);
        const std::vector<double> gotn = run(fastn, params, x, r, B, training);
        const Diff dn = compare(gotn, got);
        const std::string tag = "threads" + std::to_string(threads);
        report((tag + "-vs-1").c_str(), dn, dn.identical ? 0 : -1, dn.identical ? " identical" : " differs");
        const Diff again = compare(run(fastn, params, x, r, B, training), gotn);
        report((tag + "-repeat").c_str(), again, again.identical ? 0 : -1, again.identical ? " identical" : " differs");
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::string filter = argc > 1 ? argv[1] : "";
  // not multiples of 4, 8 or 16; batch 1; one step; wider than one register tile (H 37: G*H up to 148); one large
  // enough (T*B 360) that the large products split into chunks, and one whose batch (53) is several row chunks of the
  // recurrent loop (two register tiles each), the last one partial
  const Size shapes[] = {{5, 3, 7, 13}, {1, 1, 5, 3}, {4, 1, 17, 37}, {3, 9, 1, 20}, {9, 40, 30, 45}, {6, 53, 11, 29}};
  int which = 0;
  for (const CellCase& c : cell_cases())
    for (const Mode& m : MODES)
      for (const Size& s : shapes) {
        which++;
        const bool seq = which % 2 == 0, dropout = which % 3 == 0, stacked = which % 5 == 0;
        const std::string name = c.name + "/" + m.name + "/T" + std::to_string(s.T) + "_B" +
                                 std::to_string(s.B) + "_F" + std::to_string(s.F) + "_H" + std::to_string(s.H) +
                                 (seq ? "/sequences" : "/last") + (dropout ? "/dropout" : "") +
                                 (stacked ? "/stacked" : "");
        if (!filter.empty() && name.find(filter) == std::string::npos) continue;
        ModelSpec spec;
        spec.steps = s.T;
        spec.features = s.F;
        spec.loss = LossKind::Mse;
        LayerSpec l;
        l.kind = LayerKind::Recurrent;
        l.cell = c.type;
        l.cell_options = c.options;
        l.units = s.H;
        l.directions = m.directions;
        l.go_backwards = m.go_backwards;
        l.merge_mode = m.merge;
        l.shared_weights = m.shared;
        l.return_sequences = seq || stacked;
        if (dropout) { l.dropout = 0.3; l.recurrent_dropout = 0.25; }
        spec.layers.push_back(l);
        if (stacked) {  // a second, bidirectional layer of the same cell, then a dense head
          LayerSpec l2 = l;
          l2.units = s.H + 2;
          l2.directions = 2;
          l2.go_backwards = false;
          l2.shared_weights = false;
          l2.merge_mode = MergeMode::Concat;
          l2.return_sequences = seq;
          spec.layers.push_back(l2);
          LayerSpec d;
          d.kind = LayerKind::Dense;
          d.units = 3;
          d.activation = Activation::Tanh;
          spec.layers.push_back(d);
        }
        check(name, spec, s.B, dropout);
      }
  // wider than the fused steps' stack buffers (1024 units): each cell's loops for wide layers (a bidirectional
  // layer with in-cell dropout: both directions, the first step and the later ones)
  for (const CellCase& c : cell_cases()) {
    const std::string name = c.name + "/bi_concat/T2_B2_F3_H1030/sequences/dropout/wide";
    if (!filter.empty() && name.find(filter) == std::string::npos) continue;
    ModelSpec spec;
    spec.steps = 2;
    spec.features = 3;
    spec.loss = LossKind::Mse;
    LayerSpec l;
    l.kind = LayerKind::Recurrent;
    l.cell = c.type;
    l.cell_options = c.options;
    l.units = 1030;
    l.directions = 2;
    l.return_sequences = true;
    l.dropout = 0.3;
    l.recurrent_dropout = 0.25;
    spec.layers.push_back(l);
    check(name, spec, 2, true);
  }
  std::printf("fastcheck: %d comparisons, %d failed (float 1e-5, double 1e-9 relative per tensor)\n", cases, failed);
  return failed || cases == 0 ? 1 : 0;
}
