// The run config: Keras defaults filled, every bad value refused with a one-line message naming its place.
import { describe, expect, it } from 'vitest'
import {
  ConfigError,
  nearest,
  normalizeModelConfig,
  normalizeRunConfig,
  preflightRun,
  type RunConfigInput
} from '../../common/config'

/** The run config of product.md, as a person writes it. */
function tutorialRun(): Record<string, any> {
  return {
    name: 'seed-bilstm-mnist',
    dataset: { source: 'mnist-sample' },
    model: {
      layers: [
        {
          type: 'bidirectional',
          mergeMode: 'concat',
          sharedWeights: false,
          layer: { type: 'lstm', units: 50, returnSequences: true }
        },
        { type: 'dropout', rate: 0.2 },
        { type: 'bidirectional', layer: { type: 'lstm', units: 50 } },
        { type: 'dropout', rate: 0.2 },
        { type: 'dense', units: 10, activation: 'softmax' }
      ]
    },
    training: {
      optimizer: { type: 'adam', learningRate: 0.001 },
      loss: 'categorical_crossentropy',
      batchSize: 64,
      epochs: 10,
      shuffle: true,
      seed: 42
    }
  }
}

/** The message normalizeRunConfig throws for a config changed by `edit`. */
function errorOf(edit: (config: Record<string, any>) => void, file = 'config.json'): string {
  const config = tutorialRun()
  edit(config)
  try {
    normalizeRunConfig(config, file)
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError)
    const message = (e as ConfigError).message
    expect(message).not.toContain('\n')
    return message
  }
  throw new Error('expected a ConfigError')
}

const LSTM_DEFAULTS = {
  type: 'lstm',
  returnSequences: false,
  activation: 'tanh',
  recurrentActivation: 'sigmoid',
  useBias: true,
  dropout: 0,
  recurrentDropout: 0,
  goBackwards: false,
  unitForgetBias: true
}

