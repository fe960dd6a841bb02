// The run config: its types, Keras defaults and validation — the one format the CLI, the UI and the trainer read.
import { normalizeDatasetSpec, type DatasetSpec } from './datasets'
import { fromKerasJson, isKerasModelJson } from './keras'
import { estimateTrainingMemory, formatBytes, inferInputShape, resolveModel } from './model'

// ---------------------------------------------------------------------------------------------------------------
// Vocabulary

export const CELL_TYPES = ['simple_rnn', 'lstm', 'gru'] as const
export type CellType = (typeof CELL_TYPES)[number]

export const LAYER_TYPES = ['simple_rnn', 'lstm', 'gru', 'bidirectional', 'dropout', 'dense'] as const
export type LayerType = (typeof LAYER_TYPES)[number]

/** Activations a recurrent cell may use (each maps to an ONNX RNN/LSTM/GRU activation). */
export const RECURRENT_ACTIVATIONS = ['tanh', 'sigmoid', 'relu', 'linear'] as const
export type RecurrentActivation = (typeof RECURRENT_ACTIVATIONS)[number]

export const DENSE_ACTIVATIONS = ['softmax', 'linear', 'relu', 'sigmoid', 'tanh'] as const
export type DenseActivation = (typeof DENSE_ACTIVATIONS)[number]

export const MERGE_MODES = ['concat', 'sum', 'mul', 'ave'] as const
export type MergeMode = (typeof MERGE_MODES)[number]

export const LOSSES = ['categorical_crossentropy', 'mse'] as const
export type Loss = (typeof LOSSES)[number]

export const OPTIMIZER_TYPES = ['adam', 'sgd', 'rmsprop'] as const
export type OptimizerType = (typeof OPTIMIZER_TYPES)[number]

export const MONITORS = ['val_loss', 'val_accuracy', 'loss', 'accuracy'] as const
export type Monitor = (typeof MONITORS)[number]

/** As in Keras: `auto` minimises losses and maximises accuracies. */
export const MONITOR_MODES = ['auto', 'min', 'max'] as const
export type MonitorMode = (typeof MONITOR_MODES)[number]

// ---------------------------------------------------------------------------------------------------------------
// Normalized types: every field present, defaults filled. This is what the services and the engine receive.

interface RecurrentLayerBase {
  /** Optional Keras-style layer name; when absent the summary makes one (`lstm`, `lstm_1`, …). */
  name?: string
  units: number
  returnSequences: boolean
  activation: RecurrentActivation
  useBias: boolean
  dropout: number
  recurrentDropout: number
  goBackwards: boolean
}

export interface SimpleRnnLayerConfig extends RecurrentLayerBase {
  type: 'simple_rnn'
}

export interface LstmLayerConfig extends RecurrentLayerBase {
  type: 'lstm'
  recurrentActivation: RecurrentActivation
  unitForgetBias: boolean
}

export interface GruLayerConfig extends RecurrentLayerBase {
  type: 'gru'
  recurrentActivation: RecurrentActivation
  /** Keras `reset_after` (ONNX `linear_before_reset`): two bias vectors per gate. */
  resetAfter: boolean
}

export type RecurrentLayerConfig = SimpleRnnLayerConfig | LstmLayerConfig | GruLayerConfig

export interface BidirectionalLayerConfig {
  type: 'bidirectional'
  name?: string
  layer: RecurrentLayerConfig
  mergeMode: MergeMode
  /** Both directions use one set of weights (not a Keras option; the tutorial's "may share" variant). */
  sharedWeights: boolean
}

export interface DropoutLayerConfig {
  type: 'dropout'
  name?: string
  rate: number
}

export interface DenseLayerConfig {
  type: 'dense'
  name?: string
  units: number
  activation: DenseActivation
  useBias: boolean
}

export type LayerConfig = RecurrentLayerConfig | BidirectionalLayerConfig | DropoutLayerConfig | DenseLayerConfig

export interface ModelConfig {
  /** [timeSteps, features]; taken from the dataset when absent. */
  input?: [number, number]
  layers: LayerConfig[]
}

