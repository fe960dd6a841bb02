// Checks before Start (common/config/preflight.ts): each problem on the layer to change, in the builder's words, with
// the one-click fix that removes it; and the engine's wording of the same mismatches translated into those words.
import { describe, expect, it } from 'vitest'
import {
  chainedLayers,
  describePreflight,
  explainEngineError,
  normalizeModelConfig,
  preflight,
  preflightRun,
  type LayerConfig,
  type LayerInput,
  type PreflightProblem
} from '../../common/config'

function layers(...l: LayerInput[]): LayerConfig[] {
  // Each layer on its own, so stacks that do not chain can be built (as the builder has them).
  return l.map((x) => normalizeModelConfig({ layers: [x] }).layers[0])
}

/** Applies a problem's fix the way the builder does: the patch on the layer's recurrent cell or dense head. */
function applyFix(stack: LayerConfig[], p: PreflightProblem): LayerConfig[] {
  const fix = p.fix!
  return stack.map((l, i) => {
    if (i !== fix.layer) return l
    if (l.type === 'bidirectional') return { ...l, layer: { ...l.layer, ...fix.patch } } as LayerConfig
    return { ...l, ...fix.patch } as LayerConfig
  })
}

const lstm = (units: number, returnSequences = false): LayerInput => ({ type: 'lstm', units, returnSequences })
const bi = (units: number, returnSequences = false): LayerInput => ({
  type: 'bidirectional',
  layer: { type: 'lstm', units, returnSequences }
})
const dense = (units: number): LayerInput => ({ type: 'dense', units, activation: 'softmax' })
const mnist = { numClasses: 10, labelsPerStep: false, input: [28, 28] as [number, number] }

describe('checks before Start', () => {
  it('finds nothing wrong with the tutorial stack on MNIST', () => {
    const stack = layers(
      bi(50, true),
      { type: 'dropout', rate: 0.2 },
      bi(50),
      { type: 'dropout', rate: 0.2 },
      dense(10)
    )
    expect(preflight(stack, mnist)).toEqual([])
    expect(chainedLayers(stack)).toBe(5)
  })

  it('puts a missing return sequences on the layer that must hand on the sequence, with its fix', () => {
    const stack = layers(bi(50), { type: 'dropout', rate: 0.2 }, bi(50), dense(10))
    const problems = preflight(stack, mnist)
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatchObject({
      layer: 0,
      field: 'returnSequences',
      message:
        'Layer 3 (Bidirectional LSTM) reads a sequence, but this layer hands on only its last step: ' +
        'turn on Return sequences.',
      fix: { label: 'Turn on return sequences', layer: 0, patch: { returnSequences: true } }
    })
    // The summary can show the layers before the one that cannot read its input.
    expect(chainedLayers(stack)).toBe(2)
    expect(preflight(applyFix(stack, problems[0]), mnist)).toEqual([])
  })

  it('asks for a head with one output per class, and fixes it in one click', () => {
    const stack = layers({ type: 'simple_rnn', units: 16 }, dense(5))
    const problems = preflight(stack, mnist)
    expect(problems).toEqual([
      {
        layer: 1,
        field: 'units',
        message: 'The data has 10 classes, but this head gives 5 outputs: set Units to 10, one per class.',
        fix: { label: 'Set units to 10', layer: 1, patch: { units: 10 } }
      }
    ])
    expect(preflight(applyFix(stack, problems[0]), mnist)).toEqual([])
    // Unknown classes (files not read yet): nothing is claimed.
    expect(preflight(stack, {})).toEqual([])
  })

  it('needs at least one recurrent layer', () => {
    const problems = preflight(layers(dense(10)), mnist)
    expect(problems).toEqual([
      {
        layer: null,
        field: '',
        message:
          'The model needs at least one recurrent layer (LSTM, GRU or SimpleRNN) to read the sequence: ' +
          'add one before the dense head.'
      }
    ])
  })

  it('matches a per-step head to per-step labels, and a per-sample head to per-sample labels', () => {
    const perStep = layers(lstm(8, true), dense(10))
    const [p] = preflight(perStep, mnist)
    expect(p).toMatchObject({ layer: 0, field: 'returnSequences', fix: { patch: { returnSequences: false } } })
    expect(p.message).toContain('one label per sample')
    expect(preflight(applyFix(perStep, p), mnist)).toEqual([])
    expect(preflight(perStep, { ...mnist, labelsPerStep: true })).toEqual([])

    const perSample = layers(lstm(8), dense(10))
    const [q] = preflight(perSample, { ...mnist, labelsPerStep: true })
    expect(q).toMatchObject({ layer: 0, fix: { patch: { returnSequences: true } } })
    expect(q.message).toContain('one label per step')
  })

  it('refuses a recurrent layer after the dense head', () => {
    const problems = preflight(layers(lstm(8), dense(10), lstm(8)), mnist)
    expect(problems[0]).toMatchObject({ layer: 2, field: '' })
    expect(problems[0].message).toContain('dense layers go at the end')
  })

  it('compares the model input with the data', () => {
    const config = { model: { input: [20, 28] as [number, number], layers: layers(lstm(8), dense(10)) } }
    expect(preflightRun(config, mnist)[0].message).toBe(
      'The model expects 20 steps of 28 features, but the data has 28 steps of 28 features.'
    )
  })

  it('says a run-level line naming the layer', () => {
    const stack = layers({ type: 'simple_rnn', units: 16 }, dense(5))
    expect(describePreflight(stack, preflight(stack, mnist)[0])).toBe(
      'Layer 2 (Dense): The data has 10 classes, but this head gives 5 outputs: set Units to 10, one per class.'
    )
  })

  it('translates the engine wording of the same mismatches', () => {
    const dense5 = { model: { layers: layers({ type: 'simple_rnn', units: 16 }, dense(5)) } }
    expect(explainEngineError('y[1]: label 7 is outside 0..4', dense5)).toBe(
      'Layer 2 (Dense): The data has a class 7, but this head gives 5 outputs: ' +
        'set Units to the number of classes (at least 8).'
    )
    const onlyDense = { model: { layers: layers(dense(10)) } }
    expect(explainEngineError('y: expected 1344 labels (n*T), got 48', onlyDense)).toContain(
      'needs at least one recurrent layer'
    )
    const perStep = { model: { layers: layers(lstm(8, true), dense(10)) } }
    expect(explainEngineError('y: expected 1344 labels (n*T), got 48', perStep)).toMatch(
      /^Layer 1 \(LSTM\): The data has one label per sample.*turn off Return sequences\.$/
    )
    expect(explainEngineError('out of memory', perStep)).toBe('out of memory')
  })
})
