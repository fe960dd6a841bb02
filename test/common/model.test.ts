// Shapes, Keras parameter counts, ONNX weight layouts, the summary table and the memory estimate of layer stacks.
import { describe, expect, it } from 'vitest'
import { normalizeModelConfig, type ModelConfig } from '../../common/config'
import {
  estimateTrainingMemory,
  estimateTrainingMemoryBytes,
  formatBytes,
  formatSummary,
  inferInputShape,
  resolveModel,
  summarize
} from '../../common/model'

const MNIST: [number, number] = [28, 28]

/** The tutorial's stack with another cell or wrapper options. */
function tutorial(
  cell: Record<string, unknown> = { type: 'lstm' },
  wrapper: Record<string, unknown> = {}
): ModelConfig {
  return normalizeModelConfig({
    layers: [
      { type: 'bidirectional', ...wrapper, layer: { ...cell, units: 50, returnSequences: true } },
      { type: 'dropout', rate: 0.2 },
      { type: 'bidirectional', ...wrapper, layer: { ...cell, units: 50 } },
      { type: 'dropout', rate: 0.2 },
      { type: 'dense', units: 10, activation: 'softmax' }
    ]
  })
}

const paramsOf = (model: ModelConfig) => resolveModel(model, MNIST).layers.map((layer) => layer.params)

describe('parameter counts follow Keras', () => {
  it('the tutorial BiLSTM: 31,600 / 0 / 60,400 / 0 / 1,010 = 93,010', () => {
    const resolved = resolveModel(tutorial(), MNIST)
    expect(resolved.layers.map((layer) => layer.params)).toEqual([31_600, 0, 60_400, 0, 1_010])
    expect(resolved.totalParams).toBe(93_010)
    expect(resolved.trainableParams).toBe(93_010)
    expect(resolved.nonTrainableParams).toBe(0)
  })

  it('GRU with resetAfter (two biases per gate): 70,610', () => {
    expect(resolveModel(tutorial({ type: 'gru' }), MNIST).totalParams).toBe(70_610)
    expect(paramsOf(tutorial({ type: 'gru' }))).toEqual([24_000, 0, 45_600, 0, 1_010])
  })

  it('GRU without resetAfter: 70,010', () => {
    expect(resolveModel(tutorial({ type: 'gru', resetAfter: false }), MNIST).totalParams).toBe(70_010)
  })

  it('SimpleRNN: 24,010', () => {
    expect(resolveModel(tutorial({ type: 'simple_rnn' }), MNIST).totalParams).toBe(24_010)
  })

  it('LSTM with shared direction weights: 47,010', () => {
    expect(resolveModel(tutorial({ type: 'lstm' }, { sharedWeights: true }), MNIST).totalParams).toBe(47_010)
  })

  it('useBias false drops the bias from counts and weights', () => {
    const model = normalizeModelConfig({
      layers: [
        { type: 'lstm', units: 50, useBias: false },
        { type: 'dense', units: 10, useBias: false }
      ]
    })
    const [lstm, dense] = resolveModel(model, MNIST).layers
    expect(lstm.params).toBe(4 * 50 * (28 + 50))
    expect(lstm.weights.map((w) => w.name)).toEqual(['W', 'R'])
    expect(dense.params).toBe(500)
    expect(dense.weights).toEqual([{ name: 'kernel', shape: [50, 10] }])
  })

  it('merge modes other than concat halve the next layer input', () => {
    expect(paramsOf(tutorial({ type: 'lstm' }, { mergeMode: 'sum' }))).toEqual([
      31_600,
      0,
      2 * (4 * 50 * 100 + 200),
      0,
      510
    ])
  })
})

