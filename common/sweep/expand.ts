// A sweep's trials: every combination (grid) or `trials` seeded draws (random), each repeated with the next seeds.
// A trial's run config is the base with each parameter's value set at its dotted path (in the order the parameters
// are written, so a path into a chosen layer stack follows the stack), then every `$name` replaced by its value; it
// is then checked like any run config, and an error names the parameter (or the base key) and the trial.
import { normalizeRunConfig, type NormalizeOptions } from '../config/normalize'
import type { RunConfig } from '../config/types'
import { FieldError, isObject, show } from '../fields'
import { finiteValues, parameterPath, round6, SweepConfigError } from './normalize'
import type { ParameterValues, SweepConfig, SweepParameter, TrialPlan, TrialValue } from './types'

/** mulberry32: a small seeded generator, the same sequence in every JavaScript engine. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface Choice {
  /** The value set in the config. */
  value: unknown
  /** What the trial shows: the alternative's name, else the value. */
  shown: TrialValue
}

function choiceAt(v: ParameterValues, key: string, i: number): Choice {
  const values = finiteValues(v, key)
  return { value: values[i], shown: v.kind === 'alternatives' ? v.names[i] : (values[i] as TrialValue) }
}

function draw(v: ParameterValues, key: string, u: number): Choice {
  switch (v.kind) {
    case 'uniform': {
      const x = round6(v.min + u * (v.max - v.min))
      return { value: x, shown: x }
    }
    case 'loguniform': {
      const x = round6(Math.exp(Math.log(v.min) + u * (Math.log(v.max) - Math.log(v.min))))
      return { value: x, shown: x }
    }
    default: {
      const n = finiteValues(v, key).length
      return choiceAt(v, key, Math.min(n - 1, Math.floor(u * n)))
    }
  }
}

/** The points of a sweep, each a choice per parameter: the grid in order (first parameter slowest), or draws. */
function points(sweep: SweepConfig): Choice[][] {
  const ps = sweep.parameters
  if (sweep.method === 'random') {
    const u = seededRandom(sweep.seed)
    return Array.from({ length: sweep.trials ?? 0 }, () => ps.map((p) => draw(p.values, p.key, u())))
  }
  const sizes = ps.map((p) => finiteValues(p.values, p.key).length)
  const total = sizes.reduce((a, b) => a * b, 1)
  return Array.from({ length: total }, (_, n) => {
    const picks: Choice[] = new Array(ps.length)
    for (let j = ps.length - 1; j >= 0; j--) {
      picks[j] = choiceAt(ps[j].values, ps[j].key, n % sizes[j])
      n = Math.floor(n / sizes[j])
    }
    return picks
  })
}

/** Sets `value` at `path` in `target`, creating missing objects; an array index must exist. */
function setPath(target: Record<string, unknown>, p: SweepParameter, value: unknown): void {
  const path = p.path!
  let node: unknown = target
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]
    const last = i === path.length - 1
    const here = path.slice(0, i).join('.')
    if (Array.isArray(node)) {
      const index = /^\d+$/.test(seg) ? Number(seg) : NaN
      if (!(index < node.length)) {
        throw new FieldError(
          parameterPath(p.key),
          Number.isNaN(index)
            ? `${here} is a list: the next part must be an index (0, 1, …), got ${show(seg)}`
            : `${here} has ${node.length} item${node.length === 1 ? '' : 's'} in this trial, so there is no index ${index}`
        )
      }
      if (last) node[index] = value
      else node = node[index]
    } else if (isObject(node)) {
      if (last) node[seg] = value
      else {
        if (node[seg] === undefined) node[seg] = {}
        node = node[seg]
      }
    } else {
      const hint =
        typeof node === 'string' && here.endsWith('optimizer') ? ` (write it as {"type": ${show(node)}})` : ''
      throw new FieldError(parameterPath(p.key), `${here} is ${show(node)} in this trial, not an object${hint}`)
    }
  }
}

function substitute(v: unknown, vars: Map<string, unknown>): unknown {
  if (typeof v === 'string' && vars.has(v)) return structuredClone(vars.get(v))
  if (Array.isArray(v)) return v.map((x) => substitute(x, vars))
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x, vars)]))
  return v
}

