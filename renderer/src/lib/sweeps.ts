// The Sweeps pages' figures, kept pure: how a trial's parameter values read, the per-parameter summary (for each value
// of each parameter: its trials, the objective's mean and best), the parallel-coordinates plot's axes, and the
// check of a sweep config typed or loaded in the page (the same checks `rnnlab sweep` and sweeps:create make).
import type { SweepDetail, SweepSummary, SweepTrial, SweepWorker, TrialState } from '../../../common/contract'
import { configValue, fixed, percent, when } from '../../../common/format'
import { palette } from './compareSeries'
import { jsonErrorOffset, linePlace } from './jsonPlace'
import { expandSweep, normalizeSweepConfig, type ParameterValues, type SweepConfig } from '../../../common/sweep'

export type Objective = SweepSummary['objective']
export type Goal = SweepSummary['goal']

export const objectiveLabels: Record<Objective, string> = {
  val_accuracy: 'Validation accuracy',
  val_loss: 'Validation loss'
}

/** An objective's value as the pages show it: accuracy in percent, loss with four decimals. */
export function objectiveText(objective: Objective, v: number | null | undefined): string {
  return objective === 'val_accuracy' ? percent(v) : fixed(v)
}

/** Whether `a` beats `b` for the goal. */
export function better(goal: Goal, a: number, b: number): boolean {
  return goal === 'max' ? a > b : a < b
}

/** A parameter's value in a cell: strings bare, numbers as written, layer stacks and lists as compact JSON. */
export function valueText(v: unknown): string {
  return configValue(v)
}

/** Sweeps and trials that have not ended. */
export function isActiveSweep(s: Pick<SweepSummary, 'status'>): boolean {
  return s.status === 'queued' || s.status === 'running'
}

/** Resumable here: interrupted (its process stopped), or queued with no process running it. */
export function canResume(s: Pick<SweepSummary, 'status' | 'pid'>): boolean {
  return s.status === 'interrupted' || (s.status === 'queued' && s.pid === null)
}

export function canCancel(s: Pick<SweepSummary, 'status'>): boolean {
  return s.status === 'queued' || s.status === 'running' || s.status === 'interrupted'
}

/** The counts the list and the sweep page show, in this order; completed counts as done. */
export const countColumns: { state: TrialState; label: string }[] = [
  { state: 'completed', label: 'Done' },
  { state: 'running', label: 'Running' },
  { state: 'queued', label: 'Queued' },
  { state: 'pruned', label: 'Pruned' },
  { state: 'failed', label: 'Failed' }
]

/** Trials neither in the columns above: interrupted and cancelled ones (shown only when there are some). */
export function otherCounts(s: Pick<SweepSummary, 'counts'>): string {
  const parts = (['interrupted', 'cancelled'] as const).filter((k) => s.counts[k] > 0).map((k) => `${s.counts[k]} ${k}`)
  return parts.join(', ')
}

export interface SweepParameterInfo {
  key: string
  kind: ParameterValues['kind'] | 'unknown'
  /** The values in the config's order (finite kinds only), as the trials show them (an alternative's name). */
  values: unknown[] | null
  /** A range or distribution drawn on a log scale. */
  log: boolean
}

/** The sweep's parameters in its config's order (from the trials when the config cannot be read). */
export function sweepParameters(detail: Pick<SweepDetail, 'config' | 'trialList'>): SweepParameterInfo[] {
  const params = (detail.config as Partial<SweepConfig> | null)?.parameters
  if (Array.isArray(params)) {
    return params.map((p) => {
      const v = p.values
      const values =
        v.kind === 'values'
          ? v.values
          : v.kind === 'alternatives'
            ? v.names
            : v.kind === 'int'
              ? Array.from({ length: Math.floor((v.max - v.min) / v.step) + 1 }, (_, i) => v.min + i * v.step)
              : null
      const log = v.kind === 'loguniform' || (v.kind === 'range' && v.scale === 'log')
      return { key: p.key, kind: v.kind, values, log }
    })
  }
  const keys = [...new Set(detail.trialList.flatMap((t) => Object.keys(t.params)))]
  return keys.map((key) => ({ key, kind: 'unknown', values: null, log: false }))
}

