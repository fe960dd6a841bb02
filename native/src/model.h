// A layer stack built from a ModelSpec: parameters in ONNX layout, Keras initializers, forward and backward.
// Templated on the scalar (float to train, double for the gradient check). The directions of a bidirectional layer
// are tasks on the thread pool (spec.threads), and each direction's kernel splits its own work (row chunks of the
// recurrent loop, chunks of its large products) into tasks on the same pool; each direction has its own buffers,
// and direction 1 writes its input gradient (and, with shared weights, its weight gradients) to its own buffers,
// summed after both finish in a fixed order, so the bits do not depend on the thread count.
// Legend: T steps, B batch, F input features, I layer input features, H units, G gates, D directions,
// U dense units. Activations are time-major: a sequence is (T, B, features), a vector output is (B, features).
#pragma once
#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "kernels/cells.h"
#include "kernels/embedding.h"
#include "kernels/layers.h"
#include "rng.h"
#include "spec.h"
#include "threads.h"

namespace rnnlab {

// One named parameter tensor inside the flat parameter buffer.
struct TensorInfo {
  std::string name;       // "layers.<k>.W" | ".R" | ".B"  (k = index in spec.layers)
  std::vector<int> dims;  // recurrent W [D, G*H, I], R [D, G*H, H], B [D, 2*G*H]; dense W [I, U], B [U]
  long offset = 0, size = 0;
};

template <typename S>
class Model {
 public:
  // kernels: the table of cell kernels to run; the reference table by default. A table of fast kernels with the
  // same rows and signatures can be passed instead, and tested against a Model built on the reference one.
  explicit Model(const ModelSpec& spec, CellTable<S> kernels = cell_kernel<S>)
      : spec_(spec), shapes_(validate_spec(spec)), kernels_(kernels),
        pool_(std::make_shared<ThreadPool>(spec.threads)) { plan(); }

  int threads() const { return pool_->size(); }

  const ModelSpec& spec() const { return spec_; }
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const std::vector<std::pair<long, long>>& frozen() const { return frozen_; }
  long trainable_count() const {
    long n = (long)params.size();
    for (auto& f : frozen_) n -= f.second;
    return n;
  }
  // output steps per sample (T for a sequence output, 1 otherwise) and features per step
  int out_steps() const { return shapes_.back().steps ? shapes_.back().steps : 1; }
  int out_features() const { return shapes_.back().features; }
  bool softmax_head() const {
    const LayerSpec& l = spec_.layers.back();
    return l.kind == LayerKind::Dense && l.activation == Activation::Softmax;
  }
  // binary_crossentropy fuses the sigmoid into the loss: forward() returns the head's logits (see sigmoid_outputs).
  bool logits_head() const {
    const LayerSpec& l = spec_.layers.back();
    return spec_.loss == LossKind::BinaryCrossentropy && l.kind == LayerKind::Dense && l.activation == Activation::Sigmoid;
  }

  // Keras initializers: glorot_uniform kernels, orthogonal recurrent kernels, zero biases, LSTM forget bias 1.
  void init(uint64_t seed) {
    Rng rng(seed);
    for (auto& v : params) v = 0;
    for (auto& L : layers_) {
      const LayerSpec& l = L.spec;
      const int I = L.in.features, H = l.units;
      if (l.kind == LayerKind::Recurrent) {
        const int GH = L.G * H;
        for (int d = 0; d < L.Dw; d++) {
          const double limit = std::sqrt(6.0 / (I + GH));
          S* W = &params[L.W + (long)d * GH * I];
          for (long k = 0; k < (long)GH * I; k++) W[k] = S(rng.uniform(-limit, limit));
          orthogonal(&params[L.R + (long)d * GH * H], GH, H, rng);
          const int fg = cell_info(l.cell).forget_gate;
          if (fg >= 0 && l.use_bias && l.unit_forget_bias)
            for (int j = 0; j < H; j++) params[L.Bias + (long)d * 2 * GH + (long)fg * H + j] = 1;
        }
      } else if (l.kind == LayerKind::Dense) {
        const double limit = std::sqrt(6.0 / (I + H));
        for (long k = 0; k < (long)I * H; k++) params[L.W + k] = S(rng.uniform(-limit, limit));
      } else if (l.kind == LayerKind::Embedding) {
        // Keras's Embedding initializer: uniform in [-0.05, 0.05]
        for (long k = 0; k < (long)l.input_dim * H; k++) params[L.W + k] = S(rng.uniform(-0.05, 0.05));
      }
    }
  }

