// The experiment draft (renderer/src/stores/experimentDraft.ts): the config it writes is the run config format,
// training settings included, and loading a config fills every part of the form.
import { beforeEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { normalizeRunConfig } from '../../common/config'
import { join } from 'node:path'
import { readdirSync, readFileSync } from 'node:fs'
import { hasAdvanced, useExperimentDraftStore } from '../../renderer/src/stores/experimentDraft'
import { presets } from '../../renderer/src/lib/presets'
import tutorial from '../../examples/seed-bilstm-mnist.json'

describe('experiment draft', () => {
  beforeEach(() => setActivePinia(createPinia()))

  it('loads the tutorial config and writes back an equivalent one', () => {
    const draft = useExperimentDraftStore()
    draft.load(tutorial)
    expect(draft.check.problems).toEqual([])
    expect(draft.check.summary?.totalParams).toBe(93_010)
    expect(normalizeRunConfig(draft.config)).toEqual(normalizeRunConfig(tutorial))
  })

  it('writes early stopping and the optimizer with its default learning rate', () => {
    const draft = useExperimentDraftStore()
    draft.loadPreset(presets[1].config)
    draft.resetOptimizer('sgd')
    draft.training = {
      ...draft.training,
      earlyStopping: true,
      monitor: 'val_accuracy',
      patience: 3,
      restoreBestWeights: true
    }
    const c = normalizeRunConfig(draft.config)
    expect(c.training.optimizer).toMatchObject({ type: 'sgd', learningRate: 0.01 })
    expect(c.training.earlyStopping).toMatchObject({ monitor: 'val_accuracy', patience: 3, restoreBestWeights: true })
    expect(draft.check.summary?.totalParams).toBe(70_610)
  })

  it('replaces only the layers from a pasted model, and reports a bad batch size at training', () => {
    const draft = useExperimentDraftStore()
    draft.load(tutorial)
    draft.loadModel({
      layers: [
        { type: 'gru', units: 4 },
        { type: 'dense', units: 10, activation: 'softmax' }
      ]
    })
    expect(draft.config.name).toBe('seed-bilstm-mnist')
    expect(draft.layers).toHaveLength(2)
    draft.training = { ...draft.training, batchSize: NaN }
    expect(draft.check.problems.map((p) => p.field)).toEqual(['training.batchSize'])
  })
})

// Every field of the run config set to something other than its default, in the form the builder writes (fields at
// their defaults left out): config → builder → config must give it back unchanged.
const everyField = {
  name: 'every-field',
  dataset: { source: 'mnist-sample', limit: 2000, validationSplit: 0.25 },
  model: {
    input: [28, 28],
    layers: [
      {
        type: 'bidirectional',
        mergeMode: 'sum',
        sharedWeights: true,
        name: 'encoder',
        layer: {
          type: 'lstm',
          units: 12,
          returnSequences: true,
          activation: 'relu',
          dropout: 0.1,
          recurrentDropout: 0.05,
          useBias: false,
          recurrentActivation: 'tanh',
          unitForgetBias: false
        }
      },
      { type: 'dropout', rate: 0.3, name: 'drop' },
      { type: 'gru', units: 8, returnSequences: true, resetAfter: false, goBackwards: true, name: 'gru_back' },
      { type: 'simple_rnn', units: 6, activation: 'relu', name: 'last' },
      { type: 'dense', units: 10, activation: 'softmax', useBias: false, name: 'head' }
    ]
  },
  training: {
    optimizer: { type: 'sgd', learningRate: 0.05, momentum: 0.9, nesterov: true, clipNorm: 1.5 },
    loss: 'categorical_crossentropy',
    batchSize: 16,
    epochs: 4,
    shuffle: false,
    seed: 7,
    earlyStopping: { monitor: 'val_accuracy', mode: 'max', patience: 3, minDelta: 0.001, restoreBestWeights: false },
    reduceLrOnPlateau: {
      monitor: 'loss',
      mode: 'min',
      factor: 0.5,
      patience: 2,
      minDelta: 0.01,
      cooldown: 1,
      minLr: 0.0001
    },
    threads: 2
  }
}

const otherOptimizers = [
  { type: 'adam', learningRate: 0.002, beta1: 0.8, beta2: 0.99, epsilon: 1e-6, clipNorm: 2 },
  { type: 'rmsprop', learningRate: 0.003, rho: 0.8, momentum: 0.5, epsilon: 1e-5 }
]

describe('configs through the builder, lossless', () => {
  beforeEach(() => setActivePinia(createPinia()))

  function roundTrip(config: unknown): unknown {
    const draft = useExperimentDraftStore()
    draft.load(JSON.parse(JSON.stringify(config)))
    return JSON.parse(JSON.stringify(draft.config))
  }

  it('gives back a config with every field set, unchanged', () => {
    expect(roundTrip(everyField)).toEqual(everyField)
    for (const optimizer of otherOptimizers) {
      const c = { ...everyField, training: { ...everyField.training, optimizer } }
      expect(roundTrip(c)).toEqual(c)
    }
  })

  it('gives back every example config and every preset as the same run', () => {
    const dir = join(__dirname, '..', '..', 'examples')
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'))
    expect(files.length).toBeGreaterThan(0)
    for (const f of files) {
      const c = JSON.parse(readFileSync(join(dir, f), 'utf8'))
      expect(normalizeRunConfig(roundTrip(c)), f).toEqual(normalizeRunConfig(c))
    }
    for (const p of presets) expect(normalizeRunConfig(roundTrip(p.config)), p.id).toEqual(normalizeRunConfig(p.config))
    // A normalized config (what a run stores, which "Edit as new experiment" loads) too.
    const stored = normalizeRunConfig(everyField)
    expect(normalizeRunConfig(roundTrip(stored))).toEqual(stored)
  })

  it('keeps the optimizer settings of the chosen optimizer only, at its defaults when switched', () => {
    const draft = useExperimentDraftStore()
    draft.load(everyField)
    expect(hasAdvanced(draft.training)).toBe(true)
    draft.resetOptimizer('rmsprop')
    expect(normalizeRunConfig(draft.config).training.optimizer).toEqual({
      type: 'rmsprop',
      learningRate: 0.001,
      rho: 0.9,
      momentum: 0,
      epsilon: 1e-7,
      clipNorm: 1.5
    })
    draft.load(tutorial)
    expect(hasAdvanced(draft.training)).toBe(false)
  })
})
