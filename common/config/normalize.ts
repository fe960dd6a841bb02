// Validation of a run config as written (JSON-parsed): every value checked and named by its path, defaults filled.
// A Keras document goes through the Keras translator first, and its errors are mapped back to the Keras places.
import {
  CELL_OPTIONS,
  CELL_TYPES_IN_MESSAGES,
  CELLS,
  RECURRENT_ACTIVATIONS,
  cellHasOption,
  isCellType,
  optionSpec,
  type CellOption,
  type CellType,
  type RecurrentActivation
} from '../cells'
import { normalizeDatasetSpec, type DatasetSpec } from '../datasets'
import {
  checkKeys,
  FieldError,
  join,
  readArray,
  readBoolean,
  readEnum,
  readNumber,
  readObject,
  readRange,
  readString,
  show,
  wordList
} from '../fields'
import { isKerasModelJson, translateKerasModel } from '../keras'
import {
  BIDIRECTIONAL_DEFAULTS,
  DEFAULT_DATASET,
  DENSE_DEFAULTS,
  EARLY_STOPPING_DEFAULTS,
  EMBEDDING_DEFAULTS,
  MASKING_DEFAULTS,
  OPTIMIZER_DEFAULTS,
  RECURRENT_DEFAULTS,
  REDUCE_LR_ON_PLATEAU_DEFAULTS,
  TRAINING_DEFAULTS
} from './defaults'
import { findControlCharacter } from '../format'
import { LIMITS, NAME_MAX_LENGTH } from './limits'
import { checkLossFitsModel, checkMemory, checkStack } from './stack'
import {
  DENSE_ACTIVATIONS,
  LAYER_TYPES,
  LOSSES,
  LOSS_ALIASES,
  MERGE_MODES,
  MONITOR_MODES,
  MONITORS,
  OPTIMIZER_TYPES,
  type EarlyStoppingConfig,
  type LayerConfig,
  type ModelConfig,
  type OptimizerConfig,
  type RecurrentLayerConfig,
  type ReduceLrOnPlateauConfig,
  type RunConfig,
  type TrainingConfig
} from './types'

