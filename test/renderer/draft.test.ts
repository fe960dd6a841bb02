// The experiment draft (renderer/src/stores/experimentDraft.ts): the config it writes is the run config format,
// training settings included, and loading a config fills every part of the form.
import { beforeEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { normalizeRunConfig } from '../../common/config'
import { useExperimentDraftStore } from '../../renderer/src/stores/experimentDraft'
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
