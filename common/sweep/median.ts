// The median stopping rule (Optuna's MedianPruner, warm-up trials and warm-up epochs): at epoch e, a trial whose best
// objective so far is worse than the median of the completed trials' best-so-far at e is stopped. Nothing is pruned
// before `warmupTrials` trials completed, at epochs up to `warmupEpochs`, or when fewer than `minTrials` completed
// trials reached e. (Optuna takes the other trials' value at e; here both sides are best-so-far, so one noisy epoch
// of an earlier trial does not lower or raise the bar.)
import type { MedianPrunerConfig, ObjectiveGoal } from './types'

/** The best of `values[0..epoch-1]` (values[i] is the objective at epoch i + 1); null when none is a number. */
export function bestSoFar(values: readonly (number | null)[], goal: ObjectiveGoal, epoch: number): number | null {
  let best: number | null = null
  for (const v of values.slice(0, epoch)) {
    if (v === null || !Number.isFinite(v)) continue
    if (best === null || (goal === 'max' ? v > best : v < best)) best = v
  }
  return best
}

/** numpy's median: the middle value, or the mean of the two middle values. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2
}

export interface MedianDecision {
  prune: boolean
  /** The trial's best so far at the epoch. */
  best: number | null
  /** The median it was held to (null when the rule did not apply). */
  median: number | null
  /** Completed trials that reached the epoch. */
  compared: number
}

/**
 * Whether to stop a trial after `epoch` (1-based). `current[i]` is its objective at epoch i + 1; `completed` holds
 * the same for each trial that completed (pruned, failed and cancelled trials do not count).
 */
export function medianDecision(
  pruner: MedianPrunerConfig,
  goal: ObjectiveGoal,
  current: readonly (number | null)[],
  epoch: number,
  completed: readonly (readonly (number | null)[])[]
): MedianDecision {
  const keep = (best: number | null, m: number | null = null, compared = 0): MedianDecision => ({
    prune: false,
    best,
    median: m,
    compared
  })
  const best = bestSoFar(current, goal, epoch)
  if (completed.length === 0 || completed.length < pruner.warmupTrials) return keep(best)
  if (epoch <= pruner.warmupEpochs || best === null) return keep(best)
  const others = completed.flatMap((c) => {
    const b = c.length >= epoch ? bestSoFar(c, goal, epoch) : null
    return b === null ? [] : [b]
  })
  if (others.length < pruner.minTrials) return keep(best, null, others.length)
  const m = median(others)
  const prune = goal === 'max' ? best < m : best > m
  return { prune, best, median: m, compared: others.length }
}