  // x: (T, B, F), kept by pointer until backward. Returns the output, (T, B, U) or (B, U); for a softmax head
  // these are probabilities. training: dropout layers and in-cell dropout draw masks from rng.
  const S* forward(const S* x, int B, bool training, Rng* rng) {
    resize(B);
    input_ = x;
    set_lengths(x, B);
    const S* in = x;
    for (auto& L : layers_) {
      if (L.spec.kind == LayerKind::Recurrent) recurrent_forward(L, in, B, training, rng);
      else if (L.spec.kind == LayerKind::Dense) dense_layer_forward(L, in, B);
      else if (L.spec.kind == LayerKind::Embedding)
        embedding_forward(L.y.data(), in, &params[L.W], rows(L.in, B), L.spec.input_dim, L.spec.units);
      else if (L.spec.kind == LayerKind::Masking) masking_forward(L, in, B);
      else dropout_layer_forward(L, in, B, training, rng);
      in = L.y.data();
    }
    return in;
  }

  // dout: gradient on the output of forward() (on the logits for a softmax head). Adds to grads.
  // Returns the gradient on the input x, (T, B, F); with input_gradient false (training) a first recurrent layer
  // skips computing it and the returned values are not meaningful.
  const S* backward(const S* dout, bool input_gradient = true) {
    input_gradient_ = input_gradient;
    const int B = batch_;
    for (auto& L : layers_) std::fill(L.dy.begin(), L.dy.end(), S(0));
    std::fill(dx_.begin(), dx_.end(), S(0));
    std::copy(dout, dout + layers_.back().dy.size(), layers_.back().dy.begin());
    for (int k = (int)layers_.size() - 1; k >= 0; k--) {
      Layer& L = layers_[k];
      const S* in = k ? layers_[k - 1].y.data() : input_;
      S* din = k ? layers_[k - 1].dy.data() : dx_.data();
      if (L.spec.kind == LayerKind::Recurrent) recurrent_backward(L, din, in, B);
      else if (L.spec.kind == LayerKind::Dense) dense_layer_backward(L, din, in, B);
      else if (L.spec.kind == LayerKind::Embedding)
        embedding_backward(&grads[L.W], L.dy.data(), in, rows(L.in, B), L.spec.input_dim, L.spec.units);
      else if (L.spec.kind == LayerKind::Masking) masking_backward(L, din, B);
      else dropout_backward(din, L.dy.data(), L.mask.data(), (long)L.dy.size());
    }
    return dx_.data();
  }

  // Masks (Keras mask_zero / Masking): a step is masked when the first layer says so (an embedding with mask_zero: id
  // 0; a masking layer: every feature equals maskValue). Masked steps must all come after the real ones (padding at
  // the end): each sample then has a length, its real steps. has_mask(): the spec has a mask source.
  bool has_mask() const {
    const LayerSpec& l = spec_.layers.front();
    return (l.kind == LayerKind::Embedding && l.mask_zero) || l.kind == LayerKind::Masking;
  }
  // The real steps of one sample whose step t starts at x + t * stride (F values); -(t + 1) when step t is real after
  // a masked one (padding that is not at the end).
  int real_steps(const S* x, long stride) const {
    const LayerSpec& l = spec_.layers.front();
    const int F = spec_.features;
    int n = 0;
    bool ended = false;
    for (int t = 0; t < spec_.steps; t++) {
      const S* v = x + t * stride;
      bool real = false;
      if (l.kind == LayerKind::Embedding) real = std::lround(double(v[0])) != 0;
      else for (int f = 0; f < F && !real; f++) real = v[f] != S(l.mask_value);
      if (!real) ended = true;
      else if (ended) return -(t + 1);
      else n = t + 1;
    }
    return n;
  }
  // After forward(): the batch's lengths when a mask applies and some sample is padded (else nullptr: every layer ran
  // as without a mask), and whether they mask the output rows (a sequence output; the loss counts rows k < length).
  const int* lengths() const { return padded_ ? lens_.data() : nullptr; }
  const int* output_lengths() const { return padded_ && shapes_.back().steps > 0 ? lens_.data() : nullptr; }
  // The output rows are masked whenever a batch is padded (the spec's mask reaches a sequence output).
  bool output_maskable() const { return has_mask() && shapes_.back().steps > 0; }