describe('defaults', () => {
  it('fills the tutorial with Keras defaults', () => {
    const run = normalizeRunConfig(tutorialRun())
    expect(run.name).toBe('seed-bilstm-mnist')
    expect(run.dataset).toEqual({ source: 'mnist-sample' })
    expect(run.model.input).toBeUndefined()
    expect(run.model.layers).toEqual([
      {
        type: 'bidirectional',
        mergeMode: 'concat',
        sharedWeights: false,
        layer: { ...LSTM_DEFAULTS, units: 50, returnSequences: true }
      },
      { type: 'dropout', rate: 0.2 },
      { type: 'bidirectional', mergeMode: 'concat', sharedWeights: false, layer: { ...LSTM_DEFAULTS, units: 50 } },
      { type: 'dropout', rate: 0.2 },
      { type: 'dense', units: 10, activation: 'softmax', useBias: true }
    ])
    expect(run.training).toEqual({
      optimizer: { type: 'adam', learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
      loss: 'categorical_crossentropy',
      batchSize: 64,
      epochs: 10,
      shuffle: true,
      seed: 42
    })
  })

  it('fills a minimal config like Keras compile() and fit()', () => {
    const run = normalizeRunConfig({
      model: {
        layers: [
          { type: 'gru', units: 8 },
          { type: 'dense', units: 10, activation: 'softmax' }
        ]
      }
    })
    expect(run.name).toBe('untitled')
    expect(run.dataset).toEqual({ source: 'mnist-sample' })
    expect(run.model.layers[0]).toEqual({
      type: 'gru',
      units: 8,
      returnSequences: false,
      activation: 'tanh',
      recurrentActivation: 'sigmoid',
      useBias: true,
      dropout: 0,
      recurrentDropout: 0,
      goBackwards: false,
      resetAfter: true
    })
    expect(run.training).toEqual({
      optimizer: { type: 'rmsprop', learningRate: 0.001, rho: 0.9, momentum: 0, epsilon: 1e-7 },
      loss: 'categorical_crossentropy',
      batchSize: 32,
      epochs: 1,
      shuffle: true,
      seed: 42
    })
  })

  it('simple_rnn has no recurrentActivation; dense defaults to linear like Keras', () => {
    const model = normalizeModelConfig({
      layers: [
        { type: 'simple_rnn', units: 4 },
        { type: 'dense', units: 2 }
      ]
    })
    expect(model.layers).toEqual([
      {
        type: 'simple_rnn',
        units: 4,
        returnSequences: false,
        activation: 'tanh',
        useBias: true,
        dropout: 0,
        recurrentDropout: 0,
        goBackwards: false
      },
      { type: 'dense', units: 2, activation: 'linear', useBias: true }
    ])
  })

  it('names the run after its file when it has no name', () => {
    const config = tutorialRun()
    delete config.name
    expect(normalizeRunConfig(config, 'runs/my-gru.json').name).toBe('my-gru')
  })

  it('fills optimizer defaults per type and accepts a Keras-style name', () => {
    const optimizer = (value: unknown) =>
      normalizeRunConfig({ ...tutorialRun(), training: { optimizer: value } }).training.optimizer
    expect(optimizer('adam')).toEqual({ type: 'adam', learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 })
    expect(optimizer({ type: 'sgd' })).toEqual({ type: 'sgd', learningRate: 0.01, momentum: 0, nesterov: false })
    expect(optimizer({ type: 'sgd', momentum: 0.9, nesterov: true, clipNorm: 1 })).toEqual({
      type: 'sgd',
      learningRate: 0.01,
      momentum: 0.9,
      nesterov: true,
      clipNorm: 1
    })
    expect(optimizer({ type: 'rmsprop', learningRate: 0.01 })).toEqual({
      type: 'rmsprop',
      learningRate: 0.01,
      rho: 0.9,
      momentum: 0,
      epsilon: 1e-7
    })
  })

  it('fills callback defaults', () => {
    const training = normalizeRunConfig({
      ...tutorialRun(),
      training: { earlyStopping: true, reduceLrOnPlateau: { patience: 3 }, threads: 2 }
    }).training
    expect(training.earlyStopping).toEqual({
      monitor: 'val_loss',
      mode: 'auto',
      patience: 0,
      minDelta: 0,
      restoreBestWeights: false
    })
    expect(training.reduceLrOnPlateau).toEqual({
      monitor: 'val_loss',
      mode: 'auto',
      factor: 0.1,
      patience: 3,
      minDelta: 1e-4,
      cooldown: 0,
      minLr: 0
    })
    expect(training.threads).toBe(2)
    expect(
      normalizeRunConfig({ ...tutorialRun(), training: { earlyStopping: false } }).training.earlyStopping
    ).toBeUndefined()
  })

  it('keeps model.input and a mse model ending in a recurrent layer', () => {
    const run = normalizeRunConfig({
      model: { input: [10, 3], layers: [{ type: 'lstm', units: 4, returnSequences: true }] },
      training: { loss: 'mse' }
    })
    expect(run.model.input).toEqual([10, 3])
  })
})

describe('input types', () => {
  it('type a config as a person writes it, and a normalized config is a valid input', () => {
    const input: RunConfigInput = {
      model: {
        layers: [
          { type: 'bidirectional', layer: { type: 'gru', units: 8, resetAfter: false, returnSequences: true } },
          { type: 'lstm', units: 4 },
          { type: 'dense', units: 10, activation: 'softmax' }
        ]
      },
      training: { optimizer: { type: 'sgd', momentum: 0.9 }, earlyStopping: { patience: 3 } }
    }
    const run = normalizeRunConfig(input)
    const again: RunConfigInput = run
    expect(normalizeRunConfig(again)).toEqual(run)
  })
})

describe('round trip', () => {
  it('normalizing twice changes nothing', () => {
    const configs = [
      tutorialRun(),
      {
        model: {
          layers: [
            { type: 'gru', units: 8, name: 'encoder' },
            { type: 'dense', units: 3, activation: 'softmax' }
          ]
        }
      },
      {
        name: 'x',
        model: {
          input: [5, 2],
          layers: [
            {
              type: 'bidirectional',
              mergeMode: 'ave',
              sharedWeights: true,
              layer: { type: 'simple_rnn', units: 3, returnSequences: true }
            }
          ]
        },
        training: { loss: 'mse', optimizer: 'sgd', earlyStopping: { patience: 2 }, reduceLrOnPlateau: true }
      }
    ]
    for (const config of configs) {
      const once = normalizeRunConfig(config)
      const twice = normalizeRunConfig(JSON.parse(JSON.stringify(once)))
      expect(twice).toEqual(once)
      expect(JSON.stringify(twice)).toBe(JSON.stringify(once))
    }
  })

  it('does not change its input', () => {
    const config = tutorialRun()
    const copy = JSON.parse(JSON.stringify(config))
    normalizeRunConfig(config)
    expect(config).toEqual(copy)
  })
})

describe('errors name the file, the place and the field', () => {
  it('carries path and file on the error', () => {
    const config = tutorialRun()
    config.model.layers[0].layer.units = 0
    try {
      normalizeRunConfig(config, 'config.json')
      expect.unreachable()
    } catch (e) {
      const error = e as ConfigError
      expect(error).toBeInstanceOf(ConfigError)
      expect(error.path).toBe('model.layers[0].layer.units')
      expect(error.file).toBe('config.json')
      expect(error.detail).toBe('must be a positive integer, got 0')
      expect(error.message).toBe('config.json: model.layers[0].layer.units: must be a positive integer, got 0')
    }
  })

  it('leaves the file out when there is none', () => {
    expect(() => normalizeModelConfig({ layers: [] })).toThrow(/^model\.layers: the model needs at least one layer$/)
  })

  it.each<[string, (c: Record<string, any>) => void, string]>([
    [
      'units 0',
      (c) => (c.model.layers[0].layer.units = 0),
      'model.layers[0].layer.units: must be a positive integer, got 0'
    ],
    [
      'negative units',
      (c) => (c.model.layers[4].units = -10),
      'model.layers[4].units: must be a positive integer, got -10'
    ],
    [
      'fractional units',
      (c) => (c.model.layers[2].layer.units = 2.5),
      'model.layers[2].layer.units: must be a positive integer, got 2.5'
    ],
    [
      'units as a string',
      (c) => (c.model.layers[2].layer.units = '50'),
      'model.layers[2].layer.units: expected a number, got "50"'
    ],
    [
      'missing units',
      (c) => delete c.model.layers[2].layer.units,
      'model.layers[2].layer.units: missing: give the number of units, e.g. 50'
    ],
    [
      'snake_case key',
      (c) => (c.model.layers[0].layer = { type: 'lstm', units: 50, return_sequences: true }),
      'model.layers[0].layer.return_sequences: unknown key (did you mean "returnSequences"?)'
    ],
    [
      'misspelt key',
      (c) => (c.model.layers[0].mergMode = 'sum'),
      'model.layers[0].mergMode: unknown key (did you mean "mergeMode"?)'
    ],
    [
      'unknown key',
      (c) => (c.model.layers[1].keep = 0.8),
      'model.layers[1].keep: unknown key; expected one of type, name, rate'
    ],
    ['misspelt section', (c) => (c.trainng = {}), 'trainng: unknown key (did you mean "training"?)'],
    [
      'dropout rate 1',
      (c) => (c.model.layers[1].rate = 1),
      'model.layers[1].rate: must be at least 0 and below 1, got 1'
    ],
    [
      'negative dropout',
      (c) => (c.model.layers[3].rate = -0.1),
      'model.layers[3].rate: must be at least 0 and below 1, got -0.1'
    ],
    [
      'recurrent dropout',
      (c) => (c.model.layers[0].layer.recurrentDropout = 1.5),
      'model.layers[0].layer.recurrentDropout: must be at least 0 and below 1, got 1.5'
    ],
    [
      'missing rate',
      (c) => (c.model.layers[1] = { type: 'dropout' }),
      'model.layers[1].rate: missing: give the fraction of inputs to drop, e.g. 0.2'
    ],
    [
      'unknown layer type',
      (c) => (c.model.layers[2] = { type: 'conv1d', filters: 3 }),
      'model.layers[2].type: unknown layer type "conv1d"; expected one of simple_rnn, lstm, gru, bidirectional, dropout, dense, embedding, masking'
    ],
    [
      'Keras class name as type',
      (c) => (c.model.layers[2].layer.type = 'LSTM'),
      'model.layers[2].layer.type: unknown layer type "LSTM" (did you mean "lstm"?)'
    ],
    [
      'SimpleRNN as type',
      (c) => (c.model.layers[2].layer.type = 'SimpleRNN'),
      'model.layers[2].layer.type: unknown layer type "SimpleRNN" (did you mean "simple_rnn"?)'
    ],
    [
      'missing type',
      (c) => delete c.model.layers[3].type,
      'model.layers[3].type: missing: expected one of simple_rnn, lstm, gru, bidirectional, dropout, dense, embedding, masking'
    ],
    [
      'unknown activation',
      (c) => (c.model.layers[0].layer.activation = 'relu6'),
      'model.layers[0].layer.activation: unknown activation "relu6" (did you mean "relu"?)'
    ],
    [
      'softmax in a recurrent layer',
      (c) => (c.model.layers[0].layer.recurrentActivation = 'softmax'),
      'model.layers[0].layer.recurrentActivation: unknown activation "softmax"; expected one of tanh, sigmoid, relu, linear'
    ],
    [
      'unknown dense activation',
      (c) => (c.model.layers[4].activation = 'gelu'),
      'model.layers[4].activation: unknown activation "gelu" (did you mean "relu"?)'
    ],
    [
      'unknown merge mode',
      (c) => (c.model.layers[0].mergeMode = 'max'),
      'model.layers[0].mergeMode: unknown merge mode "max"; expected one of concat, sum, mul, ave'
    ],
    [
      'resetAfter on lstm',
      (c) => (c.model.layers[0].layer.resetAfter = false),
      'model.layers[0].layer.resetAfter: only gru layers have resetAfter, not lstm'
    ],
    [
      'unitForgetBias on gru',
      (c) => (c.model.layers[0].layer = { type: 'gru', units: 5, returnSequences: true, unitForgetBias: true }),
      'model.layers[0].layer.unitForgetBias: only lstm layers have unitForgetBias, not gru'
    ],
    [
      'recurrentActivation on simple_rnn',
      (c) =>
        (c.model.layers[0].layer = {
          type: 'simple_rnn',
          units: 5,
          returnSequences: true,
          recurrentActivation: 'sigmoid'
        }),
      'model.layers[0].layer.recurrentActivation: only lstm and gru layers have a recurrent activation, not simple_rnn'
    ],
    [
      'a recurrent layer after one that returns only its last step',
      (c) => (c.model.layers[0].layer.returnSequences = false),
      'model.layers[2]: this bidirectional lstm layer needs a sequence [batch, steps, features], but model.layers[0] (bidirectional lstm) returns only its last step; set returnSequences: true on it'
    ],
    [
      'a recurrent layer after a dense layer',
      (c) => c.model.layers.splice(1, 0, { type: 'dense', units: 20, activation: 'relu' }),
      'model.layers[3]: a bidirectional lstm layer cannot follow the dense layer model.layers[1]; dense layers go at the end'
    ],
    ['an empty stack', (c) => (c.model.layers = []), 'model.layers: the model needs at least one layer'],
    ['no layers', (c) => (c.model = {}), 'model.layers: missing'],
    ['no model', (c) => delete c.model, 'model: missing'],
    [
      'bidirectional around a dense layer',
      (c) => (c.model.layers[0].layer = { type: 'dense', units: 3 }),
      'model.layers[0].layer.type: a bidirectional layer wraps lstm, gru or simple_rnn, not dense'
    ],
    [
      'bidirectional without a layer',
      (c) => delete c.model.layers[2].layer,
      'model.layers[2].layer: missing: give the wrapped lstm, gru or simple_rnn layer'
    ],
    [
      'goBackwards inside bidirectional',
      (c) => (c.model.layers[2].layer.goBackwards = true),
      'model.layers[2].layer.goBackwards: not allowed inside a bidirectional layer, which runs both directions'
    ],
    [
      'a duplicate layer name',
      (c) => ((c.model.layers[1].name = 'drop'), (c.model.layers[3].name = 'drop')),
      'model.layers[3].name: "drop" is already the name of model.layers[1]'
    ],
    ['a bad input shape', (c) => (c.model.input = [28]), 'model.input: expected [timeSteps, features], got [28]'],
    ['a zero input dimension', (c) => (c.model.input = [28, 0]), 'model.input[1]: must be a positive integer, got 0'],
    [
      'categorical_crossentropy without a dense head',
      (c) => c.model.layers.pop(),
      'model.layers[3]: categorical_crossentropy needs the model to end in a dense layer with activation softmax, but the last layer is dropout'
    ],
    [
      'categorical_crossentropy on a recurrent output',
      (c) => (c.model.layers = [{ type: 'lstm', units: 4 }]),
      'model.layers[0]: categorical_crossentropy needs the model to end in a dense layer with activation softmax, but the last layer is lstm'
    ],
    [
      'categorical_crossentropy without softmax',
      (c) => (c.model.layers[4].activation = 'relu'),
      'model.layers[4].activation: categorical_crossentropy needs the last dense layer to use softmax (softmax and cross-entropy are computed together), got "relu"'
    ],
    [
      'categorical_crossentropy with the default linear dense',
      (c) => delete c.model.layers[4].activation,
      'model.layers[4].activation: categorical_crossentropy needs the last dense layer to use softmax (softmax and cross-entropy are computed together), got "linear"'
    ],
    ['batchSize 0', (c) => (c.training.batchSize = 0), 'training.batchSize: must be a positive integer, got 0'],
    ['fractional epochs', (c) => (c.training.epochs = 1.5), 'training.epochs: must be a positive integer, got 1.5'],
    [
      'learningRate 0',
      (c) => (c.training.optimizer.learningRate = 0),
      'training.optimizer.learningRate: must be greater than 0, got 0'
    ],
    [
      'negative learningRate',
      (c) => (c.training.optimizer.learningRate = -0.1),
      'training.optimizer.learningRate: must be greater than 0, got -0.1'
    ],
    [
      'snake_case optimizer key',
      (c) => (c.training.optimizer.learning_rate = 0.1),
      'training.optimizer.learning_rate: unknown key (did you mean "learningRate"?)'
    ],
    [
      'momentum on adam',
      (c) => (c.training.optimizer.momentum = 0.9),
      'training.optimizer.momentum: unknown key; expected one of type, learningRate, beta1, beta2, epsilon, clipNorm'
    ],
    [
      'unknown optimizer',
      (c) => (c.training.optimizer = 'adamw'),
      'training.optimizer: unknown optimizer "adamw" (did you mean "adam"?)'
    ],
    [
      'negative clipNorm',
      (c) => (c.training.optimizer.clipNorm = -1),
      'training.optimizer.clipNorm: must be greater than 0, got -1'
    ],
    [
      'unknown loss',
      (c) => (c.training.loss = 'hinge'),
      'training.loss: unknown loss "hinge"; expected one of categorical_crossentropy, sparse_categorical_crossentropy, binary_crossentropy, mse, mae'
    ],
    [
      'validationSplit in training',
      (c) => (c.training.validationSplit = 0.1),
      'training.validationSplit: belongs in the dataset: use dataset.validationSplit'
    ],
    ['negative seed', (c) => (c.training.seed = -1), 'training.seed: must be an integer from 0 to 4294967295, got -1'],
    ['shuffle as a string', (c) => (c.training.shuffle = 'yes'), 'training.shuffle: expected true or false, got "yes"'],
    [
      'unknown monitor',
      (c) => (c.training.earlyStopping = { monitor: 'val_acc' }),
      'training.earlyStopping.monitor: unknown metric "val_acc" (did you mean "val_accuracy"?)'
    ],
    [
      'restore_best_weights',
      (c) => (c.training.earlyStopping = { restore_best_weights: true }),
      'training.earlyStopping.restore_best_weights: unknown key (did you mean "restoreBestWeights"?)'
    ],
    [
      'factor 1',
      (c) => (c.training.reduceLrOnPlateau = { factor: 1 }),
      'training.reduceLrOnPlateau.factor: must be below 1 (the learning rate is multiplied by it), got 1'
    ],
    ['zero threads', (c) => (c.training.threads = 0), 'training.threads: must be a positive integer, got 0'],
    ['an empty name', (c) => (c.name = ''), 'name: expected a non-empty string, got ""'],
    [
      'a dataset the datasets module refuses',
      (c) => (c.dataset = { source: 'imagenet' }),
      'dataset.source: expected one of'
    ]
  ])('%s', (_, edit, expected) => {
    const message = errorOf(edit)
    expect(message.startsWith(`config.json: ${expected}`)).toBe(true)
    if (!expected.endsWith('expected one of')) expect(message).toBe(`config.json: ${expected}`)
  })

  it('refuses a config that is not an object', () => {
    expect(() => normalizeRunConfig(42, 'run.json')).toThrow('run.json: expected an object, got 42')
    expect(() => normalizeRunConfig(null)).toThrow('expected an object, got null')
  })
})

describe('memory limit', () => {
  it('passes under the limit and names the dominant layer above it', () => {
    expect(() => normalizeRunConfig(tutorialRun(), 'config.json', { memoryLimitBytes: 1024 ** 3 })).not.toThrow()
    const message = (() => {
      try {
        normalizeRunConfig(tutorialRun(), 'config.json', { memoryLimitBytes: 1_000_000 })
      } catch (e) {
        return (e as Error).message
      }
      return ''
    })()
    expect(message).toMatch(
      /^config\.json: training\.batchSize: training needs about [\d.]+ MB at batch 64 \(limit 976\.56 KB\); most of it is model\.layers\[0\] \(bidirectional, [\d.]+ MB\): lower batchSize or units$/
    )
  })

  it('skips the check when the input shape is only known from the data', () => {
    const config = { ...tutorialRun(), dataset: { source: 'npy', train: { x: 'x.npy', y: 'y.npy' } } }
    expect(() => normalizeRunConfig(config, 'c.json', { memoryLimitBytes: 1 })).not.toThrow()
  })
})

describe('nearest', () => {
  it('matches case, underscores and small typos only', () => {
    const keys = ['returnSequences', 'units', 'useBias']
    expect(nearest('return_sequences', keys)).toBe('returnSequences')
    expect(nearest('use_bias', keys)).toBe('useBias')
    expect(nearest('unit', keys)).toBe('units')
    expect(nearest('filters', keys)).toBeUndefined()
  })
})

describe('regression losses', () => {
  const layers = [
    { type: 'gru', units: 4 },
    { type: 'dense', units: 1 }
  ]
  it("reads Keras's long names as mse and mae, and monitors val_mae", () => {
    const run = (training: Record<string, unknown>) => normalizeRunConfig({ model: { layers }, training }).training
    expect(run({ loss: 'mean_squared_error' }).loss).toBe('mse')
    expect(run({ loss: 'mean_absolute_error' }).loss).toBe('mae')
    const t = run({ loss: 'mae', earlyStopping: { monitor: 'val_mae', patience: 2 } })
    expect(t.earlyStopping?.monitor).toBe('val_mae')
    // a dense layer's activation defaults to linear (Keras)
    expect(normalizeRunConfig({ model: { layers }, training: { loss: 'mae' } }).model.layers[1]).toMatchObject({
      activation: 'linear'
    })
    expect(() =>
      normalizeRunConfig({
        model: { layers: [layers[0], { type: 'dense', units: 2, activation: 'softmax' }] },
        training: { loss: 'mae' }
      })
    ).toThrow('model.layers[1].activation: mae forecasts numbers, but a softmax head gives class probabilities')
  })

  it('preflight asks for one output per target column', () => {
    const config = normalizeRunConfig({
      model: {
        layers: [
          { type: 'gru', units: 4 },
          { type: 'dense', units: 3 }
        ]
      },
      training: { loss: 'mse' }
    })
    const [p] = preflightRun(config, { targets: 2, labelsPerStep: false })
    expect(p.message).toBe(
      'The data has 2 target columns to forecast, but this head gives 3 outputs: set Units to 2, one per target.'
    )
    expect(p.fix?.patch).toEqual({ units: 2 })
  })
})
