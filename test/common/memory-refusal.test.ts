// The refusal before a run that would not fit in the memory free now (the training worker checks it against
// os.freemem() before building the model): it names the layer that needs the most, with its figure, the batch and
// the steps, against estimateTrainingMemory (which the engine's allocation equals: test/native/memory.test.ts).
import { describe, expect, it } from 'vitest'
import { normalizeRunConfig } from '../../common/config'
import { memoryRefusal } from '../../common/config/stack'
import { estimateTrainingMemory, formatBytes, resolveModel } from '../../common/model'

const GiB = 2 ** 30
const longRun = () =>
  normalizeRunConfig({
    dataset: { source: 'npy', train: { x: 'x.npy', y: 'y.npy' } },
    model: {
      input: [5000, 8],
      layers: [
        { type: 'bidirectional', layer: { type: 'lstm', units: 64, returnSequences: true } },
        { type: 'dropout', rate: 0.2 },
        { type: 'bidirectional', layer: { type: 'lstm', units: 256 } },
        { type: 'dense', units: 10, activation: 'softmax' }
      ]
    },
    training: { batchSize: 512, epochs: 1 }
  })

describe('memoryRefusal', () => {
  it('names the layer that needs the most, its figure, the batch and the steps, and the memory free', () => {
    const run = longRun()
    const estimate = estimateTrainingMemory(resolveModel(run.model, [5000, 8]), 512, 5000)
    const message = memoryRefusal(run, [5000, 8], 23.4 * GiB)
    expect(message).toBe(
      `model.layers[2] (bidirectional LSTM 256): needs ${formatBytes(estimate.layers[2].bytes)} for batch 512 × 5000 steps ` +
        `(training ${formatBytes(estimate.totalBytes)} in all); this machine has 23.40 GB free: lower training.batchSize, ` +
        'the units or the sequence length'
    )
    expect(estimate.layers[2].bytes).toBeGreaterThan(estimate.layers[0].bytes)
    expect(estimate.totalBytes).toBeGreaterThan(23.4 * GiB) // the figures are real: this run needs more than that
  })

  it('lets a run through when its training fits in the memory free', () => {
    const run = longRun()
    const total = estimateTrainingMemory(resolveModel(run.model, [5000, 8]), 512, 5000).totalBytes
    expect(memoryRefusal(run, [5000, 8], total)).toBeUndefined()
    expect(memoryRefusal(run, [5000, 8], total - 1)).toMatch(/^model\.layers\[2\] \(bidirectional LSTM 256\): needs /)
  })
})