export interface AdamConfig {
  type: 'adam'
  learningRate: number
  beta1: number
  beta2: number
  epsilon: number
  clipNorm?: number
}

export interface SgdConfig {
  type: 'sgd'
  learningRate: number
  momentum: number
  nesterov: boolean
  clipNorm?: number
}

export interface RmspropConfig {
  type: 'rmsprop'
  learningRate: number
  rho: number
  momentum: number
  epsilon: number
  clipNorm?: number
}

export type OptimizerConfig = AdamConfig | SgdConfig | RmspropConfig

export interface EarlyStoppingConfig {
  monitor: Monitor
  mode: MonitorMode
  patience: number
  minDelta: number
  restoreBestWeights: boolean
}

export interface ReduceLrOnPlateauConfig {
  monitor: Monitor
  mode: MonitorMode
  factor: number
  patience: number
  minDelta: number
  cooldown: number
  minLr: number
}

export interface TrainingConfig {
  optimizer: OptimizerConfig
  loss: Loss
  batchSize: number
  epochs: number
  shuffle: boolean
  seed: number
  earlyStopping?: EarlyStoppingConfig
  reduceLrOnPlateau?: ReduceLrOnPlateauConfig
  /** Engine threads; the engine decides when absent. */
  threads?: number
}

export interface RunConfig {
  name: string
  dataset: DatasetSpec
  model: ModelConfig
  training: TrainingConfig
}

// ---------------------------------------------------------------------------------------------------------------
// Input types: what a person (or the UI) writes. Required fields are those Keras requires too.

type InputOf<T, Required extends keyof T> = Pick<T, Required> & Partial<Omit<T, Required>>

export type RecurrentLayerInput =
  | InputOf<SimpleRnnLayerConfig, 'type' | 'units'>
  | InputOf<LstmLayerConfig, 'type' | 'units'>
  | InputOf<GruLayerConfig, 'type' | 'units'>

export type BidirectionalLayerInput = Omit<InputOf<BidirectionalLayerConfig, 'type' | 'layer'>, 'layer'> & {
  layer: RecurrentLayerInput
}

export type LayerInput =
  | RecurrentLayerInput
  | BidirectionalLayerInput
  | InputOf<DropoutLayerConfig, 'type' | 'rate'>
  | InputOf<DenseLayerConfig, 'type' | 'units'>

export interface ModelConfigInput {
  input?: [number, number]
  layers: LayerInput[]
}

export type OptimizerInput =
  | OptimizerType
  | InputOf<AdamConfig, 'type'>
  | InputOf<SgdConfig, 'type'>
  | InputOf<RmspropConfig, 'type'>

export interface TrainingConfigInput {
  optimizer?: OptimizerInput
  loss?: Loss
  batchSize?: number
  epochs?: number
  shuffle?: boolean
  seed?: number
  earlyStopping?: boolean | Partial<EarlyStoppingConfig>
  reduceLrOnPlateau?: boolean | Partial<ReduceLrOnPlateauConfig>
  threads?: number
}

export interface RunConfigInput {
  name?: string
  /** Defaults to the offline MNIST sample. */
  dataset?: DatasetSpec
  /** Our layer stack, or a Keras Sequential `model.to_json()` document. */
  model: ModelConfigInput | Record<string, unknown>
  training?: TrainingConfigInput
}

// ---------------------------------------------------------------------------------------------------------------
// Defaults (Keras's, in our names)

export const DEFAULT_DATASET: DatasetSpec = { source: 'mnist-sample' }

