// The builder's "sweep over" marks as a sweep config: dotted paths into the builder's experiment (into the wrapper's
// cell for a bidirectional layer), a marked direction as named alternatives of the whole layer with the layer's other
// marks as variables in it; every trial of the sweep is a run config the checks accept. And a typed list of values.
import { describe, expect, it } from 'vitest'
import { expandSweep, normalizeSweepConfig } from '../../common/sweep'
import { newLayer, toLayerInputs, type LayerDraft } from '../../renderer/src/lib/builder'
import { layerMarkId, sweepFromMarks, trainingMarkId } from '../../renderer/src/lib/sweepMarks'
import { parseValueList } from '../../renderer/src/lib/sweeps'

function experiment(layers: LayerDraft[]) {
  return {
    name: 'exp',
    dataset: { source: 'mnist-sample', limit: 200 },
    model: { layers: toLayerInputs(layers) },
    training: { optimizer: { type: 'adam', learningRate: 0.001 }, epochs: 1, batchSize: 32, seed: 1 }
  }
}
const rnn = (over: Partial<LayerDraft> = {}) => ({ ...newLayer('recurrent'), units: 8, ...over }) as LayerDraft
const dense = () => newLayer('dense')

describe('sweep over marks', () => {
  it('makes dotted paths of the marked fields, the trials the product of their values', () => {
    const layers = [rnn({ direction: 'bidirectional' } as never), dense()]
    const r = sweepFromMarks(experiment(layers), layers, {
      [layerMarkId(layers[0], 'units')]: '4, 8',
      [layerMarkId(layers[0], 'mergeMode')]: 'concat, sum',
      [trainingMarkId('learningRate')]: '0.01, 0.003, 0.001'
    })
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(r.trials).toBe(12)
    expect(r.sweep.parameters).toEqual({
      'training.optimizer.learningRate': [0.01, 0.003, 0.001],
      'model.layers.0.layer.units': [4, 8],
      'model.layers.0.mergeMode': ['concat', 'sum']
    })
    expect(r.sweep.base).not.toHaveProperty('name')
    const trials = expandSweep(normalizeSweepConfig(r.sweep))
    expect(trials).toHaveLength(12)
    expect(trials[11].config.model.layers[0]).toMatchObject({ type: 'bidirectional', mergeMode: 'sum' })
  })

  it('sweeps a direction as named alternatives of the layer, its other marks as variables', () => {
    const layers = [rnn(), dense()]
    const r = sweepFromMarks(experiment(layers), layers, {
      [layerMarkId(layers[0], 'direction')]: 'forward, bidirectional',
      [layerMarkId(layers[0], 'cell')]: 'gru, lstm'
    })
    expect(r.ok).toBe(true)
    if (!r.ok) return
    const trials = expandSweep(normalizeSweepConfig(r.sweep))
    expect(trials.map((t) => t.params)).toEqual([
      { 'model.layers.0': 'forward', $l1_cell: 'gru' },
      { 'model.layers.0': 'forward', $l1_cell: 'lstm' },
      { 'model.layers.0': 'bidirectional', $l1_cell: 'gru' },
      { 'model.layers.0': 'bidirectional', $l1_cell: 'lstm' }
    ])
    expect(trials[3].config.model.layers[0]).toMatchObject({ type: 'bidirectional', layer: { type: 'lstm', units: 8 } })
    expect(trials[0].config.model.layers[0]).toMatchObject({ type: 'gru', units: 8 })
  })

  it('names a marked field without values; leaves out marks of removed layers', () => {
    const layers = [rnn(), dense()]
    expect(sweepFromMarks(experiment(layers), layers, { [layerMarkId(layers[1], 'units')]: ' ' })).toEqual({
      ok: false,
      error: 'Type the values of layer 2 units to sweep over (e.g. 8, 16).'
    })
    const r = sweepFromMarks(experiment(layers), layers, {
      'layer:99999:units': '1, 2',
      [trainingMarkId('batchSize')]: '16, 32'
    })
    expect(r.ok && r.sweep.parameters).toEqual({ 'training.batchSize': [16, 32] })
  })

  it('reads a typed list of values', () => {
    expect(parseValueList('0.01, 3e-3 ,1')).toEqual([0.01, 0.003, 1])
    expect(parseValueList('lstm,gru')).toEqual(['lstm', 'gru'])
    expect(parseValueList('[4, "a"]')).toEqual([4, 'a'])
    expect(parseValueList('true, null')).toEqual([true, null])
    expect(parseValueList('  ')).toBeNull()
  })
})