describe('weights in ONNX layout', () => {
  it('bidirectional LSTM: W [2, 4H, I], R [2, 4H, H], B [2, 8H]', () => {
    const [first, , second, , dense] = resolveModel(tutorial(), MNIST).layers
    expect(first.weights).toEqual([
      { name: 'W', shape: [2, 200, 28] },
      { name: 'R', shape: [2, 200, 50] },
      { name: 'B', shape: [2, 400] }
    ])
    expect(second.weights[0]).toEqual({ name: 'W', shape: [2, 200, 100] })
    expect(dense.weights).toEqual([
      { name: 'kernel', shape: [100, 10] },
      { name: 'bias', shape: [10] }
    ])
    expect(first.recurrent).toEqual({ cell: 'lstm', directions: 2, gates: 4, hidden: 50, inputFeatures: 28 })
  })

  it('shared weights store one direction but compute two', () => {
    const [first] = resolveModel(tutorial({ type: 'gru' }, { sharedWeights: true }), MNIST).layers
    expect(first.weights).toEqual([
      { name: 'W', shape: [1, 150, 28] },
      { name: 'R', shape: [1, 150, 50] },
      { name: 'B', shape: [1, 300] }
    ])
    expect(first.recurrent?.directions).toBe(2)
  })

  it('a unidirectional SimpleRNN: D = 1, G = 1', () => {
    const model = normalizeModelConfig({ layers: [{ type: 'simple_rnn', units: 16 }] })
    expect(resolveModel(model, [5, 3]).layers[0].weights).toEqual([
      { name: 'W', shape: [1, 16, 3] },
      { name: 'R', shape: [1, 16, 16] },
      { name: 'B', shape: [1, 32] }
    ])
  })
})

describe('output shapes', () => {
  const single = (layer: Record<string, unknown>, extra: Record<string, unknown>[] = []) =>
    resolveModel(normalizeModelConfig({ layers: [layer, ...extra] }), MNIST).layers.map((l) => l.outputShape)

  it.each([
    ['concat', true, [null, 28, 100]],
    ['concat', false, [null, 100]],
    ['sum', true, [null, 28, 50]],
    ['sum', false, [null, 50]],
    ['mul', true, [null, 28, 50]],
    ['mul', false, [null, 50]],
    ['ave', true, [null, 28, 50]],
    ['ave', false, [null, 50]]
  ])('bidirectional mergeMode %s, returnSequences %s → %j', (mergeMode, returnSequences, shape) => {
    expect(single({ type: 'bidirectional', mergeMode, layer: { type: 'lstm', units: 50, returnSequences } })).toEqual([
      shape
    ])
  })

  it('unidirectional layers give H features', () => {
    expect(single({ type: 'gru', units: 32, returnSequences: true })).toEqual([[null, 28, 32]])
    expect(single({ type: 'simple_rnn', units: 32 })).toEqual([[null, 32]])
  })

  it('a dense after a sequence applies per step; dropout keeps the shape', () => {
    expect(
      single({ type: 'lstm', units: 20, returnSequences: true }, [
        { type: 'dropout', rate: 0.5 },
        { type: 'dense', units: 10, activation: 'softmax' }
      ])
    ).toEqual([
      [null, 28, 20],
      [null, 28, 20],
      [null, 28, 10]
    ])
    const model = normalizeModelConfig({
      layers: [
        { type: 'lstm', units: 20, returnSequences: true },
        { type: 'dense', units: 10 }
      ]
    })
    expect(resolveModel(model, MNIST).layers[1].params).toBe(20 * 10 + 10)
  })
})

describe('names', () => {
  it('are Keras-like: a counter per layer type', () => {
    expect(resolveModel(tutorial(), MNIST).layers.map((l) => l.name)).toEqual([
      'bidirectional',
      'dropout',
      'bidirectional_1',
      'dropout_1',
      'dense'
    ])
    const model = normalizeModelConfig({
      layers: [
        { type: 'lstm', units: 4, returnSequences: true },
        { type: 'lstm', units: 4, returnSequences: true, name: 'lstm_1' },
        { type: 'lstm', units: 4 }
      ]
    })
    expect(resolveModel(model, MNIST).layers.map((l) => l.name)).toEqual(['lstm', 'lstm_1', 'lstm_2'])
  })
})

describe('inferInputShape', () => {
  it('prefers model.input, then the dataset, else undefined', () => {
    const model = tutorial()
    expect(inferInputShape({ model, dataset: { source: 'mnist-sample' } })).toEqual([28, 28])
    expect(inferInputShape({ model, dataset: { source: 'fashion-mnist' } })).toEqual([28, 28])
    expect(inferInputShape({ model: { ...model, input: [10, 3] }, dataset: { source: 'mnist' } })).toEqual([10, 3])
    expect(inferInputShape({ model, dataset: { source: 'npy', train: { x: 'x.npy', y: 'y.npy' } } })).toBeUndefined()
  })
})