/** `key=value, …` for messages. */
export function describeParams(params: Record<string, TrialValue>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : show(v)}`)
    .join(', ')
}

/** The error of a trial's run config, named by the parameter that set the place at fault, else by the base key. */
function trialError(e: FieldError, sweep: SweepConfig, index: number, params: Record<string, TrialValue>): FieldError {
  const segments = e.path.replace(/\[(\d+)\]/g, '.$1').split('.')
  const candidates = [...sweep.parameters].reverse()
  // The parameter whose path holds the place at fault, else one whose path made that place (a misspelt key in its
  // path, which the base does not have).
  const owner =
    candidates.find((p) => p.path !== null && p.path.every((s, i) => segments[i] === s)) ??
    candidates.find(
      (p) =>
        p.path !== null &&
        p.path.length > segments.length &&
        segments.every((s, i) => p.path![i] === s) &&
        valueAt(sweep.base, segments) === undefined
    )
  const where = `trial ${index + 1} (${describeParams(params)})`
  return owner
    ? new FieldError(parameterPath(owner.key), `in ${where}, ${e.path}: ${e.detail}`)
    : new FieldError(e.path === '' ? 'base' : `base.${e.path}`, `${e.detail} (in ${where})`)
}

/** The value at a dotted path's segments in a config as written, or undefined. */
function valueAt(config: unknown, segments: string[]): unknown {
  let node = config
  for (const s of segments) {
    if (Array.isArray(node) && /^\d+$/.test(s)) node = node[Number(s)]
    else if (isObject(node)) node = node[s]
    else return undefined
  }
  return node
}

/**
 * Every trial of a sweep with its checked run config. Throws a SweepConfigError naming the parameter or base key at
 * fault (and `file` when given). `options` are the run config's (the machine's memory limit).
 */
export function expandSweep(sweep: SweepConfig, options: NormalizeOptions = {}, file?: string): TrialPlan[] {
  try {
    return expand(sweep, options)
  } catch (e) {
    if (!(e instanceof FieldError)) throw e
    throw new SweepConfigError(e.path, e.detail, file)
  }
}

function expand(sweep: SweepConfig, options: NormalizeOptions): TrialPlan[] {
  const pts = points(sweep)
  const trials: TrialPlan[] = []
  const seen = new Map<string, number>()
  for (let repeat = 0; repeat < sweep.repeats; repeat++) {
    pts.forEach((choices, p) => {
      const index = repeat * pts.length + p
      const params: Record<string, TrialValue> = {}
      const input = structuredClone(sweep.base)
      const vars = new Map<string, unknown>()
      sweep.parameters.forEach((param, j) => {
        params[param.key] = choices[j].shown
        if (param.path === null) vars.set(param.key, choices[j].value)
        else setPath(input, param, structuredClone(choices[j].value))
      })
      const filled = substitute(input, vars) as Record<string, unknown>
      delete filled.name
      let config: RunConfig
      try {
        config = normalizeRunConfig(filled, undefined, options)
      } catch (e) {
        throw e instanceof FieldError ? trialError(e, sweep, index, params) : e
      }
      const seed = config.training.seed + repeat
      if (seed > 2 ** 32 - 1) {
        throw new FieldError('repeats', `trial ${index + 1}'s seed ${config.training.seed} + ${repeat} is too large`)
      }
      config = { ...config, name: `${sweep.name} #${index + 1}`, training: { ...config.training, seed } }
      if (sweep.method === 'grid' && repeat === 0) {
        const same = JSON.stringify({ ...config, name: '' })
        const earlier = seen.get(same)
        if (earlier !== undefined) {
          throw new FieldError(
            'parameters',
            `trials ${earlier + 1} (${describeParams(trials[earlier].params)}) and ${index + 1} (${describeParams(params)}) would train the same run config: a parameter changes nothing there`
          )
        }
        seen.set(same, index)
      }
      trials.push({ index, params, repeat, seed, config })
    })
  }
  return trials
}
