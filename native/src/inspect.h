// The inspection pass: one inference forward of the model over a few samples that records, for every recurrent
// layer and direction, the states h_t, LSTM's cell states c_t and the activated gates, and the model's output (per
// step when the head is per step). It runs the model's own forward (the kernels the engine trains with) and reads
// what that pass keeps in its buffers (Model::recorded): there is no second implementation of any cell.
// Legend: n samples, T steps, D directions, H units, G gates recorded, K output steps, U output features.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "model.h"

namespace rnnlab {

// What one call may ask for: at most this many samples, and at most this many values recorded in all (16 MB).
constexpr long INSPECT_MAX_SAMPLES = 256;
constexpr long INSPECT_MAX_VALUES = 1L << 22;

struct InspectedLayer {
  int layer = 0;        // index in spec.layers
  CellType cell = CellType::Lstm;
  int D = 1, T = 0, H = 0;
  bool backwards = false;           // one direction read back to front (go_backwards)
  std::vector<std::string> gates;   // the gates recorded, in ONNX order (none for SimpleRNN: its h is its only one)
  std::vector<float> h;             // (n, D, T, H) in input time order for every direction
  std::vector<float> c;             // (n, D, T, H), LSTM only
  std::vector<float> gate_values;   // (n, D, G, T, H)
};

struct Inspection {
  long n = 0;
  std::vector<InspectedLayer> layers;
  int K = 1, U = 0;            // output steps (T for a per-step head, else 1) and features
  bool per_step = false;       // the model's output is a sequence (a per-step head)
  std::vector<float> output;   // (n, K, U), probabilities for a softmax head
  std::vector<int32_t> lengths;  // (n) each sample's real steps when the model has a mask, else empty
};

// Values a call on n samples records (the limit's figure).
double inspect_values(const Model<float>& model, long n);

// Throws a one-line error naming the limit when n samples are more than one call may ask for.
void check_inspect_limits(const Model<float>& model, long n);

// x: (n, T, F) batch-major, as JS hands it.
Inspection inspect(Model<float>& model, const float* x, long n);

}  // namespace rnnlab