export interface ValueSummary {
  value: unknown
  text: string
  /** Trials with this value. */
  trials: number
  /** Those with an objective value (at least one epoch with it). */
  scored: number
  mean: number | null
  best: number | null
  /** The trial that holds `best`. */
  bestTrial: number | null
}

export interface ParameterSummary {
  key: string
  values: ValueSummary[]
}

/**
 * For each parameter and each of its values: the trials that take it, and over those with an objective value (their
 * best epoch so far), the mean and the best. Values come in the config's order, else ascending numbers, else the
 * order they first appear in.
 */
export function parameterSummary(trials: SweepTrial[], params: SweepParameterInfo[], goal: Goal): ParameterSummary[] {
  return params.map((p) => {
    const groups = new Map<string, { value: unknown; list: SweepTrial[] }>()
    for (const v of p.values ?? []) groups.set(valueText(v), { value: v, list: [] })
    for (const t of trials) {
      const v = t.params[p.key]
      const text = valueText(v)
      const g = groups.get(text) ?? { value: v, list: [] }
      g.list.push(t)
      groups.set(text, g)
    }
    let entries = [...groups.entries()].filter(([, g]) => g.list.length > 0)
    if (!p.values && entries.every(([, g]) => typeof g.value === 'number'))
      entries = entries.sort(([, a], [, b]) => (a.value as number) - (b.value as number))
    return {
      key: p.key,
      values: entries.map(([text, g]) => {
        const scored = g.list.filter((t) => t.objective !== null)
        let best: SweepTrial | null = null
        for (const t of scored) if (best === null || better(goal, t.objective!, best.objective!)) best = t
        return {
          value: g.value,
          text,
          trials: g.list.length,
          scored: scored.length,
          mean: scored.length ? scored.reduce((s, t) => s + t.objective!, 0) / scored.length : null,
          best: best?.objective ?? null,
          bestTrial: best?.trial ?? null
        }
      })
    }
  })
}

export interface PcpAxis {
  key: string
  label: string
  /** A category axis puts each value at its index (0, 1, …) and labels it; the others are numeric. */
  scale: 'category' | 'linear' | 'log'
  categories: string[]
  /** Each plotted trial's position on the axis. */
  values: number[]
}

export interface PcpData {
  /** The trials drawn: those with an objective value. */
  trials: SweepTrial[]
  axes: PcpAxis[]
}

/**
 * The parallel-coordinates plot: one axis per parameter, then the objective. Lists and named alternatives are
 * category axes in the config's order (numbers too: a grid's values are points, not a scale); ranges and
 * distributions are numeric axes (log ones logarithmic).
 */
export function pcpData(detail: Pick<SweepDetail, 'config' | 'trialList' | 'objective'>): PcpData {
  const params = sweepParameters(detail)
  const trials = detail.trialList.filter((t) => t.objective !== null)
  const axes: PcpAxis[] = params.map((p) => {
    const raw = trials.map((t) => t.params[p.key])
    const numeric = detail.trialList.every((t) => typeof t.params[p.key] === 'number')
    const continuous = numeric && (p.kind === 'range' || p.kind === 'uniform' || p.kind === 'loguniform')
    if (continuous) {
      const log = p.log && detail.trialList.every((t) => (t.params[p.key] as number) > 0)
      return { key: p.key, label: p.key, scale: log ? 'log' : 'linear', categories: [], values: raw as number[] }
    }
    const categories: string[] = (p.values ?? []).map(valueText)
    const order = (list: unknown[]) => {
      for (const v of list) if (!categories.includes(valueText(v))) categories.push(valueText(v))
    }
    const all = detail.trialList.map((t) => t.params[p.key])
    order(numeric && !p.values ? [...all].sort((a, b) => (a as number) - (b as number)) : all)
    return {
      key: p.key,
      label: p.key,
      scale: 'category',
      categories,
      values: raw.map((v) => categories.indexOf(valueText(v)))
    }
  })
  axes.push({
    key: detail.objective,
    label: detail.objective,
    scale: 'linear',
    categories: [],
    values: trials.map((t) => t.objective!)
  })
  return { trials, axes }
}