describe('summary', () => {
  it('draws the Keras 3 table for the tutorial (the first column widens to fit)', () => {
    const summary = summarize(tutorial(), MNIST)
    expect(summary.totalParams).toBe(93_010)
    expect(summary.rows[0]).toEqual({
      index: 0,
      name: 'bidirectional',
      type: 'Bidirectional LSTM',
      outputShape: [null, 28, 100],
      params: 31_600
    })
    expect(formatSummary(summary, 'seed-bilstm-mnist')).toBe(
      [
        'Model: "seed-bilstm-mnist"',
        '┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓',
        '┃ Layer (type)                         ┃ Output Shape           ┃       Param # ┃',
        '┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩',
        '│ bidirectional (Bidirectional LSTM)   │ (None, 28, 100)        │        31,600 │',
        '├──────────────────────────────────────┼────────────────────────┼───────────────┤',
        '│ dropout (Dropout)                    │ (None, 28, 100)        │             0 │',
        '├──────────────────────────────────────┼────────────────────────┼───────────────┤',
        '│ bidirectional_1 (Bidirectional LSTM) │ (None, 100)            │        60,400 │',
        '├──────────────────────────────────────┼────────────────────────┼───────────────┤',
        '│ dropout_1 (Dropout)                  │ (None, 100)            │             0 │',
        '├──────────────────────────────────────┼────────────────────────┼───────────────┤',
        '│ dense (Dense)                        │ (None, 10)             │         1,010 │',
        '└──────────────────────────────────────┴────────────────────────┴───────────────┘',
        ' Total params: 93,010 (363.32 KB)',
        ' Trainable params: 93,010 (363.32 KB)',
        ' Non-trainable params: 0 (0.00 B)'
      ].join('\n')
    )
  })

  it('labels non-default wrapper options', () => {
    const summary = summarize(tutorial({ type: 'gru' }, { mergeMode: 'ave', sharedWeights: true }), MNIST)
    expect(summary.rows[0].type).toBe('Bidirectional GRU, ave, shared')
  })

  it('formats sizes like Keras', () => {
    expect(formatBytes(0)).toBe('0.00 B')
    expect(formatBytes(1023)).toBe('1023.00 B')
    expect(formatBytes(372_040)).toBe('363.32 KB')
    expect(formatBytes(5 * 1024 ** 3)).toBe('5.00 GB')
  })
})

describe('training memory estimate', () => {
  it('counts kept activations per direction and weights four times', () => {
    const resolved = resolveModel(tutorial(), MNIST)
    const estimate = estimateTrainingMemory(resolved, 64, 28)
    const first = estimate.layers[0]
    // per direction: h, its gradient and the LSTM cache (5 per unit), and the fast kernels' workspace (packed R and
    // W, one A panel, the gate gradients and masked states of all steps, three rows); output and gradient; the
    // backward direction's input gradient
    const workspace = 200 * 64 + 28 * 224 + 40 * 256 + 64 * 28 * (200 + 50) + 3 * 64 * 50
    expect(first.activationBytes).toBe(
      4 * (2 * (64 * 28 * 50 * (2 + 5) + workspace) + 2 * 64 * 28 * 100 + 64 * 28 * 28)
    )
    expect(first.weightBytes).toBe(4 * 4 * (2 * 200 * 28 + 2 * 200 * 50 + 2 * 400))
    expect(estimate.totalBytes).toBe(estimate.batchBytes + estimate.layers.reduce((n, l) => n + l.bytes, 0))
    expect(estimateTrainingMemoryBytes(resolved, 64, 28)).toBe(estimate.totalBytes)
  })

  it('grows with the batch size', () => {
    const resolved = resolveModel(tutorial(), MNIST)
    expect(estimateTrainingMemoryBytes(resolved, 128, 28)).toBeGreaterThan(
      1.9 * estimateTrainingMemoryBytes(resolved, 64, 28) - 2e6
    )
  })
})
