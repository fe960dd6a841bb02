// A sweep: one base run config, the parameters that vary (by dotted path into the config, or as `$name` variables
// written where their value goes), how trials are picked (grid or random), repeats with other seeds, the objective,
// and the median pruner. The shapes here are the normalized ones; normalize.ts reads what a person writes.
import type { RunConfig } from '../config/types'

export const SWEEP_METHODS = ['grid', 'random'] as const
export type SweepMethod = (typeof SWEEP_METHODS)[number]

export const SWEEP_OBJECTIVES = ['val_accuracy', 'val_loss'] as const
export type SweepObjective = (typeof SWEEP_OBJECTIVES)[number]
export type ObjectiveGoal = 'max' | 'min'

/** val_accuracy is maximized, val_loss minimized. */
export function objectiveGoal(objective: SweepObjective): ObjectiveGoal {
  return objective === 'val_accuracy' ? 'max' : 'min'
}

export const RANGE_SCALES = ['linear', 'log'] as const
export type RangeScale = (typeof RANGE_SCALES)[number]

export const DISTRIBUTIONS = ['uniform', 'loguniform', 'int', 'choice'] as const
export type Distribution = (typeof DISTRIBUTIONS)[number]

/** How one parameter's values are given. Lists, ranges, alternatives and choice/int are finite; uniform ones are not. */
export type ParameterValues =
  | { kind: 'values'; values: unknown[] }
  /** Named values (a layer stack per name): the name is what a trial shows for the parameter. */
  | { kind: 'alternatives'; names: string[]; values: unknown[] }
  | { kind: 'range'; scale: RangeScale; min: number; max: number; steps: number }
  | { kind: 'uniform'; min: number; max: number }
  | { kind: 'loguniform'; min: number; max: number }
  | { kind: 'int'; min: number; max: number; step: number }

export interface SweepParameter {
  /** As written: a dotted path (`training.optimizer.learningRate`) or a variable (`$cell`). */
  key: string
  /** The dotted path's segments, or null for a variable. */
  path: string[] | null
  values: ParameterValues
}

/** Optuna's MedianPruner: no pruning before `warmupTrials` trials completed, nor at epochs up to `warmupEpochs`. */
export interface MedianPrunerConfig {
  type: 'median'
  warmupTrials: number
  warmupEpochs: number
  /** Completed trials that must have reached an epoch before it is judged (Optuna's n_min_trials). */
  minTrials: number
}

export interface SweepConfig {
  name: string
  /** The run config every trial starts from, as written (it may hold `$name` variables). */
  base: Record<string, unknown>
  method: SweepMethod
  /** Random only: how many points to draw (each run `repeats` times). */
  trials: number | null
  /** Random only: the sampler's seed. */
  seed: number
  parameters: SweepParameter[]
  /** Each point is trained this many times, with training.seed, seed + 1, … */
  repeats: number
  objective: SweepObjective
  pruner: MedianPrunerConfig | null
}

/** A parameter's value in one trial, as shown: the alternative's name, else the value itself. */
export type TrialValue = string | number | boolean | null | unknown[] | Record<string, unknown>

/** One trial of a sweep: which values it takes, its seed, and the run config it trains. */
export interface TrialPlan {
  /** 0-based, in the order trials are run. */
  index: number
  params: Record<string, TrialValue>
  /** 0 for the first run of a point, 1 for its first repeat… */
  repeat: number
  seed: number
  config: RunConfig
}
