// The gradient flow through time the engine records while it trains: per recurrent layer, direction and step, the
// mean over the batch of ‖∂l/∂h_t‖ (l: a sample's own loss), against finite differences of a float64 forward from
// the same weights with a perturbation added to h_t.
import { expect, test } from 'vitest'
import { referenceLosses, type Perturbation } from '../helpers/states-reference'
import { makeConfig, random, randomInput, randomModel } from '../onnx/helpers'

const T = 4
const F = 2
const n = 3

const cases: [string, unknown[]][] = [
  [
    'bidirectional LSTM, then GRU, last step',
    [
      { type: 'bidirectional', layer: { type: 'lstm', units: 3, returnSequences: true } },
      { type: 'gru', units: 2 },
      { type: 'dense', units: 3, activation: 'softmax' }
    ]
  ],
  [
    'SimpleRNN read backwards, a per-step head',
    [
      { type: 'simple_rnn', units: 3, goBackwards: true, returnSequences: true },
      { type: 'dense', units: 3, activation: 'softmax' }
    ]
  ],
  [
    'shared-weight GRU (reset before) merged by mul',
    [
      {
        type: 'bidirectional',
        mergeMode: 'mul',
        sharedWeights: true,
        layer: { type: 'gru', units: 3, resetAfter: false }
      },
      { type: 'dense', units: 3, activation: 'softmax' }
    ]
  ]
]

test.each(cases)('%s: ‖∂l/∂h_t‖ equals finite differences', (_, layers) => {
  const config = makeConfig(layers, [T, F], 'flow')
  const { model, weights } = randomModel(config, [T, F], 7, 0.8)
  const x = randomInput(n, T, F, 7)
  const perStep = (layers[0] as { returnSequences?: boolean }).returnSequences === true && layers.length === 2
  const rand = random(11)
  const labels = Int32Array.from({ length: perStep ? n * T : n }, () => Math.floor(rand() * 3))
  expect(model.gradientFlow().samples).toBe(0)
  model.trainBatch(x, labels, n)
  const flow = model.gradientFlow()
  expect(flow.samples).toBe(n)

  const eps = 1e-5
  for (const l of flow.layers) {
    const units = weights[`layers.${l.layer}.R`].dims[2]
    l.directions.forEach((_, d) => {
      for (let t = 0; t < T; t++) {
        let mean = 0
        for (let b = 0; b < n; b++) {
          let sq = 0
          for (let j = 0; j < units; j++) {
            const at = (by: number): Perturbation => ({ layer: l.layer, direction: d, t, sample: b, unit: j, by })
            const up = referenceLosses(config, weights, x, labels, n, T, F, at(eps))[b]
            const down = referenceLosses(config, weights, x, labels, n, T, F, at(-eps))[b]
            sq += ((up - down) / (2 * eps)) ** 2
          }
          mean += Math.sqrt(sq) / n
        }
        const got = l.norms[d][t]
        expect(mean).toBeGreaterThan(1e-6)
        expect(Math.abs(got - mean), `layer ${l.layer} direction ${d} t ${t}: ${got} vs ${mean}`).toBeLessThanOrEqual(
          1e-5 + 1e-4 * mean
        )
      }
    })
  }
  // The second call starts again: nothing trained since.
  expect(model.gradientFlow()).toMatchObject({ samples: 0 })
})

test('switched off, a training step records nothing', () => {
  const config = makeConfig(cases[0][1], [T, F], 'flow')
  const { model } = randomModel(config, [T, F], 3)
  model.setGradientFlow(false)
  model.trainBatch(randomInput(n, T, F, 3), new Int32Array(n), n)
  const flow = model.gradientFlow()
  expect(flow.samples).toBe(0)
  expect(flow.layers.map((l) => [l.layer, l.directions])).toEqual([
    [0, ['forward', 'backward']],
    [1, ['forward']]
  ])
  expect(() => model.setGradientFlow(1 as unknown as boolean)).toThrow('setGradientFlow(on): on must be true or false')
})
