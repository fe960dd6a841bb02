// Direction ablation (options.ablate on predict/evaluate, native/src/model.h set_ablation): a bidirectional layer
// without one direction, against a float64 reference of the merge and the head computed from inspect()'s states
// (concat: that half zeroed; sum, ave, mul: the other direction alone); for a last-step and a per-step layer, every
// merge mode and cell; evaluate agrees with the ablated predictions; 1 and 2 threads give the same bits; the option
// lasts one call; a layer that is not bidirectional is refused by name.
import { describe, expect, test } from 'vitest'
import { MERGE_MODES } from '../../common/config'
import type { Ablate, EngineModel, Weights } from '../../main/engine'
import { loadEngine } from '../../main/engine'
import { engineSpec } from '../../main/engine/spec'
import { makeConfig, randomInput, randomModel } from '../onnx/helpers'

const T = 5
const F = 3
const n = 6
const U = 3

/** float64 softmax(merged · W + B) for the head at layer k: W [I, U], B [U]. */
function head(merged: number[], weights: Weights, k: number): number[] {
  const W = weights[`layers.${k}.W`].data
  const B = weights[`layers.${k}.B`].data
  const z = Array.from({ length: U }, (_, u) => merged.reduce((s, v, i) => s + v * W[i * U + u], B[u]))
  const m = Math.max(...z)
  const e = z.map((v) => Math.exp(v - m))
  const sum = e.reduce((a, b) => a + b, 0)
  return e.map((v) => v / sum)
}

/**
 * The reference output [n, K, U] of a model [bidirectional(cell, mergeMode, returnSequences), dense softmax] with
 * `ablated` (a direction, or none), from the states inspect() recorded (h: [n, 2, T, H], input time order).
 */
function reference(
  model: EngineModel,
  x: Float32Array,
  weights: Weights,
  mergeMode: string,
  perStep: boolean,
  ablated?: 'forward' | 'backward'
): number[] {
  const layer = model.inspect(x, n).layers[0]
  const H = layer.units
  const h = (b: number, d: number, t: number, j: number): number => layer.h[((b * 2 + d) * T + t) * H + j]
  const out: number[] = []
  for (let b = 0; b < n; b++)
    for (let k = 0; k < (perStep ? T : 1); k++) {
      const tf = perStep ? k : T - 1
      const tb = perStep ? k : 0
      const a = Array.from({ length: H }, (_, j) => (ablated === 'forward' ? 0 : h(b, 0, tf, j)))
      const c = Array.from({ length: H }, (_, j) => (ablated === 'backward' ? 0 : h(b, 1, tb, j)))
      let merged: number[]
      if (mergeMode === 'concat') merged = [...a, ...c]
      else if (ablated === 'forward') merged = c
      else if (ablated === 'backward') merged = a
      else if (mergeMode === 'sum') merged = a.map((v, j) => v + c[j])
      else if (mergeMode === 'mul') merged = a.map((v, j) => v * c[j])
      else merged = a.map((v, j) => (v + c[j]) / 2)
      out.push(...head(merged, weights, 1))
    }
  return out
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length)
  let worst = 0
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]))
  return worst
}

let seed = 700
describe.each(['lstm', 'gru', 'simple_rnn'])('%s', (cell) => {
  test.each(MERGE_MODES.flatMap((m) => [`${m} last step`, `${m} per step`]))(
    '%s: each direction ablated equals the float64 reference from the inspected states',
    (title) => {
      seed++
      const [mergeMode, ...rest] = title.split(' ')
      const perStep = rest.join(' ') === 'per step'
      const config = makeConfig(
        [
          { type: 'bidirectional', mergeMode, layer: { type: cell, units: 4, returnSequences: perStep } },
          { type: 'dense', units: U, activation: 'softmax' }
        ],
        [T, F]
      )
      const { model, weights } = randomModel(config, [T, F], seed)
      const x = randomInput(n, T, F, seed)
      const intact = model.predict(x, n)
      expect(maxDiff(intact, reference(model, x, weights, mergeMode, perStep))).toBeLessThanOrEqual(1e-5)
      for (const direction of ['forward', 'backward'] as const) {
        const ablated = model.predict(x, n, { ablate: { layer: 0, direction } })
        expect(maxDiff(ablated, reference(model, x, weights, mergeMode, perStep, direction))).toBeLessThanOrEqual(1e-5)
        // The ablation changes the output (the reference is not trivially the intact model).
        expect(maxDiff(ablated, intact)).toBeGreaterThan(1e-3)
      }
      // The option lasts one call.
      expect(Array.from(model.predict(x, n))).toEqual(Array.from(intact))
    }
  )
})