  // What the last forward() left in layer k's buffers (the inspection pass, inspect.h, reads it; nothing is
  // computed twice): a recurrent layer's states h (T, B, H) per direction, time-aligned (h[t] is the state after
  // reading x[t], in input order for both directions), and its cache (T, B, C*H): the activated gates in ONNX order
  // (CellInfo::gate_names), then LSTM's cell state c; every layer's output y, (steps, B, features).
  struct Recorded {
    int D = 0, T = 0, H = 0, C = 0;
    const S* h[2] = {nullptr, nullptr};
    const S* cache[2] = {nullptr, nullptr};
    const S* y = nullptr;
    // after backward(): the whole gradient on each state, dL/dh_t (through the output and the later steps)
    const S* dh[2] = {nullptr, nullptr};
    // A padded batch (lengths non-null): the kernels ran each sample's real steps only, a backward direction on the
    // sample's real steps reversed (kernel step s read input step len - 1 - s). row(d, t, b, B) is the row of h, dh and
    // cache holding direction d's state at input step t of sample b, or -1: a masked step of the backward direction
    // (its state is still the initial zero); the forward direction keeps the state after its last real step.
    const int* lengths = nullptr;
    bool reversed[2] = {false, false};
    // held false: -1 for every masked step (the gradient flow counts real steps only).
    long row(int d, int t, int b, int B, bool held = true) const {
      if (!lengths) return (long)t * B + b;
      const int len = lengths[b];
      if (reversed[d]) return t < len ? (long)(len - 1 - t) * B + b : -1;
      if (t < len) return (long)t * B + b;
      return held && len > 0 ? (long)(len - 1) * B + b : -1;
    }
  };
  Recorded recorded(int k) const {
    const Layer& L = layers_.at(k);
    Recorded r;
    r.y = L.y.data();
    if (L.spec.kind != LayerKind::Recurrent) return r;
    r.D = L.D;
    r.T = L.in.steps;
    r.H = L.spec.units;
    r.C = cell_info(L.spec.cell).cache_per_unit;
    for (int d = 0; d < L.D; d++) {
      r.h[d] = L.h[d].data();
      r.cache[d] = L.cache[d].data();
      r.dh[d] = L.dh[d].data();
      r.reversed[d] = padded_ && L.reverse(d);
    }
    r.lengths = lengths();
    return r;
  }

  // Direction ablation (evaluate/predict only; the binding sets it around one call and clears it): the output of
  // bidirectional layer `layer` without direction `direction` (0 forward, 1 backward). With merge concat that
  // direction's half of the output is zeroed; with sum, ave and mul it is left out of the merge, so the output is the
  // other direction's state alone (for ave too: not half of it). Applied after the merge; the kernels are untouched.
  // layer -1 clears it. Throws a one-line error naming options.ablate.<field> for a layer that is not bidirectional.
  void set_ablation(int layer, int direction) {
    if (layer < 0) { ablate_layer_ = -1; ablate_direction_ = -1; return; }
    if (layer >= (int)layers_.size())
      throw std::runtime_error("options.ablate.layer: " + std::to_string(layer) + " is past the model's last layer (" +
                               std::to_string(layers_.size() - 1) + ")");
    const Layer& L = layers_[layer];
    if (L.spec.kind != LayerKind::Recurrent || L.D != 2)
      throw std::runtime_error("options.ablate.layer: layer " + std::to_string(layer) +
                               " is not a bidirectional recurrent layer");
    if (direction != 0 && direction != 1)
      throw std::runtime_error("options.ablate.direction: must be 'forward' or 'backward'");
    ablate_layer_ = layer;
    ablate_direction_ = direction;
  }
  int ablated_layer() const { return ablate_layer_; }
  int ablated_direction() const { return ablate_direction_; }

  // Refuses, before anything is allocated, a spec whose weights, gradients and Adam moments would not fit in
  // 80% of `memory_bytes` (0 = unknown: no check); names the largest layer's units.
  static void check_spec_memory(const ModelSpec& spec, double memory_bytes) {
    const std::vector<Shape> shapes = validate_spec(spec);
    double total = 0, largest = -1;
    size_t largest_at = 0;
    int in_features = spec.features;
    for (size_t k = 0; k < spec.layers.size(); k++) {
      const LayerSpec& l = spec.layers[k];
      const double I = in_features, H = l.units;
      double n = 0;
      if (l.kind == LayerKind::Recurrent) {
        const double GH = double(cell_info(l.cell).gates) * H;
        n = (l.shared_weights ? 1 : l.directions) * (GH * I + GH * H + 2 * GH);
      } else if (l.kind == LayerKind::Dense) {
        n = I * H + H;
      } else if (l.kind == LayerKind::Embedding) {
        n = double(l.input_dim) * H;
      }
      total += n;
      if (n > largest) { largest = n; largest_at = k; }
      in_features = shapes[k].features;
    }
    const double bytes = 4 * total * sizeof(S);
    if (memory_bytes > 0 && bytes > 0.8 * memory_bytes)
      throw SpecError("layers[" + std::to_string(largest_at) + "].units",
                      "the model's " + std::to_string((long long)total) + " parameters need " +
                          std::to_string((long long)(bytes / 1e6)) + " MB with gradients and optimizer state, more than this machine's " +
                          std::to_string((long long)(memory_bytes / 1e6)) + " MB of memory allows");
  }

  // Values the activation buffers hold at batch size B: what resize(B) allocates (both walk layer_buffers), to
  // refuse oversize batches before allocating them.
  double buffer_values(int B) const {
    double n = double(spec_.steps) * B * spec_.features;  // dx_
    for (const Layer& L : layers_) layer_buffers(L, B, [&](const std::vector<S>&, long values) { n += values; });
    return n;
  }

