// Import of Keras 2 and Keras 3 `model.to_json()` documents, and errors that point into the Keras document.
import { describe, expect, it } from 'vitest'
import { ConfigError, fromKerasJson, normalizeModelConfig, normalizeRunConfig } from '../../common/config'
import { isKerasModelJson } from '../../common/keras'
import { resolveModel, summarize } from '../../common/model'
import keras2 from '../fixtures/keras/tutorial-keras2.json'
import keras3 from '../fixtures/keras/tutorial-keras3.json'

/** A fresh, editable copy of a fixture. */
const copy = (doc: unknown): any => JSON.parse(JSON.stringify(doc))

const OURS = normalizeModelConfig({
  input: [28, 28],
  layers: [
    { type: 'bidirectional', name: 'bidirectional', layer: { type: 'lstm', units: 50, returnSequences: true } },
    { type: 'dropout', name: 'dropout', rate: 0.2 },
    { type: 'bidirectional', name: 'bidirectional_1', layer: { type: 'lstm', units: 50 } },
    { type: 'dropout', name: 'dropout_1', rate: 0.2 },
    { type: 'dense', name: 'dense', units: 10, activation: 'softmax' }
  ]
})

function errorOf(doc: unknown): ConfigError {
  try {
    fromKerasJson(doc)
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError)
    expect((e as Error).message).not.toContain('\n')
    return e as ConfigError
  }
  throw new Error('expected a ConfigError')
}

describe.each([
  ['Keras 2', keras2],
  ['Keras 3', keras3]
])('the tutorial model from %s', (_, doc) => {
  it('is detected as a Keras document', () => {
    expect(isKerasModelJson(doc)).toBe(true)
    expect(isKerasModelJson({ layers: [] })).toBe(false)
  })

  it('converts to our layer stack with the Keras names and input', () => {
    expect(fromKerasJson(copy(doc))).toEqual(OURS)
  })

  it('has 93,010 parameters', () => {
    const model = fromKerasJson(copy(doc))
    const resolved = resolveModel(model, model.input!)
    expect(resolved.totalParams).toBe(93_010)
    expect(summarize(model, [28, 28]).rows.map((row) => [row.name, row.params])).toEqual([
      ['bidirectional', 31_600],
      ['dropout', 0],
      ['bidirectional_1', 60_400],
      ['dropout_1', 0],
      ['dense', 1_010]
    ])
  })

  it('can be the model of a run config', () => {
    const run = normalizeRunConfig({
      name: 'from-keras',
      model: copy(doc),
      training: { optimizer: 'adam', batchSize: 64 }
    })
    expect(run.model).toEqual(OURS)
    expect(normalizeRunConfig(JSON.parse(JSON.stringify(run)))).toEqual(run)
  })
})

describe('older and variant documents', () => {
  it('reads Keras 2.2: the layer list as config, batch_input_shape on the first layer, GRU without reset_after', () => {
    const gru = (units: number, returnSequences: boolean) => ({
      class_name: 'GRU',
      config: {
        name: 'gru',
        trainable: true,
        units,
        activation: 'tanh',
        recurrent_activation: 'sigmoid',
        use_bias: true,
        return_sequences: returnSequences,
        return_state: false,
        go_backwards: false,
        stateful: false,
        unroll: false,
        dropout: 0.0,
        recurrent_dropout: 0.0,
        implementation: 1,
        kernel_regularizer: null
      }
    })
    const doc = {
      class_name: 'Sequential',
      config: [
        {
          class_name: 'Bidirectional',
          config: {
            name: 'bidirectional_1',
            trainable: true,
            batch_input_shape: [null, 28, 28],
            dtype: 'float32',
            layer: gru(50, true),
            merge_mode: 'concat'
          }
        },
        {
          class_name: 'Dropout',
          config: { name: 'dropout_1', trainable: true, rate: 0.2, noise_shape: null, seed: null }
        },
        {
          class_name: 'Bidirectional',
          config: { name: 'bidirectional_2', trainable: true, layer: gru(50, false), merge_mode: 'concat' }
        },
        {
          class_name: 'Dropout',
          config: { name: 'dropout_2', trainable: true, rate: 0.2, noise_shape: null, seed: null }
        },
        {
          class_name: 'Dense',
          config: { name: 'dense_1', trainable: true, units: 10, activation: 'softmax', use_bias: true }
        }
      ],
      keras_version: '2.2.4',
      backend: 'tensorflow'
    }
    const model = fromKerasJson(doc)
    expect(model.input).toEqual([28, 28])
    expect(model.layers[0]).toMatchObject({ type: 'bidirectional', layer: { type: 'gru', resetAfter: false } })
    expect(resolveModel(model, [28, 28]).totalParams).toBe(70_010)
  })

  it('leaves the input to the data when the step count is variable', () => {
    const doc = copy(keras3)
    doc.config.layers[0].config.batch_shape = [null, null, 28]
    expect(fromKerasJson(doc).input).toBeUndefined()
  })

  it('takes the input from build_input_shape when there is no InputLayer', () => {
    const doc = copy(keras3)
    doc.config.layers.shift()
    expect(fromKerasJson(doc).input).toEqual([28, 28])
  })

  it('reads TimeDistributed(Dense) as a per-step dense layer', () => {
    const doc = copy(keras3)
    doc.config.layers[3].config.layer.config.return_sequences = true
    doc.config.layers[3].config.backward_layer.config.return_sequences = true
    doc.config.layers[5] = {
      module: 'keras.layers',
      class_name: 'TimeDistributed',
      config: { name: 'time_distributed', trainable: true, layer: doc.config.layers[5] }
    }
    const model = fromKerasJson(doc)
    expect(model.layers[4]).toEqual({
      type: 'dense',
      name: 'time_distributed',
      units: 10,
      activation: 'softmax',
      useBias: true
    })
    expect(resolveModel(model, [28, 28]).outputShape).toEqual([null, 28, 10])
  })

  it('maps GRU reset_after and SimpleRNN', () => {
    const doc = copy(keras2)
    const inner = doc.config.layers[1].config.layer
    inner.class_name = 'GRU'
    inner.config.reset_after = true
    delete inner.config.unit_forget_bias
    doc.config.layers[3].config.layer = {
      class_name: 'SimpleRNN',
      config: {
        name: 'simple_rnn',
        units: 50,
        activation: 'relu',
        use_bias: true,
        return_sequences: false,
        go_backwards: false,
        dropout: 0.1,
        recurrent_dropout: 0.0
      }
    }
    const model = fromKerasJson(doc)
    expect(model.layers[0]).toMatchObject({ layer: { type: 'gru', resetAfter: true, recurrentActivation: 'sigmoid' } })
    expect(model.layers[2]).toMatchObject({ layer: { type: 'simple_rnn', activation: 'relu', dropout: 0.1 } })
  })
})

