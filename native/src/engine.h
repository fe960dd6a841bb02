// Training, evaluation and prediction of a float model over in-memory data, and its checkpoints.
// Data is batch-major as JS hands it: x (N, T, F); the model works time-major, so batches are gathered.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "model.h"
#include "optim.h"
#include "rng.h"
#include "spec.h"

namespace rnnlab {

// The targets of a data set: integer class ids (N * outSteps) or float rows (N * outSteps * U); one is set.
struct Targets {
  const int32_t* labels = nullptr;
  const float* values = nullptr;
};

struct Stats {
  double loss = 0;      // mean over rows (cross-entropy) or over values (mse)
  double accuracy = 0;  // share of rows whose argmax is right; NaN for mse and mae
  double accuracy_weight = 0;  // a batch's weight in an epoch's accuracy: its samples, or its real rows (masked)
  double mae = 0;       // mse and mae: the mean absolute error over values (Keras's `mae` metric); NaN otherwise
  long samples = 0;
  long batches = 0;
  bool cancelled = false;
};

struct Progress {
  long batch = 0, batches = 0, samples = 0;
  double loss = 0, accuracy = 0;  // running means over the epoch so far
  double mae = 0;                 // running mean absolute error (mse and mae losses; NaN otherwise)
};

class Engine {
 public:
  explicit Engine(const ModelSpec& spec);

  // Keras initializers from seed; also seeds the dropout and shuffle streams; resets the optimizer.
  void init(uint64_t seed);

  // One optimizer step on the samples idx[0..B) of x.
  Stats train_batch(const float* x, const Targets& y, const long* idx, int B);

  // One pass over x in minibatches; shuffled by a stream seeded from `seed` when has_seed, else the model's own
  // stream. on_batch runs after every batch; returning false stops the epoch (cancelled).
  Stats train_epoch(const float* x, const Targets& y, long n, int batch_size, bool shuffle, bool has_seed,
                    uint64_t seed, const std::function<bool(const Progress&)>& on_batch);

  Stats evaluate(const float* x, const Targets& y, long n, int batch_size);

  // A mask (Model::has_mask) needs each sample's padding at its end: throws naming the first sample without.
  // train_epoch, evaluate and predict check their data first.
  void check_padding(const float* x, long n) const;

  // out: (n, outSteps, U) model outputs (probabilities for a softmax head)
  void predict(float* out, const float* x, long n, int batch_size);

  // Bytes the engine holds now: weights, gradients, optimizer state, and the activations, workspaces and batch copies
  // of the largest batch so far (not the data set handed in, nor an epoch's shuffled order: 8 bytes a sample).
  double memory_bytes() const;
  // What memory_bytes() is once the engine has trained on batches of B samples (labels: class ids, else target
  // rows): the memory check's figure, and the one common/model.ts's estimateTrainingMemory mirrors.
  double training_bytes(int B, bool labels) const;

  void save_checkpoint(const std::string& path) const;
  void load_checkpoint(const std::string& path);

  // Gradient flow (on by default; health.cpp): after every training step, per recurrent layer, direction and step t,
  // the norms ||dl_b/dh_t|| of the batch's samples are summed (l_b: the sample's own loss, dL/dh_t of the batch's
  // mean loss times B). take_gradient_flow() gives their means since the last call, and starts again.
  struct GradientFlow {
    struct Layer {
      int layer = 0, D = 1, T = 0;
      std::vector<double> norms;  // (D, T): the mean over the samples of ||dl_b/dh_t||
    };
    std::vector<Layer> layers;
    long samples = 0;
  };
  bool record_gradient_flow = true;
  // When set, batches take sample s's T * F values from read_row(s) (valid until its next call) instead of from the
  // x handed in: the binding reads a file's rows with it (mapped.h).
  std::function<const float*(long sample)> read_row;
  GradientFlow take_gradient_flow();

  Model<float> model;
  Optimizer optimizer;
  Rng dropout_rng, shuffle_rng;

 private:
  void gather(const float* x, const Targets& y, const long* idx, int B);
  void check_memory(int B, bool labels);
  Stats batch_loss(const float* out, int B, bool want_gradient);

  std::vector<float> xb_, tb_, dout_;  // (T, B, F) inputs, (rows, U) targets, (rows, U) output gradient
  std::vector<int32_t> lb_;            // (rows) labels
  void accumulate_gradient_flow(int B);
  std::vector<double> flow_sum_;  // the recurrent layers' (D, T) sums, in layer order
  long flow_samples_ = 0;
  std::vector<float> sig_;             // predict: a fused sigmoid head's probabilities
  bool has_labels_ = false;
  int checked_batch_ = 0;
};

}  // namespace rnnlab
