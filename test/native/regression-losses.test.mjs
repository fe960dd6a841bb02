// The regression losses as a user of the addon sees them: mse and mae against values worked out by hand, the `mae`
// metric both report (Keras's), accuracy NaN, per-step heads, and a linear head learning a line under mae.
import { describe, expect, it } from 'vitest'
import { engine } from './helpers.mjs'

// One linear dense unit over 2 features: out = x0 * 1 + x1 * 2 + 0.5
function model(loss, input = [1, 2]) {
  const m = new engine.Model({ input, layers: [{ kind: 'dense', units: 1, activation: 'linear' }], loss })
  m.setWeights({
    'layers.0.W': { dims: [2, 1], data: new Float32Array([1, 2]) },
    'layers.0.B': { dims: [1], data: new Float32Array([0.5]) }
  })
  return m
}

describe('mse and mae', () => {
  // outputs: 1 + 2 + 0.5 = 3.5 and -1 + 0 + 0.5 = -0.5; targets 3 and 1: errors 0.5 and -1.5
  const x = new Float32Array([1, 1, -1, 0])
  const y = new Float32Array([3, 1])

  it('mae: loss and metric are the mean absolute error (0.5 + 1.5) / 2 = 1', () => {
    const st = model('mae').evaluate(x, y, 2)
    expect(st.loss).toBeCloseTo(1, 6)
    expect(st.mae).toBeCloseTo(1, 6)
    expect(st.accuracy).toBeNaN()
  })

  it('mse: loss (0.25 + 2.25) / 2 = 1.25, with the mae metric beside it', () => {
    const st = model('mse').evaluate(x, y, 2)
    expect(st.loss).toBeCloseTo(1.25, 6)
    expect(st.mae).toBeCloseTo(1, 6)
  })

  it('mae: one SGD step moves the bias by lr × mean(sign(error))', () => {
    // signs +1 and -1: the bias gradient is 0; W gradient: (x0 * 1 + (-1) * -1) / 2 = 1 for W0, (1 * 1 + 0) / 2 = 0.5 for W1
    const m = new engine.Model({
      input: [1, 2],
      layers: [{ kind: 'dense', units: 1, activation: 'linear' }],
      loss: 'mae',
      optimizer: { type: 'sgd', learningRate: 0.1 }
    })
    m.setWeights({
      'layers.0.W': { dims: [2, 1], data: new Float32Array([1, 2]) },
      'layers.0.B': { dims: [1], data: new Float32Array([0.5]) }
    })
    m.trainBatch(x, y, 2)
    const w = m.getWeights()
    expect(w['layers.0.W'].data[0]).toBeCloseTo(1 - 0.1 * 1, 6)
    expect(w['layers.0.W'].data[1]).toBeCloseTo(2 - 0.1 * 0.5, 6)
    expect(w['layers.0.B'].data[0]).toBeCloseTo(0.5, 6)
  })

  it('takes float targets only, and no softmax head', () => {
    expect(() => model('mae').evaluate(x, new Int32Array([1, 0]), 2)).toThrow(/mae needs Float32Array targets/)
    expect(
      () =>
        new engine.Model({ input: [1, 2], layers: [{ kind: 'dense', units: 2, activation: 'softmax' }], loss: 'mae' })
    ).toThrow(/mae with a softmax output is not supported/)
  })

  it('per-step head: the mean runs over every step and value', () => {
    // 2 steps of 1 feature, a recurrent layer returning sequences is not needed: a dense head on [T, F] is per step
    const m = new engine.Model({
      input: [2, 1],
      layers: [{ kind: 'dense', units: 1, activation: 'linear' }],
      loss: 'mae'
    })
    m.setWeights({
      'layers.0.W': { dims: [1, 1], data: new Float32Array([2]) },
      'layers.0.B': { dims: [1], data: new Float32Array([0]) }
    })
    // outputs 2, 4 (sample 0) and -2, 0 (sample 1); targets 0, 4, 0, 0: |2| + 0 + |-2| + 0 = 4, over 4 values
    const st = m.evaluate(new Float32Array([1, 2, -1, 0]), new Float32Array([0, 4, 0, 0]), 2)
    expect(st.mae).toBeCloseTo(1, 6)
    expect(st.loss).toBeCloseTo(1, 6)
  })

  it('a linear head learns y = 3 x0 - x1 + 1 under mae (Adam)', () => {
    const n = 256
    const xs = new Float32Array(n * 2)
    const ys = new Float32Array(n)
    let s = 11
    const r = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5
    for (let i = 0; i < n; i++) {
      xs[2 * i] = r()
      xs[2 * i + 1] = r()
      ys[i] = 3 * xs[2 * i] - xs[2 * i + 1] + 1
    }
    const m = new engine.Model({
      input: [1, 2],
      layers: [{ kind: 'dense', units: 1, activation: 'linear' }],
      loss: 'mae',
      optimizer: { type: 'adam', learningRate: 0.05 },
      threads: 1
    })
    m.init(1)
    const before = m.evaluate(xs, ys, n).mae
    for (let e = 0; e < 60; e++) m.trainEpoch(xs, ys, n, { batchSize: 32, seed: e })
    const after = m.evaluate(xs, ys, n).mae
    expect(after).toBeLessThan(0.05)
    expect(after).toBeLessThan(before / 10)
  })
})
