// Optimizers with Keras's update rules (Adam with epsilon outside the bias correction, SGD with momentum and
// Nesterov, RMSprop), and Keras's gradient clipping (clipnorm per tensor, global_clipnorm over all).
#pragma once
#include <cmath>
#include <cstdint>
#include <vector>

#include "model.h"
#include "spec.h"

namespace rnnlab {

struct Optimizer {
  OptimizerSpec spec;
  uint64_t iterations = 0;  // steps taken, as Keras's optimizer.iterations
  std::vector<float> m, v;  // adam: first and second moments; sgd: velocity in m; rmsprop: mean square in v, momentum in m

  Optimizer(const OptimizerSpec& s, long n) : spec(s), m(n, 0.f), v(n, 0.f) {}

  void step(float* p,        // (n) parameters, updated
            const float* g,  // (n) gradients
            long n) {
    iterations++;
    const double lr = spec.learning_rate;
    switch (spec.kind) {
      case OptimizerKind::Adam: {
        const double t = double(iterations);
        const float alpha = float(lr * std::sqrt(1 - std::pow(spec.beta2, t)) / (1 - std::pow(spec.beta1, t)));
        const float b1 = float(spec.beta1), b2 = float(spec.beta2), eps = float(spec.epsilon);
        for (long k = 0; k < n; k++) {
          m[k] += (g[k] - m[k]) * (1 - b1);
          v[k] += (g[k] * g[k] - v[k]) * (1 - b2);
          p[k] -= alpha * m[k] / (std::sqrt(v[k]) + eps);
        }
        break;
      }
      case OptimizerKind::Sgd: {
        const float rate = float(lr), mu = float(spec.momentum);
        for (long k = 0; k < n; k++) {
          if (mu == 0) { p[k] -= rate * g[k]; continue; }
          m[k] = mu * m[k] - rate * g[k];
          p[k] += spec.nesterov ? mu * m[k] - rate * g[k] : m[k];
        }
        break;
      }
      case OptimizerKind::Rmsprop: {
        const float rate = float(lr), rho = float(spec.rho), eps = float(spec.epsilon), mu = float(spec.momentum);
        for (long k = 0; k < n; k++) {
          v[k] = rho * v[k] + (1 - rho) * g[k] * g[k];
          const float increment = rate * g[k] / std::sqrt(v[k] + eps);
          if (mu > 0) { m[k] = mu * m[k] + increment; p[k] -= m[k]; }
          else p[k] -= increment;
        }
        break;
      }
    }
  }
};

// Scales gradients as Keras's clipnorm (each tensor to norm <= clip_norm) and global_clipnorm.
inline void clip_gradients(std::vector<float>& grads, const std::vector<TensorInfo>& tensors, const OptimizerSpec& o) {
  if (o.clip_norm > 0)
    for (const TensorInfo& t : tensors) {
      double sq = 0;
      for (long k = 0; k < t.size; k++) sq += double(grads[t.offset + k]) * grads[t.offset + k];
      const double norm = std::sqrt(sq);
      if (norm > o.clip_norm)
        for (long k = 0; k < t.size; k++) grads[t.offset + k] *= float(o.clip_norm / norm);
    }
  if (o.global_clip_norm > 0) {
    double sq = 0;
    for (float g : grads) sq += double(g) * g;
    const double norm = std::sqrt(sq);
    if (norm > o.global_clip_norm)
      for (float& g : grads) g *= float(o.global_clip_norm / norm);
  }
}

}  // namespace rnnlab
