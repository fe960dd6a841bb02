// What one training sample costs the engine, in floating-point operations, counted from what its fast kernels do
// (native/src/kernels/fast.h, simd_cells.h), per layer and direction (T steps, I inputs, H units, G gates):
// - input projection forward x W: T * 2GH * I; backward dW: T * 2GH * I; dx: T * 2GH * I, for every layer but the first
//   (the data needs no gradient);
// - recurrent products forward h R, backward dR and dh_{t-1}: (T - 1) * 2GH * H each (none at the first step, whose
//   previous state is zero);
// - gates and state, per unit and step, one operation per +, -, x and per sigmoid/tanh (the count read off the fused
//   steps) plus the bias gradients' sums;
// - dropout after a layer: one multiply forward and one backward per output value;
// - the dense head: 2 F C forward, dW and dx backward, 6 F C in all (softmax and loss left out: C values).
// The earlier formula, 3 x T * 2GH * (I + H), counted dx of the first layer and the first step's recurrent products,
// and left out the gates and the head.

export const GATES = { lstm: 4, gru: 3, simple_rnn: 1 }
/** per unit and step: forward, backward (with the bias gradients) */
export const ELEMENTWISE = {
  lstm: { forward: 13, backward: 27 },
  gru: { forward: 17, backward: 23 },
  simple_rnn: { forward: 3, backward: 5 }
}

/**
 * @param {{ T: number, F: number, cell: 'lstm'|'gru'|'simple_rnn', units: number, classes?: number,
 *   dropout?: number, layers: { directions: 1 | 2 }[] }} w  layers but the last return sequences; directions merged
 *   by concatenation
 * @returns {number} FLOPs of one sample's forward and backward pass
 */
export function trainingFlops(w) {
  const G = GATES[w.cell]
  const H = w.units
  const GH = G * H
  const e = ELEMENTWISE[w.cell]
  let I = w.F
  let flops = 0
  w.layers.forEach((l, k) => {
    const last = k === w.layers.length - 1
    const inputProducts = k === 0 ? 2 : 3
    const perDirection = 2 * GH * (w.T * I * inputProducts + 3 * (w.T - 1) * H) + w.T * H * (e.forward + e.backward)
    flops += l.directions * perDirection
    I = H * l.directions
    if (w.dropout) flops += 2 * (last ? 1 : w.T) * I
  })
  return flops + 6 * I * (w.classes ?? 10)
}

/** the earlier formula, kept for the footnote's comparison */
export function formulaFlopsBefore(w) {
  let I = w.F
  let flops = 0
  for (const l of w.layers) {
    flops += 3 * l.directions * w.T * 2 * GATES[w.cell] * w.units * (I + w.units)
    I = w.units * l.directions
  }
  return flops
}
