// More trials for a sweep that exists: a grid takes extra values for some of its parameters (the new grid points,
// each repeated like the others, none that a trial already has); a random sweep draws N more points, continuing its
// seeded sequence (a point that repeats an existing trial's values is skipped). The sweep's config is updated so that
// its trials are what it says.
import type { NormalizeOptions } from '../config/normalize'
import { FieldError, isObject, show } from '../fields'
import { expandSweep } from './expand'
import { finiteValues, gridSize, MAX_TRIALS, parameterPath, SweepConfigError } from './normalize'
import type { ParameterValues, SweepConfig, TrialPlan } from './types'

/** What to add: extra values per parameter (grid), or a number of trials to draw (random). */
export type TrialsAddition =
  { values: Record<string, unknown>; trials?: undefined } | { trials: number; values?: undefined }

/** A trial the sweep has: its values as shown and its repeat. */
export interface ExistingTrial {
  params: Record<string, unknown>
  repeat: number
}

const keyOf = (params: Record<string, unknown>, repeat: number) => JSON.stringify([params, repeat])

/** A random sweep gives up looking for new points after this many draws per trial asked. */
const DRAWS_PER_TRIAL = 50

/**
 * The sweep with the addition, and its new trials numbered after `existing` (indices from existing.length). Throws
 * a SweepConfigError naming the parameter (`values["…"]`) or `trials` when the addition is wrong or adds nothing.
 */
export function extendSweep(
  sweep: SweepConfig,
  existing: ExistingTrial[],
  add: TrialsAddition,
  options: NormalizeOptions = {}
): { sweep: SweepConfig; trials: TrialPlan[] } {
  const have = new Set(existing.map((t) => keyOf(t.params, t.repeat)))
  const havePoints = new Set(existing.map((t) => JSON.stringify(t.params)))
  let next: SweepConfig
  let fresh: TrialPlan[]
  if (sweep.method === 'grid') {
    if (add.values === undefined)
      throw new SweepConfigError('values', 'a grid sweep takes extra values per parameter, not a trial count')
    next = withValues(sweep, add.values)
    fresh = expandSweep(next, options).filter((t) => !have.has(keyOf(t.params, t.repeat)))
  } else {
    if (add.trials === undefined)
      throw new SweepConfigError('trials', 'a random sweep takes a number of trials to draw, not values')
    if (!Number.isInteger(add.trials) || add.trials < 1 || add.trials > MAX_TRIALS)
      throw new SweepConfigError('trials', `expected a whole number from 1 to ${MAX_TRIALS}, got ${show(add.trials)}`)
    ;({ next, fresh } = drawMore(sweep, add.trials, havePoints, options))
  }
  if (fresh.length === 0)
    throw new SweepConfigError(
      sweep.method === 'grid' ? 'values' : 'trials',
      sweep.method === 'grid'
        ? 'adds no new parameter set: every combination is already a trial of the sweep'
        : 'no new parameter set found: every draw repeats a trial of the sweep'
    )
  if (existing.length + fresh.length > MAX_TRIALS)
    throw new SweepConfigError(
      'values',
      `${existing.length + fresh.length} trials; a sweep holds at most ${MAX_TRIALS}`
    )
  const trials = fresh.map((t, i) => {
    const index = existing.length + i
    return { ...t, index, config: { ...t.config, name: `${sweep.name} #${index + 1}` } }
  })
  return { sweep: next, trials }
}

/** The grid with each given parameter's extra values appended (values it already has are left out). */
function withValues(sweep: SweepConfig, values: Record<string, unknown>): SweepConfig {
  const keys = Object.keys(values)
  if (keys.length === 0) throw new SweepConfigError('values', 'give extra values for at least one parameter')
  const parameters = sweep.parameters.map((p) => ({ ...p }))
  for (const key of keys) {
    const at = `values[${JSON.stringify(key)}]`
    const p = parameters.find((x) => x.key === key)
    if (!p)
      throw new SweepConfigError(
        at,
        `not a parameter of sweep ${show(sweep.name)} (its parameters: ${sweep.parameters.map((x) => x.key).join(', ')})`
      )
    p.values = appended(p.values, key, values[key], at)
  }
  const next = { ...sweep, parameters }
  if (gridSize(parameters) * sweep.repeats > MAX_TRIALS)
    throw new SweepConfigError('values', `the grid would hold more than ${MAX_TRIALS} trials`)
  return next
}

function appended(v: ParameterValues, key: string, extra: unknown, at: string): ParameterValues {
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)
  if (v.kind === 'alternatives') {
    if (!isObject(extra) || Object.keys(extra).length === 0)
      throw new SweepConfigError(at, `${parameterPath(key)} is named alternatives: give {"name": value, …}`)
    const names = [...v.names]
    const list = [...v.values]
    for (const [name, value] of Object.entries(extra)) {
      if (name.trim() === '') throw new SweepConfigError(at, 'an alternative needs a name')
      if (names.includes(name)) {
        if (!same(list[names.indexOf(name)], value))
          throw new SweepConfigError(`${at}.${name}`, `the sweep already has an alternative named ${show(name)}`)
        continue
      }
      names.push(name)
      list.push(value)
    }
    return { kind: 'alternatives', names, values: list }
  }
  if (!Array.isArray(extra) || extra.length === 0)
    throw new SweepConfigError(at, `expected a list of values, got ${show(extra)}`)
  // A range or an int distribution becomes its list of values, then the extra ones.
  let values: unknown[]
  try {
    values = [...finiteValues(v, key)]
  } catch (e) {
    throw e instanceof FieldError ? new SweepConfigError(at, e.detail) : e
  }
  for (const x of extra) if (!values.some((y) => same(x, y))) values.push(x)
  return { kind: 'values', values }
}

/** Draws until `count` points no trial has, continuing the sweep's sequence; `trials` becomes the draws made. */
function drawMore(
  sweep: SweepConfig,
  count: number,
  havePoints: Set<string>,
  options: NormalizeOptions
): { next: SweepConfig; fresh: TrialPlan[] } {
  const old = sweep.trials ?? 0
  const limit = Math.min(MAX_TRIALS, old + count * DRAWS_PER_TRIAL)
  let draws = Math.min(limit, old + count)
  for (;;) {
    const next = { ...sweep, trials: draws }
    const all = expandSweep(next, options)
    // Points old.. in draw order; a point is kept once, when no trial (nor an earlier new point) has its values.
    const seen = new Set(havePoints)
    const points: number[] = []
    for (let p = old; p < draws && points.length < count; p++) {
      const k = JSON.stringify(all[p].params)
      if (seen.has(k)) continue
      seen.add(k)
      points.push(p)
    }
    if (points.length === count || draws >= limit) {
      const used = points.length === count ? points[points.length - 1] + 1 : draws
      const pick = new Set(points)
      const fresh: TrialPlan[] = []
      for (let r = 0; r < sweep.repeats; r++)
        for (const t of all) if (t.repeat === r && pick.has(t.index % draws)) fresh.push(t)
      return { next: { ...sweep, trials: used }, fresh }
    }
    draws = Math.min(limit, draws + (count - points.length) * 4)
  }
}
