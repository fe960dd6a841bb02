// The layer-stack builder (renderer/src/lib/builder.ts): operations, conversion both ways, and validation mapped to
// the layer at fault; with the presets' parameter counts.
import { describe, expect, it } from 'vitest'
import { normalizeModelConfig, normalizeRunConfig } from '../../common/config'
import {
  activationChoices,
  addLayer,
  cellPatch,
  checkStack,
  duplicateLayer,
  fromModelConfig,
  moveLayer,
  newLayer,
  problemsAt,
  removeLayer,
  toLayerInputs,
  updateLayer,
  type LayerDraft,
  type RecurrentDraft
} from '../../renderer/src/lib/builder'
import { presets } from '../../renderer/src/lib/presets'
import { summarize } from '../../common/model'
import { CELL_TYPES, CELLS } from '../../common/cells'
import tutorial from '../../examples/seed-bilstm-mnist.json'

const run = { name: 't', dataset: { source: 'mnist-sample' }, training: {} }
const input: [number, number] = [28, 28]

/** The tutorial's stack built as a person does in the empty builder. */
function buildTutorial(): LayerDraft[] {
  let layers: LayerDraft[] = []
  layers = addLayer(layers, 'recurrent')
  layers = updateLayer(layers, 0, { direction: 'bidirectional' } as Partial<RecurrentDraft>)
  layers = addLayer(layers, 'dropout')
  layers = addLayer(layers, 'recurrent')
  layers = updateLayer(layers, 2, { direction: 'bidirectional' } as Partial<RecurrentDraft>)
  layers = addLayer(layers, 'dropout')
  layers = addLayer(layers, 'dense')
  return layers
}

