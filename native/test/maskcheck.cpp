// Masks (Keras mask_zero / Masking; padding at the end of each sequence), checked three ways for every cell x direction
// mode (forward, go_backwards, bidirectional with each merge, shared weights), stacked 2 deep, last step and
// sequences, with no head (loss sum(y * r)) and with a dense softmax head under the masked per-step cross-entropy:
//  1. grad: a numerical gradient check in double (central differences) on a padded batch of mixed lengths (one
//     sample all padding); the input's padded steps must get a zero gradient; also with dropout, in-cell and
//     recurrent dropout (fixed masks).
//  2. same: the padded batch gives the same outputs, loss and gradients (parameters and input) as the same sequences
//     run unpadded one at a time (batch of 1, steps = its length), in double, to 1e-12 relative; masked output rows
//     repeat the last real one (one direction) or are zero (bidirectional); from a masking layer and from an
//     embedding with mask_zero.
//  3. fast: the fast kernels against the reference kernels on the padded batch (double to 1e-9, float to 1e-4), and
//     2 threads against 1, bit for bit.
// Prints one line per case; exits 1 if any fails.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "../src/loss.h"
#include "../src/model.h"
#include "matrix.h"

using namespace rnnlab;

namespace {

constexpr int F = 3, H = 3, T = 5, U = 4, VOCAB = 7;
const std::vector<int> LENS = {5, 2, 0, 4, 1};  // B = 5: full, mixed, all padding
const int B = (int)LENS.size();

enum class Source { Masking, Embedding };
enum class Head { None, SoftmaxCe };

LayerSpec recurrent(const CellCase& c, const Mode& m, bool seq) {
  LayerSpec l;
  l.kind = LayerKind::Recurrent;
  l.cell = c.type;
  l.cell_options = c.options;
  l.units = H;
  l.directions = m.directions;
  l.go_backwards = m.go_backwards;
  l.merge_mode = m.merge;
  l.shared_weights = m.shared;
  l.return_sequences = seq;
  return l;
}

// source, two recurrent layers (the first returns sequences; under a mask a goBackwards layer cannot, so in that mode
// the first reads forward), then the head
ModelSpec make_spec(const CellCase& c, const Mode& m, bool seq, Head head, Source src, int steps) {
  ModelSpec spec;
  spec.steps = steps;
  spec.threads = 1;
  LayerSpec first;
  if (src == Source::Masking) {
    first.kind = LayerKind::Masking;
    first.mask_value = 0;
    spec.features = F;
  } else {
    first.kind = LayerKind::Embedding;
    first.input_dim = VOCAB;
    first.units = F;
    first.mask_zero = true;
    spec.features = 1;
  }
  spec.layers = {first, recurrent(c, m.go_backwards ? MODES[0] : m, true), recurrent(c, m, seq)};
  spec.loss = LossKind::Mse;
  if (head == Head::SoftmaxCe) {
    LayerSpec dense;
    dense.kind = LayerKind::Dense;
    dense.units = U;
    dense.activation = Activation::Softmax;
    spec.layers.push_back(dense);
    spec.loss = LossKind::CategoricalCrossentropy;
  }
  return spec;
}

// The padded batch, time-major (T, B, features): real steps random (masking) or ids 1..VOCAB-1 (embedding), padding
// zero.
std::vector<double> padded_input(Source src, Rng& rng) {
  const int Fx = src == Source::Masking ? F : 1;
  std::vector<double> x((long)T * B * Fx, 0.0);
  for (int t = 0; t < T; t++)
    for (int b = 0; b < B; b++)
      if (t < LENS[b])
        for (int f = 0; f < Fx; f++)
          x[((long)t * B + b) * Fx + f] = src == Source::Masking ? rng.uniform(-1, 1) : double(1 + rng.below(VOCAB - 1));
  return x;
}

void randomize(Model<double>& model, const CellCase& c, Rng& rng) {
  for (auto& p : model.params) p = rng.uniform(-0.6, 0.6);
  if (c.options.relu)  // positive biases keep stacked relu units (and mul merges) alive
    for (auto& t : model.tensors())
      if (t.name.back() == 'B')
        for (long k = 0; k < t.size; k++) model.params[t.offset + k] = rng.uniform(0.1, 0.7);
}

// The loss of one forward pass and, with dout, its gradient on the output. No head: sum(y * r) over the rows given
// (r is zero elsewhere); softmax head: the engine's masked mean cross-entropy (loss.h).
template <typename S>
double loss_of(Model<S>& model, const S* y, int Bn, Head head, const std::vector<S>& r, const std::vector<int32_t>& labels,
               std::vector<S>* dout) {
  const int K = model.out_steps(), Uo = model.out_features();
  if (dout) dout->assign((long)K * Bn * Uo, S(0));
  if (head == Head::SoftmaxCe)
    return batch_loss<S>(LossKind::CategoricalCrossentropy, y, labels.data(), nullptr, dout ? dout->data() : nullptr, K,
                         Bn, Uo, model.output_lengths())
        .loss;
  double s = 0;
  for (long k = 0; k < (long)K * Bn * Uo; k++) s += double(y[k]) * double(r[k]);
  if (dout) *dout = r;
  return s;
}

int failed = 0, cases = 0;
const char* only = nullptr;

bool wanted(const std::string& name) { return !only || name.find(only) != std::string::npos; }

void report(const std::string& name, bool ok, const std::string& detail) {
  cases++;
  failed += !ok;
  std::printf("case %-48s %s %s\n", name.c_str(), detail.c_str(), ok ? "ok" : "FAIL");
}

std::string sci(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3e", v);
  return buf;
}

// 1. numerical gradient check of a padded batch
void grad_case(const std::string& name, const CellCase& c, ModelSpec spec, Head head, bool training) {
  if (!wanted(name)) return;
  Model<double> model(spec);
  Rng rng(std::hash<std::string>{}(name));
  randomize(model, c, rng);
  std::vector<double> x = padded_input(Source::Masking, rng);
  const long rows = (long)model.out_steps() * B, Uo = model.out_features();
  std::vector<double> r(rows * Uo);
  for (auto& v : r) v = rng.uniform(-1, 1);
  std::vector<int32_t> labels(rows);
  for (auto& v : labels) v = (int32_t)rng.below(Uo);
  auto loss = [&](std::vector<double>* dout) {
    Rng dropout_rng(99);  // the same masks on every evaluation
    return loss_of(model, model.forward(x.data(), B, training, &dropout_rng), B, head, r, labels, dout);
  };
  std::vector<double> dout;
  model.zero_grads();
  loss(&dout);
  const double* dxp = model.backward(dout.data());
  const std::vector<double> dx(dxp, dxp + x.size()), grads = model.grads;
  double worst = 0, largest = 0, pad_grad = 0;
  std::string at = "-";
  auto compare = [&](double* v, double analytic, const std::string& where) {
    const double saved = *v;
    *v = saved + 1e-5;
    const double lp = loss(nullptr);
    *v = saved - 1e-5;
    const double lm = loss(nullptr);
    *v = saved;
    const double numeric = (lp - lm) / 2e-5;
    const double rel = std::fabs(numeric - analytic) / std::max({std::fabs(numeric), std::fabs(analytic), 1e-3});
    largest = std::max(largest, std::fabs(numeric));
    if (rel > worst) { worst = rel; at = where; }
  };
  for (auto& t : model.tensors())
    for (long k = 0; k < t.size; k++)
      compare(&model.params[t.offset + k], grads[t.offset + k], t.name + "[" + std::to_string(k) + "]");
  for (int t = 0; t < T; t++)
    for (int b = 0; b < B; b++)
      for (int f = 0; f < F; f++) {
        const long k = ((long)t * B + b) * F + f;
        if (t < LENS[b]) compare(&x[k], dx[k], "x[" + std::to_string(k) + "]");
        else pad_grad = std::max(pad_grad, std::fabs(dx[k]));  // a padded step: the mask is not differentiable
      }
  const bool ok = worst <= 1e-6 && largest > 1e-3 && pad_grad == 0;
  report(name, ok, "worst_rel " + sci(worst) + " at " + at + "  padded-step |dx| " + sci(pad_grad));
}

double rel_diff(const std::vector<double>& a, const std::vector<double>& b) {
  double diff = 0, scale = 0;
  for (size_t k = 0; k < a.size(); k++) {
    diff = std::max(diff, std::fabs(a[k] - b[k]));
    scale = std::max(scale, std::fabs(b[k]));
  }
  return a.size() != b.size() ? INFINITY : diff / std::max(scale, 1e-12);
}

// 2. the padded batch against each sequence alone
void same_case(const std::string& name, const CellCase& c, const Mode& m, bool seq, Head head, Source src) {
  if (!wanted(name)) return;
  const ModelSpec spec = make_spec(c, m, seq, head, src, T);
  Model<double> padded(spec);
  Rng rng(std::hash<std::string>{}(name));
  randomize(padded, c, rng);
  const std::vector<double> x = padded_input(src, rng);
  const int Fx = spec.features, K = padded.out_steps(), Uo = padded.out_features();
  // the loss's rows: every real row (sequences: k < len), r zero on the others
  std::vector<double> r((long)K * B * Uo, 0.0);
  std::vector<int32_t> labels((long)K * B);
  for (int k = 0; k < K; k++)
    for (int b = 0; b < B; b++) {
      labels[(long)k * B + b] = (int32_t)rng.below(Uo);
      if (seq ? k < LENS[b] : true)
        for (int u = 0; u < Uo; u++) r[((long)k * B + b) * Uo + u] = rng.uniform(-1, 1);
    }
  std::vector<double> dout;
  padded.zero_grads();
  const double* yp = padded.forward(x.data(), B, false, nullptr);
  const std::vector<double> y(yp, yp + (long)K * B * Uo);
  const double loss = loss_of(padded, yp, B, head, r, labels, &dout);
  const double* dxp = padded.backward(dout.data());
  const std::vector<double> dx(dxp, dxp + x.size()), grads = padded.grads;

  // the same sequences alone; the masked mean cross-entropy weighs sample b by its rows over all counted rows
  long counted = 0;
  for (int b = 0; b < B; b++) counted += seq ? LENS[b] : 1;
  std::vector<double> want_y((long)K * B * Uo, 0.0), want_grads(grads.size(), 0.0), want_dx(x.size(), 0.0);
  double want_loss = 0;
  for (int b = 0; b < B; b++) {
    const int len = LENS[b];
    if (len == 0 && head == Head::SoftmaxCe && !seq) {  // all padding: the head reads the initial zero state
      const TensorInfo* hw = nullptr;
      for (auto& t : padded.tensors())
        if (t.name == "layers.3.W") hw = &t;
      ModelSpec hs;
      hs.steps = 1;
      hs.features = hw->dims[0];
      hs.layers = {spec.layers.back()};
      hs.loss = LossKind::CategoricalCrossentropy;
      Model<double> head_only(hs);
      std::copy(padded.params.begin() + hw->offset, padded.params.end(), head_only.params.begin());  // W then B
      const std::vector<double> zero(hs.features, 0.0);
      std::vector<double> db;
      head_only.zero_grads();
      const std::vector<int32_t> lb{labels[b]};
      const double* yh = head_only.forward(zero.data(), 1, false, nullptr);
      std::copy(yh, yh + Uo, want_y.begin() + (long)b * Uo);
      want_loss += loss_of(head_only, yh, 1, head, {}, lb, &db) / counted;
      head_only.backward(db.data());
      for (size_t k = 0; k < head_only.grads.size(); k++) want_grads[hw->offset + k] += head_only.grads[k] / counted;
      continue;
    }
    if (len == 0) continue;  // all padding, no head: its outputs are zero (want_y stays zero)
    Model<double> alone(make_spec(c, m, seq, head, src, len));
    alone.params = padded.params;
    std::vector<double> xb((long)len * Fx), rb;
    std::vector<int32_t> lb;
    for (int t = 0; t < len; t++)
      for (int f = 0; f < Fx; f++) xb[(long)t * Fx + f] = x[((long)t * B + b) * Fx + f];
    const int Kb = alone.out_steps();
    for (int k = 0; k < Kb; k++) {
      lb.push_back(labels[(long)k * B + b]);
      for (int u = 0; u < Uo; u++) rb.push_back(r[((long)k * B + b) * Uo + u]);
    }
    const double w = head == Head::SoftmaxCe ? double(seq ? len : 1) / double(counted) : 1.0;
    std::vector<double> db;
    alone.zero_grads();
    const double* ya = alone.forward(xb.data(), 1, false, nullptr);
    want_loss += w * loss_of(alone, ya, 1, head, rb, lb, &db);
    for (int k = 0; k < K; k++) {  // masked rows: one direction repeats its last real output, bidirectional zeros
      const int src_k = k < Kb ? k : (m.directions == 1 ? Kb - 1 : -1);
      if (src_k >= 0 && !(head == Head::SoftmaxCe && k >= Kb))  // a head's masked rows: whatever; not compared
        for (int u = 0; u < Uo; u++) want_y[((long)k * B + b) * Uo + u] = ya[(long)src_k * Uo + u];
    }
    const double* dxa = alone.backward(db.data());
    for (size_t k = 0; k < grads.size(); k++) want_grads[k] += w * alone.grads[k];
    for (int t = 0; t < len; t++)
      for (int f = 0; f < Fx; f++) want_dx[((long)t * B + b) * Fx + f] = w * dxa[(long)t * Fx + f];
  }
  std::vector<double> got_y = y;
  if (head == Head::SoftmaxCe)  // the head's masked rows are not compared
    for (int k = 0; k < K; k++)
      for (int b = 0; b < B; b++)
        if (seq && k >= LENS[b])
          for (int u = 0; u < Uo; u++) got_y[((long)k * B + b) * Uo + u] = 0;
  const double ry = rel_diff(got_y, want_y), rg = rel_diff(grads, want_grads);
  const double rx = src == Source::Masking ? rel_diff(dx, want_dx) : 0;
  const double rl = std::fabs(loss - want_loss) / std::max(std::fabs(want_loss), 1e-12);
  const double tol = 1e-12;
  report(name, ry <= tol && rg <= tol && rx <= tol && rl <= tol,
         "y " + sci(ry) + " loss " + sci(rl) + " grads " + sci(rg) + " dx " + sci(rx));
}

// forward + backward of sum(y * r) on a padded batch: y, grads, dx
template <typename S>
std::vector<double> run(Model<S>& model, const std::vector<double>& params, const std::vector<double>& x_in,
                        const std::vector<double>& r_in) {
  for (size_t k = 0; k < params.size(); k++) model.params[k] = S(params[k]);
  std::vector<S> x(x_in.begin(), x_in.end()), r(r_in.begin(), r_in.end());
  const S* y = model.forward(x.data(), B, false, nullptr);
  std::vector<double> all(y, y + (long)model.out_steps() * B * model.out_features());
  model.zero_grads();
  const S* dx = model.backward(r.data());
  all.insert(all.end(), model.grads.begin(), model.grads.end());
  all.insert(all.end(), dx, dx + x.size());
  return all;
}

// 3. fast kernels against the reference kernels, threads
void fast_case(const std::string& name, const CellCase& c, const Mode& m, bool seq) {
  if (!wanted(name)) return;
  const ModelSpec spec = make_spec(c, m, seq, Head::None, Source::Masking, T);
  Model<double> ref(spec, cell_kernel<double>);
  Rng rng(std::hash<std::string>{}(name));
  randomize(ref, c, rng);
  const std::vector<double> params = ref.params, x = padded_input(Source::Masking, rng);
  std::vector<double> r((long)ref.out_steps() * B * ref.out_features());
  for (auto& v : r) v = rng.uniform(-1, 1);
  const std::vector<double> want = run(ref, params, x, r);
  Model<double> fast64(spec, fast_cell_kernel<double>);
  Model<float> ref32(spec, cell_kernel<float>), fast32(spec, fast_cell_kernel<float>);
  ModelSpec two = spec;
  two.threads = 2;
  Model<float> fast32t(two, fast_cell_kernel<float>);
  const std::vector<double> f64 = run(fast64, params, x, r), r32 = run(ref32, params, x, r),
                            f32 = run(fast32, params, x, r), f32t = run(fast32t, params, x, r);
  const double d64 = rel_diff(f64, want), d32 = rel_diff(f32, r32);
  const bool same_bits = f32 == f32t;
  report(name, d64 <= 1e-9 && d32 <= 1e-4 && same_bits,
         "double " + sci(d64) + " float " + sci(d32) + (same_bits ? " threads 2 = 1" : " threads 2 != 1"));
}

}  // namespace

