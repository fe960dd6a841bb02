// A float64 forward of a recurrent stack from the engine's weights, cell by cell, keeping every state and gate: the
// oracle the inspection pass is checked against. It reads neither the engine's cell table nor its kernels: each
// cell's math is written out here (LSTM gates i, o, f, c~; GRU z, r, h~ with reset after or before; SimpleRNN).
// Legend: n samples, T steps, I input features, H units, D directions, G gates.
import type { RunConfig } from '../../common/config'
import type { Weights } from '../../main/engine'

/** One recurrent layer's states, each [n, D, T, H] flat in float64, h in input time order for both directions. */
export interface ReferenceLayer {
  layer: number
  h: Float64Array
  c?: Float64Array
  gates: Record<string, Float64Array>
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v))

interface CellFields {
  type: 'lstm' | 'gru' | 'simple_rnn'
  units: number
  activation?: string
  resetAfter?: boolean
  goBackwards?: boolean
  returnSequences?: boolean
}

/** A value added to one state during the forward: h_t of unit j, sample b, direction d of layer k (its index). */
export interface Perturbation {
  layer: number
  direction: number
  t: number
  sample: number
  unit: number
  by: number
}

/** Every recurrent layer's states for x [n, T, F]; the stack stops at the first dense layer. */
export function referenceStates(
  config: RunConfig,
  weights: Weights,
  x: Float32Array,
  n: number,
  T: number,
  F: number
): ReferenceLayer[] {
  return referenceForward(config, weights, x, n, T, F).layers
}

/**
 * Each sample's own loss (categorical cross-entropy of a softmax head, the mean over its steps for a per-step head),
 * with an optional perturbation of one state: finite differences of it give ∂l/∂h_t.
 */
export function referenceLosses(
  config: RunConfig,
  weights: Weights,
  x: Float32Array,
  labels: Int32Array,
  n: number,
  T: number,
  F: number,
  perturbation?: Perturbation
): Float64Array {
  const { output, steps, features } = referenceForward(config, weights, x, n, T, F, perturbation)
  let input = output
  let I = features
  for (const [k, layer] of config.model.layers.entries()) {
    if (layer.type !== 'dense') continue
    const W = weights[`layers.${k}.W`].data
    const B = weights[`layers.${k}.B`].data
    const U = layer.units
    const next = new Float64Array(n * steps * U)
    for (let r = 0; r < n * steps; r++)
      for (let u = 0; u < U; u++) {
        let v = B[u]
        for (let i = 0; i < I; i++) v += input[r * I + i] * W[i * U + u]
        next[r * U + u] = layer.activation === 'tanh' ? Math.tanh(v) : layer.activation === 'relu' ? Math.max(0, v) : v
      }
    input = next
    I = U
  }
  const losses = new Float64Array(n)
  for (let b = 0; b < n; b++)
    for (let q = 0; q < steps; q++) {
      const row = input.subarray((b * steps + q) * I, (b * steps + q + 1) * I)
      const max = Math.max(...row)
      const sum = row.reduce((a, v) => a + Math.exp(v - max), 0)
      const label = labels[steps > 1 ? b * steps + q : b]
      losses[b] += -(row[label] - max - Math.log(sum)) / steps
    }
  return losses
}

