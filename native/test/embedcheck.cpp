// Numerical gradient check, in double, of the embedding layer and the fused binary cross-entropy head: for every cell,
// forward and bidirectional, embedding → recurrent → dense softmax (sparse categorical cross-entropy on class ids)
// and embedding → recurrent → dense sigmoid (binary cross-entropy on 0/1 ids, computed on the logits). Token ids repeat
// within and across sequences, so rows of the table collect several gradients. Checks every parameter (the ids get
// no gradient). Prints the worst relative error per case; exits 1 above 1e-6.
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "../src/kernels/losses.h"
#include "../src/model.h"
#include "matrix.h"

using namespace rnnlab;

namespace {

constexpr double TOLERANCE = 1e-6;
constexpr double EPS = 1e-5;
constexpr int T = 5, B = 3, V = 7, D = 4, H = 3;

bool check(const std::string& name, const ModelSpec& spec) {
  Model<double> model(spec);
  Rng rng(std::hash<std::string>{}(name));
  for (auto& p : model.params) p = rng.uniform(-0.6, 0.6);
  std::vector<double> x((long)T * B);
  for (auto& v : x) v = double(rng.below(V));  // ids, time-major; V small so that rows repeat
  x[0] = 0;                                    // padding id 0 is an ordinary row without maskZero
  const long rows = (long)model.out_steps() * B, U = model.out_features();
  const bool binary = spec.loss == LossKind::BinaryCrossentropy;
  std::vector<int32_t> labels(rows * (binary ? U : 1));
  for (auto& v : labels) v = (int32_t)rng.below(binary ? 2 : U);

  auto loss = [&]() {
    const double* y = model.forward(x.data(), B, false, nullptr);
    long hits;
    if (binary) return binary_crossentropy_forward(&hits, y, labels.data(), (const double*)nullptr, rows * U) / double(rows * U);
    return crossentropy_forward(&hits, y, labels.data(), (const double*)nullptr, (int)rows, (int)U) / double(rows);
  };
  model.zero_grads();
  const double* y = model.forward(x.data(), B, false, nullptr);
  std::vector<double> dout(rows * U, 0.0);
  if (binary) binary_crossentropy_backward(dout.data(), y, labels.data(), (const double*)nullptr, rows * U, 1.0 / double(rows * U));
  else crossentropy_softmax_backward(dout.data(), y, labels.data(), (const double*)nullptr, (int)rows, (int)U, 1.0 / double(rows));
  model.backward(dout.data());
  const std::vector<double> grads = model.grads;

  double worst = 0, largest_embedding = 0;
  std::string worst_at = "-";
  for (auto& t : model.tensors())
    for (long k = 0; k < t.size; k++) {
      double& v = model.params[t.offset + k];
      const double saved = v;
      v = saved + EPS;
      const double lp = loss();
      v = saved - EPS;
      const double lm = loss();
      v = saved;
      const double numeric = (lp - lm) / (2 * EPS), analytic = grads[t.offset + k];
      const double rel = std::fabs(numeric - analytic) / std::max({std::fabs(numeric), std::fabs(analytic), 1e-3});
      if (t.name.back() == 'E') largest_embedding = std::max(largest_embedding, std::fabs(numeric));
      if (rel > worst) { worst = rel; worst_at = t.name + "[" + std::to_string(k) + "]"; }
    }
  const bool ok = worst <= TOLERANCE && largest_embedding > 1e-4;
  std::printf("case %-36s params %5ld  worst_rel %.3e  at %-18s %s\n", name.c_str(), (long)model.params.size(), worst,
              worst_at.c_str(), ok ? "ok" : "FAIL");
  return ok;
}

}  // namespace

int main() {
  int failed = 0, run = 0;
  for (const CellCase& c : cell_cases())
    for (const Mode& m : {MODES[0], MODES[2], MODES[6]})
      for (LossKind loss : {LossKind::SparseCategoricalCrossentropy, LossKind::BinaryCrossentropy})
        for (bool seq : {false, true}) {
          ModelSpec spec;
          spec.steps = T;
          spec.features = 1;
          spec.loss = loss;
          LayerSpec emb, rnn, dense;
          emb.kind = LayerKind::Embedding;
          emb.input_dim = V;
          emb.units = D;
          rnn.kind = LayerKind::Recurrent;
          rnn.cell = c.type;
          rnn.cell_options = c.options;
          rnn.units = H;
          rnn.directions = m.directions;
          rnn.merge_mode = m.merge;
          rnn.shared_weights = m.shared;
          rnn.return_sequences = seq;
          dense.kind = LayerKind::Dense;
          const bool binary = loss == LossKind::BinaryCrossentropy;
          dense.units = binary ? 1 : 4;
          dense.activation = binary ? Activation::Sigmoid : Activation::Softmax;
          spec.layers = {emb, rnn, dense};
          const std::string name = c.name + "/" + m.name + "/" + (binary ? "binary_ce" : "sparse_ce") + (seq ? "/sequences" : "/last");
          run++;
          try {
            failed += !check(name, spec);
          } catch (const std::exception& e) {
            std::printf("case %-36s error: %s FAIL\n", name.c_str(), e.what());
            failed++;
          }
        }
  std::printf("embedcheck: %d cases, %d failed\n", run, failed);
  return failed ? 1 : 0;
}
