// Shared helpers for the engine tests: loading the built addon, small seeded data sets, spec builders.
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const engine = createRequire(import.meta.url)(join(root, 'native', 'build', 'Release', 'rnnlab_engine.node'))

// mulberry32: a tiny seeded generator for test data (the engine has its own)
export function random(seed) {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

// x [n, T, 1] uniform in [-1, 1); the label is the sign of the first step, which a forward reader must carry
// across all T steps and a backward reader sees last.
export function firstStepSign(n, T, seed) {
  const r = random(seed)
  const x = new Float32Array(n * T)
  const y = new Int32Array(n)
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < T; t++) x[i * T + t] = r() * 2 - 1
    y[i] = x[i * T] > 0 ? 1 : 0
  }
  return { x, y, n }
}

// x [n, T, 1]; per-step label: is x_t + x_{t+1} positive (needs the next step: a bidirectional task)
export function pairSign(n, T, seed) {
  const r = random(seed)
  const x = new Float32Array(n * T)
  const y = new Int32Array(n * T)
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < T; t++) x[i * T + t] = r() * 2 - 1
    for (let t = 0; t < T; t++) y[i * T + t] = x[i * T + t] + (t + 1 < T ? x[i * T + t + 1] : 0) > 0 ? 1 : 0
  }
  return { x, y, n }
}

// The tutorial's model: Bi-LSTM(50, sequences) - Dropout - Bi-LSTM(50) - Dropout - Dense(10, softmax) on [28, 28].
export function tutorialSpec(cell = 'lstm', extra = {}) {
  return {
    input: [28, 28],
    layers: [
      { kind: 'recurrent', cell, units: 50, directions: 2, returnSequences: true, ...extra },
      { kind: 'dropout', rate: 0.2 },
      { kind: 'recurrent', cell, units: 50, directions: 2, ...extra },
      { kind: 'dropout', rate: 0.2 },
      { kind: 'dense', units: 10, activation: 'softmax' }
    ],
    loss: 'categorical_crossentropy',
    optimizer: { type: 'adam', learningRate: 0.001 }
  }
}

export function smallSpec(layer = {}, optimizer = { type: 'adam', learningRate: 0.01 }) {
  return {
    input: [6, 2],
    layers: [
      {
        kind: 'recurrent',
        cell: 'lstm',
        units: 5,
        directions: 2,
        returnSequences: true,
        dropout: 0.1,
        recurrentDropout: 0.1,
        ...layer
      },
      { kind: 'dropout', rate: 0.2 },
      { kind: 'recurrent', cell: 'gru', units: 4 },
      { kind: 'dense', units: 3, activation: 'softmax' }
    ],
    loss: 'categorical_crossentropy',
    optimizer
  }
}

export function smallData(n, seed) {
  const r = random(seed)
  const x = new Float32Array(n * 6 * 2).map(() => r() * 2 - 1)
  const y = new Int32Array(n).map((_, i) => (x[i * 12] > 0.3 ? 2 : x[i * 12 + 11] > 0 ? 1 : 0))
  return { x, y, n }
}

export function weightBytes(model) {
  const w = model.getWeights()
  return Object.keys(w)
    .sort()
    .map((k) => Buffer.from(w[k].data.buffer).toString('hex'))
    .join('|')
}
