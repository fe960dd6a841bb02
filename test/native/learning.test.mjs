// The engine learns tasks where direction matters: a label decided by the first step of a long sequence
// (a backward or bidirectional reader learns it, a forward SimpleRNN of the same size cannot), and per-step labels.
import { test } from 'vitest'
import assert from 'node:assert/strict'
import { engine, firstStepSign, pairSign } from './helpers.mjs'

const { Model } = engine
const T = 60

function trainDirection(layer) {
  const train = firstStepSign(2000, T, 1)
  const valid = firstStepSign(500, T, 2)
  const m = new Model({
    input: [T, 1],
    layers: [
      { kind: 'recurrent', cell: 'simple_rnn', units: 8, ...layer },
      { kind: 'dense', units: 2, activation: 'softmax' }
    ],
    optimizer: { type: 'adam', learningRate: 0.01 }
  })
  m.init(7)
  for (let e = 0; e < 6; e++) m.trainEpoch(train.x, train.y, train.n, { batchSize: 32, seed: e })
  return m.evaluate(valid.x, valid.y, valid.n).accuracy
}

test('first-step task: goBackwards SimpleRNN >= 95%, bidirectional >= 95%, forward clearly worse', () => {
  const backward = trainDirection({ goBackwards: true })
  const bidirectional = trainDirection({ directions: 2 })
  const forward = trainDirection({})
  console.log(
    `first-step sign over ${T} steps: backward ${backward}, bidirectional ${bidirectional}, forward ${forward}`
  )
  assert.ok(backward >= 0.95, `backward ${backward}`)
  assert.ok(bidirectional >= 0.95, `bidirectional ${bidirectional}`)
  assert.ok(forward <= 0.75, `forward ${forward}`)
})

for (const cell of ['gru', 'lstm']) {
  test(`sequence labelling with a per-step dense head: Bi-${cell} >= 95% per step`, () => {
    const steps = 12
    const train = pairSign(2000, steps, 1)
    const valid = pairSign(500, steps, 2)
    const m = new Model({
      input: [steps, 1],
      layers: [
        { kind: 'recurrent', cell, units: 12, directions: 2, returnSequences: true },
        { kind: 'dense', units: 2, activation: 'softmax' }
      ],
      optimizer: { type: 'adam', learningRate: 0.01 }
    })
    m.init(3)
    for (let e = 0; e < 8; e++) m.trainEpoch(train.x, train.y, train.n, { batchSize: 32, seed: e })
    const accuracy = m.evaluate(valid.x, valid.y, valid.n).accuracy
    console.log(`per-step pair sign, Bi-${cell}: ${accuracy}`)
    assert.ok(accuracy >= 0.95, `accuracy ${accuracy}`)
    assert.equal(m.predict(valid.x.subarray(0, 3 * steps), 3).length, 3 * steps * 2)
  })
}