/** A category's tick label: cut to `max` characters. */
export function shortLabel(s: string, max = 24): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s
}

/** An axis name in lines of about `width` characters, broken after its dots ("training.optimizer." / "type"). */
export function wrapLabel(s: string, width = 16): string[] {
  const lines: string[] = []
  for (const part of s.split(/(?<=\.)/)) {
    if (lines.length > 0 && lines[lines.length - 1].length + part.length <= width) lines[lines.length - 1] += part
    else lines.push(part)
  }
  return lines.length ? lines : ['']
}

/** The best trial of the list by the goal, or null when none has an objective value. */
export function bestTrial(trials: SweepTrial[], goal: Goal): SweepTrial | null {
  let best: SweepTrial | null = null
  for (const t of trials) {
    if (t.objective === null) continue
    if (best === null || better(goal, t.objective, best.objective!)) best = t
  }
  return best
}

/** What a sweep config typed in the page amounts to, or the one-line error that names the key at fault. */
export type SweepCheck =
  | { ok: true; config: unknown; sweep: SweepConfig; trials: number; description: string }
  | { ok: false; error: string; path: string | null }

/** Checks the text of a sweep config as sweeps:create will: JSON, then the sweep's keys, then every trial's config. */
export function checkSweepText(text: string, file = 'sweep.json'): SweepCheck {
  if (text.trim() === '')
    return { ok: false, error: 'Paste a sweep config, load a file or pick the preset.', path: null }
  const body = text.replace(/^\uFEFF/, '')
  let config: unknown
  try {
    config = JSON.parse(body)
  } catch (e) {
    return { ok: false, error: `${file}: not valid JSON: ${jsonErrorText(e, body)}`, path: null }
  }
  try {
    const sweep = normalizeSweepConfig(config, file)
    const trials = expandSweep(sweep, {}, file).length
    return { ok: true, config, sweep, trials, description: describeSweep(sweep, trials) }
  } catch (e) {
    const path = (e as { path?: unknown }).path
    return {
      ok: false,
      error: e instanceof Error ? e.message : String(e),
      path: typeof path === 'string' && path !== '' ? path : null
    }
  }
}

/** JSON.parse's reason, with the line and column where the text goes wrong (main's config files read the same). */
function jsonErrorText(e: unknown, text: string): string {
  const reason = (e instanceof Error ? e.message : String(e))
    .replace(/ in JSON at position \d+.*$/, '')
    .replace(/\s*\(line \d+ column \d+\)$/, '')
  const at = jsonErrorOffset(text)
  return at === null ? reason : `${linePlace(text, at)}: ${reason}`
}

/** "27 trials: grid over $cell (3) × model.layers (9); objective val_accuracy (max); median pruner". */
export function describeSweep(sweep: SweepConfig, trials: number): string {
  const sizes = sweep.parameters.map((p) => {
    const v = p.values
    const n =
      v.kind === 'values' || v.kind === 'alternatives'
        ? String(v.values.length)
        : v.kind === 'range'
          ? `${v.steps} ${v.scale}`
          : v.kind === 'int'
            ? String(Math.floor((v.max - v.min) / v.step) + 1)
            : v.kind
    return `${p.key} (${n})`
  })
  const how =
    sweep.method === 'grid' ? `grid over ${sizes.join(' × ')}` : `random, seed ${sweep.seed}, over ${sizes.join(', ')}`
  const repeats = sweep.repeats > 1 ? `, each ${sweep.repeats} times` : ''
  const goal = sweep.objective === 'val_accuracy' ? 'max' : 'min'
  const pruner = sweep.pruner
    ? `median pruner after ${sweep.pruner.warmupTrials} trials and ${sweep.pruner.warmupEpochs} epochs`
    : 'no pruner'
  return `${trials} trial${trials === 1 ? '' : 's'}: ${how}${repeats}; objective ${sweep.objective} (${goal}); ${pruner}`
}

