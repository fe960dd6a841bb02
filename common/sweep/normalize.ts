// Validation of a sweep config as written (JSON-parsed), on the same field-error kit as the run config: every value is
// checked and named by its place (`parameters["training.optimizer.learningRate"].min`), a near-miss key gets a
// "did you mean". Each trial's run config is then checked like any run config (expand.ts).
import {
  checkKeys,
  FieldError,
  isObject,
  nearest,
  readEnum,
  readInteger,
  readNumber,
  readObject,
  readString,
  show
} from '../fields'
import {
  DISTRIBUTIONS,
  RANGE_SCALES,
  SWEEP_METHODS,
  SWEEP_OBJECTIVES,
  type MedianPrunerConfig,
  type ParameterValues,
  type SweepConfig,
  type SweepParameter
} from './types'

/** A bad sweep value; `path` is its place in the sweep file. */
export class SweepConfigError extends FieldError {
  constructor(path: string, detail: string, file?: string) {
    super(path, detail, file)
    this.name = 'SweepConfigError'
  }
}

/** The most trials one sweep may hold (a grid multiplies quickly). */
export const MAX_TRIALS = 10_000

/** The run config's top-level keys: where a dotted path may start. */
const RUN_KEYS = ['name', 'dataset', 'model', 'training'] as const

const VARIABLE = /^\$[A-Za-z_][A-Za-z0-9_]*$/

/** The place of a parameter in messages: `parameters["model.layers"]`. */
export function parameterPath(key: string): string {
  return `parameters[${JSON.stringify(key)}]`
}

export function isVariable(key: string): boolean {
  return VARIABLE.test(key)
}

/** Checks a sweep config as written and fills its defaults. Errors are SweepConfigErrors naming the key. */
export function normalizeSweepConfig(input: unknown, file?: string): SweepConfig {
  try {
    return normalizeSweep(input, file)
  } catch (e) {
    if (!(e instanceof FieldError) || (e instanceof SweepConfigError && e.file === file)) throw e
    throw new SweepConfigError(e.path, e.detail, file)
  }
}

function defaultName(file: string | undefined): string {
  if (file === undefined) return 'sweep'
  const base = file.split(/[\\/]/).pop() ?? file
  return base.replace(/\.json$/i, '') || 'sweep'
}

function normalizeSweep(input: unknown, file: string | undefined): SweepConfig {
  const o = readObject(input, '')
  checkKeys(o, '', ['name', 'base', 'method', 'trials', 'seed', 'parameters', 'repeats', 'objective', 'pruner'])
  const name = o.name === undefined ? defaultName(file) : readString(o.name, 'name')
  if (o.base === undefined) throw new FieldError('base', 'missing: give the run config every trial starts from')
  const base = readObject(o.base, 'base')
  const method = readEnum(o.method, 'method', SWEEP_METHODS, 'method', 'grid')
  let trials: number | null = null
  if (method === 'random') {
    if (o.trials === undefined) throw new FieldError('trials', 'missing: method "random" needs a trial count, e.g. 20')
    trials = readInteger(o.trials, 'trials', 1, MAX_TRIALS)
  } else if (o.trials !== undefined) {
    throw new FieldError('trials', 'only for method "random" (a grid runs every combination)')
  }
  if (method === 'grid' && o.seed !== undefined) {
    throw new FieldError('seed', 'only for method "random" (the seeds of the trials are training.seed and repeats)')
  }
  const seed = readInteger(o.seed, 'seed', 0, 2 ** 32 - 1, 0)
  const repeats = readInteger(o.repeats, 'repeats', 1, 1000, 1)
  const objective = readEnum(o.objective, 'objective', SWEEP_OBJECTIVES, 'objective', 'val_accuracy')
  const pruner = readPruner(o.pruner)
  if (o.parameters === undefined) throw new FieldError('parameters', 'missing: give at least one parameter to vary')
  const params = readObject(o.parameters, 'parameters')
  const keys = Object.keys(params)
  if (keys.length === 0) throw new FieldError('parameters', 'give at least one parameter to vary')
  const parameters = keys.map((key) => readParameter(key, params[key], method))
  checkVariables(base, parameters)
  const sweep: SweepConfig = { name, base, method, trials, seed, parameters, repeats, objective, pruner }
  const count = (method === 'grid' ? gridSize(parameters) : trials!) * repeats
  if (count > MAX_TRIALS) {
    throw new FieldError(
      method === 'grid' ? 'parameters' : 'repeats',
      `${count.toLocaleString('en-US')} trials; a sweep holds at most ${MAX_TRIALS.toLocaleString('en-US')}`
    )
  }
  return sweep
}

