// SimpleRNN cell, reference kernels: h_t = act(W x_t + Wb + R (h_{t-1} * mask_h) + Rb), act = tanh | relu.
// Legend: T steps, B batch, I input features, H hidden units, G = 1 gate. One direction's weight slice.
// h is time-aligned: h[t] is the state after reading x[t], whichever way the sequence is read.
#pragma once
#include "cell.h"
#include "util.h"

namespace rnnlab {

constexpr int SIMPLE_RNN_GATES = 1;
constexpr int SIMPLE_RNN_CACHE = 0;  // floats per (t, b, unit) kept for backward besides h

// the reference kernels' workspace: two rows of H
inline long simple_rnn_scratch_size(int, int, int, int H) { return 2L * H; }

template <typename S>
void simple_rnn_forward(S* h,             // (T, B, H) out
                        S* cache,         // (T, B, 0) unused
                        const S* x,       // (T, B, I)
                        const S* W,       // (H, I)
                        const S* R,       // (H, H)
                        const S* bias,    // (2H) Wb then Rb
                        const S* mask_h,  // (B, H) recurrent dropout mask, or nullptr
                        S* scratch,       // (2H) workspace (simple_rnn_scratch_size)
                        int T, int B, int I, int H, bool reverse, ThreadPool*, const CellOptions& opt) {
  (void)cache;
  const bool relu = opt.relu;  // else tanh
  S* hm = scratch;  // (H) masked previous state
  for (int s = 0; s < T; s++) {
    const int t = step_time(s, T, reverse);
    for (int b = 0; b < B; b++) {
      S* out = h + ((long)t * B + b) * H;
      const S* xt = x + ((long)t * B + b) * I;
      for (int j = 0; j < H; j++) out[j] = bias[j] + bias[H + j];
      matvec_acc(out, W, xt, H, I);
      if (s > 0) {
        const S* hp = h + ((long)prev_time(t, reverse) * B + b) * H;
        for (int j = 0; j < H; j++) hm[j] = mask_h ? hp[j] * mask_h[(long)b * H + j] : hp[j];
        matvec_acc(out, R, hm, H, H);
      }
      for (int j = 0; j < H; j++) out[j] = relu ? (out[j] > 0 ? out[j] : S(0)) : std::tanh(out[j]);
    }
  }
}

template <typename S>
void simple_rnn_backward(S* dx,            // (T, B, I) accumulated, or nullptr: not wanted
                         S* dW,            // (H, I) accumulated
                         S* dR,            // (H, H) accumulated
                         S* dbias,         // (2H) accumulated
                         S* dh,            // (T, B, H) gradient on h; recurrent gradient is added in place
                         const S* h,       // (T, B, H)
                         const S* cache,   // (T, B, 0) unused
                         const S* x,       // (T, B, I)
                         const S* W,       // (H, I)
                         const S* R,       // (H, H)
                         const S* bias,    // (2H)
                         const S* mask_h,  // (B, H) or nullptr
                         S* scratch,       // (2H) workspace (simple_rnn_scratch_size)
                         int T, int B, int I, int H, bool reverse, ThreadPool*, const CellOptions& opt) {
  (void)cache; (void)bias;
  const bool relu = opt.relu;
  S* da = scratch;      // (H) gradient on the pre-activation
  S* hm = scratch + H;  // (H)
  for (int s = T - 1; s >= 0; s--) {
    const int t = step_time(s, T, reverse);
    for (int b = 0; b < B; b++) {
      const S* ht = h + ((long)t * B + b) * H;
      const S* dht = dh + ((long)t * B + b) * H;
      for (int j = 0; j < H; j++)
        da[j] = relu ? (ht[j] > 0 ? dht[j] : S(0)) : dht[j] * (S(1) - ht[j] * ht[j]);
      for (int j = 0; j < H; j++) { dbias[j] += da[j]; dbias[H + j] += da[j]; }
      outer_acc(dW, da, x + ((long)t * B + b) * I, H, I);
      if (dx) matTvec_acc(dx + ((long)t * B + b) * I, W, da, H, I);
      if (s > 0) {
        const long prev = ((long)prev_time(t, reverse) * B + b) * H;
        for (int j = 0; j < H; j++) hm[j] = mask_h ? h[prev + j] * mask_h[(long)b * H + j] : h[prev + j];
        outer_acc(dR, da, hm, H, H);
        for (int j = 0; j < H; j++) hm[j] = 0;
        matTvec_acc(hm, R, da, H, H);
        for (int j = 0; j < H; j++) dh[prev + j] += mask_h ? hm[j] * mask_h[(long)b * H + j] : hm[j];
      }
    }
  }
}

}  // namespace rnnlab
