// The run config, the one format the CLI, the UI and the trainer read. Its parts are in config/: types.ts (vocabulary,
// shapes, type guards), defaults.ts (Keras's defaults), normalize.ts (validation), stack.ts (whole-stack checks).
export * from './config/types'
export * from './config/defaults'
export {
  ConfigError,
  fromKerasJson,
  normalizeModelConfig,
  normalizeRunConfig,
  readRunName,
  type NormalizeOptions
} from './config/normalize'
export { nearest, show } from './fields'
export { LIMITS, NAME_MAX_LENGTH, type LimitName } from './config/limits'
export {
  chainedLayers,
  describePreflight,
  explainEngineError,
  layerTitle,
  preflight,
  preflightRun,
  specFacts,
  type DataFacts,
  type PreflightFix,
  type PreflightProblem
} from './config/preflight'
