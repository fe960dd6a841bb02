// Validation of a model spec before anything is allocated.
#include "spec.h"

#include <cmath>

namespace rnnlab {

namespace {
constexpr int MAX_UNITS = 1 << 16;
constexpr int MAX_STEPS = 1 << 20;

[[noreturn]] void fail(const std::string& field, const std::string& message) { throw SpecError(field, message); }
}  // namespace

std::vector<Shape> validate_spec(const ModelSpec& spec) {
  if (spec.steps < 1 || spec.steps > MAX_STEPS) fail("input[0]", "time steps must be an integer in 1.." + std::to_string(MAX_STEPS) + ", got " + std::to_string(spec.steps));
  if (spec.features < 1 || spec.features > MAX_UNITS) fail("input[1]", "features must be an integer in 1.." + std::to_string(MAX_UNITS) + ", got " + std::to_string(spec.features));
  if (spec.layers.empty()) fail("layers", "at least one layer is needed");
  if (spec.threads < 0 || spec.threads > 256) fail("threads", "must be an integer in 0..256 (0 = all cores), got " + std::to_string(spec.threads));
  std::vector<Shape> shapes;
  Shape in{spec.steps, spec.features};
  const LayerSpec& first = spec.layers.front();
  const bool masked = (first.kind == LayerKind::Embedding && first.mask_zero) || first.kind == LayerKind::Masking;
  for (size_t k = 0; k < spec.layers.size(); k++) {
    const LayerSpec& l = spec.layers[k];
    const std::string at = "layers[" + std::to_string(k) + "]";
    Shape out = in;
    switch (l.kind) {
      case LayerKind::Recurrent: {
        if (in.steps == 0) fail(at, "a recurrent layer needs a sequence input, but the layer before it returns one vector per sample (set returnSequences on the recurrent layer before it)");
        if (l.units < 1 || l.units > MAX_UNITS) fail(at + ".units", "must be an integer in 1.." + std::to_string(MAX_UNITS) + ", got " + std::to_string(l.units));
        if (l.directions != 1 && l.directions != 2) fail(at + ".directions", "must be 1 or 2, got " + std::to_string(l.directions));
        if (l.shared_weights && l.directions != 2) fail(at + ".sharedWeights", "needs directions: 2");
        if (l.go_backwards && l.directions == 2) fail(at + ".goBackwards", "is not supported inside a bidirectional layer (the backward direction already reads back to front)");
        if (!(l.dropout >= 0 && l.dropout < 1)) fail(at + ".dropout", "must be in [0, 1), got " + std::to_string(l.dropout));
        if (!(l.recurrent_dropout >= 0 && l.recurrent_dropout < 1)) fail(at + ".recurrentDropout", "must be in [0, 1), got " + std::to_string(l.recurrent_dropout));
        if (masked && l.go_backwards && l.return_sequences)
          fail(at + ".goBackwards", "with returnSequences under a mask is not supported: Keras outputs the steps in reading order, no longer aligned with the mask it passes on (use a bidirectional layer, or returnSequences: false)");
        const int width = l.directions == 2 && l.merge_mode == MergeMode::Concat ? 2 * l.units : l.units;
        out = Shape{l.return_sequences ? in.steps : 0, width};
        break;
      }
      case LayerKind::Dropout:
        if (!(l.rate >= 0 && l.rate < 1)) fail(at + ".rate", "must be in [0, 1), got " + std::to_string(l.rate));
        break;
      case LayerKind::Embedding:
        if (k != 0) fail(at, "an embedding layer reads the token ids of the input, so it must be the first layer");
        if (spec.features != 1) fail(at, "an embedding reads one token id a step, but the input has " + std::to_string(spec.features) + " features");
        if (l.input_dim < 2 || l.input_dim > (1 << 24)) fail(at + ".inputDim", "must be an integer in 2.." + std::to_string(1 << 24) + ", got " + std::to_string(l.input_dim));
        if (l.units < 1 || l.units > MAX_UNITS) fail(at + ".outputDim", "must be an integer in 1.." + std::to_string(MAX_UNITS) + ", got " + std::to_string(l.units));
        out = Shape{in.steps, l.units};
        break;
      case LayerKind::Masking:
        if (k != 0) fail(at, "a masking layer reads the data, so it must be the first layer");
        if (!std::isfinite(l.mask_value)) fail(at + ".maskValue", "must be a finite number");
        break;
      case LayerKind::Dense:
        if (l.units < 1 || l.units > MAX_UNITS) fail(at + ".units", "must be an integer in 1.." + std::to_string(MAX_UNITS) + ", got " + std::to_string(l.units));
        if (l.activation == Activation::Softmax && k + 1 != spec.layers.size()) fail(at + ".activation", "softmax is supported on the last layer only (fused with categorical_crossentropy)");
        out = Shape{in.steps, l.units};
        break;
    }
    shapes.push_back(out);
    in = out;
  }
  const LayerSpec& last = spec.layers.back();
  const bool softmax_head = last.kind == LayerKind::Dense && last.activation == Activation::Softmax;
  if (spec.loss == LossKind::CategoricalCrossentropy && !softmax_head) fail("loss", "categorical_crossentropy needs a last layer of kind dense with activation softmax");
  if (spec.loss == LossKind::SparseCategoricalCrossentropy && !softmax_head) fail("loss", "sparse_categorical_crossentropy needs a last layer of kind dense with activation softmax");
  if (spec.loss == LossKind::BinaryCrossentropy && !(last.kind == LayerKind::Dense && last.activation == Activation::Sigmoid)) fail("loss", "binary_crossentropy needs a last layer of kind dense with activation sigmoid");
  if (spec.loss == LossKind::Mse && softmax_head) fail("loss", "mse with a softmax output is not supported; use categorical_crossentropy");
  if (spec.loss == LossKind::Mae && softmax_head) fail("loss", "mae with a softmax output is not supported; use categorical_crossentropy");
  const OptimizerSpec& o = spec.optimizer;
  if (!(o.learning_rate > 0 && o.learning_rate < 1e3)) fail("optimizer.learningRate", "must be a positive number, got " + std::to_string(o.learning_rate));
  if (!(o.beta1 >= 0 && o.beta1 < 1)) fail("optimizer.beta1", "must be in [0, 1)");
  if (!(o.beta2 >= 0 && o.beta2 < 1)) fail("optimizer.beta2", "must be in [0, 1)");
  if (!(o.epsilon > 0)) fail("optimizer.epsilon", "must be positive");
  if (!(o.momentum >= 0 && o.momentum < 1)) fail("optimizer.momentum", "must be in [0, 1)");
  if (!(o.rho >= 0 && o.rho < 1)) fail("optimizer.rho", "must be in [0, 1)");
  if (!(o.clip_norm >= 0)) fail("optimizer.clipNorm", "must be >= 0 (0 = off)");
  if (!(o.global_clip_norm >= 0)) fail("optimizer.globalClipNorm", "must be >= 0 (0 = off)");
  return shapes;
}

}  // namespace rnnlab