  // Bytes this model's buffers hold now: parameters, gradients, and the activations and workspaces of the largest
  // batch so far (buffers grow to the largest batch and keep their room).
  double allocated_bytes() const {
    double n = double(params.capacity() + grads.capacity() + dx_.capacity());
    for (const Layer& L : layers_)
      layer_buffers(L, std::max(batch_, 0), [&](const std::vector<S>& v, long) { n += v.capacity(); });
    return n * sizeof(S);
  }

  void zero_grads() { std::fill(grads.begin(), grads.end(), S(0)); }
  // keeps untrained parameters (Keras has no recurrent bias for LSTM/SimpleRNN/GRU(resetAfter=false)) at zero
  void zero_frozen_grads() {
    for (auto& f : frozen_) std::fill(grads.begin() + f.first, grads.begin() + f.first + f.second, S(0));
  }

  std::vector<S> params, grads;

 private:
  struct Layer {
    LayerSpec spec;
    Shape in, out;
    int D = 1, Dw = 1, G = 1;      // directions run, weight slices stored, gates
    long W = 0, R = 0, Bias = 0;   // offsets into params
    std::vector<S> y, dy;          // output and its gradient
    std::vector<S> h[2], cache[2], dh[2], xd[2], dxd[2], mask_x[2], mask_h[2];  // per direction
    std::vector<S> scratch, mask;  // dense workspace; dropout layer mask
    std::vector<S> work[2];        // per direction: the cell kernel's workspace
    std::vector<S> dx1, dgrad1;    // direction 1's input gradient, and its weight gradients with shared weights
    std::vector<S> xr[2], dxr[2];  // a padded batch, backward directions: each sample's real steps reversed
    bool used_mask_x = false, used_mask_h = false;
    bool reverse(int d) const { return spec.go_backwards || d == 1; }
    int steps_out() const { return out.steps ? out.steps : 1; }
    // time index of direction d's state that feeds output step k
    int source_time(int d, int k) const {
      const int T = in.steps;
      if (!spec.return_sequences) return reverse(d) ? 0 : T - 1;
      return spec.go_backwards ? T - 1 - k : k;  // Keras: a lone go_backwards layer outputs in reading order
    }
  };

  static long rows(const Shape& s, int B) { return (long)(s.steps ? s.steps : 1) * B; }

  void plan() {
    long offset = 0;
    auto add = [&](const std::string& name, std::vector<int> dims) {
      long size = 1;
      for (int d : dims) size *= d;
      tensors_.push_back(TensorInfo{name, std::move(dims), offset, size});
      offset += size;
      return offset - size;
    };
    Shape in{spec_.steps, spec_.features};
    for (size_t k = 0; k < spec_.layers.size(); k++) {
      Layer L;
      L.spec = spec_.layers[k];
      L.in = in;
      L.out = shapes_[k];
      const std::string name = "layers." + std::to_string(k);
      const int I = in.features, H = L.spec.units;
      if (L.spec.kind == LayerKind::Recurrent) {
        L.D = L.spec.directions;
        L.Dw = L.spec.shared_weights ? 1 : L.D;
        L.G = cell_info(L.spec.cell).gates;
        const int GH = L.G * H;
        L.W = add(name + ".W", {L.Dw, GH, I});
        L.R = add(name + ".R", {L.Dw, GH, H});
        L.Bias = add(name + ".B", {L.Dw, 2 * GH});
        const auto recurrent_bias = cell_info(L.spec.cell).recurrent_bias;
        const bool two_biases = recurrent_bias && recurrent_bias(L.spec.cell_options);
        for (int d = 0; d < L.Dw; d++) {
          const long b0 = L.Bias + (long)d * 2 * GH;
          if (!L.spec.use_bias) frozen_.push_back({b0, 2L * GH});
          else if (!two_biases) frozen_.push_back({b0 + GH, GH});
        }
      } else if (L.spec.kind == LayerKind::Dense) {
        L.W = add(name + ".W", {I, H});
        L.Bias = add(name + ".B", {H});
        if (!L.spec.use_bias) frozen_.push_back({L.Bias, H});
      } else if (L.spec.kind == LayerKind::Embedding) {
        L.W = add(name + ".E", {L.spec.input_dim, H});
      }
      layers_.push_back(std::move(L));
      in = shapes_[k];
    }
    params.assign(offset, S(0));
    grads.assign(offset, S(0));
  }

