// The training loss of one batch's output rows, as Keras reduces it: the mean over the rows that count (values, for
// mse and binary cross-entropy). Rows are (K steps, B samples) time-major, U values each. With per-sample lengths (a
// masked sequence output, Model::output_lengths) only the rows k < lengths[b] count: Keras's loss gives the other rows
// weight 0 and the real ones total/valid (losses/loss.py apply_mask), i.e. the mean over the real rows; accuracy is
// over the same rows. A batch with no real row has loss 0 (Keras's divide_no_nan) and no gradient.
#pragma once
#include <cstdint>

#include "kernels/layers.h"
#include "kernels/losses.h"
#include "spec.h"

namespace rnnlab {

struct BatchLoss {
  double loss = 0;
  long hits = 0;     // rows (values for binary cross-entropy) whose prediction is right
  long counted = 0;  // rows (values) that count: accuracy = hits / counted
  double abs_err = 0;  // mse and mae: the summed absolute error over the values that count (the mae metric's sum)
};

// dout: gradient of the mean loss on the output (on the logits for softmax / fused sigmoid heads), accumulated; or
// nullptr. labels (rows) or targets (rows, U): one of them (mse and mae take targets).
template <typename S>
BatchLoss batch_loss(LossKind kind, const S* out, const int32_t* labels, const S* targets, S* dout, int K, int B,
                     int U, const int* lengths) {
  BatchLoss r;
  const int rows = K * B;
  const bool ce = kind == LossKind::CategoricalCrossentropy || kind == LossKind::SparseCategoricalCrossentropy;
  const long per_row = ce ? 1 : U;  // what one row adds to counted
  if (!lengths) {
    r.counted = (long)rows * per_row;
  } else {
    for (int k = 0; k < K; k++)
      for (int b = 0; b < B; b++) r.counted += k < lengths[b] ? per_row : 0;
    if (r.counted == 0) return r;
  }
  const S scale = ce ? S(1) / S(r.counted) : S(1.0 / double(r.counted));  // as the engine always scaled
  // the rows [n0, n0 + n): all at once without lengths, one by one with them (the same sums in the same order)
  auto run = [&](int n0, int n) {
    const long v0 = (long)n0 * U;
    const int32_t* lab = labels ? labels + n0 : nullptr;
    const S* tg = targets ? targets + v0 : nullptr;
    long hits = 0;
    if (kind == LossKind::BinaryCrossentropy) {
      r.loss += binary_crossentropy_forward(&hits, out + v0, lab ? labels + v0 : nullptr, tg, (long)n * U);
      if (dout) binary_crossentropy_backward(dout + v0, out + v0, lab ? labels + v0 : nullptr, tg, (long)n * U, scale);
    } else if (ce) {
      r.loss += crossentropy_forward(&hits, out + v0, lab, tg, n, U);
      if (dout) crossentropy_softmax_backward(dout + v0, out + v0, lab, tg, n, U, scale);
    } else {  // regression: mse or mae, with mae as the metric
      const double abs_err = mae_forward(out + v0, tg, (long)n * U);
      r.abs_err += abs_err;
      if (kind == LossKind::Mae) {
        r.loss += abs_err;
        if (dout) mae_backward(dout + v0, out + v0, tg, (long)n * U, scale);
      } else {
        r.loss += mse_forward(out + v0, tg, n, U);
        if (dout) mse_backward(dout + v0, out + v0, tg, n, U, scale);
      }
    }
    r.hits += hits;
  };
  if (!lengths) {
    run(0, rows);
  } else {
    for (int k = 0; k < K; k++)
      for (int b = 0; b < B; b++)
        if (k < lengths[b]) run(k * B + b, 1);
  }
  r.loss /= double(r.counted);
  return r;
}

}  // namespace rnnlab
