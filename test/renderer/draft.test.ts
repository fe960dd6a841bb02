// The experiment draft (renderer/src/composables/useExperimentDraft.ts): the config it writes is the run config
// format, training settings included, and loading a config fills every part of the form.
import { describe, expect, it } from 'vitest'
import { normalizeRunConfig } from '../../common/config'
import { useExperimentDraft } from '../../renderer/src/composables/useExperimentDraft'
import { presets } from '../../renderer/src/lib/presets'
import tutorial from '../../examples/seed-bilstm-mnist.json'

describe('experiment draft', () => {
  it('loads the tutorial config and writes back an equivalent one', () => {
    const draft = useExperimentDraft()
    draft.load(tutorial)
    expect(draft.check.value.problems).toEqual([])
    expect(draft.check.value.summary?.totalParams).toBe(93_010)
    expect(normalizeRunConfig(draft.config.value)).toEqual(normalizeRunConfig(tutorial))
  })

  it('writes early stopping and the optimizer with its default learning rate', () => {
    const draft = useExperimentDraft()
    draft.loadPreset(presets[1].config)
    draft.resetOptimizer('sgd')
    draft.training.value = { ...draft.training.value, earlyStopping: true, monitor: 'val_accuracy', patience: 3, restoreBestWeights: true }
    const c = normalizeRunConfig(draft.config.value)
    expect(c.training.optimizer).toMatchObject({ type: 'sgd', learningRate: 0.01 })
    expect(c.training.earlyStopping).toMatchObject({ monitor: 'val_accuracy', patience: 3, restoreBestWeights: true })
    expect(draft.check.value.summary?.totalParams).toBe(70_610)
  })

  it('replaces only the layers from a pasted model, and reports a bad batch size at training', () => {
    const draft = useExperimentDraft()
    draft.load(tutorial)
    draft.loadModel({ layers: [{ type: 'gru', units: 4 }, { type: 'dense', units: 10, activation: 'softmax' }] })
    expect(draft.config.value.name).toBe('seed-bilstm-mnist')
    expect(draft.layers.value).toHaveLength(2)
    draft.training.value = { ...draft.training.value, batchSize: NaN }
    expect(draft.check.value.problems.map((p) => p.field)).toEqual(['training.batchSize'])
  })
})