function readPruner(value: unknown): MedianPrunerConfig | null {
  if (value === undefined || value === false || value === null) return null
  const o = value === 'median' || value === true ? { type: 'median' } : readObject(value, 'pruner')
  checkKeys(o, 'pruner', ['type', 'warmupTrials', 'warmupEpochs', 'minTrials'])
  readEnum(o.type, 'pruner.type', ['median'] as const, 'pruner', 'median')
  return {
    type: 'median',
    warmupTrials: readInteger(o.warmupTrials, 'pruner.warmupTrials', 0, MAX_TRIALS, 5),
    warmupEpochs: readInteger(o.warmupEpochs, 'pruner.warmupEpochs', 0, 1_000_000, 0),
    minTrials: readInteger(o.minTrials, 'pruner.minTrials', 1, MAX_TRIALS, 1)
  }
}

function readPathKey(key: string, at: string): string[] | null {
  if (key.startsWith('$')) {
    if (!isVariable(key)) throw new FieldError(at, 'a variable is "$" then letters, digits or "_", e.g. "$cell"')
    return null
  }
  const segments = key.split('.')
  if (segments.some((s) => s === ''))
    throw new FieldError(at, 'a dotted path has no empty parts, e.g. model.layers.0.units')
  const first = segments[0]
  if (!(RUN_KEYS as readonly string[]).includes(first)) {
    const hint = nearest(first, RUN_KEYS)
    throw new FieldError(
      at,
      `a path starts at a run config key (${RUN_KEYS.join(', ')})` + (hint ? `; did you mean ${show(hint)}?` : '')
    )
  }
  if (segments.length === 1 && first === 'name') throw new FieldError(at, 'each trial is named after the sweep')
  return segments
}

const SPEC_KEYS = ['values', 'alternatives', 'range', 'distribution'] as const

function readParameter(key: string, value: unknown, method: SweepConfig['method']): SweepParameter {
  const at = parameterPath(key)
  const path = readPathKey(key, at)
  return { key, path, values: readValues(value, at, method) }
}

function readValueList(value: unknown, at: string): unknown[] {
  if (!Array.isArray(value)) throw new FieldError(at, `expected a list of values, got ${show(value)}`)
  if (value.length === 0) throw new FieldError(at, 'give at least one value')
  if (value.length > MAX_TRIALS) throw new FieldError(at, `more than ${MAX_TRIALS} values`)
  return value
}

function readValues(value: unknown, at: string, method: SweepConfig['method']): ParameterValues {
  if (Array.isArray(value)) return { kind: 'values', values: readValueList(value, at) }
  if (!isObject(value)) {
    throw new FieldError(
      at,
      `expected a list of values, or an object with one of ${SPEC_KEYS.join(', ')}; got ${show(value)}`
    )
  }
  const given = SPEC_KEYS.filter((k) => value[k] !== undefined)
  if (given.length !== 1 && !(given.length === 2 && value.distribution === 'choice' && given.includes('values'))) {
    if (given.length === 0) checkKeys(value, at, SPEC_KEYS)
    throw new FieldError(at, `give exactly one of ${SPEC_KEYS.join(', ')} (got ${given.join(' and ') || 'none'})`)
  }
  const kind = given.includes('distribution') ? 'distribution' : given[0]
  switch (kind) {
    case 'values':
      checkKeys(value, at, ['values'])
      return { kind: 'values', values: readValueList(value.values, `${at}.values`) }
    case 'alternatives': {
      checkKeys(value, at, ['alternatives'])
      const alts = readObject(value.alternatives, `${at}.alternatives`)
      const names = Object.keys(alts)
      if (names.length === 0) throw new FieldError(`${at}.alternatives`, 'give at least one named alternative')
      for (const n of names)
        if (n.trim() === '') throw new FieldError(`${at}.alternatives`, 'an alternative needs a name')
      return { kind: 'alternatives', names, values: names.map((n) => alts[n]) }
    }
    case 'range': {
      checkKeys(value, at, ['range', 'min', 'max', 'steps'])
      const scale = readEnum(value.range, `${at}.range`, RANGE_SCALES, 'range scale')
      const { min, max } = readBounds(value, at, scale === 'log')
      const steps = readInteger(value.steps, `${at}.steps`, 1, MAX_TRIALS)
      if (steps === 1 && min !== max)
        throw new FieldError(`${at}.steps`, 'a range from min to max needs at least 2 steps')
      return { kind: 'range', scale, min, max, steps }
    }
    default: {
      const distribution = readEnum(value.distribution, `${at}.distribution`, DISTRIBUTIONS, 'distribution')
      if (distribution === 'choice') {
        checkKeys(value, at, ['distribution', 'values'])
        return { kind: 'values', values: readValueList(value.values, `${at}.values`) }
      }
      if (distribution === 'int') {
        checkKeys(value, at, ['distribution', 'min', 'max', 'step'])
        const min = readInteger(value.min, `${at}.min`, -(2 ** 31), 2 ** 31)
        const max = readInteger(value.max, `${at}.max`, min, 2 ** 31)
        const step = readInteger(value.step, `${at}.step`, 1, 2 ** 31, 1)
        if ((max - min) % step !== 0) {
          throw new FieldError(`${at}.max`, `max - min (${max - min}) must be a multiple of step (${step})`)
        }
        return { kind: 'int', min, max, step }
      }
      checkKeys(value, at, ['distribution', 'min', 'max'])
      if (method === 'grid') {
        throw new FieldError(
          `${at}.distribution`,
          `a ${distribution} distribution needs method "random"; for a grid give values or a range`
        )
      }
      const { min, max } = readBounds(value, at, distribution === 'loguniform')
      return { kind: distribution, min, max }
    }
  }
}