/** The tutorial's shape, small: two bidirectional LSTM layers (the first per step) and a softmax head. */
function twoLayerConfig(mergeMode: string): ReturnType<typeof makeConfig> {
  return makeConfig(
    [
      { type: 'bidirectional', mergeMode, layer: { type: 'lstm', units: 8, returnSequences: true } },
      { type: 'dropout', rate: 0.2 },
      { type: 'bidirectional', mergeMode, layer: { type: 'lstm', units: 6 } },
      { type: 'dense', units: U, activation: 'softmax' }
    ],
    [T, F]
  )
}

test('the first of two layers: ablating its forward half (concat) equals zeroing those columns of its output', () => {
  // Layer 2's input with layer 0's forward columns zeroed, through a model of layer 2 + head with the same weights.
  const config = twoLayerConfig('concat')
  const { model, weights } = randomModel(config, [T, F], 41)
  const x = randomInput(n, T, F, 41)
  const first = model.inspect(x, n).layers[0]
  const H = first.units
  const tail = makeConfig(
    [
      { type: 'bidirectional', mergeMode: 'concat', layer: { type: 'lstm', units: 6 } },
      { type: 'dense', units: U, activation: 'softmax' }
    ],
    [T, 2 * H]
  )
  const rest = new (loadEngine().Model)(engineSpec(tail, [T, 2 * H]))
  const restWeights = rest.getWeights()
  for (const [name, t] of Object.entries(restWeights)) {
    const k = Number(name.split('.')[1])
    t.data.set(weights[`layers.${k === 0 ? 2 : 3}.${name.split('.')[2]}`].data)
  }
  rest.setWeights(restWeights)
  // Layer 0's output with the forward half zeroed: [n, T, 2H] = [0 … 0, backward h_t].
  const y = new Float32Array(n * T * 2 * H)
  for (let b = 0; b < n; b++)
    for (let t = 0; t < T; t++)
      for (let j = 0; j < H; j++) y[(b * T + t) * 2 * H + H + j] = first.h[((b * 2 + 1) * T + t) * H + j]
  const ablated = model.predict(x, n, { ablate: { layer: 0, direction: 'forward' } })
  expect(maxDiff(ablated, rest.predict(y, n))).toBeLessThanOrEqual(1e-5)
})

test('evaluate with an ablation agrees with the ablated predictions; 1 and 2 threads give the same bits', () => {
  const config = twoLayerConfig('ave')
  const input: [number, number] = [T, F]
  const engine = loadEngine()
  const { weights } = randomModel(config, input, 42, 0.9)
  const models = [1, 2].map((threads) => {
    const m = new engine.Model(engineSpec(config, input, threads))
    m.setWeights(weights)
    return m
  })
  const N = 40
  const x = randomInput(N, T, F, 42)
  const labels = Int32Array.from({ length: N }, (_, i) => i % U)
  const ablations: (Ablate | undefined)[] = [
    undefined,
    { layer: 0, direction: 'forward' },
    { layer: 0, direction: 'backward' },
    { layer: 2, direction: 'forward' },
    { layer: 2, direction: 'backward' }
  ]
  for (const ablate of ablations) {
    const [p1, p2] = models.map((m) => m.predict(x, N, { batchSize: 16, ablate }))
    expect(Array.from(p2)).toEqual(Array.from(p1))
    let right = 0
    let loss = 0
    for (let b = 0; b < N; b++) {
      const row = Array.from(p1.subarray(b * U, (b + 1) * U))
      if (row.indexOf(Math.max(...row)) === labels[b]) right++
      loss -= Math.log(row[labels[b]])
    }
    const [s1, s2] = models.map((m) => m.evaluate(x, labels, N, { batchSize: 16, ablate }))
    expect(s2).toEqual(s1)
    expect(s1.accuracy).toBeCloseTo(right / N, 10)
    expect(s1.loss).toBeCloseTo(loss / N, 4)
  }
})

test('an ablation names what is wrong: a layer that is not bidirectional, past the end, a bad direction', () => {
  const config = twoLayerConfig('concat')
  const { model } = randomModel(config, [T, F], 43)
  const x = randomInput(2, T, F, 43)
  expect(() => model.predict(x, 2, { ablate: { layer: 1, direction: 'forward' } })).toThrow(
    'options.ablate.layer: layer 1 is not a bidirectional recurrent layer'
  )
  expect(() => model.predict(x, 2, { ablate: { layer: 9, direction: 'forward' } })).toThrow(
    "options.ablate.layer: 9 is past the model's last layer (3)"
  )
  expect(() => model.predict(x, 2, { ablate: { layer: 0, direction: 'sideways' as 'forward' } })).toThrow(
    "options.ablate.direction: must be 'forward' or 'backward'"
  )
  // A refused call leaves no ablation behind.
  const again = model.predict(x, 2)
  expect(Array.from(model.predict(x, 2))).toEqual(Array.from(again))
})