/**
 * The colour of the `at`th picked trial, in the plot and the curves alike: the compare colours less the greens (the
 * best trial is green) and the blue (the other lines in the plot are blue).
 */
export function pickColor(at: number): string {
  const colors = palette.filter((c) => !['#2a9d5b', '#5a7d2a', '#2f6fde'].includes(c))
  return colors[at % colors.length]
}

/** The colour `t` of the way from `a` to `b` (both #rgb or #rrggbb), as #rrggbb; `a` when either is not hex. */
export function mixColors(a: string, b: string, t: number): string {
  const rgb = (hex: string): number[] | null => {
    const m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(hex.trim())
    if (!m) return null
    const h = m[1].length === 3 ? [...m[1]].map((c) => c + c).join('') : m[1]
    return [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16))
  }
  const x = rgb(a)
  const y = rgb(b)
  if (!x || !y) return a
  const k = Math.min(1, Math.max(0, t))
  return `#${x
    .map((v, i) =>
      Math.round(v + (y[i] - v) * k)
        .toString(16)
        .padStart(2, '0')
    )
    .join('')}`
}

/**
 * How long ago a worker's last heartbeat was: "3 s ago", "2 min ago", "5 h ago", then the date. The heartbeat carries
 * the worker's clock, so a time slightly ahead of this one (clocks apart) reads as "just now".
 */
export function heartbeatAge(iso: string, nowMs: number): string {
  const at = Date.parse(iso)
  if (Number.isNaN(at)) return '—'
  const s = Math.floor((nowMs - at) / 1000)
  if (s < 1) return 'just now'
  if (s < 60) return `${s} s ago`
  if (s < 3600) return `${Math.floor(s / 60)} min ago`
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`
  return when(iso)
}

/** A worker's state as its row reads: training (this sweep's trial), idle, busy (another sweep's trial), gone. */
export const workerStateText: Record<SweepWorker['state'], string> = {
  training: 'training',
  idle: 'idle',
  busy: 'busy elsewhere',
  gone: 'gone'
}

/**
 * A list of values as a person types it, comma-separated: `0.01, 0.003` → numbers, `lstm, gru` → strings, `true` →
 * a boolean; a JSON list (`[1, "a"]`) is taken as written. Empty items are dropped; null when nothing is given.
 */
export function parseValueList(text: string): unknown[] | null {
  const t = text.trim()
  if (t === '') return null
  if (t.startsWith('[')) {
    try {
      const v: unknown = JSON.parse(t)
      if (Array.isArray(v)) return v.length ? v : null
    } catch {
      // read as comma-separated items below
    }
  }
  const items = t
    .replace(/^\[|\]$/g, '')
    .split(',')
    .map((s) => s.trim().replace(/^"(.*)"$/, '$1'))
    .filter((s) => s !== '')
  const out = items.map((s) => {
    if (/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(s)) return Number(s)
    if (s === 'true' || s === 'false') return s === 'true'
    if (s === 'null') return null
    return s
  })
  return out.length ? out : null
}

/** Whether trials can be added to the sweep from the page: a grid with a finite list parameter, or a random sweep. */
export function addableParameters(params: SweepParameterInfo[]): SweepParameterInfo[] {
  return params.filter((p) => p.kind === 'values' || p.kind === 'range' || p.kind === 'int')
}
