// Optimizer updates against the Keras formulas, computed here in float64 for a dense layer whose mse gradient is
// known in closed form: Adam (epsilon outside the bias correction), SGD (momentum, Nesterov), RMSprop, clipping.
import { test } from 'vitest'
import assert from 'node:assert/strict'
import { engine, random } from './helpers.mjs'

const { Model } = engine
const n = 5,
  F = 3,
  U = 2

function setup(optimizer) {
  const m = new Model({ input: [1, F], layers: [{ kind: 'dense', units: U }], loss: 'mse', optimizer })
  m.init(3)
  const r = random(11)
  const x = new Float32Array(n * F).map(() => r() * 2 - 1)
  const t = new Float32Array(n * U).map(() => r() * 2 - 1)
  const w = m.getWeights()
  return { m, x, t, W: Array.from(w['layers.0.W'].data), b: Array.from(w['layers.0.B'].data) }
}

// gradient of mean((xW + b - t)^2) over n*U values, params as one flat [W (F, U), b (U)] array
function gradient(p, x, t) {
  const g = new Array(p.length).fill(0)
  for (let i = 0; i < n; i++)
    for (let u = 0; u < U; u++) {
      let out = p[F * U + u]
      for (let f = 0; f < F; f++) out += x[i * F + f] * p[f * U + u]
      const d = (2 * (out - t[i * U + u])) / (n * U)
      for (let f = 0; f < F; f++) g[f * U + u] += d * x[i * F + f]
      g[F * U + u] += d
    }
  return g
}

function check(optimizer, update, steps = 4) {
  const { m, x, t, W, b } = setup(optimizer)
  let p = [...W, ...b]
  const state = {}
  for (let k = 1; k <= steps; k++) {
    p = update(p, gradient(p, x, t), k, state)
    m.trainBatch(x, t, n)
  }
  const w = m.getWeights()
  const got = [...w['layers.0.W'].data, ...w['layers.0.B'].data]
  const worst = Math.max(...got.map((v, i) => Math.abs(v - p[i])))
  assert.ok(worst < 2e-6, `${JSON.stringify(optimizer)}: largest difference ${worst}`)
}

const zeros = (a) => a.map(() => 0)

test('adam follows Keras: lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + epsilon)', () => {
  const [lr, b1, b2, eps] = [0.01, 0.9, 0.999, 1e-7]
  check({ type: 'adam', learningRate: lr }, (p, g, k, s) => {
    s.m ??= zeros(p)
    s.v ??= zeros(p)
    const alpha = (lr * Math.sqrt(1 - b2 ** k)) / (1 - b1 ** k)
    return p.map((w, i) => {
      s.m[i] += (g[i] - s.m[i]) * (1 - b1)
      s.v[i] += (g[i] * g[i] - s.v[i]) * (1 - b2)
      return w - (alpha * s.m[i]) / (Math.sqrt(s.v[i]) + eps)
    })
  })
})

test('sgd follows Keras: plain, momentum, Nesterov', () => {
  check({ type: 'sgd', learningRate: 0.1 }, (p, g) => p.map((w, i) => w - 0.1 * g[i]))
  for (const nesterov of [false, true])
    check({ type: 'sgd', learningRate: 0.1, momentum: 0.9, nesterov }, (p, g, k, s) => {
      s.v ??= zeros(p)
      return p.map((w, i) => {
        s.v[i] = 0.9 * s.v[i] - 0.1 * g[i]
        return nesterov ? w + 0.9 * s.v[i] - 0.1 * g[i] : w + s.v[i]
      })
    })
})

test('rmsprop follows Keras: lr * g / sqrt(v + epsilon), with momentum', () => {
  for (const momentum of [0, 0.5])
    check({ type: 'rmsprop', learningRate: 0.01, momentum }, (p, g, k, s) => {
      s.v ??= zeros(p)
      s.m ??= zeros(p)
      return p.map((w, i) => {
        s.v[i] = 0.9 * s.v[i] + 0.1 * g[i] * g[i]
        const inc = (0.01 * g[i]) / Math.sqrt(s.v[i] + 1e-7)
        if (!momentum) return w - inc
        s.m[i] = momentum * s.m[i] + inc
        return w - s.m[i]
      })
    })
})

test('clipNorm clips each tensor, globalClipNorm all gradients together', () => {
  const clip = (g, from, to, c) => {
    const norm = Math.sqrt(g.slice(from, to).reduce((a, v) => a + v * v, 0))
    if (norm > c) for (let i = from; i < to; i++) g[i] *= c / norm
  }
  check({ type: 'sgd', learningRate: 0.5, clipNorm: 0.05 }, (p, g) => {
    clip(g, 0, F * U, 0.05)
    clip(g, F * U, F * U + U, 0.05)
    return p.map((w, i) => w - 0.5 * g[i])
  })
  check({ type: 'sgd', learningRate: 0.5, globalClipNorm: 0.05 }, (p, g) => {
    clip(g, 0, g.length, 0.05)
    return p.map((w, i) => w - 0.5 * g[i])
  })
})
