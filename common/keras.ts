// Translation of a Keras Sequential `model.to_json()` document (Keras 2 or Keras 3) into our model format. It renames
// and refuses what we cannot run; the config's normalization then checks the values like any config's.
import { CELL_LIST, CELL_TYPES_IN_MESSAGES, CELLS, optionSpec, type CellOption, type CellSpec } from './cells'
import { FieldError, isObject, join, show, wordList } from './fields'

type Json = Record<string, unknown>

/** Any Keras model document (`class_name` + `config`); non-Sequential ones are refused by `translateKerasModel`. */
export function isKerasModelJson(doc: unknown): doc is Json {
  return isObject(doc) && typeof doc.class_name === 'string' && 'config' in doc
}

export interface KerasTranslation {
  /** Our model format (`{ input?, layers }`), not yet checked. */
  model: Json
  /** An error the config's checks found in `model`, moved to its place in the Keras document. */
  mapError(error: FieldError): FieldError
}

/**
 * Converts a Keras Sequential document into our model format. Errors name the place in the Keras document
 * (`model.config.layers[3]`), not in the converted config, since that is what the person has.
 */
export function translateKerasModel(doc: unknown, path = 'model'): KerasTranslation {
  if (!isKerasModelJson(doc)) {
    throw new FieldError(path, 'expected a Keras model.to_json() document (class_name and config)')
  }
  if (doc.class_name !== 'Sequential') {
    throw new FieldError(
      join(path, 'class_name'),
      `only Sequential models can be imported, got ${show(doc.class_name)}`
    )
  }
  // Keras 2.0-2.2.2 wrote the layer list as the config itself; later versions nest it under `layers`.
  const config = doc.config
  const layersPath = Array.isArray(config) ? join(path, 'config') : join(path, 'config.layers')
  const kerasLayers = Array.isArray(config) ? config : isObject(config) ? config.layers : undefined
  if (!Array.isArray(kerasLayers))
    throw new FieldError(layersPath, `expected the list of layers, got ${show(kerasLayers)}`)

  const layers: Json[] = []
  let batchShape = isObject(config) ? config.build_input_shape : undefined
  if (batchShape === undefined && isObject(doc.build_config)) batchShape = doc.build_config.input_shape
  let batchShapePath = join(path, 'config.build_input_shape')
  let sawInputLayer = false
  /** For each of our layers, the index of the Keras layer it came from. */
  const origin: number[] = []

  kerasLayers.forEach((entry, j) => {
    const at = `${layersPath}[${j}]`
    const { className, cfg } = readLayer(entry, at)
    const cfgPath = join(at, 'config')
    if (className === 'InputLayer') {
      batchShape = cfg.batch_shape ?? cfg.batch_input_shape
      batchShapePath = join(cfgPath, cfg.batch_shape !== undefined ? 'batch_shape' : 'batch_input_shape')
      sawInputLayer = true
      return
    }
    // Keras 2 puts the input shape on the first layer when the model was built with `input_shape=`.
    if (!sawInputLayer && layers.length === 0 && cfg.batch_input_shape !== undefined) {
      batchShape = cfg.batch_input_shape
      batchShapePath = join(cfgPath, 'batch_input_shape')
    }
    layers.push(convertLayer(className, cfg, at))
    origin.push(j)
  })

  const input = batchShape === undefined || batchShape === null ? undefined : readBatchShape(batchShape, batchShapePath)
  return {
    model: input === undefined ? { layers } : { input, layers },
    mapError: (e) => {
      // Messages may point at another layer (`… but model.layers[0] returns only its last step`): map those too.
      const layerRef = new RegExp(`${escapeRegExp(path)}\\.layers\\[(\\d+)\\]`, 'g')
      const detail = e.detail.replace(layerRef, (_, i: string) => `${layersPath}[${origin[Number(i)]}]`)
      return new FieldError(mapPath(e.path, path, layersPath, origin), detail)
    }
  }
}

/** Keras classes by name: the cells (as messages list them), the wrappers and the other layers. */
const SUPPORTED = [
  'InputLayer',
  'Bidirectional',
  ...CELL_TYPES_IN_MESSAGES.map((type) => CELLS[type].className),
  'Dropout',
  'Dense',
  'TimeDistributed'
]

