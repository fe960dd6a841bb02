// The body of one instruction-set path: a packed, register-blocked matrix product and the fused elementwise
// steps of the cells (gate nonlinearities, cell state, their gradients). Included once per ISA file with
// RNNLAB_ISA_NS (its namespace) and RNNLAB_VEC_BYTES (vector width) defined; the file is compiled with that ISA's
// flags, and the same source read at another width makes the other paths. No include guard on purpose.
// Legend: M, N, K matrix sizes; B batch, H units, G gates; lda/ldb/ldc row strides in elements.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

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

// ---- matrix product: C (M, N) = [C +] op(A) (M, K) . op(B) (K, N) ----
// op(A)[m, k] = A[m * rsa + k * csa]; op(B)[k, n] = B[k * rsb + n * csb]; so either operand may be transposed.
// B is packed once into column panels (K x NR each; the last one only as wide as it needs, in whole vectors, zero
// padded). A is read in place when one of its strides is 1 (the micro-kernel broadcasts its values from wherever
// they are); only the last, partial MR-row panel (or a fully strided A) is copied into a zero-padded panel.

template <typename S>
struct Blocking;
template <> struct Blocking<float> {
  static constexpr int VL = RNNLAB_VEC_BYTES / 4;  // floats per vector
  static constexpr int NRV = 2;                    // vectors per micro-tile row
  static constexpr int NR = VL * NRV;
  static constexpr int MR = RNNLAB_VEC_BYTES == 64 ? 8 : RNNLAB_VEC_BYTES == 32 ? 6 : 4;
};
template <> struct Blocking<double> {
  static constexpr int VL = RNNLAB_VEC_BYTES / 8;
  static constexpr int NRV = 2;
  static constexpr int NR = VL * NRV;
  static constexpr int MR = 4;
};
constexpr int KC = 256, MC = 120;
// a_pack holds one MR-row A panel and one KC-deep B edge panel
template <typename S>
constexpr long MR_KC_PACK = (long)Blocking<S>::MR * KC + (long)Blocking<S>::NR * KC;

// width of the packed panel starting at column j0: NR, or the remainder rounded up to whole vectors
template <typename S>
inline int panel_width(int N, int j0) {
  using BL = Blocking<S>;
  const int rest = N - j0;
  return rest >= BL::NR ? BL::NR : (rest + BL::VL - 1) / BL::VL * BL::VL;
}

template <typename S>
long packed_b_size(int K, int N) {
  const int NR = Blocking<S>::NR;
  return (long)K * ((N + NR - 1) / NR) * NR;
}

template <typename S>
void pack_b(S* dst, const S* B, long rsb, long csb, int K, int N) {
  const int NR = Blocking<S>::NR;
  for (int j0 = 0; j0 < N; j0 += NR) {
    const int w = panel_width<S>(N, j0), nr = std::min(NR, N - j0);
    S* panel = dst + (long)j0 * K;
    if (csb == 1 && nr == w) {
      for (int k = 0; k < K; k++) std::memcpy(panel + (long)k * w, B + k * rsb + j0, sizeof(S) * w);
    } else {
      for (int k = 0; k < K; k++) {
        S* row = panel + (long)k * w;
        for (int j = 0; j < nr; j++) row[j] = B[k * rsb + (j0 + j) * csb];
        for (int j = nr; j < w; j++) row[j] = 0;
      }
    }
  }
}

// mr rows of op(A) (kc columns) into an MR-row panel, k-major, zero padded
template <typename S>
void pack_a_panel(S* panel, const S* A, long rsa, long csa, int mr, int kc) {
  const int MR = Blocking<S>::MR;
  for (int k = 0; k < kc; k++) {
    for (int i = 0; i < mr; i++) panel[(long)k * MR + i] = A[i * rsa + k * csa];
    for (int i = mr; i < MR; i++) panel[(long)k * MR + i] = 0;
  }
}

