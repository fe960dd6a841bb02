// Puts realistic runs into a real run database, as a finished training would have left them.
import type { RunStore } from '../../main/runs/store'

export const tutorialConfig = {
  name: 'seed-bilstm-mnist',
  dataset: { source: 'mnist-sample' },
  model: {
    layers: [
      {
        type: 'bidirectional',
        mergeMode: 'concat',
        sharedWeights: false,
        layer: { type: 'lstm', units: 50, returnSequences: true }
      },
      { type: 'dropout', rate: 0.2 },
      { type: 'bidirectional', layer: { type: 'lstm', units: 50 } },
      { type: 'dropout', rate: 0.2 },
      { type: 'dense', units: 10, activation: 'softmax' }
    ]
  },
  training: {
    optimizer: { type: 'adam', learningRate: 0.001 },
    loss: 'categorical_crossentropy',
    batchSize: 64,
    epochs: 3,
    shuffle: true,
    seed: 42
  }
}

/** A completed run with `epochs` epochs whose validation accuracy peaks at `peakEpoch`. */
export function seedCompletedRun(
  store: RunStore,
  opts: { name: string; cell?: string; epochs?: number; peakEpoch?: number; config?: unknown; tags?: string[] }
): number {
  const epochs = opts.epochs ?? 3
  const id = store.createRun({
    name: opts.name,
    config: opts.config ?? { ...tutorialConfig, name: opts.name },
    dataset: 'mnist-sample',
    seed: 42,
    paramCount: opts.cell === 'gru' ? 70_610 : 93_010,
    cell: opts.cell ?? 'lstm',
    direction: 'bidirectional',
    layerCount: 5,
    epochsPlanned: epochs
  })
  store.markStarted(id, { engineVersion: 'test', threads: 2, cpu: 'test cpu', pid: process.pid, host: 'test-host' })
  const peak = opts.peakEpoch ?? epochs
  for (let e = 1; e <= epochs; e++) {
    const valAccuracy = 0.9 + 0.02 * Math.min(e, peak) - (e > peak ? 0.005 * (e - peak) : 0)
    store.recordEpoch(id, {
      epoch: e,
      loss: 1 / (e + 1),
      accuracy: 0.85 + 0.03 * e,
      valLoss: 1.2 / (e + 1),
      valAccuracy,
      learningRate: 0.001,
      seconds: 4.5,
      samplesPerSecond: 1777
    })
  }
  store.finishRun(id, 'completed')
  if (opts.tags) store.updateRun({ id, tags: opts.tags })
  return id
}
