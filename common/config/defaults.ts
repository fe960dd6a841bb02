// The run config's defaults: Keras's, in our names. A cell's own defaults are in its row of common/cells.ts.
import type { DatasetSpec } from '../datasets'
import type { EarlyStoppingConfig, OptimizerConfig, OptimizerType, ReduceLrOnPlateauConfig } from './types'

export const DEFAULT_DATASET: DatasetSpec = { source: 'mnist-sample' }

/** A recurrent layer's common fields; its activation and own options default as its cell's row says (cells.ts). */
export const RECURRENT_DEFAULTS = {
  returnSequences: false,
  useBias: true,
  dropout: 0,
  recurrentDropout: 0,
  goBackwards: false
} as const

export const BIDIRECTIONAL_DEFAULTS = { mergeMode: 'concat', sharedWeights: false } as const

/** Keras's Embedding and Masking defaults. */
export const EMBEDDING_DEFAULTS = { maskZero: false } as const
export const MASKING_DEFAULTS = { maskValue: 0 } as const

/** Keras's Dense has no activation (linear) unless given one. */
export const DENSE_DEFAULTS = { activation: 'linear', useBias: true } as const

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