  // Every activation buffer of layer L (Layer or const Layer) with its values at batch size B: resize() allocates
  // them, buffer_values() and allocated_bytes() count them.
  template <typename Lay, typename F>
  void layer_buffers(Lay& L, int B, F&& f) const {
    const long out = rows(L.out, B) * L.out.features;
    f(L.y, out);
    f(L.dy, out);
    const long T = L.in.steps, I = L.in.features, H = L.spec.units;
    if (L.spec.kind == LayerKind::Recurrent) {
      const int C = cell_info(L.spec.cell).cache_per_unit;
      for (int d = 0; d < L.D; d++) {
        f(L.h[d], T * B * H);
        f(L.dh[d], T * B * H);
        f(L.cache[d], T * B * H * C);
        if (L.spec.dropout > 0) {
          f(L.xd[d], T * B * I);
          f(L.dxd[d], T * B * I);
          f(L.mask_x[d], B * I);
        }
        if (L.spec.recurrent_dropout > 0) f(L.mask_h[d], B * H);
        f(L.work[d], kernels_(L.spec.cell).scratch_size((int)T, B, (int)I, (int)H));
      }
      if (has_mask())  // a padded batch: a backward direction reads each sample's real steps reversed
        for (int d = 0; d < L.D; d++)
          if (L.reverse(d)) {
            f(L.xr[d], T * B * I);
            f(L.dxr[d], T * B * I);
          }
      if (L.D == 2) f(L.dx1, T * B * I);
      if (L.spec.shared_weights) f(L.dgrad1, (long)L.G * H * (I + H + 2));
    } else if (L.spec.kind == LayerKind::Dense) {
      f(L.scratch, out);
    } else if (L.spec.kind == LayerKind::Dropout) {
      f(L.mask, out);
    }
  }

  void resize(int B) {
    if (B == batch_) return;
    batch_ = B;
    dx_.assign((long)spec_.steps * B * spec_.features, S(0));
    for (auto& L : layers_)
      layer_buffers(L, B, [&](std::vector<S>& v, long values) { v.assign(values, &v == &L.mask ? S(1) : S(0)); });
  }

  static void fill_mask(std::vector<S>& mask, double rate, Rng* rng) {
    const S keep = S(1.0 / (1.0 - rate));
    for (auto& m : mask) m = rng->uniform() >= rate ? keep : S(0);
  }

  void recurrent_forward(Layer& L, const S* x, int B, bool training, Rng* rng) {
    const CellKernel<S>& cell = kernels_(L.spec.cell);
    const int T = L.in.steps, I = L.in.features, H = L.spec.units, GH = L.G * H;
    L.used_mask_x = training && L.spec.dropout > 0;
    L.used_mask_h = training && L.spec.recurrent_dropout > 0;
    for (int d = 0; d < L.D; d++) {  // masks first, in a fixed order: the dropout stream does not see threads
      if (L.used_mask_x) {
        fill_mask(L.mask_x[d], L.spec.dropout, rng);
        for (long t = 0; t < T; t++)
          for (long k = 0; k < (long)B * I; k++) L.xd[d][t * B * I + k] = x[t * B * I + k] * L.mask_x[d][k];
      }
      if (L.used_mask_h) fill_mask(L.mask_h[d], L.spec.recurrent_dropout, rng);
    }
    // the directions are tasks on the pool, and each splits its own work into tasks on it (runs nest, threads.h)
    ThreadPool* products = pool_.get();
    // A padded batch: the kernels run the batch's longest length, reading forward (a backward direction reads each
    // sample's real steps reversed, from xr); steps past a sample's length compute states nobody reads.
    const int Tk = padded_ ? max_len_ : T;
    pool_->run(L.D, [&](int d) {
      const int ws = L.spec.shared_weights ? 0 : d;
      const S* xin = L.used_mask_x ? L.xd[d].data() : x;
      if (padded_ && L.reverse(d)) {
        reverse_real_steps(L.xr[d].data(), xin, B, I, Tk);
        xin = L.xr[d].data();
      }
      if (Tk > 0)
        cell.forward(L.h[d].data(), L.cache[d].data(), xin, &params[L.W + (long)ws * GH * I],
                     &params[L.R + (long)ws * GH * H], &params[L.Bias + (long)ws * 2 * GH],
                     L.used_mask_h ? L.mask_h[d].data() : nullptr, L.work[d].data(), Tk, B, I, H,
                     padded_ ? false : L.reverse(d), products, L.spec.cell_options);
    });
    const int F = L.out.features;
    if (padded_) {
      for (int k = 0; k < L.steps_out(); k++)
        for (int b = 0; b < B; b++) {
          S* o = L.y.data() + ((long)k * B + b) * F;
          const int t0 = masked_source(L, 0, k, b);
          if (t0 < 0) {
            std::fill(o, o + F, S(0));
            continue;
          }
          const S* h1 = L.D == 2 ? L.h[1].data() + ((long)masked_source(L, 1, k, b) * B + b) * H : nullptr;
          merge_forward(o, L.h[0].data() + ((long)t0 * B + b) * H, h1, 1, H, L.spec.merge_mode);
        }
      return;
    }
    for (int k = 0; k < L.steps_out(); k++) {
      const S* h0 = L.h[0].data() + (long)L.source_time(0, k) * B * H;
      const S* h1 = L.D == 2 ? L.h[1].data() + (long)L.source_time(1, k) * B * H : nullptr;
      merge_forward(L.y.data() + (long)k * B * F, h0, h1, B, H, L.spec.merge_mode);
      if (ablate_layer_ >= 0 && &L == &layers_[ablate_layer_]) ablate(L.y.data() + (long)k * B * F, h0, h1, B, H);
    }
  }

