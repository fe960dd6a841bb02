// Numerical gradient check of the reference path, in double: every parameter and the input, for every cell x
// direction mode x {last step, sequences}, stacked 2 deep, of loss = sum(y * r) with a fixed random r, and through
// dense + softmax cross-entropy, through a dense head of each other activation (linear, relu, sigmoid, tanh) with the
// MSE loss training uses, and with dropout. Prints the worst relative error per case; exits 1 above 1e-6.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "../src/model.h"
#include "../src/kernels/losses.h"
#include "matrix.h"

using namespace rnnlab;

namespace {

// Names for case titles, in the order of enum Activation (kernels/layers.h).
const char* const ACTIVATION_NAMES[] = {"linear", "relu", "sigmoid", "tanh", "softmax"};

constexpr double TOLERANCE = 1e-6;
constexpr double EPS = 1e-5;
constexpr int F = 3, H = 3;
int T = 4, B = 3;  // changed for the edge cases (one step, batch of one)

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

// The loss a case differentiates: sum(y * r) over the output; or the spec's own loss as training computes it
// (mean over rows of softmax cross-entropy against labels, or mean squared error against targets r).
enum class Loss { Weighted, SpecLoss };

// Runs one case; training: dropout draws (fixed) masks.
bool check(const std::string& name, ModelSpec spec, bool training, Loss which = Loss::Weighted) {
  Model<double> model(spec);
  Rng rng(std::hash<std::string>{}(name));
  for (auto& p : model.params) p = rng.uniform(-0.6, 0.6);
  if (spec.layers[0].cell_options.relu)  // positive biases keep stacked relu units (and mul merges) alive
    for (auto& t : model.tensors())
      if (t.name.back() == 'B') for (long k = 0; k < t.size; k++) model.params[t.offset + k] = rng.uniform(0.1, 0.7);
  std::vector<double> x((long)T * B * F);
  for (auto& v : x) v = rng.uniform(-1, 1);
  const long out_rows = (long)model.out_steps() * B, U = model.out_features();
  std::vector<double> r(out_rows * U);
  for (auto& v : r) v = rng.uniform(-1, 1);
  std::vector<int32_t> labels(out_rows);
  for (auto& v : labels) v = (int32_t)rng.below(U);
  const bool ce = spec.loss == LossKind::CategoricalCrossentropy;
  const bool mse = which == Loss::SpecLoss && spec.loss == LossKind::Mse;  // r are the targets
  const bool mae = which == Loss::SpecLoss && spec.loss == LossKind::Mae;  // r are the targets (|e| >> EPS here)

  auto loss = [&]() {
    Rng dropout_rng(99);  // the same masks on every evaluation
    const double* y = model.forward(x.data(), B, training, &dropout_rng);
    if (ce) {
      long hits;
      return crossentropy_forward(&hits, y, labels.data(), (const double*)nullptr, (int)out_rows, (int)U) / out_rows;
    }
    if (mse) return mse_forward(y, r.data(), (int)out_rows, (int)U) / double(out_rows * U);
    if (mae) return mae_forward(y, r.data(), out_rows * U) / double(out_rows * U);
    double s = 0;
    for (long k = 0; k < out_rows * U; k++) s += y[k] * r[k];
    return s;
  };

  model.zero_grads();
  loss();
  std::vector<double> dout(out_rows * U, 0.0);
  if (ce) {
    Rng dropout_rng(99);
    const double* probs = model.forward(x.data(), B, training, &dropout_rng);
    crossentropy_softmax_backward(dout.data(), probs, labels.data(), (const double*)nullptr, (int)out_rows, (int)U,
                                  1.0 / out_rows);
  } else if (mse) {
    Rng dropout_rng(99);
    const double* y = model.forward(x.data(), B, training, &dropout_rng);
    mse_backward(dout.data(), y, r.data(), (int)out_rows, (int)U, 1.0 / double(out_rows * U));
  } else if (mae) {
    Rng dropout_rng(99);
    const double* y = model.forward(x.data(), B, training, &dropout_rng);
    mae_backward(dout.data(), y, r.data(), out_rows * U, 1.0 / double(out_rows * U));
  } else {
    dout = r;
  }
  const double* dx_ptr = model.backward(dout.data());
  std::vector<double> dx(dx_ptr, dx_ptr + x.size());
  std::vector<double> grads = model.grads;

  double worst = 0, worst_abs = 0, largest = 0;  // largest |gradient|: a check of all-zero gradients proves nothing
  std::string worst_at = "-";
  auto compare = [&](double* v, double analytic, const std::string& at) {
    const double saved = *v;
    *v = saved + EPS;
    const double lp = loss();
    *v = saved - EPS;
    const double lm = loss();
    *v = saved;
    const double numeric = (lp - lm) / (2 * EPS);
    const double abs_err = std::fabs(numeric - analytic);
    const double rel = abs_err / std::max({std::fabs(numeric), std::fabs(analytic), 1e-3});
    worst_abs = std::max(worst_abs, abs_err);
    largest = std::max(largest, std::fabs(numeric));
    if (rel > worst) { worst = rel; worst_at = at; }
  };
  for (auto& t : model.tensors())
    for (long k = 0; k < t.size; k++) compare(&model.params[t.offset + k], grads[t.offset + k], t.name + "[" + std::to_string(k) + "]");
  for (size_t k = 0; k < x.size(); k++) compare(&x[k], dx[k], "x[" + std::to_string(k) + "]");

  const bool ok = worst <= TOLERANCE && largest > 1e-3;
  std::printf("case %-36s params %5ld  worst_rel %.3e  worst_abs %.3e  at %-18s %s\n", name.c_str(),
              (long)model.params.size(), worst, worst_abs, worst_at.c_str(), ok ? "ok" : "FAIL");
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  const char* only = argc > 1 ? argv[1] : nullptr;  // optional substring filter on case names
  int failed = 0, run = 0;
  auto maybe = [&](const std::string& name, const ModelSpec& spec, bool training, Loss which = Loss::Weighted) {
    if (only && name.find(only) == std::string::npos) return;
    run++;
    try {
      failed += !check(name, spec, training, which);
    } catch (const std::exception& e) {
      std::printf("case %-36s error: %s FAIL\n", name.c_str(), e.what());
      failed++;
    }
  };
  for (const CellCase& c : cell_cases()) {
    for (const Mode& m : MODES)
      for (bool seq : {false, true}) {
        ModelSpec spec;
        spec.steps = T;
        spec.features = F;
        spec.loss = LossKind::Mse;  // unused: the loss here is sum(y * r)
        spec.layers = {recurrent(c, m, true), recurrent(c, m, seq)};
        maybe(c.name + "/" + m.name + (seq ? "/sequences" : "/last"), spec, false);
      }
    for (bool seq : {false, true}) {  // dense softmax head with cross-entropy, per sample or per step
      ModelSpec spec;
      spec.steps = T;
      spec.features = F;
      LayerSpec dense;
      dense.kind = LayerKind::Dense;
      dense.units = 4;
      dense.activation = Activation::Softmax;
      spec.layers = {recurrent(c, MODES[2], true), recurrent(c, MODES[3], seq), dense};
      maybe(c.name + "/dense_softmax_ce" + (seq ? "/sequences" : "/last"), spec, false);
    }
    for (Activation act : {Activation::Linear, Activation::Relu, Activation::Sigmoid, Activation::Tanh})
      for (bool seq : {false, true}) {  // dense head of each elementwise activation, trained on MSE
        ModelSpec spec;
        spec.steps = T;
        spec.features = F;
        spec.loss = LossKind::Mse;
        LayerSpec dense;
        dense.kind = LayerKind::Dense;
        dense.units = 4;
        dense.activation = act;
        spec.layers = {recurrent(c, MODES[2], seq), dense};
        maybe(c.name + "/dense_" + ACTIVATION_NAMES[(int)act] + "_mse" + (seq ? "/sequences" : "/last"), spec, false,
              Loss::SpecLoss);
      }
    for (bool seq : {false, true}) {  // linear regression head trained on MAE (a forecast, or one per step)
      ModelSpec spec;
      spec.steps = T;
      spec.features = F;
      spec.loss = LossKind::Mae;
      LayerSpec dense;
      dense.kind = LayerKind::Dense;
      dense.units = 2;
      dense.activation = Activation::Linear;
      spec.layers = {recurrent(c, MODES[2], seq), dense};
      maybe(c.name + "/dense_linear_mae" + (seq ? "/sequences" : "/last"), spec, false, Loss::SpecLoss);
    }
    for (const Mode& m : {MODES[1], MODES[2], MODES[6]}) {  // one step, batch of one
      T = 1;
      B = 1;
      ModelSpec spec;
      spec.steps = T;
      spec.features = F;
      spec.loss = LossKind::Mse;
      spec.layers = {recurrent(c, m, true), recurrent(c, m, false)};
      maybe(c.name + "/" + m.name + "/last/T1_B1", spec, false);
      T = 4;
      B = 3;
    }
    {  // dropout layer, in-cell dropout and recurrent dropout with fixed masks, tanh dense head
      ModelSpec spec;
      spec.steps = T;
      spec.features = F;
      spec.loss = LossKind::Mse;
      LayerSpec l0 = recurrent(c, MODES[2], true), l2 = recurrent(c, MODES[0], false), drop, dense;
      l0.dropout = 0.3;
      l0.recurrent_dropout = 0.4;
      l2.dropout = 0.2;
      l2.recurrent_dropout = 0.25;
      drop.kind = LayerKind::Dropout;
      drop.rate = 0.3;
      dense.kind = LayerKind::Dense;
      dense.units = 2;
      dense.activation = Activation::Tanh;
      spec.layers = {l0, drop, l2, dense};
      maybe(c.name + "/dropout_dense_tanh/last", spec, true);
    }
  }
  std::printf("gradcheck: %d cases, %d failed (tolerance %.0e relative)\n", run, failed, TOLERANCE);
  return failed ? 1 : 0;
}
