// Sweeps, the pure parts: the config (types.ts), its validation (normalize.ts), its trials (expand.ts) and the median
// pruner (median.ts). Running them is main/sweeps/.
export * from './types'
export { SweepConfigError, MAX_TRIALS, gridSize, isVariable, normalizeSweepConfig, parameterPath } from './normalize'
export { describeParams, expandSweep, seededRandom } from './expand'
export { bestSoFar, median, medianDecision, type MedianDecision } from './median'
export { extendSweep, type ExistingTrial, type TrialsAddition } from './extend'
