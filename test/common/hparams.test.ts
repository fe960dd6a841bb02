// The hyperparameters the runs table shows, read from a run's stored config (common/hparams.ts).
import { describe, expect, it } from 'vitest'
import { runHparams } from '../../common/hparams'
import { tutorialConfig } from '../helpers/seed'

describe('run hyperparameters', () => {
  it("reads the tutorial's learning rate, batch, units, dropout and stack", () => {
    expect(runHparams(tutorialConfig)).toEqual({
      optimizer: 'adam',
      learningRate: 0.001,
      batchSize: 64,
      units: [50, 50],
      dropout: 0.2,
      stack: 'Bi-LSTM 50 → Dropout 0.2 → Bi-LSTM 50 → Dropout 0.2 → Dense 10',
      seed: 42,
      patience: null
    })
  })

  it('fills the defaults a short config leaves out, as the run trained with them', () => {
    const h = runHparams({
      name: 'short',
      dataset: { source: 'mnist-sample' },
      model: {
        layers: [
          { type: 'gru', units: 16, dropout: 0.1 },
          { type: 'dense', units: 10, activation: 'softmax' }
        ]
      },
      training: { optimizer: 'sgd', earlyStopping: true }
    })
    expect(h.optimizer).toBe('sgd')
    expect(h.learningRate).toBeGreaterThan(0)
    expect(h.batchSize).toBeGreaterThan(0)
    expect(h.units).toEqual([16])
    expect(h.dropout).toBe(0.1)
    expect(h.stack).toBe('GRU 16 → Dense 10')
    expect(h.patience).toBeGreaterThanOrEqual(0)
  })

  it('gives what it can from a config this version cannot read, and nothing from no config', () => {
    const h = runHparams({ model: { layers: [{ type: 'lstm', units: 8 }] }, training: { batchSize: 3 } })
    expect(h).toMatchObject({ units: [8], batchSize: 3, stack: 'LSTM 8', learningRate: null, dropout: 0 })
    expect(runHparams(null)).toEqual({
      optimizer: null,
      learningRate: null,
      batchSize: null,
      units: [],
      dropout: null,
      stack: null,
      seed: null,
      patience: null
    })
  })
})
