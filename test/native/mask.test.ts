// Masks through the engine's JS API (the math is native/test/maskcheck.cpp's): the memory estimate holds for masked
// models, text-like padded data trains and predicts each sample as if alone, per-step loss and accuracy count real
// steps only, and what the engine refuses (padding not at the end, goBackwards with returnSequences under a mask).
import { describe, expect, it } from 'vitest'
import { normalizeRunConfig } from '../../common/config'
import { estimateTrainingMemory, resolveModel } from '../../common/model'
import { loadEngine, type EngineSpec } from '../../main/engine/index'
import { engineSpec, EngineSpecError } from '../../main/engine/spec'

const T = 7
const F = 3
const engine = loadEngine()

const WRAPS: [string, (l: Record<string, unknown>) => Record<string, unknown>][] = [
  ['forward', (l) => l],
  ['go_backwards', (l) => ({ ...l, goBackwards: true })],
  ['bi_concat', (l) => ({ type: 'bidirectional', layer: l })],
  ['bi_shared', (l) => ({ type: 'bidirectional', sharedWeights: true, mergeMode: 'sum', layer: l })]
]

// x [n, T, F]: sample s has lengths[s] real steps, then padding (0)
function padded(lengths: number[], seed = 1): Float32Array {
  const x = new Float32Array(lengths.length * T * F)
  let v = seed
  lengths.forEach((len, s) => {
    for (let t = 0; t < len; t++)
      for (let f = 0; f < F; f++) {
        v = (v * 16807) % 2147483647
        x[(s * T + t) * F + f] = (v / 2147483647) * 2 - 1
      }
  })
  return x
}