// C tile (mr, nr) = [C +] sum_k a[i * rsa + k * csa] * b[k * NRV * VL + j]; rsa/csa are compile-time 1 when known.
// MR rows: the full tile height, or 1 for the rows left over below the last full tile (batch 1 among them).
template <typename S, int NRV, bool RowA, int MR = Blocking<S>::MR>
inline void micro_kernel(int kc, const S* __restrict a, long lda, const S* __restrict b, long ldb, S* C, long ldc,
                         int mr, int nr, bool accumulate) {
  using BL = Blocking<S>;
  constexpr int VL = BL::VL, W = VL * NRV;
  typedef S V __attribute__((vector_size(VL * sizeof(S)), aligned(sizeof(S))));
  V acc[MR][NRV];
  for (int i = 0; i < MR; i++)
    for (int v = 0; v < NRV; v++) acc[i][v] = V{};
  for (int k = 0; k < kc; k++) {
    V bv[NRV];
    for (int v = 0; v < NRV; v++) std::memcpy(&bv[v], b + k * ldb + v * VL, sizeof(V));
    for (int i = 0; i < MR; i++) {
      // RowA: A row-major (a[i * lda + k]); else column-major panels (a[i + k * lda]), packed panels included
      const S ai = RowA ? a[i * lda + k] : a[i + k * lda];
      for (int v = 0; v < NRV; v++) acc[i][v] += ai * bv[v];
    }
  }
  if (mr == MR && nr == W) {
    for (int i = 0; i < MR; i++)
      for (int v = 0; v < NRV; v++) {
        S* c = C + i * ldc + v * VL;
        V cv;
        if (accumulate) { std::memcpy(&cv, c, sizeof(V)); cv += acc[i][v]; }
        else cv = acc[i][v];
        std::memcpy(c, &cv, sizeof(V));
      }
    return;
  }
  S tile[MR][W];
  for (int i = 0; i < MR; i++)
    for (int v = 0; v < NRV; v++) std::memcpy(&tile[i][v * VL], &acc[i][v], sizeof(V));
  for (int i = 0; i < mr; i++)
    for (int j = 0; j < nr; j++) C[i * ldc + j] = (accumulate ? C[i * ldc + j] : S(0)) + tile[i][j];
}

// b: the panel's first row, rows ldb apart (w for a packed panel, B's row stride when read in place)
template <typename S, bool RowA, int MR = Blocking<S>::MR>
inline void tile(int kc, const S* a, long lda, const S* bp, long ldb, int w, S* C, long ldc, int mr, int nr,
                 bool acc) {
  if (w == Blocking<S>::NR) micro_kernel<S, Blocking<S>::NRV, RowA, MR>(kc, a, lda, bp, ldb, C, ldc, mr, nr, acc);
  else micro_kernel<S, 1, RowA, MR>(kc, a, lda, bp, ldb, C, ldc, mr, nr, acc);  // a last panel one vector wide
}

// One column panel (kc rows of B from bp, ldb apart, w wide) times all M rows of op(A).
template <typename S>
void panel_product(S* C, long ldc, const S* A, long rsa, long csa, const S* bp, long ldb, int w, int nr, int M,
                   int kc, bool acc, S* a_pack) {
  const int MR = Blocking<S>::MR;
  const bool row_a = csa == 1, col_a = !row_a && rsa == 1;
  for (int i = 0; i < M; i += MR) {
    const int mr = std::min(MR, M - i);
    const S* a = A + i * rsa;
    S* c = C + i * ldc;
    if (mr == MR && row_a) tile<S, true>(kc, a, rsa, bp, ldb, w, c, ldc, mr, nr, acc);
    else if (mr == MR && col_a) tile<S, false>(kc, a, csa, bp, ldb, w, c, ldc, mr, nr, acc);
    else if (row_a || col_a) {  // the rows below the last full tile, one at a time: no padded rows computed
      for (int r = 0; r < mr; r++) {
        if (row_a) tile<S, true, 1>(kc, a + r * rsa, rsa, bp, ldb, w, c + r * ldc, ldc, 1, nr, acc);
        else tile<S, false, 1>(kc, a + r * rsa, csa, bp, ldb, w, c + r * ldc, ldc, 1, nr, acc);
      }
    } else {
      pack_a_panel(a_pack, a, rsa, csa, mr, kc);
      tile<S, false>(kc, a_pack, MR, bp, ldb, w, c, ldc, mr, nr, acc);
    }
  }
}

