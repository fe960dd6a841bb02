// The model spec: a plain description of layers, loss and optimizer, and its validation.
// Node-free: the binding fills it from a JS object, the C++ tests fill it directly.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/cells.h"
#include "kernels/layers.h"

namespace rnnlab {

enum class LayerKind { Recurrent, Dropout, Dense, Embedding, Masking };
// SparseCategoricalCrossentropy is CategoricalCrossentropy on class ids (Keras's name); BinaryCrossentropy is fused
// with a sigmoid head: the model outputs logits while training, and predict() applies the sigmoid. Mse and Mae are
// the regression losses (Keras's mean squared / mean absolute error over every output value).
enum class LossKind { CategoricalCrossentropy, Mse, SparseCategoricalCrossentropy, BinaryCrossentropy, Mae };
enum class OptimizerKind { Adam, Sgd, Rmsprop };

struct LayerSpec {
  LayerKind kind = LayerKind::Dense;
  // recurrent
  CellType cell = CellType::Lstm;
  int units = 0;                // recurrent and dense; an embedding's outputDim
  int input_dim = 0;            // embedding: the vocabulary size (ids 0 .. input_dim - 1)
  bool mask_zero = false;       // embedding: id 0 is padding, its steps are masked (Keras mask_zero)
  double mask_value = 0;        // masking: a step whose every feature equals it is masked (Keras Masking)
  int directions = 1;           // 1, or 2 for bidirectional
  bool shared_weights = false;  // bidirectional: both directions use one set of weights
  bool go_backwards = false;    // one direction, read back to front (Keras: outputs in reading order)
  MergeMode merge_mode = MergeMode::Concat;
  bool return_sequences = false;
  CellOptions cell_options;     // SimpleRNN relu, GRU reset_after
  bool use_bias = true;         // recurrent and dense; without it the bias tensor stays zero and untrained
  bool unit_forget_bias = true; // lstm: forget-gate input bias starts at 1 (Keras unit_forget_bias)
  double dropout = 0;           // on the cell's inputs, one mask per sequence
  double recurrent_dropout = 0; // on the cell's recurrent state, one mask per sequence
  // dropout layer
  double rate = 0;
  // dense
  Activation activation = Activation::Linear;
};

struct OptimizerSpec {
  OptimizerKind kind = OptimizerKind::Adam;
  double learning_rate = 0.001;
  double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7;  // adam (epsilon also rmsprop)
  double momentum = 0;                                // sgd, rmsprop
  bool nesterov = false;                              // sgd
  double rho = 0.9;                                   // rmsprop
  double clip_norm = 0;                               // Keras clipnorm: each tensor's gradient norm (0 = off)
  double global_clip_norm = 0;                        // Keras global_clipnorm: all gradients together (0 = off)
};

struct ModelSpec {
  int steps = 0, features = 0;  // input [T, F]
  std::vector<LayerSpec> layers;
  LossKind loss = LossKind::CategoricalCrossentropy;
  OptimizerSpec optimizer;
  int threads = 0;  // engine threads (the directions of a layer run at once); 0 = all cores
};

// An invalid spec; what() starts with the field at fault, e.g. "layers[2].units: ...".
struct SpecError : std::runtime_error {
  std::string field;  // e.g. "layers[2].units"
  SpecError(const std::string& field_, const std::string& message)
      : std::runtime_error(field_ + ": " + message), field(field_) {}
};

// Shape of a layer's output: a sequence (steps, features) or one vector per sample (steps == 0).
struct Shape {
  int steps = 0;
  int features = 0;
};

// Throws SpecError naming the field; returns the output shape of every layer.
std::vector<Shape> validate_spec(const ModelSpec& spec);

}  // namespace rnnlab