describe('builder operations', () => {
  it('builds the tutorial stack from nothing: 93,010 params, no problems', () => {
    const layers = buildTutorial()
    const check = checkStack(layers, run, input)
    expect(check.problems).toEqual([])
    expect(check.summary?.totalParams).toBe(93_010)
    expect(check.summary?.rows.map((r) => r.params)).toEqual([31_600, 0, 60_400, 0, 1_010])
    expect(normalizeModelConfig({ layers: toLayerInputs(layers) })).toEqual(normalizeModelConfig(tutorial.model))
  })

  it('turns on returnSequences below a newly added recurrent layer, and adds before the dense head', () => {
    let layers = addLayer([], 'recurrent')
    layers = addLayer(layers, 'dense')
    layers = addLayer(layers, 'recurrent')
    expect(layers.map((l) => l.kind)).toEqual(['recurrent', 'recurrent', 'dense'])
    expect((layers[0] as RecurrentDraft).returnSequences).toBe(true)
    expect((layers[1] as RecurrentDraft).returnSequences).toBe(false)
  })

  it('moves, duplicates and removes, keeping keys unique', () => {
    const layers = buildTutorial()
    const moved = moveLayer(layers, 1, -1)
    expect(moved.map((l) => l.kind)).toEqual(['dropout', 'recurrent', 'recurrent', 'dropout', 'dense'])
    expect(moveLayer(layers, 0, -1)).toBe(layers)
    expect(moveLayer(layers, 4, 1)).toBe(layers)
    const dup = duplicateLayer(layers, 0)
    expect(dup).toHaveLength(6)
    expect(new Set(dup.map((l) => l.key)).size).toBe(6)
    expect(toLayerInputs([dup[1]])).toEqual(toLayerInputs([dup[0]]))
    expect(removeLayer(layers, 4).map((l) => l.kind)).toEqual(['recurrent', 'dropout', 'recurrent', 'dropout'])
  })

  it('writes only non-default fields, and goBackwards for a backward layer', () => {
    const l = {
      ...newLayer('recurrent'),
      cell: 'gru',
      units: 16,
      direction: 'backward',
      dropout: 0.1
    } as RecurrentDraft
    expect(toLayerInputs([l])).toEqual([{ type: 'gru', units: 16, dropout: 0.1, goBackwards: true }])
  })

  it('round-trips a config with fields the builder does not edit', () => {
    const model = normalizeModelConfig({
      layers: [
        {
          type: 'bidirectional',
          name: 'enc',
          mergeMode: 'sum',
          sharedWeights: true,
          layer: { type: 'gru', units: 8, resetAfter: false, returnSequences: true }
        },
        { type: 'lstm', units: 4, useBias: false, recurrentActivation: 'tanh' },
        { type: 'dense', units: 3, activation: 'softmax', useBias: false }
      ]
    })
    expect(normalizeModelConfig({ layers: toLayerInputs(fromModelConfig(model)) })).toEqual(model)
  })

  it('adds embedding and masking layers first, writes only non-default fields, and round-trips them', () => {
    let layers = addLayer(addLayer([], 'recurrent'), 'dense')
    layers = addLayer(layers, 'embedding')
    expect(layers.map((l) => l.kind)).toEqual(['embedding', 'recurrent', 'dense'])
    // Even when asked to go after a later layer: it reads the data, so it is first.
    expect(addLayer(layers.slice(1), 'masking', 1).map((l) => l.kind)).toEqual(['masking', 'recurrent', 'dense'])
    expect(toLayerInputs(layers)[0]).toEqual({ type: 'embedding', inputDim: 64, outputDim: 16 })
    expect(toLayerInputs([newLayer('masking')])).toEqual([{ type: 'masking' }])
    const check = checkStack(updateLayer(layers, 2, { units: 2 }), null, [20, 1])
    expect(check.problems).toEqual([])
    expect(check.summary?.rows[0]).toMatchObject({ outputShape: [null, 20, 16], params: 64 * 16 })

    const embedded = normalizeModelConfig({
      layers: [
        { type: 'embedding', name: 'tokens', inputDim: 100, outputDim: 8, maskZero: true },
        { type: 'gru', units: 4 },
        { type: 'dense', units: 2, activation: 'softmax' }
      ]
    })
    const drafts = fromModelConfig(embedded)
    expect(drafts[0]).toMatchObject({ kind: 'embedding', inputDim: 100, outputDim: 8, maskZero: true })
    expect(drafts[0].extra).toEqual({ name: 'tokens' })
    expect(toLayerInputs(drafts)[0]).toEqual({
      type: 'embedding',
      inputDim: 100,
      outputDim: 8,
      maskZero: true,
      name: 'tokens'
    })
    expect(normalizeModelConfig({ layers: toLayerInputs(drafts) })).toEqual(embedded)

    const masked = normalizeModelConfig({
      layers: [
        { type: 'masking', name: 'pad', maskValue: -1 },
        { type: 'lstm', units: 4 },
        { type: 'dense', units: 3 }
      ]
    })
    const maskDrafts = fromModelConfig(masked)
    expect(maskDrafts[0]).toMatchObject({ kind: 'masking', maskValue: -1, extra: { name: 'pad' } })
    expect(normalizeModelConfig({ layers: toLayerInputs(maskDrafts) })).toEqual(masked)
    // An emptied field is reported at its layer, not silently read as the default.
    const emptied = checkStack(updateLayer(maskDrafts, 0, { maskValue: NaN }), null, [20, 3])
    expect(emptied.problems.map((p) => [p.layer, p.field])).toEqual([[0, 'maskValue']])
    const noDim = checkStack(updateLayer(drafts, 0, { inputDim: NaN }), null, [20, 1])
    expect(noDim.problems.map((p) => [p.layer, p.field])).toEqual([[0, 'inputDim']])
  })

  it('loads a Keras to_json model into drafts', () => {
    const keras = {
      class_name: 'Sequential',
      config: {
        name: 's',
        layers: [
          { class_name: 'InputLayer', config: { batch_input_shape: [null, 28, 28], name: 'in' } },
          {
            class_name: 'Bidirectional',
            config: {
              name: 'bi',
              merge_mode: 'concat',
              layer: { class_name: 'LSTM', config: { name: 'l', units: 50, return_sequences: true } }
            }
          },
          { class_name: 'Dropout', config: { name: 'd', rate: 0.2 } },
          {
            class_name: 'Bidirectional',
            config: {
              name: 'bi2',
              merge_mode: 'concat',
              layer: { class_name: 'LSTM', config: { name: 'l2', units: 50 } }
            }
          },
          { class_name: 'Dropout', config: { name: 'd2', rate: 0.2 } },
          { class_name: 'Dense', config: { name: 'out', units: 10, activation: 'softmax' } }
        ]
      },
      keras_version: '2.15.0'
    }
    const drafts = fromModelConfig(normalizeModelConfig(keras))
    expect(drafts.map((d) => d.kind)).toEqual(['recurrent', 'dropout', 'recurrent', 'dropout', 'dense'])
    expect(checkStack(drafts, run, input).summary?.totalParams).toBe(93_010)
  })
})

