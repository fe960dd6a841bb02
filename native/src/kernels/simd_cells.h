// One instruction-set path's fused cell steps: per time step, the gate nonlinearities, the cell state and their
// gradients over B rows, with branch-free exp/sigmoid/tanh so the loops vectorize. Included once per ISA file
// (simd.cpp, simd_avx2.cpp, simd_avx512.cpp) beside simd_gemm.h, with RNNLAB_ISA_NS and RNNLAB_VEC_BYTES defined;
// compiled with that ISA's flags. No include guard on purpose.
// Legend: B batch, H units, G gates.
#include <algorithm>
#include <cmath>

#include "simd.h"

namespace rnnlab {
namespace RNNLAB_ISA_NS {

// ---- elementwise math: branch-free so the compiler vectorizes the loops at this file's width ----

template <typename S> inline S vexp(S x) { return std::exp(x); }
template <typename S> inline S vsigmoid(S x) { return S(1) / (S(1) + std::exp(-x)); }
template <typename S> inline S vtanh(S x) { return std::tanh(x); }

// expf to about 1 ulp: 2^k * p(r), r = x - k ln2 (Cephes' polynomial)
template <> inline float vexp<float>(float x) {
  x = std::min(std::max(x, -87.0f), 88.0f);
  const float kf = (x * 1.44269504f + 12582912.0f) - 12582912.0f;  // round to nearest
  const float r = (x - kf * 0.693359375f) + kf * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const int bits = ((int)kf + 127) << 23;
  return p * __builtin_bit_cast(float, bits);
}
template <> inline float vsigmoid<float>(float x) { return 1.0f / (1.0f + vexp<float>(-x)); }
// tanh: odd Taylor polynomial near 0 (where 1 - 2/(e^2x + 1) would cancel), the exp form elsewhere
template <> inline float vtanh<float>(float x) {
  const float ax = std::fabs(x);
  const float x2 = x * x;
  float p = -8.8632355e-3f;  // Taylor coefficients of x^11 down to x^3: -1382/155925, 62/2835, -17/315, 2/15, -1/3
  p = p * x2 + 2.1869488e-2f;
  p = p * x2 - 5.3968254e-2f;
  p = p * x2 + 1.3333334e-1f;
  p = p * x2 - 3.3333334e-1f;
  const float small = x + x * x2 * p;
  const float e = vexp<float>(2.0f * ax);
  const float big = std::copysign(1.0f - 2.0f / (e + 1.0f), x);
  return ax < 0.4f ? small : big;
}

// ---- fused cell steps: one time step, B rows; gate pre-activations already hold W x + R h (no biases) ----

// LSTM, gates i, o, f, c~ in place to their activations; c, h out. bias (8H): Wb then Rb. HasPrev: a separate
// instantiation for the first step (no c_{t-1}), so each inner loop is branch-free and vectorizes.
template <typename S, bool HasPrev>
void lstm_step_forward_rows(S* cache, long ldcache, S* h, const S* cprev, long ldcprev, const S* bsum, int B,
                            int H) {
  // one pointer per gate block: GCC's vectorizer cannot follow g[H + j] with a run-time H
  const S* __restrict bi = bsum;
  const S* __restrict bc = bsum + 3 * H;
  for (int b = 0; b < B; b++) {
    S* __restrict gi = cache + b * ldcache;
    S* __restrict go = gi + H;
    S* __restrict gf = gi + 2 * H;
    S* __restrict gc = gi + 3 * H;
    S* __restrict c = gi + 4 * H;
    S* __restrict out = h + (long)b * H;
    const S* __restrict cp = HasPrev ? cprev + b * ldcprev : bsum;
    for (int j = 0; j < 3 * H; j++) gi[j] = vsigmoid<S>(gi[j] + bi[j]);  // i, o, f are contiguous
    for (int j = 0; j < H; j++) gc[j] = vtanh<S>(gc[j] + bc[j]);
    for (int j = 0; j < H; j++) c[j] = gi[j] * gc[j];
    if (HasPrev)
      for (int j = 0; j < H; j++) c[j] += gf[j] * cp[j];
    for (int j = 0; j < H; j++) out[j] = go[j] * vtanh<S>(c[j]);
  }
}

template <typename S>
void lstm_step_forward_wide(S* cache, long ldcache, S* h, const S* cprev, long ldcprev, const S* bias, int B,
                            int H) {
  for (int b = 0; b < B; b++) {
    S* g = cache + b * ldcache;
    for (int j = 0; j < H; j++) {
      const S i = vsigmoid<S>(g[j] + bias[j] + bias[4 * H + j]);
      const S o = vsigmoid<S>(g[H + j] + bias[H + j] + bias[5 * H + j]);
      const S f = vsigmoid<S>(g[2 * H + j] + bias[2 * H + j] + bias[6 * H + j]);
      const S gg = vtanh<S>(g[3 * H + j] + bias[3 * H + j] + bias[7 * H + j]);
      const S cv = (cprev ? f * cprev[b * ldcprev + j] : S(0)) + i * gg;
      g[j] = i; g[H + j] = o; g[2 * H + j] = f; g[3 * H + j] = gg; g[4 * H + j] = cv;
      h[(long)b * H + j] = o * vtanh<S>(cv);
    }
  }
}

template <typename S>
void lstm_step_forward(S* cache, long ldcache,  // (B, 5H): gates (4H) then c (H), at row stride ldcache
                       S* h,                    // (B, H) out
                       const S* cprev, long ldcprev,  // (B, H) previous c at stride, or nullptr
                       const S* bias, int B, int H) {
  constexpr int MAXH = 1024;
  if (H > MAXH) return lstm_step_forward_wide(cache, ldcache, h, cprev, ldcprev, bias, B, H);
  S bsum[4 * MAXH];  // Wb + Rb
  for (int j = 0; j < 4 * H; j++) bsum[j] = bias[j] + bias[4 * H + j];
  if (cprev) lstm_step_forward_rows<S, true>(cache, ldcache, h, cprev, ldcprev, bsum, B, H);
  else lstm_step_forward_rows<S, false>(cache, ldcache, h, cprev, ldcprev, bsum, B, H);
}

// LSTM backward of one step: da (B, 4H) gradient on gate pre-activations; dc_next (B, H) in: from step t+1,
// out: to step t-1; cprev (B, H) at stride ldcprev: c_{t-1}, zeros at the first step (one branch-free loop).
template <typename S>
void lstm_step_backward_block(S* __restrict di, S* __restrict dout, S* __restrict df, S* __restrict dg,
                              S* __restrict dcn, const S* __restrict gi, const S* __restrict go,
                              const S* __restrict gf, const S* __restrict gc, const S* __restrict c,
                              const S* __restrict cp, const S* __restrict dht, int n) {
  S tc[256];
  for (int j = 0; j < n; j++) tc[j] = vtanh<S>(c[j]);
  for (int j = 0; j < n; j++) {
    const S t = tc[j];
    const S dc = dcn[j] + dht[j] * go[j] * (S(1) - t * t);
    di[j] = dc * gc[j] * gi[j] * (S(1) - gi[j]);
    dout[j] = dht[j] * t * go[j] * (S(1) - go[j]);
    df[j] = dc * cp[j] * gf[j] * (S(1) - gf[j]);
    dg[j] = dc * gi[j] * (S(1) - gc[j] * gc[j]);
    dcn[j] = dc * gf[j];
  }
}

template <typename S>
void lstm_step_backward(S* da, S* dc_next, const S* cache, long ldcache, const S* cprev, long ldcprev,
                        const S* dh, int B, int H) {
  for (int b = 0; b < B; b++) {
    const S* g = cache + b * ldcache;
    const S* cp = cprev + b * ldcprev;
    const S* dht = dh + (long)b * H;
    S* dcn = dc_next + (long)b * H;
    S* d = da + (long)b * 4 * H;
    for (int j = 0; j < H; j += 256)  // blocks of units: tanh(c) goes to a stack buffer
      lstm_step_backward_block<S>(d + j, d + H + j, d + 2 * H + j, d + 3 * H + j, dcn + j, g + j, g + H + j,
                                  g + 2 * H + j, g + 3 * H + j, g + 4 * H + j, cp + j, dht + j, std::min(256, H - j));
  }
}

// SimpleRNN, in place: h (B, H) holds the pre-activation without biases and receives act(. + Wb + Rb). Relu: a
// separate instantiation per activation, so the inner loop is branch-free and vectorizes.
template <typename S, bool Relu>
void simple_rnn_step_forward_rows(S* h, const S* bsum, int B, int H) {
  const S* __restrict bs = bsum;
  for (int b = 0; b < B; b++) {
    S* __restrict out = h + (long)b * H;
    if (Relu)
      for (int j = 0; j < H; j++) out[j] = std::max(out[j] + bs[j], S(0));
    else
      for (int j = 0; j < H; j++) out[j] = vtanh<S>(out[j] + bs[j]);
  }
}

template <typename S>
void simple_rnn_step_forward(S* h, const S* bias, int B, int H, bool relu) {
  constexpr int MAXH = 1024;
  if (H > MAXH) {
    for (int b = 0; b < B; b++) {
      S* __restrict out = h + (long)b * H;
      for (int j = 0; j < H; j++) {
        const S v = out[j] + (bias[j] + bias[H + j]);
        out[j] = relu ? std::max(v, S(0)) : vtanh<S>(v);
      }
    }
    return;
  }
  S bsum[MAXH];  // Wb + Rb
  for (int j = 0; j < H; j++) bsum[j] = bias[j] + bias[H + j];
  if (relu) simple_rnn_step_forward_rows<S, true>(h, bsum, B, H);
  else simple_rnn_step_forward_rows<S, false>(h, bsum, B, H);
}

template <typename S>
void simple_rnn_step_backward(S* da, const S* h, const S* dh, int B, int H, bool relu) {
  const long n = (long)B * H;
  S* __restrict d = da;
  const S* __restrict hv = h;
  const S* __restrict g = dh;
  if (relu)
    for (long k = 0; k < n; k++) d[k] = hv[k] > S(0) ? g[k] : S(0);
  else
    for (long k = 0; k < n; k++) d[k] = g[k] * (S(1) - hv[k] * hv[k]);
}

// GRU: zrh (B, 4H) holds W x (3H) and receives z, r, h~ and q; rec (B, 3H) holds R hm for z, r, h; h (B, H) out;
// hp (B, H) previous state or nullptr. With reset_after the whole step is one pass (gru_step_forward); without it,
// the h~ part is done in two halves: gru_step_forward_zr (z, r, u = r * hm), then the caller adds Rh u into
// rec[2H..] and calls ..._h. Each has one instantiation per case (previous state or not, reset_after or not) with
// one pointer per gate block, so that the inner loops are branch-free and vectorize, as the LSTM's.
constexpr int GRU_STEP_MAXH = 1024;  // the bias sums go to a stack buffer up to this; wider layers take the loops below

// biases for a step: Wb + Rb for z and r (2H), then Wbh (H) and Rbh (H)
template <typename S>
void gru_step_biases(S* bs, const S* bias, int H) {
  for (int j = 0; j < 2 * H; j++) bs[j] = bias[j] + bias[3 * H + j];
  for (int j = 0; j < H; j++) bs[2 * H + j] = bias[2 * H + j];
  for (int j = 0; j < H; j++) bs[3 * H + j] = bias[5 * H + j];
}

// reset_after's h~ and h from z, r (computed) and q: a function of its own, so that its pointers are restrict
template <typename S, bool HasPrev>
inline void gru_step_forward_h_part(const S* __restrict gz, const S* __restrict gr, S* __restrict gh,
                                    S* __restrict gq, const S* __restrict qh, const S* __restrict bh,
                                    const S* __restrict bq, const S* __restrict p, S* __restrict out, int H) {
  for (int j = 0; j < H; j++) {
    const S z = gz[j], r = gr[j];
    const S q = (HasPrev ? qh[j] : S(0)) + bq[j];
    const S hh = vtanh<S>(gh[j] + bh[j] + r * q);
    gh[j] = hh;
    gq[j] = q;
    out[j] = HasPrev ? (S(1) - z) * hh + z * p[j] : (S(1) - z) * hh;
  }
}

// reset_after, the whole step: z, r, q = Rh hm + Rbh, h~ = tanh(Wh x + Wbh + r q), h = (1 - z) h~ + z hp
template <typename S, bool HasPrev>
void gru_step_forward_rows(S* zrh, const S* rec, S* h, const S* hp, const S* bs, int B, int H) {
  const S* __restrict bz = bs;
  const S* __restrict bh = bs + 2 * H;
  const S* __restrict bq = bs + 3 * H;
  for (int b = 0; b < B; b++) {
    S* __restrict gz = zrh + (long)b * 4 * H;
    S* __restrict gh = gz + 2 * H;
    S* __restrict gq = gz + 3 * H;
    const S* __restrict qz = rec + (long)b * 3 * H;
    const S* __restrict qh = qz + 2 * H;
    const S* __restrict p = HasPrev ? hp + (long)b * H : bs;
    S* __restrict out = h + (long)b * H;
    // two simple loops rather than one: GCC vectorizes each, not the fused one (measured: 3x slower)
    for (int j = 0; j < 2 * H; j++) gz[j] = vsigmoid<S>(gz[j] + bz[j] + (HasPrev ? qz[j] : S(0)));  // z, r
    gru_step_forward_h_part<S, HasPrev>(gz, gz + H, gh, gq, qh, bh, bq, p, out, H);
  }
}

template <typename S>
void gru_step_forward_wide(S* zrh, const S* rec, S* h, const S* hp, const S* bias, int B, int H) {
  for (int b = 0; b < B; b++) {
    S* g = zrh + (long)b * 4 * H;
    const S* q = rec + (long)b * 3 * H;
    S* out = h + (long)b * H;
    for (int j = 0; j < H; j++) {
      const S z = vsigmoid<S>(g[j] + (bias[j] + bias[3 * H + j]) + (hp ? q[j] : S(0)));
      const S r = vsigmoid<S>(g[H + j] + (bias[H + j] + bias[4 * H + j]) + (hp ? q[H + j] : S(0)));
      const S qj = (hp ? q[2 * H + j] : S(0)) + bias[5 * H + j];
      const S hh = vtanh<S>(g[2 * H + j] + bias[2 * H + j] + r * qj);
      g[j] = z; g[H + j] = r; g[2 * H + j] = hh; g[3 * H + j] = qj;
      out[j] = hp ? (S(1) - z) * hh + z * hp[(long)b * H + j] : (S(1) - z) * hh;
    }
  }
}

template <typename S>
void gru_step_forward(S* zrh, const S* rec, S* h, const S* hp, const S* bias, int B, int H) {
  if (H > GRU_STEP_MAXH) return gru_step_forward_wide(zrh, rec, h, hp, bias, B, H);
  S bs[4 * GRU_STEP_MAXH];
  gru_step_biases(bs, bias, H);
  if (hp) gru_step_forward_rows<S, true>(zrh, rec, h, hp, bs, B, H);
  else gru_step_forward_rows<S, false>(zrh, rec, h, hp, bs, B, H);
}

// without reset_after, first half: z, r and u = r * hm
template <typename S, bool HasPrev>
void gru_step_forward_zr_rows(S* zrh, const S* rec, const S* hm, S* u, const S* bs, int B, int H) {
  const S* __restrict bzr = bs;
  for (int b = 0; b < B; b++) {
    S* __restrict g = zrh + (long)b * 4 * H;
    const S* __restrict q = rec + (long)b * 3 * H;
    for (int j = 0; j < 2 * H; j++) g[j] = vsigmoid<S>(g[j] + bzr[j] + (HasPrev ? q[j] : S(0)));
    if (HasPrev) {
      const S* __restrict gr = g + H;
      const S* __restrict m = hm + (long)b * H;
      S* __restrict uu = u + (long)b * H;
      for (int j = 0; j < H; j++) uu[j] = gr[j] * m[j];
    }
  }
}

template <typename S>
void gru_step_forward_zr(S* zrh, S* rec, const S* hm, S* u, const S* bias, int B, int H, bool reset_after,
                         bool has_prev) {
  (void)reset_after;  // reset_after takes gru_step_forward
  if (H > GRU_STEP_MAXH) {
    for (int b = 0; b < B; b++) {
      S* g = zrh + (long)b * 4 * H;
      const S* q = rec + (long)b * 3 * H;
      for (int j = 0; j < 2 * H; j++)
        g[j] = vsigmoid<S>(g[j] + (bias[j] + bias[3 * H + j]) + (has_prev ? q[j] : S(0)));
      if (has_prev)
        for (int j = 0; j < H; j++) u[(long)b * H + j] = g[H + j] * hm[(long)b * H + j];
    }
    return;
  }
  S bs[2 * GRU_STEP_MAXH];
  for (int j = 0; j < 2 * H; j++) bs[j] = bias[j] + bias[3 * H + j];
  if (has_prev) gru_step_forward_zr_rows<S, true>(zrh, rec, hm, u, bs, B, H);
  else gru_step_forward_zr_rows<S, false>(zrh, rec, hm, u, bs, B, H);
}

// without reset_after, second half: h~ = tanh(Wh x + Wbh + Rh u + Rbh), h = (1 - z) h~ + z hp; q unused (0)
template <typename S, bool HasPrev>
void gru_step_forward_h_rows(S* zrh, const S* rec, S* h, const S* hp, const S* bias, int B, int H) {
  const S* __restrict bh = bias + 2 * H;
  const S* __restrict bq = bias + 5 * H;
  for (int b = 0; b < B; b++) {
    S* __restrict gz = zrh + (long)b * 4 * H;
    S* __restrict gh = gz + 2 * H;
    S* __restrict gq = gz + 3 * H;
    const S* __restrict q = rec + (long)b * 3 * H + 2 * H;
    const S* __restrict p = HasPrev ? hp + (long)b * H : bias;
    S* __restrict out = h + (long)b * H;
    for (int j = 0; j < H; j++) {
      const S z = gz[j];
      const S hh = vtanh<S>(gh[j] + bh[j] + ((HasPrev ? q[j] : S(0)) + bq[j]));
      gh[j] = hh;
      gq[j] = S(0);
      out[j] = HasPrev ? (S(1) - z) * hh + z * p[j] : (S(1) - z) * hh;
    }
  }
}

template <typename S>
void gru_step_forward_h(S* zrh, const S* rec, S* h, const S* hp, const S* bias, int B, int H, bool reset_after) {
  (void)reset_after;  // reset_after takes gru_step_forward
  if (hp) gru_step_forward_h_rows<S, true>(zrh, rec, h, hp, bias, B, H);
  else gru_step_forward_h_rows<S, false>(zrh, rec, h, hp, bias, B, H);
}

// GRU backward, first half: from dh (B, H) to dax (B, 3H) (input-side gradients; dr incomplete without
// reset_after) and dar (B, 3H); dhp (B, H), if given, receives += dh * z (the direct path to h_{t-1}).
template <typename S, bool HasPrev, bool ResetAfter>
void gru_step_backward_a_rows(S* dax, S* dar, S* dhp, const S* zrh, const S* hp, const S* dh, int B, int H) {
  for (int b = 0; b < B; b++) {
    const S* __restrict gz = zrh + (long)b * 4 * H;
    const S* __restrict gr = gz + H;
    const S* __restrict gh = gz + 2 * H;
    const S* __restrict gq = gz + 3 * H;
    const S* __restrict dht = dh + (long)b * H;
    const S* __restrict p = HasPrev ? hp + (long)b * H : dht;
    S* __restrict dxz = dax + (long)b * 3 * H;
    S* __restrict dxr = dxz + H;
    S* __restrict dxh = dxz + 2 * H;
    S* __restrict drz = dar + (long)b * 3 * H;
    S* __restrict drr = drz + H;
    S* __restrict drh = drz + 2 * H;
    S* __restrict dp = HasPrev ? dhp + (long)b * H : dxz;
    for (int j = 0; j < H; j++) {
      const S z = gz[j], r = gr[j], hh = gh[j], d = dht[j];
      const S dz = d * ((HasPrev ? p[j] : S(0)) - hh);
      const S dah = d * (S(1) - z) * (S(1) - hh * hh);
      const S daz = dz * z * (S(1) - z);
      const S dar_ = ResetAfter ? dah * gq[j] * r * (S(1) - r) : S(0);
      dxz[j] = daz; drz[j] = daz;
      dxr[j] = dar_; drr[j] = dar_;
      dxh[j] = dah;
      drh[j] = ResetAfter ? dah * r : dah;
      if (HasPrev) dp[j] += d * z;
    }
  }
}

template <typename S>
void gru_step_backward_a(S* dax, S* dar, S* dhp, const S* zrh, const S* hp, const S* dh, int B, int H,
                         bool reset_after) {
  if (hp && dhp) {
    if (reset_after) gru_step_backward_a_rows<S, true, true>(dax, dar, dhp, zrh, hp, dh, B, H);
    else gru_step_backward_a_rows<S, true, false>(dax, dar, dhp, zrh, hp, dh, B, H);
  } else if (!hp && !dhp) {
    if (reset_after) gru_step_backward_a_rows<S, false, true>(dax, dar, dhp, zrh, hp, dh, B, H);
    else gru_step_backward_a_rows<S, false, false>(dax, dar, dhp, zrh, hp, dh, B, H);
  } else {  // not used by the fast kernels (hp and dhp come together); kept exact for any caller
    for (int b = 0; b < B; b++) {
      const S* g = zrh + (long)b * 4 * H;
      const S* dht = dh + (long)b * H;
      const S* p = hp ? hp + (long)b * H : nullptr;
      S* dx = dax + (long)b * 3 * H;
      S* dr = dar + (long)b * 3 * H;
      for (int j = 0; j < H; j++) {
        const S z = g[j], r = g[H + j], hh = g[2 * H + j], q = g[3 * H + j];
        const S dz = dht[j] * ((p ? p[j] : S(0)) - hh);
        const S dah = dht[j] * (S(1) - z) * (S(1) - hh * hh);
        dx[j] = dr[j] = dz * z * (S(1) - z);
        dx[2 * H + j] = dah;
        dr[2 * H + j] = reset_after ? dah * r : dah;
        dx[H + j] = dr[H + j] = reset_after ? dah * q * r * (S(1) - r) : S(0);
      }
      if (dhp)
        for (int j = 0; j < H; j++) dhp[(long)b * H + j] += dht[j] * g[j];
    }
  }
}

// GRU backward without reset_after, second half: du (B, H) = Rh^T dah is given; dr = du * hm; dhm += du * r.
template <typename S>
void gru_step_backward_u(S* dax, S* dar, S* dhm, const S* du, const S* zrh, const S* hm, int B, int H) {
  for (int b = 0; b < B; b++) {
    const S* __restrict gr = zrh + (long)b * 4 * H + H;
    const S* __restrict d = du + (long)b * H;
    const S* __restrict m = hm + (long)b * H;
    S* __restrict dxr = dax + (long)b * 3 * H + H;
    S* __restrict drr = dar + (long)b * 3 * H + H;
    S* __restrict dm = dhm + (long)b * H;
    for (int j = 0; j < H; j++) {
      const S r = gr[j];
      const S v = d[j] * m[j] * r * (S(1) - r);
      dxr[j] = v;
      drr[j] = v;
      dm[j] += d[j] * r;
    }
  }
}

// this path's cell steps in its table
template <typename S>
void set_cell_step_ops(SimdOps<S>& ops) {
  ops.lstm_step_forward = lstm_step_forward<S>;
  ops.lstm_step_backward = lstm_step_backward<S>;
  ops.simple_rnn_step_forward = simple_rnn_step_forward<S>;
  ops.simple_rnn_step_backward = simple_rnn_step_backward<S>;
  ops.gru_step_forward = gru_step_forward<S>;
  ops.gru_step_forward_zr = gru_step_forward_zr<S>;
  ops.gru_step_forward_h = gru_step_forward_h<S>;
  ops.gru_step_backward_a = gru_step_backward_a<S>;
  ops.gru_step_backward_u = gru_step_backward_u<S>;
}

}  // namespace RNNLAB_ISA_NS
}  // namespace rnnlab
