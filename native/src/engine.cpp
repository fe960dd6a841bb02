// Training loop, evaluation and prediction over batch-major data (see engine.h).
#include "engine.h"

#include <chrono>
#include <stdexcept>
#if defined(_WIN32)
#define NOMINMAX
#include <windows.h>
#else
#include <unistd.h>
#endif
#include <cmath>
#include <limits>
#include <numeric>

#include "kernels/losses.h"
#include "loss.h"

namespace rnnlab {

namespace {

double physical_memory_bytes() {
#if defined(_WIN32)
  MEMORYSTATUSEX status;
  status.dwLength = sizeof status;
  return GlobalMemoryStatusEx(&status) ? double(status.ullTotalPhys) : 0;
#else
  const long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && size > 0 ? double(pages) * double(size) : 0;
#endif
}

std::string gigabytes(double bytes) { return std::to_string(int(bytes / 1e8) / 10.0).substr(0, 5) + " GB"; }

// Parameters, gradients and two optimizer moments must fit: checked before the model allocates them.
const ModelSpec& fits_memory(const ModelSpec& spec) {
  Model<float>::check_spec_memory(spec, physical_memory_bytes());
  return spec;
}

}  // namespace

Engine::Engine(const ModelSpec& spec) : model(fits_memory(spec), fast_cell_kernel<float>), optimizer(spec.optimizer, (long)model.params.size()) {}

double Engine::memory_bytes() const {
  const double values = double(optimizer.m.capacity() + optimizer.v.capacity() + xb_.capacity() + tb_.capacity() +
                               dout_.capacity());
  return model.allocated_bytes() + values * sizeof(float) + double(lb_.capacity()) * sizeof(int32_t);
}

double Engine::training_bytes(int B, bool labels) const {
  const ModelSpec& s = model.spec();
  const double P = double(model.params.size()), rows = double(model.out_steps()) * B, U = model.out_features();
  const double x = double(s.steps) * B * s.features;  // the batch, gathered time-major
  const double targets = labels ? 0 : rows * U;     // target rows; class ids are counted below
  return (model.buffer_values(B) + 4 * P + x + targets + rows * U) * sizeof(float) +  // 4 P: params, grads, m, v
         (labels ? rows * sizeof(int32_t) : 0);                                         // rows * U: dout_
}

void Engine::check_memory(int B, bool labels) {
  if (B <= checked_batch_) return;
  const double need = training_bytes(B, labels);
  const double have = physical_memory_bytes();
  if (have > 0 && need > 0.8 * have)
    throw std::runtime_error("batchSize " + std::to_string(B) + ": one batch needs about " + gigabytes(need) +
                             ", more than this machine's " + gigabytes(have) + " of memory allows");
  checked_batch_ = B;
}

void Engine::init(uint64_t seed) {
  model.init(seed);
  optimizer = Optimizer(model.spec().optimizer, (long)model.params.size());
  dropout_rng.reseed(seed ^ 0xd1b54a32d192ed03ULL);
  shuffle_rng.reseed(seed ^ 0x8cb92ba72f3d8dd7ULL);
}

void Engine::check_padding(const float* x, long n) const {
  if (!model.has_mask()) return;
  const long T = model.spec().steps, F = model.spec().features;
  for (long s = 0; s < n; s++) {
    // A memory-mapped x is read a row at a time (read_row), not through the map: the check keeps RSS bounded too.
    const int r = model.real_steps(read_row ? read_row(s) : x + s * T * F, F);
    if (r < 0)
      throw std::runtime_error("x: sample " + std::to_string(s) + " has a real step (" + std::to_string(-r - 1) +
                               ") after a masked one; the engine masks padding at the end of a sequence only (pad on "
                               "the right)");
  }
}

void Engine::gather(const float* x, const Targets& y, const long* idx, int B) {
  check_memory(B, y.labels != nullptr);
  const ModelSpec& s = model.spec();
  const long T = s.steps, F = s.features, K = model.out_steps(), U = model.out_features();
  xb_.resize(T * B * F);
  for (int b = 0; b < B; b++) {
    const float* row = read_row ? read_row(idx[b]) : x + idx[b] * T * F;
    for (long t = 0; t < T; t++) std::copy(row + t * F, row + (t + 1) * F, xb_.data() + (t * B + b) * F);
  }
  has_labels_ = y.labels != nullptr;
  if (y.labels) {
    lb_.resize(K * B);
    for (int b = 0; b < B; b++)
      for (long k = 0; k < K; k++) lb_[k * B + b] = y.labels[idx[b] * K + k];
  } else if (y.values) {
    tb_.resize(K * B * U);
    for (int b = 0; b < B; b++)
      for (long k = 0; k < K; k++) {
        const float* src = y.values + (idx[b] * K + k) * U;
        std::copy(src, src + U, tb_.data() + (k * B + b) * U);
      }
  }
}

Stats Engine::batch_loss(const float* out, int B, bool want_gradient) {
  const int K = model.out_steps(), U = model.out_features();
  Stats st;
  st.samples = B;
  st.batches = 1;
  if (want_gradient) dout_.assign((long)K * B * U, 0.f);
  const LossKind loss = model.spec().loss;
  const bool regression = loss == LossKind::Mse || loss == LossKind::Mae;
  const int32_t* labels = has_labels_ && !regression ? lb_.data() : nullptr;
  const float* targets = labels ? nullptr : tb_.data();
  const BatchLoss r = rnnlab::batch_loss(loss, out, labels, targets, want_gradient ? dout_.data() : nullptr, K, B, U,
                                         model.output_lengths());
  st.loss = r.loss;
  st.accuracy = regression ? std::numeric_limits<double>::quiet_NaN()
                : r.counted ? double(r.hits) / double(r.counted) : 0;
  // mse and mae: the mean absolute error over the values that count (Keras's `mae` metric); NaN otherwise
  st.mae = !regression ? std::numeric_limits<double>::quiet_NaN() : r.counted ? r.abs_err / double(r.counted) : 0;
  // an epoch's accuracy: a masked sequence output weighs each batch by its real rows, else by its samples
  st.accuracy_weight = model.output_maskable() ? double(r.counted) : double(B);
  return st;
}

Stats Engine::train_batch(const float* x, const Targets& y, const long* idx, int B) {
  gather(x, y, idx, B);
  const float* out = model.forward(xb_.data(), B, true, &dropout_rng);
  Stats st = batch_loss(out, B, true);
  model.zero_grads();
  model.backward(dout_.data(), false);  // no gradient on the data itself
  if (record_gradient_flow) accumulate_gradient_flow(B);
  model.zero_frozen_grads();
  clip_gradients(model.grads, model.tensors(), model.spec().optimizer);
  optimizer.step(model.params.data(), model.grads.data(), (long)model.params.size());
  return st;
}

Stats Engine::train_epoch(const float* x, const Targets& y, long n, int batch_size, bool shuffle, bool has_seed,
                          uint64_t seed, const std::function<bool(const Progress&)>& on_batch) {
  check_padding(x, n);
  std::vector<long> order(n);
  std::iota(order.begin(), order.end(), 0L);
  if (shuffle) {
    Rng local(seed);
    Rng& rng = has_seed ? local : shuffle_rng;
    for (long k = n - 1; k > 0; k--) std::swap(order[k], order[(long)rng.below(k + 1)]);
  }
  Stats total;
  Progress p;
  p.batches = (n + batch_size - 1) / batch_size;
  double loss_sum = 0, acc_sum = 0, acc_weight = 0, mae_sum = 0;
  for (long start = 0; start < n; start += batch_size) {
    const int B = (int)std::min<long>(batch_size, n - start);
    Stats st = train_batch(x, y, order.data() + start, B);
    loss_sum += st.loss * B;
    acc_sum += st.accuracy * st.accuracy_weight;
    mae_sum += st.mae * st.accuracy_weight;
    acc_weight += st.accuracy_weight;
    total.samples += B;
    total.batches++;
    p.batch = total.batches;
    p.samples = total.samples;
    p.loss = loss_sum / total.samples;
    p.accuracy = acc_weight > 0 ? acc_sum / acc_weight : 0;
    p.mae = acc_weight > 0 ? mae_sum / acc_weight : std::numeric_limits<double>::quiet_NaN();
    if (on_batch && !on_batch(p)) { total.cancelled = true; break; }
  }
  total.loss = total.samples ? loss_sum / total.samples : 0;
  total.accuracy = acc_weight > 0 ? acc_sum / acc_weight : 0;
  total.mae = acc_weight > 0 ? mae_sum / acc_weight : std::numeric_limits<double>::quiet_NaN();
  return total;
}

Stats Engine::evaluate(const float* x, const Targets& y, long n, int batch_size) {
  check_padding(x, n);
  std::vector<long> idx(batch_size);
  Stats total;
  double loss_sum = 0, acc_sum = 0, acc_weight = 0, mae_sum = 0;
  for (long start = 0; start < n; start += batch_size) {
    const int B = (int)std::min<long>(batch_size, n - start);
    std::iota(idx.begin(), idx.begin() + B, start);
    gather(x, y, idx.data(), B);
    Stats st = batch_loss(model.forward(xb_.data(), B, false, nullptr), B, false);
    loss_sum += st.loss * B;
    acc_sum += st.accuracy * st.accuracy_weight;
    mae_sum += st.mae * st.accuracy_weight;
    acc_weight += st.accuracy_weight;
    total.samples += B;
    total.batches++;
  }
  total.loss = total.samples ? loss_sum / total.samples : 0;
  total.accuracy = acc_weight > 0 ? acc_sum / acc_weight : 0;
  total.mae = acc_weight > 0 ? mae_sum / acc_weight : std::numeric_limits<double>::quiet_NaN();
  return total;
}

void Engine::predict(float* out, const float* x, long n, int batch_size) {
  check_padding(x, n);
  const long K = model.out_steps(), U = model.out_features();
  std::vector<long> idx(batch_size);
  for (long start = 0; start < n; start += batch_size) {
    const int B = (int)std::min<long>(batch_size, n - start);
    std::iota(idx.begin(), idx.begin() + B, start);
    gather(x, Targets{}, idx.data(), B);
    const float* y = model.forward(xb_.data(), B, false, nullptr);
    if (model.logits_head()) {  // the fused binary head's logits become probabilities
      sig_.assign(y, y + K * B * U);
      for (float& v : sig_) v = sigmoid_of(v);
      y = sig_.data();
    }
    for (int b = 0; b < B; b++)
      for (long k = 0; k < K; k++)
        std::copy(y + (k * B + b) * U, y + (k * B + b + 1) * U, out + ((start + b) * K + k) * U);
  }
}

}  // namespace rnnlab