/** Options we do not model but that do not change what the network computes (initial values, dtype, kernels). */
const IGNORED_OPTIONS = new Set([
  'name',
  'dtype',
  'batch_input_shape',
  'kernel_initializer',
  'recurrent_initializer',
  'bias_initializer',
  'implementation',
  'unroll',
  'seed',
  'use_cudnn',
  'zero_output_for_mask',
  'autocast'
])

/** The Keras options every recurrent class has; a cell's own are the snake_case of its CELL_OPTIONS keys. */
const RECURRENT_OPTIONS = [
  'units',
  'return_sequences',
  'activation',
  'use_bias',
  'dropout',
  'recurrent_dropout',
  'go_backwards'
]

function cellOfClass(className: string): CellSpec | undefined {
  return CELL_LIST.find((cell) => cell.className === className)
}

/** Renames Keras options to ours; values are checked afterwards by the one validation of our format. */
function convertLayer(className: string, cfg: Json, at: string): Json {
  const cfgPath = join(at, 'config')
  const cell = cellOfClass(className)
  if (cell !== undefined) return convertRecurrent(cell, cfg, cfgPath)
  switch (className) {
    case 'Bidirectional': {
      checkOptions(cfg, cfgPath, className, ['layer', 'merge_mode', 'backward_layer'])
      const inner = readLayer(cfg.layer, join(cfgPath, 'layer'))
      const innerPath = join(cfgPath, 'layer.config')
      const innerCell = cellOfClass(inner.className)
      if (innerCell === undefined) {
        const classes = wordList(
          CELL_TYPES_IN_MESSAGES.map((type) => CELLS[type].className),
          'or'
        )
        const detail = `a Bidirectional ${inner.className} is not supported; wrap ${classes}`
        throw new FieldError(join(cfgPath, 'layer'), detail)
      }
      const layer = convertRecurrent(innerCell, inner.cfg, innerPath)
      delete layer.name
      if (cfg.backward_layer !== undefined && cfg.backward_layer !== null) {
        checkBackwardLayer(cfg.backward_layer, join(cfgPath, 'backward_layer'), innerCell, layer)
      }
      if (cfg.merge_mode === null) {
        const detail = 'merge_mode null (two separate outputs) is not supported; use concat, sum, mul or ave'
        throw new FieldError(join(cfgPath, 'merge_mode'), detail)
      }
      return withName(cfg, { type: 'bidirectional', layer, mergeMode: cfg.merge_mode, sharedWeights: false })
    }
    case 'Dropout':
      checkOptions(cfg, cfgPath, className, ['rate'])
      return withName(cfg, { type: 'dropout', rate: cfg.rate })
    case 'Dense':
      checkOptions(cfg, cfgPath, className, ['units', 'activation', 'use_bias'])
      return withName(cfg, {
        type: 'dense',
        units: cfg.units,
        activation: cfg.activation ?? 'linear',
        useBias: cfg.use_bias
      })
    case 'TimeDistributed': {
      // TimeDistributed(Dense) is what our dense does after a sequence anyway.
      checkOptions(cfg, cfgPath, className, ['layer'])
      const inner = readLayer(cfg.layer, join(cfgPath, 'layer'))
      if (inner.className !== 'Dense') {
        const detail = `TimeDistributed(${inner.className}) is not supported; only TimeDistributed(Dense)`
        throw new FieldError(join(cfgPath, 'layer'), detail)
      }
      const dense = convertLayer('Dense', inner.cfg, join(cfgPath, 'layer'))
      delete dense.name
      return withName(cfg, dense)
    }
    default:
      throw new FieldError(at, `unsupported layer type ${className}; supported: ${SUPPORTED.join(', ')}`)
  }
}

function convertRecurrent(cell: CellSpec, cfg: Json, cfgPath: string): Json {
  const own = cell.options as readonly CellOption[]
  checkOptions(cfg, cfgPath, cell.className, [...RECURRENT_OPTIONS, ...own.map(toSnake)])
  const layer: Json = {
    type: cell.type,
    units: cfg.units,
    returnSequences: cfg.return_sequences,
    activation: cfg.activation,
    useBias: cfg.use_bias,
    dropout: cfg.dropout,
    recurrentDropout: cfg.recurrent_dropout,
    goBackwards: cfg.go_backwards
  }
  for (const key of own) {
    const value = cfg[toSnake(key)]
    const absent = optionSpec(key).kerasAbsent
    layer[key] = absent === undefined ? value : (value ?? absent)
  }
  return withName(cfg, layer)
}