describe('masks in the engine', () => {
  for (const cell of ['simple_rnn', 'lstm', 'gru'])
    for (const [name, wrap] of WRAPS)
      it(`memory estimate = engine bytes: masking, ${cell} ${name}`, () => {
        const config = normalizeRunConfig({
          dataset: { source: 'mnist-sample' },
          model: {
            input: [T, F],
            layers: [
              { type: 'masking' },
              (name === 'go_backwards' ? (l: Record<string, unknown>) => l : wrap)({
                type: cell,
                units: 5,
                returnSequences: true,
                dropout: 0.1
              }),
              wrap({ type: cell, units: 6 }),
              { type: 'dense', units: 4, activation: 'softmax' }
            ]
          },
          training: { batchSize: 9, epochs: 1 }
        })
        const model = new engine.Model(engineSpec(config, [T, F], 1))
        model.trainBatch(padded([7, 3, 1, 0, 5, 2, 7, 4, 6]), new Int32Array(9).fill(1), 9)
        const estimate = estimateTrainingMemory(resolveModel(config.model, [T, F]), 9, T)
        expect(model.memoryBytes()).toBe(estimate.totalBytes)
      })

  const spec = (layers: EngineSpec['layers']): EngineSpec => ({
    input: [T, F],
    layers,
    loss: 'sparse_categorical_crossentropy',
    threads: 1
  })

  it('predicts each padded sample as the same sequence alone', () => {
    const lengths = [7, 2, 5, 1, 4]
    const x = padded(lengths)
    const layers: EngineSpec['layers'] = [
      { kind: 'masking' },
      { kind: 'recurrent', cell: 'gru', units: 8, directions: 2, returnSequences: true },
      { kind: 'recurrent', cell: 'lstm', units: 6, directions: 2, mergeMode: 'ave' },
      { kind: 'dense', units: 3, activation: 'softmax' }
    ]
    const batch = new engine.Model(spec(layers))
    batch.init(3)
    const out = batch.predict(x, lengths.length)
    lengths.forEach((len, s) => {
      const alone = new engine.Model({ ...spec(layers), input: [len, F] })
      alone.setWeights(batch.getWeights())
      const one = alone.predict(x.slice(s * T * F, s * T * F + len * F), 1)
      for (let u = 0; u < 3; u++) expect(out[s * 3 + u]).toBeCloseTo(one[u], 5)
    })
  })

  it('trains padded batches to the same bits on 1 and 2 threads', () => {
    const lengths = Array.from({ length: 40 }, (_, k) => (k * 5) % (T + 1))
    const x = padded(lengths, 4)
    const y = Int32Array.from(lengths, (len) => len % 3)
    const layers: EngineSpec['layers'] = [
      { kind: 'masking' },
      { kind: 'recurrent', cell: 'lstm', units: 7, directions: 2, returnSequences: true, dropout: 0.2 },
      { kind: 'dropout', rate: 0.2 },
      { kind: 'recurrent', cell: 'gru', units: 5, directions: 2, sharedWeights: true, recurrentDropout: 0.2 },
      { kind: 'dense', units: 3, activation: 'softmax' }
    ]
    const weights = [1, 2].map((threads) => {
      const model = new engine.Model({ ...spec(layers), threads })
      model.init(2)
      for (let e = 0; e < 2; e++) model.trainEpoch(x, y, lengths.length, { batchSize: 16 })
      return model.getWeights()
    })
    for (const name of Object.keys(weights[0])) expect(weights[1][name].data).toEqual(weights[0][name].data)
  })

  it('inspects a padded sample: its length, the held state and zero gates at the padded steps', () => {
    const model = new engine.Model(
      spec([
        { kind: 'masking' },
        { kind: 'recurrent', cell: 'gru', units: 4, directions: 2 },
        { kind: 'dense', units: 2, activation: 'softmax' }
      ])
    )
    model.init(4)
    const r = model.inspect(padded([7, 3]), 2)
    expect(Array.from(r.lengths ?? [])).toEqual([7, 3])
    const [layer] = r.layers
    const H = 4
    const at = (b: number, d: number, t: number) => ((b * 2 + d) * T + t) * H
    const row = (a: Float32Array, k: number) => Array.from(a.subarray(k, k + H))
    for (let t = 3; t < T; t++) {
      expect(row(layer.h, at(1, 0, t))).toEqual(row(layer.h, at(1, 0, 2))) // forward: held after the last real step
      expect(row(layer.h, at(1, 1, t))).toEqual([0, 0, 0, 0]) // backward: not started yet
      expect(row(layer.gates.z, at(1, 0, t))).toEqual([0, 0, 0, 0])
    }
    expect(row(layer.h, at(1, 1, 0)).some((v) => v !== 0)).toBe(true)
  })

  it('counts real steps only in a per-step loss and accuracy', () => {
    const layers: EngineSpec['layers'] = [
      { kind: 'embedding', inputDim: 5, outputDim: 4, maskZero: true },
      { kind: 'recurrent', cell: 'lstm', units: 6, returnSequences: true },
      { kind: 'dense', units: 2, activation: 'softmax' }
    ]
    const ids = new Float32Array([1, 2, 3, 0, 0, 0, 0, 4, 4, 0, 0, 0, 0, 0]) // lengths 3 and 2 of T = 7
    const labels = new Int32Array([0, 1, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    const model = new engine.Model({ ...spec(layers), input: [T, 1] })
    model.init(1)
    const probs = model.predict(ids, 2)
    let loss = 0
    let hits = 0
    for (const [s, len] of [
      [0, 3],
      [1, 2]
    ])
      for (let t = 0; t < len; t++) {
        const p = probs.subarray((s * T + t) * 2, (s * T + t) * 2 + 2)
        const y = labels[s * T + t]
        loss -= Math.log(p[y])
        hits += Number(p[y] >= p[1 - y])
      }
    const stats = model.evaluate(ids, labels, 2)
    expect(stats.loss).toBeCloseTo(loss / 5, 5) // Keras: the mean over the 5 real steps
    expect(stats.accuracy).toBeCloseTo(hits / 5, 10)
    // labels on padded steps change nothing
    const other = labels.map((y, k) => (k % T >= (k < T ? 3 : 2) ? 1 - y : y))
    expect(model.evaluate(ids, other, 2).loss).toBe(stats.loss)
  })

  it('refuses padding before a real step, naming the sample', () => {
    const model = new engine.Model(
      spec([
        { kind: 'masking' },
        { kind: 'recurrent', cell: 'gru', units: 4 },
        { kind: 'dense', units: 2, activation: 'softmax' }
      ])
    )
    const x = padded([7, 4, 7])
    x.fill(0, (2 * T + 1) * F, (2 * T + 2) * F) // sample 2, step 1: all features 0 = masked, real steps after it
    expect(() => model.predict(x, 3)).toThrow(/^x: sample 2 has a real step \(2\) after a masked one/)
    expect(() => model.trainEpoch(x, new Int32Array(3), 3)).toThrow(/sample 2/)
  })

  it('refuses goBackwards with returnSequences under a mask, naming the field', () => {
    const config = normalizeRunConfig({
      dataset: { source: 'mnist-sample' },
      model: {
        input: [T, F],
        layers: [
          { type: 'masking' },
          { type: 'lstm', units: 4, goBackwards: true, returnSequences: true },
          { type: 'lstm', units: 4 },
          { type: 'dense', units: 2, activation: 'softmax' }
        ]
      },
      training: { batchSize: 4, epochs: 1 }
    })
    expect(() => engineSpec(config, [T, F])).toThrow(EngineSpecError)
    expect(() => engineSpec(config, [T, F])).toThrow(
      /^model\.layers\[1\]\.goBackwards: with returnSequences under a mask/
    )
    const raw = spec([
      { kind: 'masking' },
      { kind: 'recurrent', cell: 'lstm', units: 4, goBackwards: true, returnSequences: true },
      { kind: 'recurrent', cell: 'lstm', units: 4 },
      { kind: 'dense', units: 2, activation: 'softmax' }
    ])
    expect(() => new engine.Model(raw)).toThrow(/^layers\[1\]\.goBackwards: with returnSequences under a mask/)
  })
})