/** A bad config value. `path` is the dotted place in the config (`model.layers[2].layer.units`). */
export class ConfigError extends FieldError {
  constructor(path: string, detail: string, file?: string) {
    super(path, detail, file)
    this.name = 'ConfigError'
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
// Entry points: the checks below raise FieldErrors (as do the dataset spec and the Keras translator); these present
// them as ConfigErrors.

/** Checks a run config as written (JSON-parsed) and returns it with every default filled. */
export function normalizeRunConfig(input: unknown, file?: string, options: NormalizeOptions = {}): RunConfig {
  return asConfigError(() => normalizeRun(input, file, options), file)
}

/** Checks a model (our layer stack or a Keras `to_json()` document) and fills its defaults. */
export function normalizeModelConfig(input: unknown, path = 'model'): ModelConfig {
  return asConfigError(() => normalizeAnyModel(input, path))
}

/**
 * Converts a Keras Sequential document and validates the result like our own format. Errors name the place in
 * the Keras document (`model.config.layers[3]`), not in the converted config, since that is what the person has.
 */
export function fromKerasJson(doc: unknown, path = 'model'): ModelConfig {
  return asConfigError(() => fromKeras(doc, path))
}

function asConfigError<T>(check: () => T, file?: string): T {
  try {
    return check()
  } catch (e) {
    if (!(e instanceof FieldError) || (e instanceof ConfigError && e.file === file)) throw e
    throw new ConfigError(e.path, e.detail, file)
  }
}

function normalizeAnyModel(input: unknown, path: string): ModelConfig {
  return isKerasModelJson(input) ? fromKeras(input, path) : normalizeModel(input, path)
}

function fromKeras(doc: unknown, path: string): ModelConfig {
  const keras = translateKerasModel(doc, path)
  try {
    return normalizeModel(keras.model, path)
  } catch (e) {
    throw e instanceof FieldError ? keras.mapError(e) : e
  }
}

function normalizeModel(input: unknown, path: string): ModelConfig {
  const o = readObject(input, path)
  checkKeys(o, path, ['input', 'layers'])
  const model: ModelConfig = { layers: [] }
  if (o.input !== undefined) model.input = readInputShape(o.input, join(path, 'input'))
  const layersPath = join(path, 'layers')
  const layers = readArray(o.layers, layersPath)
  if (layers.length === 0) throw new FieldError(layersPath, 'the model needs at least one layer')
  model.layers = layers.map((layer, i) => normalizeLayer(layer, `${layersPath}[${i}]`))
  checkStack(model.layers, layersPath)
  return model
}

function normalizeRun(input: unknown, file: string | undefined, options: NormalizeOptions): RunConfig {
  const o = readObject(input, '')
  checkKeys(o, '', ['name', 'dataset', 'model', 'training'])
  const name = o.name === undefined ? defaultName(file) : readRunName(o.name, 'name')
  const dataset = o.dataset === undefined ? { ...DEFAULT_DATASET } : readDataset(o.dataset)
  if (o.model === undefined) throw new FieldError('model', 'missing')
  const model = normalizeAnyModel(o.model, 'model')
  const training = normalizeTraining(o.training ?? {}, 'training')
  const run: RunConfig = { name, dataset, model, training }
  checkLossFitsModel(run)
  if (options.memoryLimitBytes !== undefined) checkMemory(run, options.memoryLimitBytes)
  return run
}

function defaultName(file: string | undefined): string {
  if (file === undefined) return 'untitled'
  const base = file.split(/[\\/]/).pop() ?? file
  // eslint-disable-next-line no-control-regex -- control characters are what it finds
  const name = base.replace(/\.json$/i, '').replace(/[\u0000-\u001f\u007f-\u009f]/g, '_')
  return name.slice(0, NAME_MAX_LENGTH).trim() || 'untitled'
}

/** A run's name: shown in tables and terminals, so one line of at most NAME_MAX_LENGTH characters. */
export function readRunName(value: unknown, path: string): string {
  const name = readString(value, path)
  if (name.length > NAME_MAX_LENGTH) {
    throw new FieldError(path, `must be at most ${NAME_MAX_LENGTH} characters, got ${name.length}`)
  }
  const control = findControlCharacter(name)
  if (control) throw new FieldError(path, `must be one line of text without control characters (${control})`)
  return name
}

/** The datasets module owns the dataset checks; its FieldErrors name `dataset.…` already. */
function readDataset(value: unknown): DatasetSpec {
  try {
    return normalizeDatasetSpec(value, 'dataset')
  } catch (e) {
    throw e instanceof Error && !(e instanceof FieldError) ? new FieldError('dataset', e.message) : e
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Layers

/** An embedding's inputDim: token ids reach the engine as float32, exact up to 2^24. */
const VOCABULARY = { min: 2, max: 1 << 24, integer: true }

const RECURRENT_KEYS = [
  'type',
  'name',
  'units',
  'returnSequences',
  'activation',
  'useBias',
  'dropout',
  'recurrentDropout',
  'goBackwards'
] as const

function normalizeLayer(value: unknown, path: string): LayerConfig {
  const o = readObject(value, path)
  const type = readEnum(o.type, join(path, 'type'), LAYER_TYPES, 'layer type')
  const cells = wordList(CELL_TYPES_IN_MESSAGES, 'or')
  switch (type) {
    case 'bidirectional': {
      checkKeys(o, path, ['type', 'name', 'layer', 'mergeMode', 'sharedWeights'])
      const layerPath = join(path, 'layer')
      if (o.layer === undefined) throw new FieldError(layerPath, `missing: give the wrapped ${cells} layer`)
      const inner = readObject(o.layer, layerPath)
      const innerType = readEnum(inner.type, join(layerPath, 'type'), LAYER_TYPES, 'layer type')
      if (!isCellType(innerType)) {
        const detail = `a bidirectional layer wraps ${cells}, not ${innerType}`
        throw new FieldError(join(layerPath, 'type'), detail)
      }
      const layer = normalizeRecurrent(inner, innerType, layerPath)
      if (layer.goBackwards) {
        const detail = 'not allowed inside a bidirectional layer, which runs both directions'
        throw new FieldError(join(layerPath, 'goBackwards'), detail)
      }
      if (layer.name !== undefined) {
        throw new FieldError(join(layerPath, 'name'), 'name the bidirectional layer instead of the layer it wraps')
      }
      const d = BIDIRECTIONAL_DEFAULTS
      return withName(o, path, {
        type: 'bidirectional',
        layer,
        mergeMode: readEnum(o.mergeMode, join(path, 'mergeMode'), MERGE_MODES, 'merge mode', d.mergeMode),
        sharedWeights: readBoolean(o.sharedWeights, join(path, 'sharedWeights'), d.sharedWeights)
      })
    }
    case 'dropout':
      checkKeys(o, path, ['type', 'name', 'rate'])
      if (o.rate === undefined) {
        throw new FieldError(join(path, 'rate'), 'missing: give the fraction of inputs to drop, e.g. 0.2')
      }
      return withName(o, path, { type: 'dropout', rate: readRange(o.rate, join(path, 'rate'), LIMITS.fraction) })
    case 'dense': {
      checkKeys(o, path, ['type', 'name', 'units', 'activation', 'useBias'])
      const d = DENSE_DEFAULTS
      return withName(o, path, {
        type: 'dense',
        units: readUnits(o.units, join(path, 'units')),
        activation: readEnum(o.activation, join(path, 'activation'), DENSE_ACTIVATIONS, 'activation', d.activation),
        useBias: readBoolean(o.useBias, join(path, 'useBias'), d.useBias)
      })
    }
    case 'embedding': {
      checkKeys(o, path, ['type', 'name', 'inputDim', 'outputDim', 'maskZero'])
      const at = (key: string) => join(path, key)
      if (o.inputDim === undefined) {
        throw new FieldError(at('inputDim'), 'missing: give the vocabulary size (the largest token id + 1)')
      }
      if (o.outputDim === undefined) throw new FieldError(at('outputDim'), 'missing: give the vector size, e.g. 32')
      return withName(o, path, {
        type: 'embedding',
        inputDim: readRange(o.inputDim, at('inputDim'), VOCABULARY),
        outputDim: readRange(o.outputDim, at('outputDim'), LIMITS.units),
        maskZero: readBoolean(o.maskZero, at('maskZero'), EMBEDDING_DEFAULTS.maskZero)
      })
    }
    case 'masking':
      checkKeys(o, path, ['type', 'name', 'maskValue'])
      return withName(o, path, {
        type: 'masking',
        maskValue: readNumber(o.maskValue, join(path, 'maskValue'), MASKING_DEFAULTS.maskValue)
      })
    default:
      return normalizeRecurrent(o, type, path)
  }
}

/** The common recurrent fields, then the cell's own options (common/cells.ts), each with its Keras default. */
function normalizeRecurrent(o: Record<string, unknown>, type: CellType, path: string): RecurrentLayerConfig {
  const cell = CELLS[type]
  for (const key of Object.keys(CELL_OPTIONS) as CellOption[]) {
    if (o[key] === undefined || cellHasOption(type, key)) continue
    const owners = wordList(
      CELL_TYPES_IN_MESSAGES.filter((t) => cellHasOption(t, key)),
      'and'
    )
    throw new FieldError(join(path, key), `only ${owners} layers have ${optionSpec(key).what ?? key}, not ${type}`)
  }
  checkKeys(o, path, [...RECURRENT_KEYS, ...cell.options])
  const d = RECURRENT_DEFAULTS
  const layer: Record<string, unknown> = {
    type,
    units: readUnits(o.units, join(path, 'units')),
    returnSequences: readBoolean(o.returnSequences, join(path, 'returnSequences'), d.returnSequences),
    activation: readActivation(o.activation, join(path, 'activation'), cell.activation),
    useBias: readBoolean(o.useBias, join(path, 'useBias'), d.useBias),
    dropout: readRange(o.dropout, join(path, 'dropout'), LIMITS.fraction, d.dropout),
    recurrentDropout: readRange(
      o.recurrentDropout,
      join(path, 'recurrentDropout'),
      LIMITS.fraction,
      d.recurrentDropout
    ),
    goBackwards: readBoolean(o.goBackwards, join(path, 'goBackwards'), d.goBackwards)
  }
  for (const key of cell.options as readonly CellOption[]) {
    const option = optionSpec(key)
    layer[key] =
      option.kind === 'activation'
        ? readActivation(o[key], join(path, key), option.default as RecurrentActivation)
        : readBoolean(o[key], join(path, key), option.default as boolean)
  }
  return withName(o, path, layer as unknown as RecurrentLayerConfig)
}

/** Puts an optional `name` first, so a normalized layer reads like the JSON a person writes. */
function withName<T extends LayerConfig>(o: Record<string, unknown>, path: string, layer: T): T {
  if (o.name === undefined) return layer
  const name = readString(o.name, join(path, 'name'))
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) {
    throw new FieldError(join(path, 'name'), `use letters, digits, "_", "." or "-", got ${show(name)}`)
  }
  const { type, ...rest } = layer
  return { type, name, ...rest } as T
}

function readActivation(value: unknown, path: string, fallback: RecurrentActivation): RecurrentActivation {
  return readEnum(value, path, RECURRENT_ACTIVATIONS, 'activation', fallback)
}

function readUnits(value: unknown, path: string): number {
  if (value === undefined) throw new FieldError(path, 'missing: give the number of units, e.g. 50')
  return readRange(value, path, LIMITS.units)
}

function readInputShape(value: unknown, path: string): [number, number] {
  if (!Array.isArray(value) || value.length !== 2) {
    throw new FieldError(path, `expected [timeSteps, features], got ${show(value)}`)
  }
  return [readRange(value[0], `${path}[0]`, LIMITS.timeSteps), readRange(value[1], `${path}[1]`, LIMITS.features)]
}

// ---------------------------------------------------------------------------------------------------------------
// Training

function normalizeTraining(value: unknown, path: string): TrainingConfig {
  const o = readObject(value, path)
  if (o.validationSplit !== undefined) {
    // One place for it: the held-out share belongs to the data, next to the validation files it replaces.
    throw new FieldError(join(path, 'validationSplit'), 'belongs in the dataset: use dataset.validationSplit')
  }
  checkKeys(o, path, [
    'optimizer',
    'loss',
    'batchSize',
    'epochs',
    'shuffle',
    'seed',
    'earlyStopping',
    'reduceLrOnPlateau',
    'threads'
  ])
  const training: TrainingConfig = {
    optimizer: normalizeOptimizer(o.optimizer ?? TRAINING_DEFAULTS.optimizer, join(path, 'optimizer')),
    loss: readEnum(
      typeof o.loss === 'string' ? (LOSS_ALIASES[o.loss] ?? o.loss) : o.loss,
      join(path, 'loss'),
      LOSSES,
      'loss',
      TRAINING_DEFAULTS.loss
    ),
    batchSize: readRange(o.batchSize, join(path, 'batchSize'), LIMITS.batchSize, TRAINING_DEFAULTS.batchSize),
    epochs: readRange(o.epochs, join(path, 'epochs'), LIMITS.epochs, TRAINING_DEFAULTS.epochs),
    shuffle: readBoolean(o.shuffle, join(path, 'shuffle'), TRAINING_DEFAULTS.shuffle),
    seed: readRange(o.seed, join(path, 'seed'), LIMITS.seed, TRAINING_DEFAULTS.seed)
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
  if (o.threads !== undefined) training.threads = readRange(o.threads, join(path, 'threads'), LIMITS.threads)
  return training
}

function normalizeOptimizer(value: unknown, path: string): OptimizerConfig {
  const o = typeof value === 'string' ? { type: value } : readObject(value, path)
  const typePath = typeof value === 'string' ? path : join(path, 'type')
  const type = readEnum(o.type, typePath, OPTIMIZER_TYPES, 'optimizer')
  const defaults = OPTIMIZER_DEFAULTS[type]
  checkKeys(o, path, [...Object.keys(defaults), 'clipNorm'])
  const at = (key: string) => join(path, key)
  const learningRate = readRange(o.learningRate, at('learningRate'), LIMITS.learningRate, defaults.learningRate)
  let optimizer: OptimizerConfig
  switch (type) {
    case 'adam':
      optimizer = {
        type,
        learningRate,
        beta1: readRange(o.beta1, at('beta1'), LIMITS.fraction, OPTIMIZER_DEFAULTS.adam.beta1),
        beta2: readRange(o.beta2, at('beta2'), LIMITS.fraction, OPTIMIZER_DEFAULTS.adam.beta2),
        epsilon: readRange(o.epsilon, at('epsilon'), LIMITS.positive, OPTIMIZER_DEFAULTS.adam.epsilon)
      }
      break
    case 'sgd':
      optimizer = {
        type,
        learningRate,
        momentum: readRange(o.momentum, at('momentum'), LIMITS.fraction, OPTIMIZER_DEFAULTS.sgd.momentum),
        nesterov: readBoolean(o.nesterov, at('nesterov'), OPTIMIZER_DEFAULTS.sgd.nesterov)
      }
      break
    case 'rmsprop':
      optimizer = {
        type,
        learningRate,
        rho: readRange(o.rho, at('rho'), LIMITS.fraction, OPTIMIZER_DEFAULTS.rmsprop.rho),
        momentum: readRange(o.momentum, at('momentum'), LIMITS.fraction, OPTIMIZER_DEFAULTS.rmsprop.momentum),
        epsilon: readRange(o.epsilon, at('epsilon'), LIMITS.positive, OPTIMIZER_DEFAULTS.rmsprop.epsilon)
      }
      break
  }
  if (o.clipNorm !== undefined) optimizer.clipNorm = readRange(o.clipNorm, at('clipNorm'), LIMITS.positive)
  return optimizer
}

function normalizeEarlyStopping(value: unknown, path: string): EarlyStoppingConfig {
  const o = readObject(value, path)
  const d = EARLY_STOPPING_DEFAULTS
  checkKeys(o, path, Object.keys(d))
  return {
    monitor: readEnum(o.monitor, join(path, 'monitor'), MONITORS, 'metric', d.monitor),
    mode: readEnum(o.mode, join(path, 'mode'), MONITOR_MODES, 'mode', d.mode),
    patience: readRange(o.patience, join(path, 'patience'), LIMITS.epochCount, d.patience),
    minDelta: readRange(o.minDelta, join(path, 'minDelta'), LIMITS.nonNegative, d.minDelta),
    restoreBestWeights: readBoolean(o.restoreBestWeights, join(path, 'restoreBestWeights'), d.restoreBestWeights)
  }
}

function normalizeReduceLr(value: unknown, path: string): ReduceLrOnPlateauConfig {
  const o = readObject(value, path)
  const d = REDUCE_LR_ON_PLATEAU_DEFAULTS
  checkKeys(o, path, Object.keys(d))
  const factor = readRange(o.factor, join(path, 'factor'), LIMITS.positive, d.factor)
  if (factor >= LIMITS.factor.max) {
    throw new FieldError(join(path, 'factor'), `must be below 1 (the learning rate is multiplied by it), got ${factor}`)
  }
  return {
    monitor: readEnum(o.monitor, join(path, 'monitor'), MONITORS, 'metric', d.monitor),
    mode: readEnum(o.mode, join(path, 'mode'), MONITOR_MODES, 'mode', d.mode),
    factor,
    patience: readRange(o.patience, join(path, 'patience'), LIMITS.epochCount, d.patience),
    minDelta: readRange(o.minDelta, join(path, 'minDelta'), LIMITS.nonNegative, d.minDelta),
    cooldown: readRange(o.cooldown, join(path, 'cooldown'), LIMITS.epochCount, d.cooldown),
    minLr: readRange(o.minLr, join(path, 'minLr'), LIMITS.minLearningRate, d.minLr)
  }
}
