// The benchmark's FLOP count against counts made by hand from the kernels.
import { expect, test } from 'vitest'
import { formulaFlopsBefore, trainingFlops } from '../../bench/flops.mjs'

test('one LSTM unit, two inputs, three steps, a two-class head', () => {
  // input products: forward and dW (no dx for the first layer) 2 * 2 * 4 * 3 steps * 2 inputs = 96
  // recurrent: forward, dR, dh over the 2 steps that have a previous state 3 * 2 * 4 * 2 steps * 1 = 48
  // gates: (13 + 27) * 3 steps = 120; head: 6 * 1 feature * 2 classes = 12
  const w = { T: 3, F: 2, cell: 'lstm', units: 1, classes: 2, layers: [{ directions: 1 }] }
  expect(trainingFlops(w)).toBe(96 + 48 + 120 + 12)
})

test('a second, bidirectional GRU layer: dx counted, directions doubled, dropout after each layer', () => {
  const w = {
    T: 2,
    F: 1,
    cell: 'gru',
    units: 1,
    classes: 3,
    dropout: 0.2,
    layers: [{ directions: 2 }, { directions: 2 }]
  }
  // layer 1 per direction: 2*3*(2*1*2 + 3*1*1) + 2*(17+23) = 42 + 80 = 122; two directions 244; dropout 2*2 steps*2 = 8
  // layer 2 per direction: 2*3*(2*2*3 + 3*1*1) + 80 = 90 + 80 = 170; two directions 340; dropout on the last step 2*2 = 4
  // head 6 * 2 features * 3 classes = 36
  expect(trainingFlops(w)).toBe(244 + 8 + 340 + 4 + 36)
})

test('the tutorial model: the earlier formula counted about 5% more than the engine does', () => {
  const w = { T: 28, F: 28, cell: 'lstm', units: 50, dropout: 0.2, layers: [{ directions: 2 }, { directions: 2 }] }
  const ratio = formulaFlopsBefore(w) / trainingFlops(w)
  expect(ratio).toBeGreaterThan(1.02)
  expect(ratio).toBeLessThan(1.1)
})