  // set_ablation's fix-up of one output step's merged (B, F) rows.
  void ablate(S* out, const S* h0, const S* h1, int B, int H) const {
    const int d = ablate_direction_;
    const MergeMode mode = layers_[ablate_layer_].spec.merge_mode;
    const S* kept = d == 0 ? h1 : h0;
    for (int b = 0; b < B; b++) {
      if (mode == MergeMode::Concat) std::fill_n(out + (long)b * 2 * H + (long)d * H, H, S(0));
      else std::copy(kept + (long)b * H, kept + (long)(b + 1) * H, out + (long)b * H);
    }
  }

  void recurrent_backward(Layer& L, S* dx, const S* x, int B) {
    const CellKernel<S>& cell = kernels_(L.spec.cell);
    const int T = L.in.steps, I = L.in.features, H = L.spec.units, GH = L.G * H, F = L.out.features;
    for (int d = 0; d < L.D; d++) std::fill(L.dh[d].begin(), L.dh[d].end(), S(0));
    for (int k = 0; k < L.steps_out() && padded_; k++)
      for (int b = 0; b < B; b++) {
        const int t0 = masked_source(L, 0, k, b);
        if (t0 < 0) continue;  // a zero output: no gradient
        const long r0 = ((long)t0 * B + b) * H;
        const long r1 = L.D == 2 ? ((long)masked_source(L, 1, k, b) * B + b) * H : 0;
        merge_backward(L.dh[0].data() + r0, L.D == 2 ? L.dh[1].data() + r1 : nullptr,
                       L.dy.data() + ((long)k * B + b) * F, L.h[0].data() + r0,
                       L.D == 2 ? L.h[1].data() + r1 : nullptr, 1, H, L.spec.merge_mode);
      }
    for (int k = 0; k < L.steps_out() && !padded_; k++) {
      const long t0 = (long)L.source_time(0, k) * B * H;
      const long t1 = L.D == 2 ? (long)L.source_time(1, k) * B * H : 0;
      merge_backward(L.dh[0].data() + t0, L.D == 2 ? L.dh[1].data() + t1 : nullptr, L.dy.data() + (long)k * B * F,
                     L.h[0].data() + t0, L.D == 2 ? L.h[1].data() + t1 : nullptr, B, H, L.spec.merge_mode);
    }
    if (L.D == 2 && (input_gradient_ || dx != dx_.data())) std::fill(L.dx1.begin(), L.dx1.end(), S(0));
    if (L.spec.shared_weights) std::fill(L.dgrad1.begin(), L.dgrad1.end(), S(0));
    ThreadPool* products = pool_.get();
    const int Tk = padded_ ? max_len_ : T;
    pool_->run(L.D, [&](int d) {
      const int ws = L.spec.shared_weights ? 0 : d;
      const S* xin = L.used_mask_x ? L.xd[d].data() : x;
      S* dxin = d == 0 ? dx : L.dx1.data();
      if (!input_gradient_ && dx == dx_.data()) dxin = nullptr;  // the model's input: nobody reads its gradient
      else if (L.used_mask_x) {
        std::fill(L.dxd[d].begin(), L.dxd[d].end(), S(0));
        dxin = L.dxd[d].data();
      }
      S* dx_target = nullptr;  // a padded batch's backward direction: its kernel's input gradient is in reversed order
      if (padded_ && L.reverse(d)) {
        xin = L.xr[d].data();
        if (dxin) {
          dx_target = dxin;
          dxin = L.dxr[d].data();
          std::fill(dxin, dxin + (long)Tk * B * I, S(0));
        }
      }
      if (Tk == 0) return;
      const bool own = d == 1 && L.spec.shared_weights;  // direction 1's gradients on the shared slice
      S* dW = own ? L.dgrad1.data() : &grads[L.W + (long)ws * GH * I];
      S* dR = own ? L.dgrad1.data() + (long)GH * I : &grads[L.R + (long)ws * GH * H];
      S* dB = own ? L.dgrad1.data() + (long)GH * (I + H) : &grads[L.Bias + (long)ws * 2 * GH];
      cell.backward(dxin, dW, dR, dB, L.dh[d].data(), L.h[d].data(), L.cache[d].data(), xin,
                    &params[L.W + (long)ws * GH * I], &params[L.R + (long)ws * GH * H],
                    &params[L.Bias + (long)ws * 2 * GH], L.used_mask_h ? L.mask_h[d].data() : nullptr,
                    L.work[d].data(), Tk, B, I, H, padded_ ? false : L.reverse(d), products, L.spec.cell_options);
      if (dx_target) unreverse_real_steps_add(dx_target, dxin, B, I);
    });
    for (int d = 0; d < L.D && (input_gradient_ || dx != dx_.data()); d++) {
      if (L.used_mask_x) {
        for (long t = 0; t < T; t++)
          for (long k = 0; k < (long)B * I; k++) dx[t * B * I + k] += L.dxd[d][t * B * I + k] * L.mask_x[d][k];
      } else if (d == 1) {
        for (long k = 0; k < (long)T * B * I; k++) dx[k] += L.dx1[k];
      }
    }
    if (L.spec.shared_weights) {
      const S* g1 = L.dgrad1.data();
      for (long k = 0; k < (long)GH * I; k++) grads[L.W + k] += g1[k];
      for (long k = 0; k < (long)GH * H; k++) grads[L.R + k] += g1[(long)GH * I + k];
      for (long k = 0; k < 2L * GH; k++) grads[L.Bias + k] += g1[(long)GH * (I + H) + k];
    }
  }

