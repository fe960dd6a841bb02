// The fast cell kernels: the same signatures as the reference kernels (cell.h), tested against them; their rows
// are in the table of cells (cells.h).
// Forward: the input projection of all time steps as one matrix product into the cache, then per step the
// recurrent product (B, H) . (H, G*H) and the fused gate step. Backward: per step the fused gate gradients and the
// recurrent product back to h_{t-1}; after the time loop dW, dR, dx and the bias as large products and sums.
// Legend: T steps, B batch, I input features, H hidden units, G gates. One direction's weight slice.
#pragma once
#include <algorithm>

#include "../threads.h"
#include "cell.h"
#include "gru.h"
#include "lstm.h"
#include "simd.h"
#include "util.h"

namespace rnnlab {

// What one direction's fast kernel needs besides the products' A panels, in values: each cell states its own
// (*_fast_needs, next to its kernels), from the sizes of the operands it packs (packed_b_size, simd.h).
struct FastNeeds {
  long rpack = 0;         // R packed for the recurrent product: R^T forward, R backward
  long bpack = 0;         // W packed for the input projection
  long dA = 0, dA2 = 0;   // (T, B, G*H) gate gradients of all steps (GRU: input side and recurrent side)
  long hm_all = 0;        // (T, B, H) the states times the recurrent dropout mask
  long tmp = 0, tmp2 = 0, tmp3 = 0;  // rows of one step
};

// The workspace of one direction, laid out in this one place: the parts in order from base, size = the values they
// take (base nullptr: the size only).
template <typename S>
struct FastScratch {
  S *rpack, *bpack, *apack, *dA, *dA2, *hm_all, *tmp, *tmp2, *tmp3;
  long size = 0;
  FastScratch(S* base, const FastNeeds& n) {
    auto take = [&](long values) {
      S* part = base ? base + size : nullptr;
      size += values;
      return part;
    };
    rpack = take(n.rpack);
    bpack = take(n.bpack);
    apack = take(A_PACK_SIZE);  // without a pool (with one, each thread has its own: ThreadPool::scratch)
    dA = take(n.dA);
    dA2 = take(n.dA2);
    hm_all = take(n.hm_all);
    tmp = take(n.tmp);
    tmp2 = take(n.tmp2);
    tmp3 = take(n.tmp3);
  }
};

// a cell's fast workspace size (its CellKernel::scratch_size), from its needs
template <FastNeeds (*needs)(int T, int B, int I, int H)>
long fast_scratch_size(int T, int B, int I, int H) { return FastScratch<float>(nullptr, needs(T, B, I, H)).size; }

// Multiply-adds below which a product is not worth splitting over threads, and about how many each chunk of a
// split product takes.
constexpr double PRODUCT_SPLIT_MIN = 1e6;
constexpr double PRODUCT_CHUNK = 1e6;
// Batch rows per task of the recurrent loop: each task runs the whole sequence for its rows (the rows of a batch
// are independent through time), so the loop needs no barrier between steps. Two register tiles of the path that
// runs (AVX-512 16, AVX2 12, portable 8): small enough that a batch of 64 makes four tasks or more per direction
// (a core delayed by another process holds up little), a whole number of tiles so that a chunk's rows fill whole
// tiles (the rows below the last full tile run one at a time, slower). Bits differ between ISA paths anyway; on
// one path, the chunks depend on the batch size only, never on the thread count.
template <typename S>
int recurrent_rows() { return 2 * ops<S>().tile_rows; }

// the A panel of a product run by the calling thread: its own from the pool, or the workspace's without one
template <typename S>
S* a_panel(ThreadPool* pool, FastScratch<S>& w) {
  return pool ? static_cast<S*>(pool->scratch(A_PACK_SIZE * (long)sizeof(S))) : w.apack;
}

// A large product with its rows of C split into chunks run as tasks on pool (nullptr: not split). The chunks are a
// multiple of every path's tile height (GEMM_ROW_SPLIT) and their size depends on the product's shape only, never
// on the thread count; each element of C is computed by the same tile, summing over k in the same order, however
// the rows are split, so the bits do not depend on the thread count (nor on the split). No sum crosses chunks: a
// weight gradient (dW = dA^T x, summed over the batch's rows) is split by the rows of dW.
// Bp: packed B (pack_b), or B row-major read in place (ldb > 0).
template <typename S>
void product(S* C, long ldc, const S* A, long rsa, long csa, const S* B, long ldb, int M, int N, int K,
             bool accumulate, FastScratch<S>& w, ThreadPool* pool) {
  const SimdOps<S>& o = ops<S>();
  auto part = [&](int i0, int m, S* apack) {
    if (ldb > 0) o.gemm_rowb(C + i0 * ldc, ldc, A + i0 * rsa, rsa, csa, B, ldb, m, N, K, accumulate, apack);
    else o.gemm_packed(C + i0 * ldc, ldc, A + i0 * rsa, rsa, csa, B, m, N, K, accumulate, apack);
  };
  const double per_row = std::max(1.0, (double)N * K);
  const long tiles = std::max(1L, (long)(PRODUCT_CHUNK / per_row / GEMM_ROW_SPLIT + 0.5));
  const int chunk = (int)std::min<long>(tiles * GEMM_ROW_SPLIT, std::max(M, 1));
  const int chunks = (M + chunk - 1) / chunk;
  if (!pool || pool->size() < 2 || chunks < 2 || (double)M * N * K < PRODUCT_SPLIT_MIN)
    return part(0, M, a_panel(pool, w));
  pool->run(chunks, [&](int c) { part(c * chunk, std::min(chunk, M - c * chunk), a_panel(pool, w)); });
}

// The recurrent loop split by batch rows: f(b0, nb, apack) runs the whole sequence for rows b0 .. b0 + nb, each
// chunk of recurrent_rows() rows a task on pool (or all rows at once without one). The chunks do not depend on the
// thread count, so neither do the bits.
template <typename S, typename F>
void for_row_chunks(ThreadPool* pool, FastScratch<S>& w, int B, F&& f) {
  const int rows = recurrent_rows<S>(), chunks = (B + rows - 1) / rows;
  if (!pool) {
    for (int c = 0; c < chunks; c++) f(c * rows, std::min(rows, B - c * rows), w.apack);
    return;
  }
  pool->run(chunks, [&](int c) { f(c * rows, std::min(rows, B - c * rows), a_panel(pool, w)); });
}

// The previous state as the recurrent product's input: h[prev] itself, or h[prev] * mask in buf.
template <typename S>
const S* masked_prev(const S* hp, const S* mask_h, S* buf, int B, int H) {
  if (!mask_h) return hp;
  for (long k = 0; k < (long)B * H; k++) buf[k] = hp[k] * mask_h[k];
  return buf;
}

// dbias (2 * GH) += the column sums of dA (rows, GH) into both halves (input bias and recurrent bias), or of dAx
// and dAr separately (GRU).
// Split over pool by chunks of columns, each summed over the rows in order (the same bits as one loop).
template <typename S>
void bias_backward(S* dbias, const S* dAx, const S* dAr, long rows, int GH, ThreadPool* pool) {
  constexpr int COLUMNS = 64;
  const int chunks = (GH + COLUMNS - 1) / COLUMNS;
  auto part = [&](int c) {
    const int j0 = (c % chunks) * COLUMNS, n = std::min(GH, j0 + COLUMNS) - j0;
    const S* dA = (c < chunks ? dAx : dAr) + j0;
    S* db = (c < chunks ? dbias : dbias + GH) + j0;
    // the sums in registers (a local block the rows are added to in order, from db's value: the same bits as
    // adding each row to db), so the compiler need not reload db after every row
    S acc[COLUMNS];
    for (int j = 0; j < n; j++) acc[j] = db[j];
    if (n == COLUMNS) {
      for (long r = 0; r < rows; r++) {
        const S* __restrict row = dA + r * GH;
        for (int j = 0; j < COLUMNS; j++) acc[j] += row[j];
      }
    } else {
      for (long r = 0; r < rows; r++)
        for (int j = 0; j < n; j++) acc[j] += dA[r * GH + j];
    }
    for (int j = 0; j < n; j++) db[j] = acc[j];
  };
  if (!pool || (double)rows * GH < PRODUCT_SPLIT_MIN / 4) {
    for (int c = 0; c < 2 * chunks; c++) part(c);
    return;
  }
  pool->run(2 * chunks, part);
}

// After the time loop: dW (GH, I) += dAx^T x;  dx (T*B, I) += dAx W (unless dx is nullptr);  dR[0..rows_R) (rows_R, H) += dAr^T Hm over
// the steps that had a previous state (dAr row t pairs with Hm row prev(t): one contiguous block each).
template <typename S>
void weight_backward(S* dx, S* dW, S* dR, const S* dAx, const S* dAr, long ld_dAr, const S* x, const S* W,
                     const S* Hm, FastScratch<S>& w, ThreadPool* pool, int T, int B, int I, int H, int GH, int rows_R,
                     bool reverse) {
  const int TB = T * B;
  product(dW, I, dAx, 1, GH, x, I, GH, I, TB, true, w, pool);
  if (dx) product(dx, I, dAx, GH, 1, W, I, TB, I, GH, true, w, pool);  // nullptr: not wanted (first layer)
  if (T > 1 && rows_R > 0) {
    const long a0 = reverse ? 0 : B, h0 = reverse ? B : 0;  // first row of dAr with a previous state, and its Hm
    product(dR, H, dAr + a0 * ld_dAr, 1, ld_dAr, Hm + h0 * H, H, rows_R, H, (T - 1) * B, true, w, pool);
  }
}

inline FastNeeds lstm_fast_needs(int T, int B, int I, int H) {
  const int GH = LSTM_GATES * H;
  FastNeeds n;
  n.rpack = std::max(packed_b_size(H, GH), packed_b_size(GH, H));
  n.bpack = packed_b_size(I, GH);
  n.dA = (long)T * B * GH;
  n.hm_all = (long)T * B * H;
  n.tmp = (long)B * H;   // the masked state (forward), the gradient on it (backward)
  n.tmp2 = (long)B * H;  // dc carried from step to step
  n.tmp3 = (long)B * H;  // zeros: c before the first step
  return n;
}

template <typename S>
void lstm_fast_forward(S* h, S* cache, const S* x, const S* W, const S* R, const S* bias, const S* mask_h,
                       S* scratch, int T, int B, int I, int H, bool reverse, ThreadPool* pool, const CellOptions&) {
  const SimdOps<S>& o = ops<S>();
  FastScratch<S> w(scratch, lstm_fast_needs(T, B, I, H));
  const int GH = LSTM_GATES * H;
  const long ld = (long)LSTM_CACHE * H;  // a cache row: the gates, then c
  o.pack_b(w.bpack, W, 1, I, I, GH);
  product(cache, ld, x, I, 1, w.bpack, 0, T * B, GH, I, false, w, pool);
  o.pack_b(w.rpack, R, 1, H, H, GH);
  for_row_chunks(pool, w, B, [&](int b0, int nb, S* apack) {
    for (int s = 0; s < T; s++) {
      const int t = step_time(s, T, reverse);
      const long row = (long)t * B + b0;  // this chunk's first row at step t
      S* ct = cache + row * ld;
      const S* cprev = nullptr;
      if (s > 0) {
        const long prev = (long)prev_time(t, reverse) * B + b0;
        const S* mask = mask_h ? mask_h + (long)b0 * H : nullptr;
        const S* hm = masked_prev(h + prev * H, mask, w.tmp + (long)b0 * H, nb, H);
        o.gemm_packed(ct, ld, hm, H, 1, w.rpack, nb, GH, H, true, apack);
        cprev = cache + prev * ld + GH;
      }
      o.lstm_step_forward(ct, ld, h + row * H, cprev, ld, bias, nb, H);
    }
  });
}

template <typename S>
void lstm_fast_backward(S* dx, S* dW, S* dR, S* dbias, S* dh, const S* h, const S* cache, const S* x, const S* W,
                        const S* R, const S* bias, const S* mask_h, S* scratch, int T, int B, int I, int H,
                        bool reverse, ThreadPool* pool, const CellOptions&) {
  (void)bias;
  const SimdOps<S>& o = ops<S>();
  FastScratch<S> w(scratch, lstm_fast_needs(T, B, I, H));
  const int GH = LSTM_GATES * H;
  const long ld = (long)LSTM_CACHE * H;  // a cache row: the gates, then c
  o.pack_b(w.rpack, R, H, 1, GH, H);
  for_row_chunks(pool, w, B, [&](int b0, int nb, S* apack) {
    const long n = (long)nb * H, off = (long)b0 * H;  // this chunk's values in a (B, H) buffer, and its first
    S* dc_next = w.tmp2 + off;
    S* zeros = w.tmp3 + off;  // c before the first step
    S* dhm = w.tmp + off;
    std::fill(dc_next, dc_next + n, S(0));
    std::fill(zeros, zeros + n, S(0));
    for (int s = T - 1; s >= 0; s--) {
      const int t = step_time(s, T, reverse);
      const long row = (long)t * B + b0, prev = (long)prev_time(t, reverse) * B + b0;
      S* dat = w.dA + row * GH;
      const S* cprev = s > 0 ? cache + prev * ld + GH : zeros;
      o.lstm_step_backward(dat, dc_next, cache + row * ld, ld, cprev, s > 0 ? ld : H, dh + row * H, nb, H);
      if (s > 0) {
        S* dhp = dh + prev * H;
        if (!mask_h) {
          o.gemm_packed(dhp, H, dat, GH, 1, w.rpack, nb, H, GH, true, apack);
        } else {
          o.gemm_packed(dhm, H, dat, GH, 1, w.rpack, nb, H, GH, false, apack);
          for (long k = 0; k < n; k++) dhp[k] += dhm[k] * mask_h[off + k];
        }
      }
    }
  });
  const long TB = (long)T * B;
  bias_backward(dbias, w.dA, w.dA, TB, GH, pool);
  const S* Hm = h;
  if (mask_h) {
    for (long r = 0; r < TB; r++)
      for (int j = 0; j < H; j++) w.hm_all[r * H + j] = h[r * H + j] * mask_h[(r % B) * H + j];
    Hm = w.hm_all;
  }
  weight_backward(dx, dW, dR, w.dA, w.dA, GH, x, W, Hm, w, pool, T, B, I, H, GH, GH, reverse);
}

inline FastNeeds simple_rnn_fast_needs(int T, int B, int I, int H) {
  FastNeeds n;
  n.rpack = packed_b_size(H, H);  // R^T forward, R backward: (H, H) both
  n.bpack = packed_b_size(I, H);
  n.dA = (long)T * B * H;
  n.hm_all = (long)T * B * H;
  n.tmp = (long)B * H;  // the masked state (forward), the gradient on it (backward)
  return n;
}

template <typename S>
void simple_rnn_fast_forward(S* h, S* cache, const S* x, const S* W, const S* R, const S* bias, const S* mask_h,
                             S* scratch, int T, int B, int I, int H, bool reverse, ThreadPool* pool,
                             const CellOptions& opt) {
  (void)cache;
  const SimdOps<S>& o = ops<S>();
  const bool relu = opt.relu;  // else tanh
  FastScratch<S> w(scratch, simple_rnn_fast_needs(T, B, I, H));
  o.pack_b(w.bpack, W, 1, I, I, H);
  product(h, H, x, I, 1, w.bpack, 0, T * B, H, I, false, w, pool);
  o.pack_b(w.rpack, R, 1, H, H, H);
  for_row_chunks(pool, w, B, [&](int b0, int nb, S* apack) {
    const long off = (long)b0 * H;
    for (int s = 0; s < T; s++) {
      const int t = step_time(s, T, reverse);
      S* ht = h + (long)t * B * H + off;
      if (s > 0) {
        const S* hm = masked_prev(h + (long)prev_time(t, reverse) * B * H + off, mask_h ? mask_h + off : nullptr,
                                  w.tmp + off, nb, H);
        o.gemm_packed(ht, H, hm, H, 1, w.rpack, nb, H, H, true, apack);
      }
      o.simple_rnn_step_forward(ht, bias, nb, H, relu);
    }
  });
}

template <typename S>
void simple_rnn_fast_backward(S* dx, S* dW, S* dR, S* dbias, S* dh, const S* h, const S* cache, const S* x,
                              const S* W, const S* R, const S* bias, const S* mask_h, S* scratch, int T, int B,
                              int I, int H, bool reverse, ThreadPool* pool, const CellOptions& opt) {
  (void)cache; (void)bias;
  const SimdOps<S>& o = ops<S>();
  const bool relu = opt.relu;
  FastScratch<S> w(scratch, simple_rnn_fast_needs(T, B, I, H));
  o.pack_b(w.rpack, R, H, 1, H, H);
  for_row_chunks(pool, w, B, [&](int b0, int nb, S* apack) {
    const long n = (long)nb * H, off = (long)b0 * H;  // this chunk's values in a (B, H) buffer, and its first
    for (int s = T - 1; s >= 0; s--) {
      const int t = step_time(s, T, reverse);
      S* dat = w.dA + (long)t * B * H + off;
      o.simple_rnn_step_backward(dat, h + (long)t * B * H + off, dh + (long)t * B * H + off, nb, H, relu);
      if (s > 0) {
        S* dhp = dh + (long)prev_time(t, reverse) * B * H + off;
        if (!mask_h) {
          o.gemm_packed(dhp, H, dat, H, 1, w.rpack, nb, H, H, true, apack);
        } else {
          o.gemm_packed(w.tmp + off, H, dat, H, 1, w.rpack, nb, H, H, false, apack);
          for (long k = 0; k < n; k++) dhp[k] += w.tmp[off + k] * mask_h[off + k];
        }
      }
    }
  });
  const long TB = (long)T * B;
  bias_backward(dbias, w.dA, w.dA, TB, H, pool);
  const S* Hm = h;
  if (mask_h) {
    for (long r = 0; r < TB; r++)
      for (int j = 0; j < H; j++) w.hm_all[r * H + j] = h[r * H + j] * mask_h[(r % B) * H + j];
    Hm = w.hm_all;
  }
  weight_backward(dx, dW, dR, w.dA, w.dA, H, x, W, Hm, w, pool, T, B, I, H, H, H, reverse);
}

// GRU: rpack holds R^T packed for the z, r rows (and h rows when reset_after, as one (H, 3H) panel set); without
// reset_after the h rows are a second pack after room for the first (forward packed_b_size(H, 3H), backward
// packed_b_size(3H, H)).
inline FastNeeds gru_fast_needs(int T, int B, int I, int H) {
  const int GH = GRU_GATES * H;
  FastNeeds n;
  n.rpack = std::max(packed_b_size(H, GH), packed_b_size(GH, H)) + packed_b_size(H, H);
  n.bpack = packed_b_size(I, GH);
  n.dA = (long)T * B * GH;
  n.dA2 = (long)T * B * GH;
  n.hm_all = (long)T * B * H;
  n.tmp = (long)B * H;    // the masked state (forward), the gradient on it (backward)
  n.tmp2 = (long)B * GH;  // R hm of one step (forward), du (backward)
  n.tmp3 = (long)B * H;   // u = r * hm
  return n;
}

template <typename S>
void gru_fast_forward(S* h, S* cache, const S* x, const S* W, const S* R, const S* bias, const S* mask_h,
                      S* scratch, int T, int B, int I, int H, bool reverse, ThreadPool* pool, const CellOptions& opt) {
  const SimdOps<S>& o = ops<S>();
  const bool reset_after = opt.reset_after;
  FastScratch<S> w(scratch, gru_fast_needs(T, B, I, H));
  const int GH = GRU_GATES * H;
  const long ld = (long)GRU_CACHE * H;  // a cache row: z, r, h~, q
  S* rec = w.tmp2;  // (B, 3H)
  S* u = w.tmp3;    // (B, H)
  S* rp_h = w.rpack + packed_b_size(H, GH);
  o.pack_b(w.bpack, W, 1, I, I, GH);
  product(cache, ld, x, I, 1, w.bpack, 0, T * B, GH, I, false, w, pool);
  if (reset_after) {
    o.pack_b(w.rpack, R, 1, H, H, GH);
  } else {
    o.pack_b(w.rpack, R, 1, H, H, 2 * H);
    o.pack_b(rp_h, R + 2L * H * H, 1, H, H, H);
  }
  for_row_chunks(pool, w, B, [&](int b0, int nb, S* apack) {
    const long off = (long)b0 * H;
    S* rc = rec + (long)b0 * GH;
    S* uc = u + off;
    for (int s = 0; s < T; s++) {
      const int t = step_time(s, T, reverse);
      S* ct = cache + ((long)t * B + b0) * ld;
      const S* hp = s > 0 ? h + (long)prev_time(t, reverse) * B * H + off : nullptr;
      const S* hm = hp ? masked_prev(hp, mask_h ? mask_h + off : nullptr, w.tmp + off, nb, H) : nullptr;
      if (hp) o.gemm_packed(rc, GH, hm, H, 1, w.rpack, nb, reset_after ? GH : 2 * H, H, false, apack);
      if (reset_after) {  // one fused pass: z, r, q, h~, h
        o.gru_step_forward(ct, rc, h + (long)t * B * H + off, hp, bias, nb, H);
        continue;
      }
      o.gru_step_forward_zr(ct, rc, hm, uc, bias, nb, H, reset_after, hp != nullptr);
      if (hp) o.gemm_packed(rc + 2 * H, GH, uc, H, 1, rp_h, nb, H, H, false, apack);
      o.gru_step_forward_h(ct, rc, h + (long)t * B * H + off, hp, bias, nb, H, reset_after);
    }
  });
}

template <typename S>
void gru_fast_backward(S* dx, S* dW, S* dR, S* dbias, S* dh, const S* h, const S* cache, const S* x, const S* W,
                       const S* R, const S* bias, const S* mask_h, S* scratch, int T, int B, int I, int H,
                       bool reverse, ThreadPool* pool, const CellOptions& opt) {
  (void)bias;
  const SimdOps<S>& o = ops<S>();
  const bool reset_after = opt.reset_after;
  FastScratch<S> w(scratch, gru_fast_needs(T, B, I, H));
  const int GH = GRU_GATES * H;
  const long ld = (long)GRU_CACHE * H;  // a cache row: z, r, h~, q
  const long TB = (long)T * B;
  const int rows_R = reset_after ? GH : 2 * H;  // rows of R that saw hm (without reset_after, Rh saw u)
  S* rp_h = w.rpack + packed_b_size(GH, H);
  o.pack_b(w.rpack, R, H, 1, rows_R, H);
  if (!reset_after) o.pack_b(rp_h, R + 2L * H * H, H, 1, H, H);
  // Hm: the recurrent product's input of every step, row-aligned with h
  const S* Hm = h;
  if (mask_h) {
    for (long r = 0; r < TB; r++)
      for (int j = 0; j < H; j++) w.hm_all[r * H + j] = h[r * H + j] * mask_h[(r % B) * H + j];
    Hm = w.hm_all;
  }
  for_row_chunks(pool, w, B, [&](int b0, int nb, S* apack) {
    const long n = (long)nb * H, off = (long)b0 * H;  // this chunk's values in a (B, H) buffer, and its first
    S* du = w.tmp2 + off;
    for (int s = T - 1; s >= 0; s--) {
      const int t = step_time(s, T, reverse);
      const long row = (long)t * B + b0, prev = (long)prev_time(t, reverse) * B + b0;
      S* dax = w.dA + row * GH;
      S* dar = w.dA2 + row * GH;
      const S* ct = cache + row * ld;
      const S* hp = s > 0 ? h + prev * H : nullptr;
      S* dhp = s > 0 ? dh + prev * H : nullptr;
      o.gru_step_backward_a(dax, dar, dhp, ct, hp, dh + row * H, nb, H, reset_after);
      if (!hp) continue;
      S* dhm = mask_h ? w.tmp + off : dhp;  // without a mask, gradients on hm go straight to dh[prev]
      if (mask_h) std::fill(dhm, dhm + n, S(0));
      if (!reset_after) {
        o.gemm_packed(du, H, dax + 2 * H, GH, 1, rp_h, nb, H, H, false, apack);
        o.gru_step_backward_u(dax, dar, dhm, du, ct, Hm + prev * H, nb, H);
      }
      o.gemm_packed(dhm, H, dar, GH, 1, w.rpack, nb, H, rows_R, true, apack);
      if (mask_h)
        for (long k = 0; k < n; k++) dhp[k] += dhm[k] * mask_h[off + k];
    }
  });
  bias_backward(dbias, w.dA, w.dA2, TB, GH, pool);
  weight_backward(dx, dW, dR, w.dA, w.dA2, GH, x, W, Hm, w, pool, T, B, I, H, GH, rows_R, reverse);
  if (!reset_after && T > 1) {  // dRh (H, H) += dah^T U, U = r * hm of the steps with a previous state
    const long a0 = reverse ? 0 : B, h0 = reverse ? B : 0;
    S* U = w.dA2;  // dAr is consumed: reuse it for U, row-aligned with dA
    for (long r = 0; r < (T - 1) * (long)B; r++)
      for (int j = 0; j < H; j++) U[r * H + j] = cache[(a0 + r) * ld + H + j] * Hm[(h0 + r) * H + j];
    product(dR + 2L * H * H, H, w.dA + a0 * GH + 2 * H, 1, GH, U, H, H, H, (T - 1) * B, true, w, pool);
  }
}

}  // namespace rnnlab
