// The run config's types: its vocabulary, the normalized form the services and the engine receive, and the input
// form a person writes, with their type guards. Defaults are in defaults.ts, validation in normalize.ts and stack.ts.
import { CELL_TYPES, isCellType, type CellOptionsOf, type CellType, type RecurrentActivation } from '../cells'
import type { DatasetSpec } from '../datasets'

// ---------------------------------------------------------------------------------------------------------------
// Vocabulary

export { CELL_TYPES, RECURRENT_ACTIVATIONS, type CellType, type RecurrentActivation } from '../cells'

export const LAYER_TYPES = [...CELL_TYPES, 'bidirectional', 'dropout', 'dense', 'embedding', 'masking'] as const
export type LayerType = (typeof LAYER_TYPES)[number]

export const DENSE_ACTIVATIONS = ['softmax', 'linear', 'relu', 'sigmoid', 'tanh'] as const
export type DenseActivation = (typeof DENSE_ACTIVATIONS)[number]

export const MERGE_MODES = ['concat', 'sum', 'mul', 'ave'] as const
export type MergeMode = (typeof MERGE_MODES)[number]

export const LOSSES = [
  'categorical_crossentropy',
  'sparse_categorical_crossentropy',
  'binary_crossentropy',
  'mse',
  'mae'
] as const
export type Loss = (typeof LOSSES)[number]

/** Keras's long names for the regression losses, accepted in a config and read as the short ones. */
export const LOSS_ALIASES: Readonly<Record<string, Loss>> = {
  mean_squared_error: 'mse',
  mean_absolute_error: 'mae'
}

/** Regression losses: float targets, a linear (or other elementwise) head, MAE as the metric instead of accuracy. */
export function isRegressionLoss(loss: Loss): loss is 'mse' | 'mae' {
  return loss === 'mse' || loss === 'mae'
}

export const OPTIMIZER_TYPES = ['adam', 'sgd', 'rmsprop'] as const
export type OptimizerType = (typeof OPTIMIZER_TYPES)[number]

export const MONITORS = ['val_loss', 'val_accuracy', 'loss', 'accuracy', 'val_mae', 'mae'] as const
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

/** A layer of cell C: the common recurrent fields and the cell's own options (common/cells.ts). */
export type CellLayerConfig<C extends CellType> = { type: C } & RecurrentLayerBase & CellOptionsOf<C>

export type RecurrentLayerConfig = { [C in CellType]: CellLayerConfig<C> }[CellType]
export type SimpleRnnLayerConfig = CellLayerConfig<'simple_rnn'>
export type LstmLayerConfig = CellLayerConfig<'lstm'>
export type GruLayerConfig = CellLayerConfig<'gru'>

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

/** Keras's Embedding: token ids [batch, steps] (here [batch, steps, 1]) → vectors [batch, steps, outputDim]. */
export interface EmbeddingLayerConfig {
  type: 'embedding'
  name?: string
  /** The vocabulary size: ids 0 … inputDim − 1. */
  inputDim: number
  outputDim: number
  /** Id 0 is padding: its steps are masked for the layers after (Keras mask_zero). */
  maskZero: boolean
}

/** Keras's Masking: a step whose every feature equals maskValue is masked for the layers after. */
export interface MaskingLayerConfig {
  type: 'masking'
  name?: string
  maskValue: number
}

export type LayerConfig =
  | RecurrentLayerConfig
  | BidirectionalLayerConfig
  | DropoutLayerConfig
  | DenseLayerConfig
  | EmbeddingLayerConfig
  | MaskingLayerConfig

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

export type RecurrentLayerInput = { [C in CellType]: InputOf<CellLayerConfig<C>, 'type' | 'units'> }[CellType]

export type BidirectionalLayerInput = Omit<InputOf<BidirectionalLayerConfig, 'type' | 'layer'>, 'layer'> & {
  layer: RecurrentLayerInput
}

export type LayerInput =
  | RecurrentLayerInput
  | BidirectionalLayerInput
  | InputOf<DropoutLayerConfig, 'type' | 'rate'>
  | InputOf<DenseLayerConfig, 'type' | 'units'>
  | InputOf<EmbeddingLayerConfig, 'type' | 'inputDim' | 'outputDim'>
  | InputOf<MaskingLayerConfig, 'type'>

export interface ModelConfigInput {
  input?: [number, number]
  layers: LayerInput[]
}

export type OptimizerInput =
  OptimizerType | InputOf<AdamConfig, 'type'> | InputOf<SgdConfig, 'type'> | InputOf<RmspropConfig, 'type'>

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
// Type guards

export function isRecurrentLayer(layer: LayerConfig): layer is RecurrentLayerConfig {
  return isCellType(layer.type)
}

/** The recurrent cell a layer runs, if any (the wrapped one for a bidirectional layer). */
export function cellOf(layer: LayerConfig): RecurrentLayerConfig | undefined {
  if (layer.type === 'bidirectional') return layer.layer
  return isRecurrentLayer(layer) ? layer : undefined
}