  // Each sample's lengths from the model's input (T, B, F); padded_ when a mask applies and some sample is padded.
  void set_lengths(const S* x, int B) {
    padded_ = false;
    if (!has_mask()) return;
    lens_.resize(B);
    max_len_ = 0;
    const int T = spec_.steps;
    for (int b = 0; b < B; b++) {
      const int n = real_steps(x + (long)b * spec_.features, (long)B * spec_.features);
      if (n < 0)
        throw std::runtime_error("x: sample " + std::to_string(b) + " of the batch has a real step (" +
                                 std::to_string(-n - 1) + ") after a masked one; the engine masks padding at the end "
                                 "of a sequence only");
      lens_[b] = n;
      max_len_ = std::max(max_len_, n);
      padded_ = padded_ || n < T;
    }
  }

  // The kernel step of direction d's state that feeds output step k of sample b in a padded batch, or -1 for a zero
  // output. Keras: a masked step leaves the state as it was; a recurrent layer's output at a masked step repeats
  // its previous output (zero_output_for_mask false), but Bidirectional sets zero_output_for_mask = return_sequences,
  // so both its directions output zeros there. The last output is the state after the last real step (the backward
  // direction's: after reading step 0); an all-masked sample keeps the initial zero state.
  int masked_source(const Layer& L, int d, int k, int b) const {
    const int len = lens_[b];
    if (!L.spec.return_sequences) return len > 0 ? len - 1 : -1;
    if (k < len) return L.reverse(d) ? len - 1 - k : k;  // (goBackwards with returnSequences is refused under a mask)
    return L.D == 1 && len > 0 ? len - 1 : -1;
  }

  // xr[s, b] = x[len_b - 1 - s, b] for s < len_b (the sample's real steps reversed), zero after, for s < Tk.
  void reverse_real_steps(S* xr, const S* x, int B, int I, int Tk) const {
    for (int s = 0; s < Tk; s++)
      for (int b = 0; b < B; b++) {
        S* o = xr + ((long)s * B + b) * I;
        const int len = lens_[b];
        if (s < len) {
          const S* src = x + ((long)(len - 1 - s) * B + b) * I;
          std::copy(src, src + I, o);
        } else {
          std::fill(o, o + I, S(0));
        }
      }
  }
  // dx[len_b - 1 - s, b] += dxr[s, b] for s < len_b (the gradient on xr back in input order)
  void unreverse_real_steps_add(S* dx, const S* dxr, int B, int I) const {
    for (int b = 0; b < B; b++)
      for (int s = 0; s < lens_[b]; s++) {
        const S* g = dxr + ((long)s * B + b) * I;
        S* o = dx + ((long)(lens_[b] - 1 - s) * B + b) * I;
        for (int i = 0; i < I; i++) o[i] += g[i];
      }
  }

  // Keras Masking: masked steps' features become zero.
  void masking_forward(Layer& L, const S* x, int B) {
    const long F = L.in.features;
    for (long t = 0; t < L.in.steps; t++)
      for (int b = 0; b < B; b++) {
        const long r = (t * B + b) * F;
        const bool real = !padded_ || t < lens_[b];
        for (long f = 0; f < F; f++) L.y[r + f] = real ? x[r + f] : S(0);
      }
  }
  void masking_backward(Layer& L, S* dx, int B) {
    const long F = L.in.features;
    for (long t = 0; t < L.in.steps; t++)
      for (int b = 0; b < B; b++) {
        const long r = (t * B + b) * F;
        if (!padded_ || t < lens_[b])
          for (long f = 0; f < F; f++) dx[r + f] += L.dy[r + f];
      }
  }

  // A dense layer (the head) split over the pool when it is large (a per-step head over a long sequence): the output
  // and the input gradient by fixed chunks of rows, the kernel's gradient by fixed chunks of its rows (each summed
  // over all rows in order) and the bias's in one task; every value is computed as the serial loop computes it.
  static constexpr double DENSE_SPLIT_MIN = 1e6;  // multiply-adds
  static constexpr int DENSE_ROWS = 64, DENSE_KERNEL_ROWS = 16;

