// Binary cross-entropy fused with its sigmoid head, in the stable form on the logits z:
//   loss = max(z, 0) - z y + log(1 + exp(-|z|)),  dloss/dz = sigmoid(z) - y,
// with y a class id (0 or 1, one output) or a target in [0, 1]. Accuracy is Keras's binary_accuracy: (z > 0) == (y > 0.5).
#pragma once
#include <cmath>
#include <cstdint>

namespace rnnlab {

template <typename S>
S sigmoid_of(S z) {
  return z >= 0 ? S(1) / (S(1) + std::exp(-z)) : std::exp(z) / (S(1) + std::exp(z));
}

template <typename S>
double binary_crossentropy_forward(long* correct,          // (1) out: values whose side of 0.5 is right
                                   const S* logits,         // (N*U)
                                   const int32_t* labels,   // (N*U) or nullptr
                                   const S* targets,        // (N*U) when labels is null
                                   long n) {
  double loss = 0;
  long hits = 0;
  for (long k = 0; k < n; k++) {
    const double z = double(logits[k]);
    const double y = labels ? double(labels[k]) : double(targets[k]);
    loss += std::max(z, 0.0) - z * y + std::log1p(std::exp(-std::fabs(z)));
    hits += (z > 0) == (y > 0.5);
  }
  *correct = hits;
  return loss;
}

template <typename S>
void binary_crossentropy_backward(S* dlogits,              // (N*U) accumulated
                                  const S* logits,         // (N*U)
                                  const int32_t* labels,   // (N*U) or nullptr
                                  const S* targets,        // (N*U) when labels is null
                                  long n, S scale) {
  for (long k = 0; k < n; k++) {
    const S y = labels ? S(labels[k]) : targets[k];
    dlogits[k] += scale * (sigmoid_of(logits[k]) - y);
  }
}

// Summed absolute error (the caller divides by N*U for Keras's mean). The gradient of |e| is sign(e), 0 at e == 0
// (TensorFlow's choice).
template <typename S>
double mae_forward(const S* out,      // (n)
                   const S* targets,  // (n)
                   long n) {
  double loss = 0;
  for (long k = 0; k < n; k++) loss += std::fabs(double(out[k]) - double(targets[k]));
  return loss;
}

template <typename S>
void mae_backward(S* dout,           // (n) accumulated
                  const S* out,      // (n)
                  const S* targets,  // (n)
                  long n, S scale) {
  for (long k = 0; k < n; k++) {
    const S e = out[k] - targets[k];
    dout[k] += e > 0 ? scale : e < 0 ? -scale : S(0);
  }
}

}  // namespace rnnlab