function referenceForward(
  config: RunConfig,
  weights: Weights,
  x: Float32Array,
  n: number,
  T: number,
  F: number,
  perturbation?: Perturbation
): { layers: ReferenceLayer[]; output: Float64Array; steps: number; features: number } {
  let steps = T
  let input = Float64Array.from(x) // [n, steps, I]; steps = T while the stack runs sequences
  let I = F
  const out: ReferenceLayer[] = []
  for (const [k, layer] of config.model.layers.entries()) {
    if (layer.type === 'dropout') continue
    if (layer.type === 'dense') break
    const bidirectional = layer.type === 'bidirectional'
    const cell = (bidirectional ? layer.layer : layer) as unknown as CellFields
    const shared = bidirectional && layer.sharedWeights
    const D = bidirectional ? 2 : 1
    const H = cell.units
    const names = cell.type === 'lstm' ? ['i', 'o', 'f', 'c'] : cell.type === 'gru' ? ['z', 'r', 'h'] : []
    const G = cell.type === 'lstm' ? 4 : cell.type === 'gru' ? 3 : 1
    const W = weights[`layers.${k}.W`].data
    const R = weights[`layers.${k}.R`].data
    const Bias = weights[`layers.${k}.B`].data
    const size = n * D * T * H
    const h = new Float64Array(size)
    const c = cell.type === 'lstm' ? new Float64Array(size) : undefined
    const gates = Object.fromEntries(names.map((g) => [g, new Float64Array(size)]))
    for (let d = 0; d < D; d++) {
      const ws = shared ? 0 : d
      const Wd = (row: number, i: number) => W[(ws * G * H + row) * I + i]
      const Rd = (row: number, j: number) => R[(ws * G * H + row) * H + j]
      const Wb = (row: number) => Bias[ws * 2 * G * H + row]
      const Rb = (row: number) => Bias[ws * 2 * G * H + G * H + row]
      const reverse = d === 1 || cell.goBackwards === true
      for (let b = 0; b < n; b++) {
        let prev = new Float64Array(H)
        let cell_ = new Float64Array(H)
        for (let s = 0; s < T; s++) {
          const t = reverse ? T - 1 - s : s
          const xt = input.subarray((b * T + t) * I, (b * T + t + 1) * I)
          const xw = (row: number) => {
            let v = Wb(row)
            for (let i = 0; i < I; i++) v += Wd(row, i) * xt[i]
            return v
          }
          const rh = (row: number, v: Float64Array) => {
            let acc = Rb(row)
            for (let j = 0; j < H; j++) acc += Rd(row, j) * v[j]
            return acc
          }
          const next = new Float64Array(H)
          const at = (b * D + d) * T * H + t * H
          if (cell.type === 'lstm') {
            const nextC = new Float64Array(H)
            for (let j = 0; j < H; j++) {
              const a = [0, 1, 2, 3].map((g) => xw(g * H + j) + rh(g * H + j, prev))
              const [i, o, f, cc] = [sigmoid(a[0]), sigmoid(a[1]), sigmoid(a[2]), Math.tanh(a[3])]
              nextC[j] = f * cell_[j] + i * cc
              next[j] = o * Math.tanh(nextC[j])
              gates.i[at + j] = i
              gates.o[at + j] = o
              gates.f[at + j] = f
              gates.c[at + j] = cc
              c![at + j] = nextC[j]
            }
            cell_ = nextC
          } else if (cell.type === 'gru') {
            const z = Float64Array.from({ length: H }, (_, j) => sigmoid(xw(j) + rh(j, prev)))
            const r = Float64Array.from({ length: H }, (_, j) => sigmoid(xw(H + j) + rh(H + j, prev)))
            const rPrev = Float64Array.from({ length: H }, (_, j) => r[j] * prev[j])
            for (let j = 0; j < H; j++) {
              const hh = Math.tanh(
                cell.resetAfter !== false
                  ? xw(2 * H + j) + r[j] * rh(2 * H + j, prev)
                  : xw(2 * H + j) + rh(2 * H + j, rPrev)
              )
              next[j] = (1 - z[j]) * hh + z[j] * prev[j]
              gates.z[at + j] = z[j]
              gates.r[at + j] = r[j]
              gates.h[at + j] = hh
            }
          } else {
            for (let j = 0; j < H; j++) {
              const a = xw(j) + rh(j, prev)
              next[j] = cell.activation === 'relu' ? Math.max(0, a) : Math.tanh(a)
            }
          }
          const p = perturbation
          if (p && p.layer === k && p.direction === d && p.sample === b && p.t === t) next[p.unit] += p.by
          h.set(next, at)
          prev = next
        }
      }
    }
    out.push({ layer: k, h, c, gates })
    // The layer's output, the next layer's input: every step (a lone go_backwards layer in reading order), or the last.
    const merge = bidirectional ? layer.mergeMode : 'concat'
    const U = D === 2 && merge === 'concat' ? 2 * H : H
    steps = cell.returnSequences ? T : 1
    const next = new Float64Array(n * steps * U)
    for (let b = 0; b < n; b++)
      for (let q = 0; q < steps; q++)
        for (let j = 0; j < H; j++) {
          const source = (d: number) => {
            const reverse = d === 1 || cell.goBackwards === true
            const t = cell.returnSequences ? (cell.goBackwards ? T - 1 - q : q) : reverse ? 0 : T - 1
            return h[(b * D + d) * T * H + t * H + j]
          }
          const row = (b * steps + q) * U
          if (D === 1) next[row + j] = source(0)
          else if (merge === 'concat') {
            next[row + j] = source(0)
            next[row + H + j] = source(1)
          } else if (merge === 'sum') next[row + j] = source(0) + source(1)
          else if (merge === 'mul') next[row + j] = source(0) * source(1)
          else next[row + j] = (source(0) + source(1)) / 2
        }
    input = next
    I = U
    if (!cell.returnSequences) break
  }
  return { layers: out, output: input, steps, features: I }
}
