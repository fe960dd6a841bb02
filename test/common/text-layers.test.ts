// Embedding and Masking layers and the new losses in the run config: defaults, errors naming the field, and the
// Keras summary's parameter counts (hand-checked).
import { describe, expect, it } from 'vitest'
import { normalizeRunConfig } from '../../common/config'
import { preflightRun } from '../../common/config/preflight'
import { runHparams } from '../../common/hparams'
import { formatSummary, summarize } from '../../common/model'

const run = (layers: unknown[], training: Record<string, unknown> = {}) =>
  normalizeRunConfig({ dataset: { source: 'names' }, model: { layers }, training })

describe('embedding and masking', () => {
  it('fill Keras defaults', () => {
    const c = run([
      { type: 'embedding', inputDim: 60, outputDim: 16 },
      { type: 'lstm', units: 8 },
      { type: 'dense', units: 2, activation: 'softmax' }
    ])
    expect(c.model.layers[0]).toEqual({ type: 'embedding', inputDim: 60, outputDim: 16, maskZero: false })
    const m = normalizeRunConfig({
      model: { layers: [{ type: 'masking' }, { type: 'lstm', units: 4 }] },
      training: { loss: 'mse' }
    })
    expect(m.model.layers[0]).toEqual({ type: 'masking', maskValue: 0 })
  })

  it('refuse bad fields and a place other than first, naming the field', () => {
    const head = { type: 'dense', units: 2, activation: 'softmax' }
    expect(() => run([{ type: 'embedding', outputDim: 4 }, head])).toThrow(/model\.layers\[0\]\.inputDim: missing/)
    expect(() => run([{ type: 'embedding', inputDim: 1, outputDim: 4 }, head])).toThrow(/model\.layers\[0\]\.inputDim/)
    expect(() => run([{ type: 'embedding', inputDim: 9, outputDim: 4, mask_zero: true }, head])).toThrow(
      /model\.layers\[0\]\.mask_zero: unknown key \(did you mean "maskZero"\?\)/
    )
    expect(() =>
      run([{ type: 'lstm', units: 4, returnSequences: true }, { type: 'embedding', inputDim: 9, outputDim: 4 }, head])
    ).toThrow(/model\.layers\[1\]: an embedding layer reads the token ids of the data, so it must be the first layer/)
    expect(() => run([{ type: 'masking', maskValue: 'x' }, head])).toThrow(/model\.layers\[0\]\.maskValue/)
  })

  it('show Keras parameter counts in the summary', () => {
    const c = run([
      { type: 'embedding', inputDim: 60, outputDim: 16 },
      { type: 'bidirectional', layer: { type: 'lstm', units: 32 } },
      { type: 'dense', units: 2, activation: 'softmax' }
    ])
    const s = summarize(c.model, [12, 1])
    // Embedding 60*16 = 960; Bidirectional LSTM 2 * 4*32*(16+32+1) = 12,544; Dense 64*2+2 = 130
    expect(s.rows.map((r) => [r.type, r.outputShape, r.params])).toEqual([
      ['Embedding', [null, 12, 16], 960],
      ['Bidirectional LSTM', [null, 64], 12_544],
      ['Dense', [null, 2], 130]
    ])
    expect(s.totalParams).toBe(13_634)
    expect(formatSummary(s)).toContain('embedding (Embedding)')
  })

  it('is checked against the data: one feature a step', () => {
    const c = run([
      { type: 'embedding', inputDim: 60, outputDim: 16 },
      { type: 'lstm', units: 8 },
      { type: 'dense', units: 2, activation: 'softmax' }
    ])
    expect(preflightRun(c, { numClasses: 2, input: [12, 1] })).toEqual([])
    expect(preflightRun(c, { numClasses: 2, input: [28, 28] })[0].message).toMatch(/one token id a step/)
  })
})

describe('losses', () => {
  const body = [
    { type: 'embedding', inputDim: 60, outputDim: 8 },
    { type: 'gru', units: 8 }
  ]
  it('sparse_categorical_crossentropy needs a softmax head', () => {
    expect(
      run([...body, { type: 'dense', units: 2, activation: 'softmax' }], { loss: 'sparse_categorical_crossentropy' })
        .training.loss
    ).toBe('sparse_categorical_crossentropy')
    expect(() => run([...body, { type: 'dense', units: 2 }], { loss: 'sparse_categorical_crossentropy' })).toThrow(
      /model\.layers\[2\]\.activation: sparse_categorical_crossentropy needs the last dense layer to use softmax/
    )
  })

  it('binary_crossentropy needs a sigmoid head; one sigmoid unit fits two classes', () => {
    const c = run([...body, { type: 'dense', units: 1, activation: 'sigmoid' }], { loss: 'binary_crossentropy' })
    expect(preflightRun(c, { numClasses: 2, input: [12, 1] })).toEqual([])
    expect(() =>
      run([...body, { type: 'dense', units: 2, activation: 'softmax' }], { loss: 'binary_crossentropy' })
    ).toThrow(/model\.layers\[2\]\.activation: binary_crossentropy needs the last dense layer to use sigmoid/)
    expect(() => run([...body, { type: 'dense', units: 1 }], { loss: 'binary_cross_entropy' })).toThrow(
      /training\.loss: unknown loss "binary_cross_entropy" \(did you mean "binary_crossentropy"\?\)/
    )
  })
})

describe('run facts', () => {
  it('name the embedding in the stack and keep it out of the recurrent units', () => {
    const h = runHparams({
      dataset: { source: 'names' },
      model: {
        layers: [
          { type: 'embedding', inputDim: 64, outputDim: 16 },
          { type: 'gru', units: 32 },
          { type: 'dense', units: 2, activation: 'softmax' }
        ]
      }
    })
    expect(h.stack).toBe('Embedding 64×16 → GRU 32 → Dense 2')
    expect(h.units).toEqual([32])
  })
})
