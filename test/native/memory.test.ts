// One memory estimate: common/model.ts's estimateTrainingMemory (which refuses configs that would not fit) against
// the bytes the engine holds after a training step (model.memoryBytes()), for every cell x direction x merge x
// sharing of a small stack, with and without dropout. Tolerance: none, they must agree to the byte.
import { describe, expect, it } from 'vitest'
import { normalizeRunConfig } from '../../common/config'
import { estimateTrainingMemory, resolveModel } from '../../common/model'
import { loadEngine } from '../../main/engine/index'
import { engineSpec } from '../../main/engine/spec'

const T = 7
const F = 3
const CELLS = [
  { type: 'simple_rnn' },
  { type: 'simple_rnn', activation: 'relu' },
  { type: 'lstm' },
  { type: 'gru' },
  { type: 'gru', resetAfter: false }
]
type Wrap = (layer: Record<string, unknown>) => Record<string, unknown>
const DIRECTIONS: [string, Wrap][] = [
  ['forward', (layer) => layer],
  ['go_backwards', (layer) => ({ ...layer, goBackwards: true })],
  ...(['concat', 'sum', 'mul', 'ave'] as const).map((mergeMode): [string, Wrap] => [
    `bi_${mergeMode}`,
    (layer) => ({ type: 'bidirectional', mergeMode, layer })
  ]),
  ['bi_shared', (layer) => ({ type: 'bidirectional', sharedWeights: true, layer })]
]

function run(cell: Record<string, unknown>, wrap: Wrap, dropout: boolean, head: 'softmax' | 'mse') {
  const inCell = dropout ? { dropout: 0.2, recurrentDropout: 0.1 } : {}
  return normalizeRunConfig({
    dataset: { source: 'mnist-sample' },
    model: {
      input: [T, F],
      layers: [
        wrap({ ...cell, units: 6, returnSequences: true, ...inCell }),
        ...(dropout ? [{ type: 'dropout', rate: 0.3 }] : []),
        wrap({ ...cell, units: 37, useBias: !dropout }),
        { type: 'dense', units: 4, activation: head === 'softmax' ? 'softmax' : 'linear' }
      ]
    },
    training: { batchSize: 9, epochs: 1, loss: head === 'softmax' ? 'categorical_crossentropy' : 'mse' }
  })
}

describe('training memory: the estimate is what the engine allocates', () => {
  const engine = loadEngine()
  for (const cell of CELLS)
    for (const [direction, wrap] of DIRECTIONS)
      for (const dropout of [false, true])
        it(`${Object.values(cell).join('_')} ${direction}${dropout ? ' with dropout' : ''}`, () => {
          const config = run(cell, wrap, dropout, 'softmax')
          const estimate = estimateTrainingMemory(resolveModel(config.model, [T, F]), 9, T)
          const model = new engine.Model(engineSpec(config, [T, F], 1))
          model.trainBatch(new Float32Array(9 * T * F).fill(0.5), new Int32Array(9).fill(1), 9)
          expect(model.memoryBytes()).toBe(estimate.totalBytes)
        })

  it('counts target rows for an mse head, and the largest batch', () => {
    const config = run({ type: 'lstm' }, DIRECTIONS[2][1], true, 'mse')
    const resolved = resolveModel(config.model, [T, F])
    const model = new engine.Model(engineSpec(config, [T, F], 1))
    const x = new Float32Array(20 * T * F).fill(0.5)
    model.trainBatch(x, new Float32Array(20 * 4), 20)
    expect(model.memoryBytes()).toBe(estimateTrainingMemory(resolved, 20, T).totalBytes)
    model.trainBatch(x.subarray(0, 5 * T * F), new Float32Array(5 * 4), 5) // buffers keep the largest batch's room
    expect(model.memoryBytes()).toBe(estimateTrainingMemory(resolved, 20, T).totalBytes)
  })
})