function readBounds(o: Record<string, unknown>, at: string, log: boolean): { min: number; max: number } {
  const min = readNumber(o.min, `${at}.min`)
  const max = readNumber(o.max, `${at}.max`)
  if (log && min <= 0) throw new FieldError(`${at}.min`, `a log scale needs min above 0, got ${show(min)}`)
  if (max < min) throw new FieldError(`${at}.max`, `must be at least min (${min}), got ${show(max)}`)
  return { min, max }
}

/** How many points a grid holds: the product of the parameters' value counts. */
export function gridSize(parameters: SweepParameter[]): number {
  return parameters.reduce((n, p) => n * finiteValues(p.values, p.key).length, 1)
}

/** A finite parameter's values, in order (a range's points rounded to 6 significant digits). */
export function finiteValues(v: ParameterValues, key: string): unknown[] {
  switch (v.kind) {
    case 'values':
    case 'alternatives':
      return v.values
    case 'range':
      return Array.from({ length: v.steps }, (_, i) => {
        const t = v.steps === 1 ? 0 : i / (v.steps - 1)
        const x =
          v.scale === 'log'
            ? Math.exp(Math.log(v.min) + t * (Math.log(v.max) - Math.log(v.min)))
            : v.min + t * (v.max - v.min)
        return round6(x)
      })
    case 'int':
      return Array.from({ length: (v.max - v.min) / v.step + 1 }, (_, i) => v.min + i * v.step)
    default:
      throw new FieldError(parameterPath(key), `a ${v.kind} distribution has no finite list of values`)
  }
}

export function round6(x: number): number {
  return Number(x.toPrecision(6))
}

/** Each `$name` declared is used somewhere, and each `$name` written is declared. */
function checkVariables(base: Record<string, unknown>, parameters: SweepParameter[]): void {
  const declared = new Set(parameters.filter((p) => p.path === null).map((p) => p.key))
  const used = new Set<string>()
  const visit = (v: unknown, at: string) => {
    if (typeof v === 'string' && isVariable(v)) {
      if (!declared.has(v)) {
        throw new FieldError(at, `${show(v)} is not a parameter of this sweep (declare it in parameters)`)
      }
      used.add(v)
    } else if (Array.isArray(v)) v.forEach((x, i) => visit(x, `${at}[${i}]`))
    else if (isObject(v)) for (const [k, x] of Object.entries(v)) visit(x, `${at}.${k}`)
  }
  visit(base, 'base')
  for (const p of parameters) {
    const at = parameterPath(p.key)
    if (p.values.kind === 'values') p.values.values.forEach((x, i) => visit(x, `${at}.values[${i}]`))
    if (p.values.kind === 'alternatives') {
      const names = p.values.names
      p.values.values.forEach((x, i) => visit(x, `${at}.alternatives.${names[i]}`))
    }
  }
  for (const name of declared) {
    if (!used.has(name)) {
      throw new FieldError(
        parameterPath(name),
        `not used: write ${JSON.stringify(name)} where its value goes, e.g. "type": ${JSON.stringify(name)}`
      )
    }
  }
}
