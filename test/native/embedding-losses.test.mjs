// The engine's embedding layer and new losses, as a user of the addon sees them: parameter counts, refused ids,
// binary and sparse categorical cross-entropy against values computed by hand, and a small text task learnt.
import { describe, expect, it } from 'vitest'
import { engine } from './helpers.mjs'

const dense = (units, activation) => ({ kind: 'dense', units, activation })

describe('binary_crossentropy (sigmoid head, fused on the logits)', () => {
  // one dense unit over 2 features: z = x0 * 1 + x1 * 2 + 0.5
  const model = () => {
    const m = new engine.Model({ input: [1, 2], layers: [dense(1, 'sigmoid')], loss: 'binary_crossentropy' })
    m.setWeights({
      'layers.0.W': { dims: [2, 1], data: new Float32Array([1, 2]) },
      'layers.0.B': { dims: [1], data: new Float32Array([0.5]) }
    })
    return m
  }

  it('gives the hand-computed loss, accuracy and probabilities', () => {
    const m = model()
    const x = new Float32Array([1, -1, 1, -1]) // z = -0.5 twice
    // y = 1: log(1 + e^0.5) = 0.974077; y = 0: log(1 + e^-0.5) = 0.474077
    const st = m.evaluate(x, new Int32Array([1, 0]), 2)
    expect(st.loss).toBeCloseTo((0.974077 + 0.474077) / 2, 5)
    expect(st.accuracy).toBe(0.5)
    const p = m.predict(x, 2)
    expect(p[0]).toBeCloseTo(1 / (1 + Math.exp(0.5)), 6)
  })

  it('stays finite at saturated logits', () => {
    const m = model()
    // z = 100.5 with label 0: the loss is 100.5 (a probability of 1.0f would give infinity)
    const st = m.evaluate(new Float32Array([100, 0]), new Int32Array([0]), 1)
    expect(st.loss).toBeCloseTo(100.5, 3)
    expect(m.evaluate(new Float32Array([100, 0]), new Int32Array([1]), 1).loss).toBeCloseTo(0, 6)
  })

  it('takes class ids 0 and 1 only, and needs a sigmoid head', () => {
    expect(() => model().evaluate(new Float32Array([1, 1]), new Int32Array([2]), 1)).toThrow(
      /label 2 is outside 0\.\.1/
    )
    expect(
      () => new engine.Model({ input: [1, 2], layers: [dense(2, 'softmax')], loss: 'binary_crossentropy' })
    ).toThrow(/binary_crossentropy needs a last layer of kind dense with activation sigmoid/)
  })
})

describe('sparse_categorical_crossentropy', () => {
  it('gives the hand-computed loss on class ids', () => {
    const m = new engine.Model({
      input: [1, 1],
      layers: [dense(3, 'softmax')],
      loss: 'sparse_categorical_crossentropy'
    })
    m.setWeights({
      'layers.0.W': { dims: [1, 3], data: new Float32Array([1, 2, 3]) },
      'layers.0.B': { dims: [3], data: new Float32Array([0, 0, 0]) }
    })
    // x = 1: logits 1, 2, 3; -log softmax[0] = log(e + e^2 + e^3) - 1 = 2.407606
    const st = m.evaluate(new Float32Array([1]), new Int32Array([0]), 1)
    expect(st.loss).toBeCloseTo(2.407606, 5)
    expect(st.accuracy).toBe(0)
  })
})

describe('embedding', () => {
  const spec = (extra = {}) => ({
    input: [6, 1],
    layers: [
      { kind: 'embedding', inputDim: 5, outputDim: 4 },
      { kind: 'recurrent', cell: 'gru', units: 8 },
      dense(2, 'softmax')
    ],
    loss: 'sparse_categorical_crossentropy',
    optimizer: { type: 'adam', learningRate: 0.02 },
    threads: 1,
    ...extra
  })

  it('counts inputDim × outputDim parameters, in a tensor of its own', () => {
    const m = new engine.Model(spec())
    const w = m.getWeights()
    expect(w['layers.0.E'].dims).toEqual([5, 4])
    // Keras: Embedding 5*4 = 20; GRU(8, reset_after) 3*8*(4+8) + 2*3*8 = 336; Dense 8*2+2 = 18
    expect(m.paramCount()).toBe(20 + 3 * 8 * (4 + 8 + 2) + 18)
    m.init(1)
    const e = m.getWeights()['layers.0.E'].data
    expect(Math.max(...e.map(Math.abs))).toBeLessThanOrEqual(0.05) // Keras's uniform(-0.05, 0.05)
  })

  it('refuses ids that are not whole numbers below inputDim, naming the value', () => {
    const m = new engine.Model(spec())
    const x = new Float32Array(6).fill(1)
    x[3] = 5
    expect(() => m.predict(x, 1)).toThrow(/x\[3\]: token id 5\.0+ is outside 0\.\.4 \(layers\[0\]\.inputDim 5\)/)
    x[3] = 1.5
    expect(() => m.predict(x, 1)).toThrow(/x\[3\]: token id 1\.5/)
    expect(() => new engine.Model({ ...spec(), input: [6, 2] })).toThrow(/one token id a step/)
  })

  it('learns which of two tokens a padded sequence holds', () => {
    // ids 2..4 with padding 0 at the end; class 1 when token 4 appears
    const n = 256
    const x = new Float32Array(n * 6)
    const y = new Int32Array(n)
    let s = 7
    const r = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648
    for (let i = 0; i < n; i++) {
      const len = 2 + Math.floor(r() * 5)
      for (let t = 0; t < len; t++) x[i * 6 + t] = 2 + Math.floor(r() * (t === 0 ? 2 : 3))
      y[i] = Array.from(x.subarray(i * 6, i * 6 + 6)).includes(4) ? 1 : 0
    }
    const m = new engine.Model(spec())
    m.init(3)
    const before = m.getWeights()['layers.0.E'].data.slice()
    for (let e = 0; e < 30; e++) m.trainEpoch(x, y, n, { batchSize: 32, seed: e })
    expect(m.evaluate(x, y, n).accuracy).toBeGreaterThan(0.95)
    const after = m.getWeights()['layers.0.E'].data
    // Adam over the whole table, as Keras: rows of ids seen move; row 1 (no id 1 in the data) keeps its start
    expect(after.slice(4, 8)).toEqual(before.slice(4, 8))
    expect(after.slice(16, 20)).not.toEqual(before.slice(16, 20))
  })
})