describe('stack validation at the layer at fault', () => {
  it('reports every bad field, each at its layer', () => {
    let layers = buildTutorial()
    layers = updateLayer(layers, 0, { units: NaN })
    layers = updateLayer(layers, 3, { rate: 1.5 } as Partial<LayerDraft>)
    const check = checkStack(layers, run, input)
    expect(check.summary).toBeNull()
    expect(problemsAt(check, 0)).toEqual([
      { layer: 0, field: 'layer.units', message: 'missing: give the number of units, e.g. 50' }
    ])
    expect(problemsAt(check, 3)).toEqual([
      { layer: 3, field: 'rate', message: 'must be at least 0 and below 1, got 1.5' }
    ])
  })

  it('puts a missing sequence on the layer to fix, naming the one that needs it, and keeps the rows before', () => {
    const layers = updateLayer(buildTutorial(), 0, { returnSequences: false } as Partial<RecurrentDraft>)
    const check = checkStack(layers, run, input)
    expect(check.problems).toHaveLength(1)
    expect(check.problems[0]).toMatchObject({
      layer: 0,
      field: 'returnSequences',
      sentence: true,
      fix: { label: 'Turn on return sequences', layer: 0, patch: { returnSequences: true } }
    })
    expect(check.problems[0].message).toContain('Layer 3 (Bidirectional LSTM) reads a sequence')
    // Layers 1 and 2 are valid: the summary keeps them.
    expect(check.summarized).toBe(2)
    expect(check.summary?.rows.map((r) => r.outputShape)).toEqual([
      [null, 100],
      [null, 100]
    ])
    const fixed = updateLayer(layers, 0, check.problems[0].fix!.patch as Partial<LayerDraft>)
    expect(checkStack(fixed, run, input).problems).toEqual([])
  })

  it('still reports a stack fault when a layer also has a bad field', () => {
    let layers = updateLayer(buildTutorial(), 0, { returnSequences: false, units: NaN } as Partial<RecurrentDraft>)
    layers = updateLayer(layers, 1, { rate: -1 } as Partial<LayerDraft>)
    const check = checkStack(layers, run, input)
    expect(check.problems.map((p) => [p.layer, p.field])).toEqual([
      [0, 'layer.units'],
      [1, 'rate'],
      [0, 'returnSequences']
    ])
    expect(check.problems[2].message).toContain('hands on only its last step')
    expect(check.summary).toBeNull()
  })

  it('puts the loss check at the last layer; keeps the summary', () => {
    const layers = removeLayer(buildTutorial(), 4)
    const check = checkStack(layers, run, input)
    expect(check.problems.map((p) => p.layer)).toEqual([3])
    expect(check.problems[0].message).toContain('categorical_crossentropy needs the model to end in a dense layer')
    expect(check.summary?.totalParams).toBe(92_000)
  })

  it('reports training settings as training paths, and an empty stack as what to do', () => {
    const check = checkStack(buildTutorial(), { ...run, training: { batchSize: 0 } }, input)
    expect(check.problems).toEqual([
      { layer: null, field: 'training.batchSize', message: 'must be a positive integer, got 0' }
    ])
    expect(checkStack([], run, input).problems[0].message).toContain('Add a layer')
  })

  it('marks what the engine cannot run at its layer, before Start: a loaded activation or recurrent activation', () => {
    const model = normalizeModelConfig({
      layers: [
        { type: 'bidirectional', layer: { type: 'lstm', units: 8, activation: 'relu', returnSequences: true } },
        { type: 'gru', units: 8, recurrentActivation: 'tanh', returnSequences: true },
        { type: 'simple_rnn', units: 8, activation: 'relu' },
        { type: 'dense', units: 10, activation: 'softmax', useBias: false }
      ]
    })
    const check = checkStack(fromModelConfig(model), run, input)
    expect(check.problems).toEqual([
      { layer: 0, field: 'layer.activation', message: 'the engine runs tanh here, not relu' },
      { layer: 1, field: 'recurrentActivation', message: 'the engine runs sigmoid here, not tanh' }
    ])
    // An LSTM without the forget bias of 1, and dense layers without bias, are what the engine runs: no problem.
    const plain = normalizeModelConfig({
      layers: [
        { type: 'lstm', units: 8, unitForgetBias: false },
        { type: 'dense', units: 10, activation: 'softmax', useBias: false }
      ]
    })
    expect(checkStack(fromModelConfig(plain), run, input).problems).toEqual([])
  })

  it('offers each cell exactly the activations the engine runs; a new cell keeps only an activation it runs', () => {
    for (const type of CELL_TYPES) expect(activationChoices(type)).toEqual(CELLS[type].engineActivations)
    const relu = { ...newLayer('recurrent'), cell: 'simple_rnn', activation: 'relu' } as RecurrentDraft
    expect(cellPatch(relu, 'lstm')).toEqual({ cell: 'lstm', activation: 'tanh' })
    expect(cellPatch(relu, 'simple_rnn')).toEqual({ cell: 'simple_rnn' })
    const tanh = newLayer('recurrent') as RecurrentDraft
    expect(cellPatch(tanh, 'gru')).toEqual({ cell: 'gru' })
  })

  it('has no summary without an input shape', () => {
    expect(checkStack(buildTutorial(), run, undefined).summary).toBeNull()
  })
})