export const OPTIMIZER_DEFAULTS = {
  adam: { type: 'adam', learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
  sgd: { type: 'sgd', learningRate: 0.01, momentum: 0, nesterov: false },
  rmsprop: { type: 'rmsprop', learningRate: 0.001, rho: 0.9, momentum: 0, epsilon: 1e-7 }
} as const satisfies { [K in OptimizerType]: Extract<OptimizerConfig, { type: K }> }

export const TRAINING_DEFAULTS = {
  /** Keras `compile()`'s default optimizer. */
  optimizer: 'rmsprop',
  loss: 'categorical_crossentropy',
  batchSize: 32,
  epochs: 1,
  shuffle: true,
  seed: 42
} as const

export const EARLY_STOPPING_DEFAULTS: EarlyStoppingConfig = {
  monitor: 'val_loss',
  mode: 'auto',
  patience: 0,
  minDelta: 0,
  restoreBestWeights: false
}

export const REDUCE_LR_ON_PLATEAU_DEFAULTS: ReduceLrOnPlateauConfig = {
  monitor: 'val_loss',
  mode: 'auto',
  factor: 0.1,
  patience: 10,
  minDelta: 1e-4,
  cooldown: 0,
  minLr: 0
}

// ---------------------------------------------------------------------------------------------------------------
// Errors

/** A bad config value. `path` is the dotted place in the config (`model.layers[2].layer.units`). */
export class ConfigError extends Error {
  readonly path: string
  readonly file?: string
  /** The message without the file and path. */
  readonly detail: string

  constructor(path: string, detail: string, file?: string) {
    super([file, path, detail].filter((part) => part !== undefined && part !== '').join(': '))
    this.name = 'ConfigError'
    this.path = path
    this.file = file
    this.detail = detail
  }

  withFile(file: string): ConfigError {
    return new ConfigError(this.path, this.detail, file)
  }
}

export interface NormalizeOptions {
  /** Refuse a model whose estimated training memory (at the configured batch size) exceeds this. */
  memoryLimitBytes?: number
}

// ---------------------------------------------------------------------------------------------------------------
// Entry points

/** Checks a run config as written (JSON-parsed) and returns it with every default filled. */
export function normalizeRunConfig(input: unknown, file?: string, options: NormalizeOptions = {}): RunConfig {
  try {
    return normalizeRun(input, file, options)
  } catch (e) {
    throw file !== undefined && e instanceof ConfigError ? e.withFile(file) : e
  }
}

/** Checks a model (our layer stack or a Keras `to_json()` document) and fills its defaults. */
export function normalizeModelConfig(input: unknown, path = 'model'): ModelConfig {
  if (isKerasModelJson(input)) return fromKerasJson(input, path)
  const o = readObject(input, path)
  checkKeys(o, path, ['input', 'layers'])
  const model: ModelConfig = { layers: [] }
  if (o.input !== undefined) model.input = readInputShape(o.input, join(path, 'input'))
  const layersPath = join(path, 'layers')
  const layers = readArray(o.layers, layersPath)
  if (layers.length === 0) throw new ConfigError(layersPath, 'the model needs at least one layer')
  model.layers = layers.map((layer, i) => normalizeLayer(layer, `${layersPath}[${i}]`))
  checkStack(model.layers, layersPath)
  return model
}

function normalizeRun(input: unknown, file: string | undefined, options: NormalizeOptions): RunConfig {
  const o = readObject(input, '')
  checkKeys(o, '', ['name', 'dataset', 'model', 'training'])
  const name = o.name === undefined ? defaultName(file) : readString(o.name, 'name')
  const dataset = o.dataset === undefined ? { ...DEFAULT_DATASET } : readDataset(o.dataset)
  if (o.model === undefined) throw new ConfigError('model', 'missing')
  const model = normalizeModelConfig(o.model, 'model')
  const training = normalizeTraining(o.training ?? {}, 'training')
  const run: RunConfig = { name, dataset, model, training }
  checkLossFitsModel(run)
  if (options.memoryLimitBytes !== undefined) checkMemory(run, options.memoryLimitBytes)
  return run
}

function defaultName(file: string | undefined): string {
  if (file === undefined) return 'untitled'
  const base = file.split(/[\\/]/).pop() ?? file
  return base.replace(/\.json$/i, '') || 'untitled'
}

/** The datasets module owns the dataset checks; its errors ("dataset.dir: …") become ConfigErrors here. */
function readDataset(value: unknown): DatasetSpec {
  try {
    return normalizeDatasetSpec(value, 'dataset')
  } catch (e) {
    if (!(e instanceof Error) || e instanceof ConfigError) throw e
    const match = /^(dataset[^:\s]*): (.*)$/.exec(e.message)
    throw match === null ? new ConfigError('dataset', e.message) : new ConfigError(match[1], match[2])
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Layers

const RECURRENT_KEYS = [
  'type', 'name', 'units', 'returnSequences', 'activation', 'useBias', 'dropout', 'recurrentDropout', 'goBackwards'
] as const
const GATED_KEYS = ['recurrentActivation'] as const

function normalizeLayer(value: unknown, path: string): LayerConfig {
  const o = readObject(value, path)
  const type = readEnum(o.type, join(path, 'type'), LAYER_TYPES, 'layer type')
  switch (type) {
    case 'simple_rnn':
    case 'lstm':
    case 'gru':
      return normalizeRecurrent(o, type, path)
    case 'bidirectional': {
      checkKeys(o, path, ['type', 'name', 'layer', 'mergeMode', 'sharedWeights'])
      const layerPath = join(path, 'layer')
      if (o.layer === undefined) throw new ConfigError(layerPath, 'missing: give the wrapped lstm, gru or simple_rnn layer')
      const inner = readObject(o.layer, layerPath)
      const innerType = readEnum(inner.type, join(layerPath, 'type'), LAYER_TYPES, 'layer type')
      if (innerType !== 'simple_rnn' && innerType !== 'lstm' && innerType !== 'gru') {
        const detail = `a bidirectional layer wraps lstm, gru or simple_rnn, not ${innerType}`
        throw new ConfigError(join(layerPath, 'type'), detail)
      }
      const layer = normalizeRecurrent(inner, innerType, layerPath)
      if (layer.goBackwards) {
        const detail = 'not allowed inside a bidirectional layer, which runs both directions'
        throw new ConfigError(join(layerPath, 'goBackwards'), detail)
      }
      if (layer.name !== undefined) {
        throw new ConfigError(join(layerPath, 'name'), 'name the bidirectional layer instead of the layer it wraps')
      }
      return withName(o, path, {
        type: 'bidirectional',
        layer,
        mergeMode: readEnum(o.mergeMode, join(path, 'mergeMode'), MERGE_MODES, 'merge mode', 'concat'),
        sharedWeights: readBoolean(o.sharedWeights, join(path, 'sharedWeights'), false)
      })
    }
    case 'dropout':
      checkKeys(o, path, ['type', 'name', 'rate'])
      if (o.rate === undefined) {
        throw new ConfigError(join(path, 'rate'), 'missing: give the fraction of inputs to drop, e.g. 0.2')
      }
      return withName(o, path, { type: 'dropout', rate: readRate(o.rate, join(path, 'rate'), 0) })
    case 'dense':
      checkKeys(o, path, ['type', 'name', 'units', 'activation', 'useBias'])
      return withName(o, path, {
        type: 'dense',
        units: readUnits(o.units, join(path, 'units')),
        activation: readEnum(o.activation, join(path, 'activation'), DENSE_ACTIVATIONS, 'activation', 'linear'),
        useBias: readBoolean(o.useBias, join(path, 'useBias'), true)
      })
  }
}

function normalizeRecurrent(o: Record<string, unknown>, type: CellType, path: string): RecurrentLayerConfig {
  if (type === 'simple_rnn') {
    if (o.recurrentActivation !== undefined) {
      const detail = 'only lstm and gru layers have a recurrent activation, not simple_rnn'
      throw new ConfigError(join(path, 'recurrentActivation'), detail)
    }
  }
  if (o.resetAfter !== undefined && type !== 'gru') {
    throw new ConfigError(join(path, 'resetAfter'), `only gru layers have resetAfter, not ${type}`)
  }
  if (o.unitForgetBias !== undefined && type !== 'lstm') {
    throw new ConfigError(join(path, 'unitForgetBias'), `only lstm layers have unitForgetBias, not ${type}`)
  }
  const extra = type === 'lstm' ? ['unitForgetBias'] : type === 'gru' ? ['resetAfter'] : []
  checkKeys(o, path, [...RECURRENT_KEYS, ...(type === 'simple_rnn' ? [] : GATED_KEYS), ...extra])
  const base = {
    units: readUnits(o.units, join(path, 'units')),
    returnSequences: readBoolean(o.returnSequences, join(path, 'returnSequences'), false),
    activation: readActivation(o.activation, join(path, 'activation'), 'tanh'),
    useBias: readBoolean(o.useBias, join(path, 'useBias'), true),
    dropout: readRate(o.dropout, join(path, 'dropout'), 0),
    recurrentDropout: readRate(o.recurrentDropout, join(path, 'recurrentDropout'), 0),
    goBackwards: readBoolean(o.goBackwards, join(path, 'goBackwards'), false)
  }
  const recurrentActivation = () => readActivation(o.recurrentActivation, join(path, 'recurrentActivation'), 'sigmoid')
  switch (type) {
    case 'simple_rnn':
      return withName(o, path, { type, ...base })
    case 'lstm':
      return withName(o, path, {
        type,
        ...base,
        recurrentActivation: recurrentActivation(),
        unitForgetBias: readBoolean(o.unitForgetBias, join(path, 'unitForgetBias'), true)
      })
    case 'gru':
      return withName(o, path, {
        type,
        ...base,
        recurrentActivation: recurrentActivation(),
        resetAfter: readBoolean(o.resetAfter, join(path, 'resetAfter'), true)
      })
  }
}

/** Puts an optional `name` first, so a normalized layer reads like the JSON a person writes. */
function withName<T extends LayerConfig>(o: Record<string, unknown>, path: string, layer: T): T {
  if (o.name === undefined) return layer
  const name = readString(o.name, join(path, 'name'))
  if (!/^[A-Za-z0-9_.\-]+$/.test(name)) {
    throw new ConfigError(join(path, 'name'), `use letters, digits, "_", "." or "-", got ${show(name)}`)
  }
  const { type, ...rest } = layer
  return { type, name, ...rest } as T
}

function readActivation(value: unknown, path: string, fallback: RecurrentActivation): RecurrentActivation {
  return readEnum(value, path, RECURRENT_ACTIVATIONS, 'activation', fallback)
}

export function isRecurrentLayer(layer: LayerConfig): layer is RecurrentLayerConfig {
  return layer.type === 'simple_rnn' || layer.type === 'lstm' || layer.type === 'gru'
}

/** The recurrent cell a layer runs, if any (the wrapped one for a bidirectional layer). */
export function cellOf(layer: LayerConfig): RecurrentLayerConfig | undefined {
  if (layer.type === 'bidirectional') return layer.layer
  return isRecurrentLayer(layer) ? layer : undefined
}

function describeLayer(layer: LayerConfig): string {
  return layer.type === 'bidirectional' ? `bidirectional ${layer.layer.type}` : layer.type
}

/** Ranks must chain: a recurrent layer needs [batch, steps, features]; dense layers form the head. */
function checkStack(layers: LayerConfig[], path: string): void {
  let sequence = true
  let lastRecurrent = -1
  let firstDense = -1
  const names = new Map<string, number>()
  layers.forEach((layer, i) => {
    const at = `${path}[${i}]`
    if (layer.name !== undefined) {
      const seen = names.get(layer.name)
      if (seen !== undefined) {
        throw new ConfigError(join(at, 'name'), `${show(layer.name)} is already the name of ${path}[${seen}]`)
      }
      names.set(layer.name, i)
    }
    const cell = cellOf(layer)
    if (cell !== undefined) {
      if (firstDense >= 0) {
        throw new ConfigError(
          at,
          `a ${describeLayer(layer)} layer cannot follow the dense layer ${path}[${firstDense}]; dense layers go at the end`
        )
      }
      if (!sequence) {
        throw new ConfigError(
          at,
          `this ${describeLayer(layer)} layer needs a sequence [batch, steps, features], but ${path}[${lastRecurrent}] ` +
            `(${describeLayer(layers[lastRecurrent])}) returns only its last step; set returnSequences: true on it`
        )
      }
      sequence = cell.returnSequences
      lastRecurrent = i
    } else if (layer.type === 'dense' && firstDense < 0) {
      firstDense = i
    }
  })
}

/** We fuse softmax with cross-entropy (one stable kernel), so that loss needs a softmax head. */
function checkLossFitsModel(run: RunConfig): void {
  if (run.training.loss !== 'categorical_crossentropy') return
  const layers = run.model.layers
  const i = layers.length - 1
  const last = layers[i]
  if (last.type !== 'dense') {
    throw new ConfigError(
      `model.layers[${i}]`,
      'categorical_crossentropy needs the model to end in a dense layer with activation softmax, ' +
        `but the last layer is ${describeLayer(last)}`
    )
  }
  if (last.activation !== 'softmax') {
    throw new ConfigError(
      `model.layers[${i}].activation`,
      'categorical_crossentropy needs the last dense layer to use softmax ' +
        `(softmax and cross-entropy are computed together), got ${show(last.activation)}`
    )
  }
}

function checkMemory(run: RunConfig, limitBytes: number): void {
  const input = inferInputShape(run)
  if (input === undefined) return
  const resolved = resolveModel(run.model, input)
  const estimate = estimateTrainingMemory(resolved, run.training.batchSize, input[0])
  if (estimate.totalBytes <= limitBytes) return
  const top = estimate.layers.reduce((a, b) => (b.bytes > a.bytes ? b : a))
  const layer = resolved.layers[top.index]
  throw new ConfigError(
    'training.batchSize',
    `training needs about ${formatBytes(estimate.totalBytes)} at batch ${run.training.batchSize} ` +
      `(limit ${formatBytes(limitBytes)}); ` +
      `most of it is model.layers[${top.index}] (${layer.name}, ${formatBytes(top.bytes)}): lower batchSize or units`
  )
}

// ---------------------------------------------------------------------------------------------------------------
// Training

function normalizeTraining(value: unknown, path: string): TrainingConfig {
  const o = readObject(value, path)
  if (o.validationSplit !== undefined) {
    // One place for it: the held-out share belongs to the data, next to the validation files it replaces.
    throw new ConfigError(join(path, 'validationSplit'), 'belongs in the dataset: use dataset.validationSplit')
  }
  checkKeys(o, path, [
    'optimizer', 'loss', 'batchSize', 'epochs', 'shuffle', 'seed', 'earlyStopping',
    'reduceLrOnPlateau', 'threads'
  ])
  const training: TrainingConfig = {
    optimizer: normalizeOptimizer(o.optimizer ?? TRAINING_DEFAULTS.optimizer, join(path, 'optimizer')),
    loss: readEnum(o.loss, join(path, 'loss'), LOSSES, 'loss', TRAINING_DEFAULTS.loss),
    batchSize: readPositiveInteger(o.batchSize, join(path, 'batchSize'), TRAINING_DEFAULTS.batchSize),
    epochs: readPositiveInteger(o.epochs, join(path, 'epochs'), TRAINING_DEFAULTS.epochs),
    shuffle: readBoolean(o.shuffle, join(path, 'shuffle'), TRAINING_DEFAULTS.shuffle),
    seed: readInteger(o.seed, join(path, 'seed'), 0, 2 ** 32 - 1, TRAINING_DEFAULTS.seed)
  }
  if (o.earlyStopping !== undefined && o.earlyStopping !== false) {
    training.earlyStopping = normalizeEarlyStopping(
      o.earlyStopping === true ? {} : o.earlyStopping,
      join(path, 'earlyStopping')
    )
  }
  if (o.reduceLrOnPlateau !== undefined && o.reduceLrOnPlateau !== false) {
    training.reduceLrOnPlateau = normalizeReduceLr(
      o.reduceLrOnPlateau === true ? {} : o.reduceLrOnPlateau,
      join(path, 'reduceLrOnPlateau')
    )
  }
  if (o.threads !== undefined) training.threads = readInteger(o.threads, join(path, 'threads'), 1, 1024)
  return training
}

function normalizeOptimizer(value: unknown, path: string): OptimizerConfig {
  const o = typeof value === 'string' ? { type: value } : readObject(value, path)
  const typePath = typeof value === 'string' ? path : join(path, 'type')
  const type = readEnum(o.type, typePath, OPTIMIZER_TYPES, 'optimizer')
  const defaults = OPTIMIZER_DEFAULTS[type]
  checkKeys(o, path, [...Object.keys(defaults), 'clipNorm'])
  const at = (key: string) => join(path, key)
  const learningRate = readPositive(o.learningRate, at('learningRate'), defaults.learningRate)
  let optimizer: OptimizerConfig
  switch (type) {
    case 'adam':
      optimizer = {
        type,
        learningRate,
        beta1: readRate(o.beta1, at('beta1'), OPTIMIZER_DEFAULTS.adam.beta1),
        beta2: readRate(o.beta2, at('beta2'), OPTIMIZER_DEFAULTS.adam.beta2),
        epsilon: readPositive(o.epsilon, at('epsilon'), OPTIMIZER_DEFAULTS.adam.epsilon)
      }
      break
    case 'sgd':
      optimizer = {
        type,
        learningRate,
        momentum: readRate(o.momentum, at('momentum'), OPTIMIZER_DEFAULTS.sgd.momentum),
        nesterov: readBoolean(o.nesterov, at('nesterov'), OPTIMIZER_DEFAULTS.sgd.nesterov)
      }
      break
    case 'rmsprop':
      optimizer = {
        type,
        learningRate,
        rho: readRate(o.rho, at('rho'), OPTIMIZER_DEFAULTS.rmsprop.rho),
        momentum: readRate(o.momentum, at('momentum'), OPTIMIZER_DEFAULTS.rmsprop.momentum),
        epsilon: readPositive(o.epsilon, at('epsilon'), OPTIMIZER_DEFAULTS.rmsprop.epsilon)
      }
      break
  }
  if (o.clipNorm !== undefined) optimizer.clipNorm = readPositive(o.clipNorm, at('clipNorm'))
  return optimizer
}

function normalizeEarlyStopping(value: unknown, path: string): EarlyStoppingConfig {
  const o = readObject(value, path)
  const d = EARLY_STOPPING_DEFAULTS
  checkKeys(o, path, Object.keys(d))
  return {
    monitor: readEnum(o.monitor, join(path, 'monitor'), MONITORS, 'metric', d.monitor),
    mode: readEnum(o.mode, join(path, 'mode'), MONITOR_MODES, 'mode', d.mode),
    patience: readInteger(o.patience, join(path, 'patience'), 0, 1_000_000, d.patience),
    minDelta: readNonNegative(o.minDelta, join(path, 'minDelta'), d.minDelta),
    restoreBestWeights: readBoolean(o.restoreBestWeights, join(path, 'restoreBestWeights'), d.restoreBestWeights)
  }
}

function normalizeReduceLr(value: unknown, path: string): ReduceLrOnPlateauConfig {
  const o = readObject(value, path)
  const d = REDUCE_LR_ON_PLATEAU_DEFAULTS
  checkKeys(o, path, Object.keys(d))
  const factor = readPositive(o.factor, join(path, 'factor'), d.factor)
  if (factor >= 1) {
    throw new ConfigError(join(path, 'factor'), `must be below 1 (the learning rate is multiplied by it), got ${factor}`)
  }
  return {
    monitor: readEnum(o.monitor, join(path, 'monitor'), MONITORS, 'metric', d.monitor),
    mode: readEnum(o.mode, join(path, 'mode'), MONITOR_MODES, 'mode', d.mode),
    factor,
    patience: readInteger(o.patience, join(path, 'patience'), 0, 1_000_000, d.patience),
    minDelta: readNonNegative(o.minDelta, join(path, 'minDelta'), d.minDelta),
    cooldown: readInteger(o.cooldown, join(path, 'cooldown'), 0, 1_000_000, d.cooldown),
    minLr: readNonNegative(o.minLr, join(path, 'minLr'), d.minLr)
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Readers: each names the path at fault. A `fallback` is the default used when the key is absent.

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`
}

/** A value as it appears in a message: strings quoted, long ones cut. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing'
  if (value === null) return 'null'
  if (Array.isArray(value)) return value.length <= 4 ? JSON.stringify(value) : 'an array'
  if (typeof value === 'object') return 'an object'
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)
  return String(value)
}

function readObject(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(path, `expected an object, got ${show(value)}`)
  }
  return value as Record<string, unknown>
}

function readArray(value: unknown, path: string): unknown[] {
  if (value === undefined) throw new ConfigError(path, 'missing')
  if (!Array.isArray(value)) throw new ConfigError(path, `expected an array, got ${show(value)}`)
  return value
}

function readString(value: unknown, path: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ConfigError(path, `expected a non-empty string, got ${show(value)}`)
  }
  return value
}

function readBoolean(value: unknown, path: string, fallback: boolean): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') throw new ConfigError(path, `expected true or false, got ${show(value)}`)
  return value
}

function readNumber(value: unknown, path: string, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ConfigError(path, value === undefined ? 'missing' : `expected a number, got ${show(value)}`)
  }
  return value
}

function readInteger(value: unknown, path: string, min: number, max: number, fallback?: number): number {
  const n = readNumber(value, path, fallback)
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(path, `must be an integer from ${min} to ${max}, got ${show(value)}`)
  }
  return n
}

function readPositiveInteger(value: unknown, path: string, fallback?: number): number {
  const n = readNumber(value, path, fallback)
  if (!Number.isSafeInteger(n) || n <= 0) throw new ConfigError(path, `must be a positive integer, got ${show(value)}`)
  return n
}

function readUnits(value: unknown, path: string): number {
  if (value === undefined) throw new ConfigError(path, 'missing: give the number of units, e.g. 50')
  const n = readPositiveInteger(value, path)
  if (n > 1_000_000) throw new ConfigError(path, `${n} units is more than this app can train`)
  return n
}

function readPositive(value: unknown, path: string, fallback?: number): number {
  const n = readNumber(value, path, fallback)
  if (n <= 0) throw new ConfigError(path, `must be greater than 0, got ${show(value)}`)
  return n
}

function readNonNegative(value: unknown, path: string, fallback: number): number {
  const n = readNumber(value, path, fallback)
  if (n < 0) throw new ConfigError(path, `must be 0 or more, got ${show(value)}`)
  return n
}

/** A fraction in [0, 1): dropout rates, validation split, decay rates. */
function readRate(value: unknown, path: string, fallback: number): number {
  const n = readNumber(value, path, fallback)
  if (n < 0 || n >= 1) throw new ConfigError(path, `must be at least 0 and below 1, got ${show(value)}`)
  return n
}

function readInputShape(value: unknown, path: string): [number, number] {
  if (!Array.isArray(value) || value.length !== 2) {
    throw new ConfigError(path, `expected [timeSteps, features], got ${show(value)}`)
  }
  return [readPositiveInteger(value[0], `${path}[0]`), readPositiveInteger(value[1], `${path}[1]`)]
}

function readEnum<T extends string>(value: unknown, path: string, allowed: readonly T[], what: string, fallback?: T): T {
  if (value === undefined && fallback !== undefined) return fallback
  if (value === undefined) throw new ConfigError(path, `missing: expected one of ${allowed.join(', ')}`)
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T
  const hint = typeof value === 'string' ? nearest(value, allowed) : undefined
  throw new ConfigError(
    path,
    `unknown ${what} ${show(value)}` + (hint ? ` (did you mean ${show(hint)}?)` : `; expected one of ${allowed.join(', ')}`)
  )
}

function checkKeys(o: Record<string, unknown>, path: string, allowed: readonly string[]): void {
  for (const key of Object.keys(o)) {
    if (allowed.includes(key)) continue
    const hint = nearest(key, allowed)
    throw new ConfigError(
      join(path, key),
      'unknown key' + (hint ? ` (did you mean ${show(hint)}?)` : `; expected one of ${allowed.join(', ')}`)
    )
  }
}

/** The allowed word a person probably meant: same letters up to case and `_`/`-`, or one or two typos away. */
export function nearest(word: string, allowed: readonly string[]): string | undefined {
  const squash = (s: string) => s.toLowerCase().replace(/[_\-\s]/g, '')
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of allowed) {
    const [c, w] = [squash(candidate), squash(word)]
    // A cut-short name (`val_acc` for `val_accuracy`) counts as one typo.
    const d = c === w ? 0 : w.length >= 3 && c.startsWith(w) ? 1 : editDistance(c, w)
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  const tolerance = word.length <= 4 ? 1 : 2
  return bestDistance <= tolerance ? best : undefined
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.length]
}