describe('errors point into the Keras document', () => {
  it.each<[string, (doc: any) => void, string]>([
    [
      'an unsupported layer',
      (doc) =>
        (doc.config.layers[3] = { class_name: 'Conv1D', config: { name: 'conv1d', filters: 8, kernel_size: [3] } }),
      'model.config.layers[3]: unsupported layer type Conv1D; supported: InputLayer, Bidirectional, LSTM, GRU, SimpleRNN, Dropout, Dense, TimeDistributed'
    ],
    [
      'an unsupported option',
      (doc) => (doc.config.layers[1].config.layer.config.stateful = true),
      'model.config.layers[1].config.layer.config.stateful: LSTM option stateful = true is not supported'
    ],
    [
      'a regularizer',
      (doc) => (doc.config.layers[5].config.kernel_regularizer = { class_name: 'L2', config: { l2: 0.01 } }),
      'model.config.layers[5].config.kernel_regularizer: Dense option kernel_regularizer = an object is not supported'
    ],
    [
      'a frozen layer',
      (doc) => (doc.config.layers[5].config.trainable = false),
      'model.config.layers[5].config.trainable: frozen (trainable false) Dense layers are not supported'
    ],
    [
      'merge_mode null',
      (doc) => (doc.config.layers[1].config.merge_mode = null),
      'model.config.layers[1].config.merge_mode: merge_mode null (two separate outputs) is not supported; use concat, sum, mul or ave'
    ],
    [
      'a Keras 1 activation',
      (doc) => (doc.config.layers[1].config.layer.config.recurrent_activation = 'hard_sigmoid'),
      'model.config.layers[1].config.layer.config.recurrent_activation: unknown activation "hard_sigmoid"; expected one of tanh, sigmoid, relu, linear'
    ],
    [
      'units 0',
      (doc) => (doc.config.layers[3].config.layer.config.units = 0),
      'model.config.layers[3].config.layer.config.units: must be a positive integer, got 0'
    ],
    [
      'a dense activation we lack',
      (doc) => (doc.config.layers[5].config.activation = 'swish'),
      'model.config.layers[5].config.activation: unknown activation "swish"; expected one of softmax, linear, relu, sigmoid, tanh'
    ],
    [
      'a broken chain of ranks',
      (doc) => (doc.config.layers[1].config.layer.config.return_sequences = false),
      'model.config.layers[3]: this bidirectional lstm layer needs a sequence [batch, steps, features], but model.config.layers[1] (bidirectional lstm) returns only its last step; set returnSequences: true on it'
    ],
    [
      'a rank-2 input',
      (doc) => (doc.config.layers[0].config.batch_input_shape = [null, 784]),
      'model.config.layers[0].config.batch_input_shape: expected an input of rank 3 [batch, steps, features], got [null,784]'
    ],
    [
      'a functional model',
      (doc) => (doc.class_name = 'Functional'),
      'model.class_name: only Sequential models can be imported, got "Functional"'
    ],
    [
      'a layer without config',
      (doc) => (doc.config.layers[2] = { class_name: 'Dropout' }),
      'model.config.layers[2].config: expected an object, got nothing'
    ],
    [
      'a bidirectional dense',
      (doc) => (doc.config.layers[1].config.layer = doc.config.layers[5]),
      'model.config.layers[1].config.layer: a Bidirectional Dense is not supported; wrap LSTM, GRU or SimpleRNN'
    ]
  ])('%s (Keras 2)', (_, edit, expected) => {
    const doc = copy(keras2)
    edit(doc)
    expect(errorOf(doc).message).toBe(expected)
  })

  it('refuses a Keras 3 backward layer that is not the mirror of the forward one', () => {
    const doc = copy(keras3)
    doc.config.layers[1].config.backward_layer.config.units = 20
    expect(errorOf(doc).message).toBe(
      'model.config.layers[1].config.backward_layer: a backward layer that differs from the forward layer is not supported'
    )
  })

  it('prefixes the file in a run config', () => {
    const doc = copy(keras3)
    doc.config.layers[5].config.units = 0
    expect(() => normalizeRunConfig({ model: doc }, 'model.json')).toThrow(
      'model.json: model.config.layers[5].config.units: must be a positive integer, got 0'
    )
  })
})