int main(int argc, char** argv) {
  only = argc > 1 ? argv[1] : nullptr;
  for (const CellCase& c : cell_cases()) {
    for (const Mode& m : MODES)
      for (bool seq : {false, true}) {
        if (m.go_backwards && seq) continue;  // refused under a mask (spec.cpp)
        const std::string out = seq ? "sequences" : "last";
        for (Head head : {Head::None, Head::SoftmaxCe}) {
          const std::string h = head == Head::None ? "sum" : "softmax_ce";
          grad_case("grad/" + c.name + "/" + m.name + "/" + h + "/" + out, c,
                    make_spec(c, m, seq, head, Source::Masking, T), head, false);
          for (Source src : {Source::Masking, Source::Embedding})
            same_case("same/" + c.name + "/" + m.name + "/" + h + "/" + out +
                          (src == Source::Masking ? "/masking" : "/embedding"),
                      c, m, seq, head, src);
        }
        fast_case("fast/" + c.name + "/" + m.name + "/" + out, c, m, seq);
      }
    {  // dropout: in-cell and recurrent dropout with a dropout layer between, masked per-step cross-entropy
      ModelSpec spec = make_spec(c, MODES[2], true, Head::SoftmaxCe, Source::Masking, T);
      spec.layers[1].dropout = 0.3;
      spec.layers[1].recurrent_dropout = 0.4;
      spec.layers[2].dropout = 0.2;
      spec.layers[2].recurrent_dropout = 0.25;
      LayerSpec drop;
      drop.kind = LayerKind::Dropout;
      drop.rate = 0.3;
      spec.layers.insert(spec.layers.begin() + 2, drop);
      grad_case("grad/" + c.name + "/bi_concat/dropout/softmax_ce/sequences", c, spec, Head::SoftmaxCe, true);
    }
  }
  std::printf("maskcheck: %d cases, %d failed\n", cases, failed);
  return failed ? 1 : 0;
}