// C (M, N) = [C +] op(A) . B with B row-major (B[k * ldb + n]) read in place: full NR-wide panels straight from B,
// only the last, narrower one copied (per KC block, into a_pack after the A panel's room).
template <typename S>
void gemm_rowb(S* C, long ldc, const S* A, long rsa, long csa, const S* B, long ldb, int M, int N, int K,
               bool accumulate, S* a_pack) {
  const int MR = Blocking<S>::MR, NR = Blocking<S>::NR;
  if (K == 0) {
    if (!accumulate)
      for (int i = 0; i < M; i++) std::fill(C + i * ldc, C + i * ldc + N, S(0));
    return;
  }
  S* edge = a_pack + (long)MR * KC;
  for (int k0 = 0; k0 < K; k0 += KC) {
    const int kc = std::min(KC, K - k0);
    const bool acc = accumulate || k0 > 0;
    for (int j0 = 0; j0 < N; j0 += NR) {
      const int w = panel_width<S>(N, j0), nr = std::min(NR, N - j0);
      const S* a = A + k0 * csa;
      if (nr == NR) {
        panel_product(C + j0, ldc, a, rsa, csa, B + k0 * ldb + j0, ldb, w, nr, M, kc, acc, a_pack);
      } else {
        pack_b(edge, B + k0 * ldb + j0, ldb, 1, kc, nr);
        panel_product(C + j0, ldc, a, rsa, csa, edge, w, w, nr, M, kc, acc, a_pack);
      }
    }
  }
}

