// LSTM cell, reference kernels, ONNX gate order i, o, f, c (sigmoid gates, tanh cell and output):
//   [i o f c~] = [sig sig sig tanh](W x_t + Wb + R (h_{t-1} * mask_h) + Rb)
//   c_t = f * c_{t-1} + i * c~,   h_t = o * tanh(c_t)
// Legend: T steps, B batch, I input features, H hidden units, G = 4 gates. One direction's weight slice.
// h is time-aligned: h[t] is the state after reading x[t], whichever way the sequence is read.
#pragma once
#include "cell.h"
#include "util.h"

namespace rnnlab {

constexpr int LSTM_GATES = 4;
constexpr int LSTM_CACHE = 5;  // per (t, b, unit): activated gates i, o, f, c~ and the cell state c
constexpr int LSTM_FORGET_GATE = 2;  // the gate whose input bias starts at 1 (Keras unit_forget_bias)

// the reference kernels' workspace: the (B, H) carry of dc and a few rows of H
inline long lstm_scratch_size(int, int B, int, int H) { return (long)B * H + 6L * H; }

template <typename S>
void lstm_forward(S* h,             // (T, B, H) out
                  S* cache,         // (T, B, 5H) out: gates (4H) then c (H)
                  const S* x,       // (T, B, I)
                  const S* W,       // (4H, I)
                  const S* R,       // (4H, H)
                  const S* bias,    // (8H) Wb then Rb
                  const S* mask_h,  // (B, H) recurrent dropout mask, or nullptr
                  S* scratch,       // (H) workspace (lstm_scratch_size)
                  int T, int B, int I, int H, bool reverse, ThreadPool*, const CellOptions&) {
  const int G = 4;
  S* hm = scratch;  // (H)
  for (int s = 0; s < T; s++) {
    const int t = step_time(s, T, reverse);
    for (int b = 0; b < B; b++) {
      S* gates = cache + ((long)t * B + b) * 5 * H;
      S* c = gates + G * H;
      for (int j = 0; j < G * H; j++) gates[j] = bias[j] + bias[G * H + j];
      matvec_acc(gates, W, x + ((long)t * B + b) * I, G * H, I);
      const S* cprev = nullptr;
      if (s > 0) {
        const long prev = (long)prev_time(t, reverse) * B + b;
        const S* hp = h + prev * H;
        for (int j = 0; j < H; j++) hm[j] = mask_h ? hp[j] * mask_h[(long)b * H + j] : hp[j];
        matvec_acc(gates, R, hm, G * H, H);
        cprev = cache + prev * 5 * H + G * H;
      }
      S* out = h + ((long)t * B + b) * H;
      for (int j = 0; j < H; j++) {
        const S i = sigmoid(gates[j]), o = sigmoid(gates[H + j]), f = sigmoid(gates[2 * H + j]);
        const S g = std::tanh(gates[3 * H + j]);
        gates[j] = i; gates[H + j] = o; gates[2 * H + j] = f; gates[3 * H + j] = g;
        c[j] = (cprev ? f * cprev[j] : S(0)) + i * g;
        out[j] = o * std::tanh(c[j]);
      }
    }
  }
}

template <typename S>
void lstm_backward(S* dx,            // (T, B, I) accumulated, or nullptr: not wanted
                   S* dW,            // (4H, I) accumulated
                   S* dR,            // (4H, H) accumulated
                   S* dbias,         // (8H) accumulated
                   S* dh,            // (T, B, H) gradient on h; recurrent gradient is added in place
                   const S* h,       // (T, B, H)
                   const S* cache,   // (T, B, 5H)
                   const S* x,       // (T, B, I)
                   const S* W,       // (4H, I)
                   const S* R,       // (4H, H)
                   const S* bias,    // (8H)
                   const S* mask_h,  // (B, H) or nullptr
                   S* scratch,       // (B*H + 6H) workspace (lstm_scratch_size)
                   int T, int B, int I, int H, bool reverse, ThreadPool*, const CellOptions&) {
  (void)bias;
  const int G = 4;
  S* dc_next = scratch;               // (B, H) gradient on c_t flowing from step t+1
  S* da = scratch + (long)B * H;      // (4H) gradient on gate pre-activations
  S* hm = da + G * H;                 // (H)
  S* dhm = hm + H;                    // (H)
  for (long k = 0; k < (long)B * H; k++) dc_next[k] = 0;
  for (int s = T - 1; s >= 0; s--) {
    const int t = step_time(s, T, reverse);
    for (int b = 0; b < B; b++) {
      const S* gates = cache + ((long)t * B + b) * 5 * H;
      const S* c = gates + G * H;
      const long prev = (long)prev_time(t, reverse) * B + b;
      const S* cprev = s > 0 ? cache + prev * 5 * H + G * H : nullptr;
      const S* dht = dh + ((long)t * B + b) * H;
      S* dcn = dc_next + (long)b * H;
      for (int j = 0; j < H; j++) {
        const S i = gates[j], o = gates[H + j], f = gates[2 * H + j], g = gates[3 * H + j];
        const S tc = std::tanh(c[j]);
        const S dc = dcn[j] + dht[j] * o * (S(1) - tc * tc);
        da[j] = dc * g * i * (S(1) - i);
        da[H + j] = dht[j] * tc * o * (S(1) - o);
        da[2 * H + j] = (cprev ? dc * cprev[j] : S(0)) * f * (S(1) - f);
        da[3 * H + j] = dc * i * (S(1) - g * g);
        dcn[j] = dc * f;
      }
      for (int j = 0; j < G * H; j++) { dbias[j] += da[j]; dbias[G * H + j] += da[j]; }
      outer_acc(dW, da, x + ((long)t * B + b) * I, G * H, I);
      if (dx) matTvec_acc(dx + ((long)t * B + b) * I, W, da, G * H, I);
      if (s > 0) {
        const S* hp = h + prev * H;
        for (int j = 0; j < H; j++) hm[j] = mask_h ? hp[j] * mask_h[(long)b * H + j] : hp[j];
        outer_acc(dR, da, hm, G * H, H);
        for (int j = 0; j < H; j++) dhm[j] = 0;
        matTvec_acc(dhm, R, da, G * H, H);
        S* dhp = dh + prev * H;
        for (int j = 0; j < H; j++) dhp[j] += mask_h ? dhm[j] * mask_h[(long)b * H + j] : dhm[j];
      }
    }
  }
}

}  // namespace rnnlab
