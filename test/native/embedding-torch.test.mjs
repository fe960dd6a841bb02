// The engine against PyTorch in float64 (test/fixtures/torch/embedding.py wrote the fixture): Embedding →
// Bidirectional SimpleRNN → Dense softmax under sparse categorical cross-entropy, on right-padded token ids. The loss,
// the probabilities, and every weight after one SGD step (so the embedding's sparse row gradients) must agree.
import { expect, test } from 'vitest'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { engine, root } from './helpers.mjs'

const fixture = JSON.parse(readFileSync(join(root, 'test', 'fixtures', 'torch', 'embedding.json'), 'utf8'))
const { V, D, H, U, T, B } = fixture.dims

function model() {
  const m = new engine.Model({
    input: [T, 1],
    layers: [
      { kind: 'embedding', inputDim: V, outputDim: D },
      { kind: 'recurrent', cell: 'simple_rnn', units: H, directions: 2, mergeMode: 'concat' },
      { kind: 'dense', units: U, activation: 'softmax' }
    ],
    loss: 'sparse_categorical_crossentropy',
    optimizer: { type: 'sgd', learningRate: 0.5 },
    threads: 1
  })
  const weights = m.getWeights()
  for (const [name, values] of Object.entries(fixture.weights)) {
    expect(weights[name].data.length).toBe(values.length)
    weights[name] = { dims: weights[name].dims, data: Float32Array.from(values) }
  }
  m.setWeights(weights)
  return m
}

const x = Float32Array.from(fixture.ids)
const y = Int32Array.from(fixture.labels)

test('loss and probabilities match PyTorch', () => {
  const m = model()
  expect(m.evaluate(x, y, B).loss).toBeCloseTo(fixture.loss, 5)
  const probs = m.predict(x, B)
  fixture.probs.forEach((p, i) => expect(probs[i]).toBeCloseTo(p, 5))
})

test('one SGD step moves every weight, the embedding rows included, as PyTorch does', () => {
  const m = model()
  m.trainBatch(x, y, B)
  const after = m.getWeights()
  let worst = 0
  for (const [name, values] of Object.entries(fixture.after)) {
    values.forEach((v, i) => (worst = Math.max(worst, Math.abs(after[name].data[i] - v))))
  }
  expect(worst).toBeLessThan(1e-5)
  // rows of ids absent from the batch did not move
  const seen = new Set(fixture.ids)
  for (let id = 0; id < V; id++)
    if (!seen.has(id))
      for (let d = 0; d < D; d++)
        expect(after['layers.0.E'].data[id * D + d]).toBe(Math.fround(fixture.weights['layers.0.E'][id * D + d]))
})