// C (M, N) = [C +] op(A) . Bp, with Bp from pack_b(K, N); a_pack: MR * KC workspace (at least).
template <typename S>
void gemm_packed(S* C, long ldc, const S* A, long rsa, long csa, const S* Bp, int M, int N, int K, bool accumulate,
                 S* a_pack) {
  const int NR = Blocking<S>::NR;
  if (K == 0) {
    if (!accumulate)
      for (int i = 0; i < M; i++) std::fill(C + i * ldc, C + i * ldc + N, S(0));
    return;
  }
  for (int k0 = 0; k0 < K; k0 += KC) {
    const int kc = std::min(KC, K - k0);
    const bool acc = accumulate || k0 > 0;
    for (int i0 = 0; i0 < M; i0 += MC) {
      const int mc = std::min(MC, M - i0);
      for (int j0 = 0; j0 < N; j0 += NR) {
        const int w = panel_width<S>(N, j0), nr = std::min(NR, N - j0);
        panel_product(C + i0 * ldc + j0, ldc, A + i0 * rsa + k0 * csa, rsa, csa, Bp + (long)j0 * K + (long)k0 * w, w,
                      w, nr, mc, kc, acc, a_pack);
      }
    }
  }
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

// SimpleRNN, in place: h (B, H) holds the pre-activation without biases and receives act(. + Wb + Rb)
template <typename S>
void simple_rnn_step_forward(S* h, const S* bias, int B, int H, bool relu) {
  for (int b = 0; b < B; b++) {
    S* __restrict out = h + (long)b * H;
    for (int j = 0; j < H; j++) {
      const S v = out[j] + bias[j] + bias[H + j];
      out[j] = relu ? (v > 0 ? v : S(0)) : vtanh<S>(v);
    }
  }
}

template <typename S>
void simple_rnn_step_backward(S* da, const S* h, const S* dh, int B, int H, bool relu) {
  const long n = (long)B * H;
  for (long k = 0; k < n; k++) da[k] = relu ? (h[k] > 0 ? dh[k] : S(0)) : dh[k] * (S(1) - h[k] * h[k]);
}

// GRU: zrh (B, 4H) holds W x (3H) and receives z, r, h~ and q; rec (B, 3H) holds R hm for z, r (and h when
// reset_after); h (B, H) out; hp (B, H) previous state or nullptr. Without reset_after, the h~ part is done in two
// halves: gru_step_forward_zr (z, r, u = r * hm), then the caller adds Rh u into rec[2H..] and calls ..._h.
template <typename S>
void gru_step_forward_zr(S* zrh, S* rec, const S* hm, S* u, const S* bias, int B, int H, bool reset_after,
                         bool has_prev) {
  for (int b = 0; b < B; b++) {
    S* __restrict g = zrh + (long)b * 4 * H;
    const S* __restrict q = rec + (long)b * 3 * H;
    for (int j = 0; j < 2 * H; j++) g[j] = vsigmoid<S>(g[j] + bias[j] + (has_prev ? q[j] : S(0)) + bias[3 * H + j]);
    if (!reset_after) {
      const S* __restrict m = hm + (long)b * H;
      S* __restrict uu = u + (long)b * H;
      for (int j = 0; j < H; j++) uu[j] = has_prev ? g[H + j] * m[j] : S(0);
    }
  }
}

template <typename S>
void gru_step_forward_h(S* zrh, const S* rec, S* h, const S* hp, const S* bias, int B, int H, bool reset_after) {
  for (int b = 0; b < B; b++) {
    S* __restrict g = zrh + (long)b * 4 * H;
    const S* __restrict q = rec + (long)b * 3 * H + 2 * H;
    S* __restrict out = h + (long)b * H;
    const S* p = hp ? hp + (long)b * H : nullptr;
    for (int j = 0; j < H; j++) {
      const S qj = (hp ? q[j] : S(0)) + bias[5 * H + j];  // Rh hm + Rbh, or Rh u + Rbh
      const S z = g[j], r = g[H + j];
      const S a = g[2 * H + j] + bias[2 * H + j] + (reset_after ? r * qj : qj);
      const S hh = vtanh<S>(a);
      g[2 * H + j] = hh;
      g[3 * H + j] = reset_after ? qj : S(0);
      out[j] = (S(1) - z) * hh + (p ? z * p[j] : S(0));
    }
  }
}

// GRU backward, first half: from dh (B, H) to dax (B, 3H) (input-side gradients; dr incomplete without
// reset_after) and dar (B, 3H); dhp (B, H), if given, receives += dh * z (the direct path to h_{t-1}).
template <typename S>
void gru_step_backward_a(S* dax, S* dar, S* dhp, const S* zrh, const S* hp, const S* dh, int B, int H,
                         bool reset_after) {
  for (int b = 0; b < B; b++) {
    const S* __restrict g = zrh + (long)b * 4 * H;
    const S* __restrict dht = dh + (long)b * H;
    const S* p = hp ? hp + (long)b * H : nullptr;
    S* __restrict dx = dax + (long)b * 3 * H;
    S* __restrict dr = dar + (long)b * 3 * H;
    for (int j = 0; j < H; j++) {
      const S z = g[j], r = g[H + j], hh = g[2 * H + j], q = g[3 * H + j];
      const S dz = dht[j] * ((p ? p[j] : S(0)) - hh);
      const S dah = dht[j] * (S(1) - z) * (S(1) - hh * hh);
      dx[j] = dr[j] = dz * z * (S(1) - z);
      dx[2 * H + j] = dah;
      dr[2 * H + j] = reset_after ? dah * r : dah;
      const S dra = reset_after ? dah * q : S(0);
      dx[H + j] = dra * r * (S(1) - r);
      dr[H + j] = dx[H + j];
    }
    if (dhp) {
      S* __restrict d = dhp + (long)b * H;
      for (int j = 0; j < H; j++) d[j] += dht[j] * g[j];
    }
  }
}

// GRU backward without reset_after, second half: du (B, H) = Rh^T dah is given; dr = du * hm; dhm += du * r.
template <typename S>
void gru_step_backward_u(S* dax, S* dar, S* dhm, const S* du, const S* zrh, const S* hm, int B, int H) {
  for (int b = 0; b < B; b++) {
    const S* __restrict g = zrh + (long)b * 4 * H;
    const S* __restrict d = du + (long)b * H;
    const S* __restrict m = hm + (long)b * H;
    S* __restrict dx = dax + (long)b * 3 * H;
    S* __restrict dr = dar + (long)b * 3 * H;
    S* __restrict dm = dhm + (long)b * H;
    for (int j = 0; j < H; j++) {
      const S r = g[H + j];
      dx[H + j] = d[j] * m[j] * r * (S(1) - r);
      dr[H + j] = dx[H + j];
      dm[j] += d[j] * r;
    }
  }
}

template <typename S>
SimdOps<S> make_ops(const char* name) {
  SimdOps<S> ops;
  ops.name = name;
  ops.packed_b_size = packed_b_size<S>;
  ops.a_pack_size = (long)MR_KC_PACK<S>;
  ops.pack_b = pack_b<S>;
  ops.gemm_packed = gemm_packed<S>;
  ops.gemm_rowb = gemm_rowb<S>;
  ops.lstm_step_forward = lstm_step_forward<S>;
  ops.lstm_step_backward = lstm_step_backward<S>;
  ops.simple_rnn_step_forward = simple_rnn_step_forward<S>;
  ops.simple_rnn_step_backward = simple_rnn_step_backward<S>;
  ops.gru_step_forward_zr = gru_step_forward_zr<S>;
  ops.gru_step_forward_h = gru_step_forward_h<S>;
  ops.gru_step_backward_a = gru_step_backward_a<S>;
  ops.gru_step_backward_u = gru_step_backward_u<S>;
  return ops;
}

}  // namespace RNNLAB_ISA_NS
}  // namespace rnnlab