describe('presets', () => {
  it('are valid configs with the tutorial family’s parameter counts', () => {
    const totals = presets.map((p) => {
      const c = normalizeRunConfig(p.config)
      return [p.id, summarize(c.model, [28, 28]).totalParams]
    })
    expect(totals).toEqual([
      ['tutorial-bilstm', 93_010],
      ['tutorial-bigru', 70_610],
      ['tutorial-birnn', 24_010],
      ['tutorial-lstm', 50 * 4 * (28 + 50) + 200 + (4 * 50 * 100 + 200) + 510]
    ])
  })
})

describe('checks before Start in the builder', () => {
  const mnist = { numClasses: 10, labelsPerStep: false }

  it('marks a head that does not match the classes, with a one-click fix', () => {
    const layers = updateLayer(buildTutorial(), 4, { units: 5 } as Partial<LayerDraft>)
    const check = checkStack(layers, run, input, mnist)
    expect(check.problems).toEqual([
      {
        layer: 4,
        field: 'units',
        sentence: true,
        message: 'The data has 10 classes, but this head gives 5 outputs: set Units to 10, one per class.',
        fix: { label: 'Set units to 10', layer: 4, patch: { units: 10 } }
      }
    ])
    // The stack itself is valid: its summary is whole.
    expect(check.summarized).toBe(5)
  })

  it('refuses a stack with no recurrent layer, keeping its summary', () => {
    const check = checkStack([newLayer('dense')], run, input, mnist)
    expect(check.problems.map((p) => p.message)).toEqual([
      'The model needs at least one recurrent layer (LSTM, GRU or SimpleRNN) to read the sequence: ' +
        'add one before the dense head.'
    ])
    expect(check.summary?.rows[0].outputShape).toEqual([null, 28, 10])
  })
})
