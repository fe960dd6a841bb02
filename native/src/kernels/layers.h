// Reference kernels for the non-recurrent parts: direction merge, dense, activations, dropout, losses.
// Legend: N rows (batch, or steps x batch for per-step layers), B batch, H hidden units,
// I input features, U output units.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>

namespace rnnlab {

enum class MergeMode { Concat, Sum, Mul, Ave };
enum class Activation { Linear, Relu, Sigmoid, Tanh, Softmax };

// Merge the two directions' states of one output step (or copy the only one when h1 is null).
template <typename S>
void merge_forward(S* out,        // (B, 2H) for concat, else (B, H)
                   const S* h0,   // (B, H)
                   const S* h1,   // (B, H) or nullptr for one direction
                   int B, int H, MergeMode mode) {
  for (int b = 0; b < B; b++) {
    const S* a = h0 + (long)b * H;
    if (!h1) {
      S* o = out + (long)b * H;
      for (int j = 0; j < H; j++) o[j] = a[j];
      continue;
    }
    const S* c = h1 + (long)b * H;
    if (mode == MergeMode::Concat) {
      S* o = out + (long)b * 2 * H;
      for (int j = 0; j < H; j++) { o[j] = a[j]; o[H + j] = c[j]; }
    } else {
      S* o = out + (long)b * H;
      for (int j = 0; j < H; j++)
        o[j] = mode == MergeMode::Sum ? a[j] + c[j] : mode == MergeMode::Mul ? a[j] * c[j] : (a[j] + c[j]) * S(0.5);
    }
  }
}

template <typename S>
void merge_backward(S* dh0,        // (B, H) accumulated
                    S* dh1,        // (B, H) accumulated, or nullptr
                    const S* dout, // (B, 2H) for concat, else (B, H)
                    const S* h0,   // (B, H)
                    const S* h1,   // (B, H) or nullptr
                    int B, int H, MergeMode mode) {
  for (int b = 0; b < B; b++) {
    S* da = dh0 + (long)b * H;
    if (!h1) {
      const S* d = dout + (long)b * H;
      for (int j = 0; j < H; j++) da[j] += d[j];
      continue;
    }
    S* dc = dh1 + (long)b * H;
    if (mode == MergeMode::Concat) {
      const S* d = dout + (long)b * 2 * H;
      for (int j = 0; j < H; j++) { da[j] += d[j]; dc[j] += d[H + j]; }
    } else {
      const S* d = dout + (long)b * H;
      const S* a = h0 + (long)b * H;
      const S* c = h1 + (long)b * H;
      for (int j = 0; j < H; j++) {
        if (mode == MergeMode::Sum) { da[j] += d[j]; dc[j] += d[j]; }
        else if (mode == MergeMode::Mul) { da[j] += d[j] * c[j]; dc[j] += d[j] * a[j]; }
        else { da[j] += d[j] * S(0.5); dc[j] += d[j] * S(0.5); }
      }
    }
  }
}

// out = inp W + bias, W in Keras kernel layout (I, U)
template <typename S>
void dense_forward(S* out,         // (N, U)
                   const S* inp,   // (N, I)
                   const S* W,     // (I, U)
                   const S* bias,  // (U)
                   int N, int I, int U) {
  for (int n = 0; n < N; n++) {
    S* o = out + (long)n * U;
    const S* x = inp + (long)n * I;
    for (int u = 0; u < U; u++) o[u] = bias[u];
    for (int i = 0; i < I; i++) {
      const S* w = W + (long)i * U;
      for (int u = 0; u < U; u++) o[u] += x[i] * w[u];
    }
  }
}

// The two halves of dense_backward, so that each can be split over threads without changing a bit: the input
// gradient of rows [n0, n1), and the weight (and bias) gradients of kernel rows [i0, i1), summed over all N rows in
// order.
template <typename S>
void dense_backward_input(S* dinp, const S* dout, const S* W, int n0, int n1, int I, int U) {
  for (int n = n0; n < n1; n++) {
    const S* d = dout + (long)n * U;
    S* dx = dinp + (long)n * I;
    for (int i = 0; i < I; i++) {
      const S* w = W + (long)i * U;
      S acc = 0;
      for (int u = 0; u < U; u++) acc += w[u] * d[u];
      dx[i] += acc;
    }
  }
}

template <typename S>
void dense_backward_weights(S* dW, S* dbias, const S* dout, const S* inp, int N, int i0, int i1, int I, int U) {
  for (int n = 0; n < N; n++) {
    const S* d = dout + (long)n * U;
    const S* x = inp + (long)n * I;
    if (dbias)
      for (int u = 0; u < U; u++) dbias[u] += d[u];
    for (int i = i0; i < i1; i++) {
      S* dw = dW + (long)i * U;
      for (int u = 0; u < U; u++) dw[u] += x[i] * d[u];
    }
  }
}

template <typename S>
void dense_backward(S* dinp,        // (N, I) accumulated
                    S* dW,          // (I, U) accumulated
                    S* dbias,       // (U) accumulated
                    const S* dout,  // (N, U)
                    const S* inp,   // (N, I)
                    const S* W,     // (I, U)
                    int N, int I, int U) {
  dense_backward_input(dinp, dout, W, 0, N, I, U);
  dense_backward_weights(dW, dbias, dout, inp, N, 0, I, I, U);
}

// Elementwise activation in place; softmax normalises each row of U.
template <typename S>
void activation_forward(S* out,  // (N, U) pre-activation in, activation out
                        int N, int U, Activation act) {
  const long n = (long)N * U;
  switch (act) {
    case Activation::Linear: break;
    case Activation::Relu: for (long k = 0; k < n; k++) out[k] = out[k] > 0 ? out[k] : S(0); break;
    case Activation::Sigmoid: for (long k = 0; k < n; k++) out[k] = S(1) / (S(1) + std::exp(-out[k])); break;
    case Activation::Tanh: for (long k = 0; k < n; k++) out[k] = std::tanh(out[k]); break;
    case Activation::Softmax:
      for (int r = 0; r < N; r++) {
        S* o = out + (long)r * U;
        S mx = o[0];
        for (int u = 1; u < U; u++) mx = o[u] > mx ? o[u] : mx;
        S sum = 0;
        for (int u = 0; u < U; u++) { o[u] = std::exp(o[u] - mx); sum += o[u]; }
        for (int u = 0; u < U; u++) o[u] /= sum;
      }
      break;
  }
}

// Gradient through an elementwise activation, from its output; softmax is left to the fused loss.
template <typename S>
void activation_backward(S* dinp,        // (N, U) out: gradient on the pre-activation
                         const S* dout,  // (N, U)
                         const S* out,   // (N, U) activation output
                         int N, int U, Activation act) {
  const long n = (long)N * U;
  for (long k = 0; k < n; k++) {
    const S y = out[k];
    switch (act) {
      case Activation::Relu: dinp[k] = y > 0 ? dout[k] : S(0); break;
      case Activation::Sigmoid: dinp[k] = dout[k] * y * (S(1) - y); break;
      case Activation::Tanh: dinp[k] = dout[k] * (S(1) - y * y); break;
      default: dinp[k] = dout[k]; break;
    }
  }
}

// Inverted dropout with a precomputed mask of 0 or 1/(1-rate).
template <typename S>
void dropout_forward(S* out,         // (N)
                     const S* inp,   // (N)
                     const S* mask,  // (N)
                     long N) {
  for (long k = 0; k < N; k++) out[k] = inp[k] * mask[k];
}

template <typename S>
void dropout_backward(S* dinp,        // (N) accumulated
                      const S* dout,  // (N)
                      const S* mask,  // (N)
                      long N) {
  for (long k = 0; k < N; k++) dinp[k] += dout[k] * mask[k];
}

// Cross-entropy of softmax probabilities against integer labels (labels != null) or target rows.
// Returns the summed loss and counts rows whose argmax matches the label.
template <typename S>
double crossentropy_forward(long* correct,       // (1) out
                            const S* probs,      // (N, U)
                            const int32_t* labels,  // (N) or nullptr
                            const S* targets,    // (N, U) when labels is null
                            int N, int U) {
  double loss = 0;
  long hits = 0;
  for (int n = 0; n < N; n++) {
    const S* p = probs + (long)n * U;
    int arg = 0;
    for (int u = 1; u < U; u++) if (p[u] > p[arg]) arg = u;
    if (labels) {
      loss -= std::log(std::max(double(p[labels[n]]), 1e-12));
      hits += arg == labels[n];
    } else {
      const S* y = targets + (long)n * U;
      int want = 0;
      for (int u = 0; u < U; u++) {
        if (y[u] != 0) loss -= double(y[u]) * std::log(std::max(double(p[u]), 1e-12));
        if (y[u] > y[want]) want = u;
      }
      hits += arg == want;
    }
  }
  *correct = hits;
  return loss;
}

// Fused softmax + cross-entropy gradient on the logits, scaled (1/N for a mean loss).
template <typename S>
void crossentropy_softmax_backward(S* dlogits,           // (N, U) accumulated
                                   const S* probs,       // (N, U)
                                   const int32_t* labels,  // (N) or nullptr
                                   const S* targets,     // (N, U) when labels is null
                                   int N, int U, S scale) {
  for (int n = 0; n < N; n++) {
    const S* p = probs + (long)n * U;
    S* d = dlogits + (long)n * U;
    if (labels) {
      for (int u = 0; u < U; u++) d[u] += scale * (p[u] - (u == labels[n] ? S(1) : S(0)));
    } else {
      const S* y = targets + (long)n * U;
      S total = 0;
      for (int u = 0; u < U; u++) total += y[u];
      for (int u = 0; u < U; u++) d[u] += scale * (p[u] * total - y[u]);
    }
  }
}

// Summed squared error (the caller divides by N*U for Keras's mean).
template <typename S>
double mse_forward(const S* out,      // (N, U)
                   const S* targets,  // (N, U)
                   int N, int U) {
  double loss = 0;
  for (long k = 0; k < (long)N * U; k++) { const double e = double(out[k]) - double(targets[k]); loss += e * e; }
  return loss;
}

template <typename S>
void mse_backward(S* dout,           // (N, U) accumulated
                  const S* out,      // (N, U)
                  const S* targets,  // (N, U)
                  int N, int U, S scale) {
  for (long k = 0; k < (long)N * U; k++) dout[k] += scale * S(2) * (out[k] - targets[k]);
}

}  // namespace rnnlab