  void dense_layer_forward(Layer& L, const S* x, int B) {
    const int N = (int)rows(L.in, B), I = L.in.features, U = L.spec.units;
    if ((double)N * I * U < DENSE_SPLIT_MIN) {
      dense_forward(L.y.data(), x, &params[L.W], &params[L.Bias], N, I, U);
    } else {
      pool_->run((N + DENSE_ROWS - 1) / DENSE_ROWS, [&](int c) {
        const int n0 = c * DENSE_ROWS, n = std::min(DENSE_ROWS, N - n0);
        dense_forward(L.y.data() + (long)n0 * U, x + (long)n0 * I, &params[L.W], &params[L.Bias], n, I, U);
      });
    }
    activation_forward(L.y.data(), N, U, head_activation(L));
  }

  // A fused sigmoid head (binary_crossentropy) leaves its logits: the loss applies the sigmoid.
  Activation head_activation(const Layer& L) const {
    return &L == &layers_.back() && logits_head() ? Activation::Linear : L.spec.activation;
  }

  void dense_layer_backward(Layer& L, S* dx, const S* x, int B) {
    const int N = (int)rows(L.in, B), I = L.in.features, U = L.spec.units;
    const S* d = L.scratch.data();
    activation_backward(L.scratch.data(), L.dy.data(), L.y.data(), N, U, head_activation(L));
    if ((double)N * I * U < DENSE_SPLIT_MIN)
      return dense_backward(dx, &grads[L.W], &grads[L.Bias], d, x, &params[L.W], N, I, U);
    const int row_tasks = (N + DENSE_ROWS - 1) / DENSE_ROWS;
    const int kernel_tasks = (I + DENSE_KERNEL_ROWS - 1) / DENSE_KERNEL_ROWS;
    pool_->run(row_tasks + kernel_tasks + 1, [&](int k) {
      if (k < row_tasks) {
        dense_backward_input(dx, d, &params[L.W], k * DENSE_ROWS, std::min(N, (k + 1) * DENSE_ROWS), I, U);
      } else if (k < row_tasks + kernel_tasks) {
        const int i0 = (k - row_tasks) * DENSE_KERNEL_ROWS;
        dense_backward_weights(&grads[L.W], (S*)nullptr, d, x, N, i0, std::min(I, i0 + DENSE_KERNEL_ROWS), I, U);
      } else {
        dense_backward_weights(&grads[L.W], &grads[L.Bias], d, x, N, 0, 0, I, U);
      }
    });
  }

  void dropout_layer_forward(Layer& L, const S* x, int /*B*/, bool training, Rng* rng) {
    if (training && L.spec.rate > 0) fill_mask(L.mask, L.spec.rate, rng);
    else std::fill(L.mask.begin(), L.mask.end(), S(1));
    dropout_forward(L.y.data(), x, L.mask.data(), (long)L.y.size());
  }

  // Q (rows x cols, rows >= cols) with orthonormal columns: Gram-Schmidt QR of a Gaussian matrix with r_jj > 0,
  // the same distribution as Keras's Orthogonal on the transposed [H, G*H] recurrent kernel.
  static void orthogonal(S* out, int n_rows, int n_cols, Rng& rng) {
    std::vector<double> a((long)n_rows * n_cols);
    for (auto& v : a) v = rng.normal();
    for (int c = 0; c < n_cols; c++) {
      for (int p = 0; p < c; p++) {
        double dot = 0;
        for (int r = 0; r < n_rows; r++) dot += a[(long)r * n_cols + c] * a[(long)r * n_cols + p];
        for (int r = 0; r < n_rows; r++) a[(long)r * n_cols + c] -= dot * a[(long)r * n_cols + p];
      }
      double norm = 0;
      for (int r = 0; r < n_rows; r++) norm += a[(long)r * n_cols + c] * a[(long)r * n_cols + c];
      norm = std::sqrt(norm);
      for (int r = 0; r < n_rows; r++) a[(long)r * n_cols + c] /= norm;
    }
    for (long k = 0; k < (long)n_rows * n_cols; k++) out[k] = S(a[k]);
  }

  ModelSpec spec_;
  std::vector<Shape> shapes_;
  CellTable<S> kernels_;
  std::shared_ptr<ThreadPool> pool_;
  std::vector<Layer> layers_;
  std::vector<TensorInfo> tensors_;
  std::vector<std::pair<long, long>> frozen_;
  std::vector<S> dx_;
  const S* input_ = nullptr;
  int batch_ = -1;
  bool input_gradient_ = true;
  int ablate_layer_ = -1, ablate_direction_ = -1;
  std::vector<int> lens_;  // the batch's lengths (a mask applies)
  int max_len_ = 0;
  bool padded_ = false;    // the batch has a padded sample: lens_ apply
};

}  // namespace rnnlab