/** Keras 3 always serializes the backward layer; we support only the mirror image of the forward one. */
function checkBackwardLayer(value: unknown, at: string, forwardCell: CellSpec, forward: Json): void {
  const backward = readLayer(value, at)
  const converted =
    backward.className === forwardCell.className
      ? convertRecurrent(forwardCell, backward.cfg, join(at, 'config'))
      : undefined
  const same =
    converted !== undefined &&
    converted.goBackwards === true &&
    Object.keys(forward).every((key) => key === 'goBackwards' || key === 'name' || converted[key] === forward[key])
  if (!same) throw new FieldError(at, 'a backward layer that differs from the forward layer is not supported')
}

function checkOptions(cfg: Json, cfgPath: string, className: string, used: string[]): void {
  for (const [key, value] of Object.entries(cfg)) {
    if (used.includes(key) || IGNORED_OPTIONS.has(key)) continue
    if (key === 'trainable') {
      if (value === false) {
        throw new FieldError(join(cfgPath, key), `frozen (trainable false) ${className} layers are not supported`)
      }
      continue
    }
    // Regularizers, constraints, stateful, return_state…: absent behaviour is null or false, which we match.
    if (value === null || value === false) continue
    throw new FieldError(join(cfgPath, key), `${className} option ${key} = ${show(value)} is not supported`)
  }
}

/** Drops absent options (so our defaults apply) and carries the Keras name, so the summary matches the notebook's. */
function withName(cfg: Json, layer: Json): Json {
  const out: Json = {}
  for (const [key, value] of Object.entries(layer)) if (value !== undefined) out[key] = value
  // A name with characters our format refuses is dropped rather than failing the import.
  if (typeof cfg.name === 'string' && /^[A-Za-z0-9_.-]+$/.test(cfg.name)) out.name = cfg.name
  return out
}

function readLayer(value: unknown, at: string): { className: string; cfg: Json } {
  if (!isObject(value) || typeof value.class_name !== 'string') {
    throw new FieldError(at, `expected a Keras layer (class_name and config), got ${show(value)}`)
  }
  if (!isObject(value.config)) throw new FieldError(join(at, 'config'), `expected an object, got ${show(value.config)}`)
  return { className: value.class_name, cfg: value.config }
}

/** [batch, steps, features] → [steps, features]; a variable step count (null) leaves the shape to the data. */
function readBatchShape(value: unknown, at: string): [number, number] | undefined {
  // Some Keras 2 savers wrap shapes as {"class_name": "TensorShape", "items": [...]}.
  const shape = isObject(value) && Array.isArray(value.items) ? value.items : value
  if (!Array.isArray(shape) || shape.length !== 3) {
    throw new FieldError(at, `expected an input of rank 3 [batch, steps, features], got ${show(shape)}`)
  }
  const [, steps, features] = shape
  if (!Number.isInteger(features) || (features as number) <= 0) {
    throw new FieldError(at, `the feature count must be a positive integer, got ${show(features)}`)
  }
  if (steps === null) return undefined
  if (!Number.isInteger(steps) || (steps as number) <= 0) {
    throw new FieldError(at, `the step count must be a positive integer or null, got ${show(steps)}`)
  }
  return [steps as number, features as number]
}

/** `model.layers[2].layer.units` → `model.config.layers[3].config.layer.config.units`. */
function mapPath(ours: string, path: string, layersPath: string, origin: number[]): string {
  const match = new RegExp(`^${escapeRegExp(path)}\\.layers\\[(\\d+)\\](.*)$`).exec(ours)
  if (match === null) return ours === join(path, 'layers') ? layersPath : ours
  const j = origin[Number(match[1])]
  const rest = match[2]
    .split('.')
    .filter((segment) => segment !== '')
    .map((segment) => (segment === 'layer' ? 'config.layer' : `config.${toSnake(segment)}`))
  return [`${layersPath}[${j}]`, ...rest].join('.')
}

function toSnake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
