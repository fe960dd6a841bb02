// GRU cell, reference kernels, ONNX gate order z, r, h (sigmoid gates, tanh candidate); hm = h_{t-1} * mask_h:
//   z = sig(Wz x + Wbz + Rz hm + Rbz),  r = sig(Wr x + Wbr + Rr hm + Rbr)
//   reset_after (ONNX linear_before_reset=1, Keras reset_after=True): h~ = tanh(Wh x + Wbh + r * (Rh hm + Rbh))
//   otherwise (linear_before_reset=0):                                h~ = tanh(Wh x + Wbh + Rh (r * hm) + Rbh)
//   h_t = (1 - z) * h~ + z * h_{t-1}
// Legend: T steps, B batch, I input features, H hidden units, G = 3 gates. One direction's weight slice.
// h is time-aligned: h[t] is the state after reading x[t], whichever way the sequence is read.
#pragma once
#include "cell.h"
#include "util.h"

namespace rnnlab {

constexpr int GRU_GATES = 3;
constexpr int GRU_CACHE = 4;  // per (t, b, unit): z, r, h~, and q = Rh hm + Rbh (reset_after) or unused

// the reference kernels' workspace: a few rows of H (backward: dax, dar, hm, dhm)
inline long gru_scratch_size(int, int, int, int H) { return 8L * H; }

// Keras trains the recurrent bias half (its bias is (2, 3H)) only with reset_after
inline bool gru_recurrent_bias(const CellOptions& opt) { return opt.reset_after; }

template <typename S>
void gru_forward(S* h,             // (T, B, H) out
                 S* cache,         // (T, B, 4H) out: z, r, h~, q
                 const S* x,       // (T, B, I)
                 const S* W,       // (3H, I)
                 const S* R,       // (3H, H)
                 const S* bias,    // (6H) Wb then Rb
                 const S* mask_h,  // (B, H) recurrent dropout mask, or nullptr
                 S* scratch,       // (5H) workspace (gru_scratch_size)
                 int T, int B, int I, int H, bool reverse, ThreadPool*, const CellOptions& opt) {
  const bool reset_after = opt.reset_after;
  S* hm = scratch;           // (H)
  S* rec = scratch + H;      // (3H) recurrent linear part R hm + Rb
  S* u = rec + 3 * H;        // (H) r * hm
  for (int s = 0; s < T; s++) {
    const int t = step_time(s, T, reverse);
    for (int b = 0; b < B; b++) {
      S* zrh = cache + ((long)t * B + b) * 4 * H;
      S* q = zrh + 3 * H;
      const S* hp = s > 0 ? h + ((long)prev_time(t, reverse) * B + b) * H : nullptr;
      for (int j = 0; j < 3 * H; j++) zrh[j] = bias[j];
      matvec_acc(zrh, W, x + ((long)t * B + b) * I, 3 * H, I);
      for (int j = 0; j < 3 * H; j++) rec[j] = bias[3 * H + j];
      for (int j = 0; j < H; j++) hm[j] = hp ? (mask_h ? hp[j] * mask_h[(long)b * H + j] : hp[j]) : S(0);
      if (hp) matvec_acc(rec, R, hm, 2 * H, H);  // z and r rows
      for (int j = 0; j < 2 * H; j++) zrh[j] = sigmoid(zrh[j] + rec[j]);
      const S* r = zrh + H;
      if (reset_after) {
        if (hp) matvec_acc(rec + 2 * H, R + 2L * H * H, hm, H, H);
        for (int j = 0; j < H; j++) { q[j] = rec[2 * H + j]; zrh[2 * H + j] += r[j] * q[j]; }
      } else {
        for (int j = 0; j < H; j++) { u[j] = r[j] * hm[j]; q[j] = 0; }
        if (hp) matvec_acc(rec + 2 * H, R + 2L * H * H, u, H, H);
        for (int j = 0; j < H; j++) zrh[2 * H + j] += rec[2 * H + j];
      }
      S* out = h + ((long)t * B + b) * H;
      for (int j = 0; j < H; j++) {
        const S z = zrh[j], hh = std::tanh(zrh[2 * H + j]);
        zrh[2 * H + j] = hh;
        out[j] = (S(1) - z) * hh + (hp ? z * hp[j] : S(0));
      }
    }
  }
}

template <typename S>
void gru_backward(S* dx,            // (T, B, I) accumulated, or nullptr: not wanted
                  S* dW,            // (3H, I) accumulated
                  S* dR,            // (3H, H) accumulated
                  S* dbias,         // (6H) accumulated
                  S* dh,            // (T, B, H) gradient on h; recurrent gradient is added in place
                  const S* h,       // (T, B, H)
                  const S* cache,   // (T, B, 4H)
                  const S* x,       // (T, B, I)
                  const S* W,       // (3H, I)
                  const S* R,       // (3H, H)
                  const S* bias,    // (6H)
                  const S* mask_h,  // (B, H) or nullptr
                  S* scratch,       // (8H) workspace (gru_scratch_size)
                  int T, int B, int I, int H, bool reverse, ThreadPool*, const CellOptions& opt) {
  const bool reset_after = opt.reset_after;
  (void)bias;
  S* dax = scratch;        // (3H) gradient on the input linear part W x + Wb
  S* dar = dax + 3 * H;    // (3H) gradient on the recurrent linear part (R hm + Rb, or Rh u + Rbh)
  S* hm = dar + 3 * H;     // (H)
  S* dhm = hm + H;         // (H)
  for (int s = T - 1; s >= 0; s--) {
    const int t = step_time(s, T, reverse);
    for (int b = 0; b < B; b++) {
      const S* zrh = cache + ((long)t * B + b) * 4 * H;
      const S* q = zrh + 3 * H;
      const long prev = (long)prev_time(t, reverse) * B + b;
      const S* hp = s > 0 ? h + prev * H : nullptr;
      const S* dht = dh + ((long)t * B + b) * H;
      for (int j = 0; j < H; j++) {
        hm[j] = hp ? (mask_h ? hp[j] * mask_h[(long)b * H + j] : hp[j]) : S(0);
        dhm[j] = 0;
      }
      // gradients on the gate pre-activations, split into the input part (dax) and the recurrent part (dar)
      for (int j = 0; j < H; j++) {
        const S z = zrh[j], r = zrh[H + j], hh = zrh[2 * H + j];
        const S dz = dht[j] * ((hp ? hp[j] : S(0)) - hh);
        const S dah = dht[j] * (S(1) - z) * (S(1) - hh * hh);
        dax[j] = dar[j] = dz * z * (S(1) - z);
        dax[2 * H + j] = dah;
        dar[2 * H + j] = reset_after ? dah * r : dah;  // r * (Rh hm + Rbh)  or  Rh (r * hm) + Rbh
        dax[H + j] = reset_after ? dah * q[j] : S(0);  // dr before sigmoid'; without reset_after, completed below
      }
      if (!reset_after) {  // du = Rh^T dah;  dr = du * hm;  dhm += du * r;  dRh += dah (x) u
        for (int j = 0; j < H; j++) {
          S du = 0;
          for (int k = 0; k < H; k++) du += R[(2L * H + k) * H + j] * dax[2 * H + k];
          dax[H + j] = du * hm[j];
          dhm[j] += du * zrh[H + j];
        }
        if (hp)
          for (int k = 0; k < H; k++)
            for (int j = 0; j < H; j++) dR[(2L * H + k) * H + j] += dax[2 * H + k] * zrh[H + j] * hm[j];
      }
      for (int j = 0; j < H; j++) {
        const S r = zrh[H + j];
        dax[H + j] *= r * (S(1) - r);
        dar[H + j] = dax[H + j];
      }
      for (int j = 0; j < 3 * H; j++) { dbias[j] += dax[j]; dbias[3 * H + j] += dar[j]; }
      outer_acc(dW, dax, x + ((long)t * B + b) * I, 3 * H, I);
      if (dx) matTvec_acc(dx + ((long)t * B + b) * I, W, dax, 3 * H, I);
      if (hp) {
        const int rows = reset_after ? 3 * H : 2 * H;  // without reset_after, Rh saw u, handled above
        outer_acc(dR, dar, hm, rows, H);
        matTvec_acc(dhm, R, dar, rows, H);
        S* dhp = dh + prev * H;
        for (int j = 0; j < H; j++)
          dhp[j] += dht[j] * zrh[j] + (mask_h ? dhm[j] * mask_h[(long)b * H + j] : dhm[j]);
      }
    }
  }
}

}  // namespace rnnlab
