// The inspection pass (native/src/inspect.h) for every cell × direction mode, two recurrent layers deep: its h_t
// against onnxruntime's Y (every state of every direction of the exported model's own RNN/LSTM/GRU nodes), its gates,
// cell states and states against a float64 forward written from the weights, its output against predict; and the
// limits of one call, refused by name.
import * as ort from 'onnxruntime-node'
import { describe, expect, test } from 'vitest'
import { CELLS } from '../../common/cells'
import { loadEngine } from '../../main/engine'
import { engineSpec } from '../../main/engine/spec'
import { exportOnnx } from '../../main/onnx/export'
import { CELL_VARIANTS, cellVariant, DIRECTION_MODES, matrixLayer as layer } from '../helpers/matrix'
import { referenceStates } from '../helpers/states-reference'
import { makeConfig, randomInput, randomModel } from '../onnx/helpers'

const TOLERANCE = 1e-5

/** max |a - b| over two arrays of the same length. */
function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length)
  let worst = 0
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]))
  return worst
}

/** ONNX's Y [T, D, n, H] in the inspection's layout [n, D, T, H]. */
function onnxToInspection(y: Float32Array, T: number, D: number, n: number, H: number): Float32Array {
  const out = new Float32Array(y.length)
  for (let t = 0; t < T; t++)
    for (let d = 0; d < D; d++)
      for (let b = 0; b < n; b++)
        for (let j = 0; j < H; j++) out[((b * D + d) * T + t) * H + j] = y[((t * D + d) * n + b) * H + j]
  return out
}

let seed = 300
const T = 6
const F = 3
const n = 5

describe.each(CELL_VARIANTS.map((v) => v.title))('%s', (cell) => {
  test.each(DIRECTION_MODES.map((m) => m.title))(
    '%s: states equal onnxruntime Y, gates the float64 reference',
    async (mode) => {
      seed++
      const layers = [layer(cell, mode, 4, true), { type: 'dropout', rate: 0.3 }, layer(cell, mode, 3, false)]
      const config = makeConfig([...layers, { type: 'dense', units: 3, activation: 'softmax' }], [T, F], 'inspect')
      const { model, weights } = randomModel(config, [T, F], seed)
      const x = randomInput(n, T, F, seed)
      const inspection = model.inspect(x, n)
      const type = cellVariant(cell).cell.type
      const bidirectional = mode.startsWith('bidirectional') || mode.startsWith('shared')
      const D = bidirectional ? 2 : 1

      // Labels: layers by index, directions by name, gates by the cell table's names in ONNX order.
      expect(inspection.samples).toBe(n)
      expect(inspection.steps).toBe(T)
      expect(inspection.layers.map((l) => [l.layer, l.cell, l.units])).toEqual([
        [0, type, 4],
        [2, type, 3]
      ])
      for (const l of inspection.layers) {
        expect(l.directions).toEqual(
          bidirectional ? ['forward', 'backward'] : mode === 'goBackwards' ? ['backward'] : ['forward']
        )
        expect(Object.keys(l.gates)).toEqual(type === 'simple_rnn' ? [] : [...CELLS[type].gates])
        expect(l.c !== undefined).toBe(type === 'lstm')
      }
      // The output is predict's, bit for bit: the same forward.
      expect(inspection.output).toMatchObject({ layer: 3, perStep: false, steps: 1, units: 3 })
      expect(Array.from(inspection.output.values)).toEqual(Array.from(model.predict(x, n)))

      // onnxruntime: every recurrent node's Y, as extra outputs of the exported model.
      const bytes = exportOnnx({ config, input: [T, F], weights, exposeStates: true })
      const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 })
      try {
        const result = await session.run({ input: new ort.Tensor('float32', x, [n, T, F]) })
        for (const l of inspection.layers) {
          const Y = result[`layers.${l.layer}.Y`]
          expect(Y.dims).toEqual([T, D, n, l.units])
          expect(maxDiff(l.h, onnxToInspection(Y.data as Float32Array, T, D, n, l.units))).toBeLessThanOrEqual(
            TOLERANCE
          )
        }
      } finally {
        await session.release()
      }

      // float64 from the weights: states, cell states and every gate.
      const reference = referenceStates(config, weights, x, n, T, F)
      expect(reference.map((r) => r.layer)).toEqual([0, 2])
      inspection.layers.forEach((l, i) => {
        const r = reference[i]
        expect(maxDiff(l.h, r.h)).toBeLessThanOrEqual(TOLERANCE)
        if (r.c) expect(maxDiff(l.c!, r.c)).toBeLessThanOrEqual(TOLERANCE)
        for (const g of Object.keys(r.gates)) expect(maxDiff(l.gates[g], r.gates[g])).toBeLessThanOrEqual(TOLERANCE)
      })
    }
  )
})

test('a per-step head: its output at every step, as predict gives it', () => {
  const config = makeConfig(
    [
      { type: 'bidirectional', mergeMode: 'sum', layer: { type: 'lstm', units: 4, returnSequences: true } },
      { type: 'dense', units: 2, activation: 'softmax' }
    ],
    [T, F]
  )
  const { model } = randomModel(config, [T, F], 9)
  const x = randomInput(n, T, F, 9)
  const inspection = model.inspect(x, n)
  expect(inspection.output).toMatchObject({ layer: 1, perStep: true, steps: T, units: 2 })
  expect(Array.from(inspection.output.values)).toEqual(Array.from(model.predict(x, n)))
  // Each step's probabilities sum to 1.
  for (let r = 0; r < n * T; r++)
    expect(inspection.output.values[2 * r] + inspection.output.values[2 * r + 1]).toBeCloseTo(1, 6)
})

test('one call is limited in samples and in values recorded, with a message that says how many fit', () => {
  // The tutorial's model: 2 × BiLSTM(50) over 28 steps records 33,610 values a sample (28 × 1,200 + 10).
  const config = makeConfig(
    [
      { type: 'bidirectional', layer: { type: 'lstm', units: 50, returnSequences: true } },
      { type: 'dropout', rate: 0.2 },
      { type: 'bidirectional', layer: { type: 'lstm', units: 50 } },
      { type: 'dropout', rate: 0.2 },
      { type: 'dense', units: 10, activation: 'softmax' }
    ],
    [28, 28]
  )
  const model = new (loadEngine().Model)(engineSpec(config, [28, 28]))
  const x = (count: number) => new Float32Array(count * 28 * 28)
  expect(() => model.inspect(x(257), 257)).toThrow('samples: 257 asked for; one inspect call takes at most 256')
  expect(() => model.inspect(x(200), 200)).toThrow(
    'samples: 200 samples x 28 steps record 6,722,000 values, more than the 4,194,304 one inspect call may record; ask for at most 124 samples'
  )
  expect(model.inspect(x(124), 124).layers[1].h.length).toBe(124 * 2 * 28 * 50)
  expect(() => model.inspect(x(1), 2)).toThrow(/x: expected n\*T\*F/)
})
