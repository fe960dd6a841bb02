// The runs table's columns, its state in the address (#/runs?sort=-valAccuracy&cols=…&group=cell&filter=…), and its
// groups with mean ± std over each group (seeds of one config, runs of one cell…). Pure, so it is tested without a page.
import type { RunSummary } from '../../../common/contract'
import { count, duration, percent } from '../../../common/format'

export type ColumnKey =
  | 'id'
  | 'name'
  | 'status'
  | 'model'
  | 'cell'
  | 'direction'
  | 'layers'
  | 'stack'
  | 'params'
  | 'optimizer'
  | 'lr'
  | 'batch'
  | 'units'
  | 'dropout'
  | 'seed'
  | 'epochs'
  | 'curve'
  | 'valAccuracy'
  | 'valLoss'
  | 'valMae'
  | 'accuracy'
  | 'duration'
  | 'tags'
  | 'created'

export interface Column {
  key: ColumnKey
  label: string
  /** What the column chooser and a screen reader call it, when the header is short. */
  title?: string
  section: 'Run' | 'Model' | 'Training' | 'Results'
  num?: boolean
  /** The value sorted and grouped by; absent for columns that do not sort (the sparkline). */
  value?: (r: RunSummary) => string | number | null
  /** The cell's text (for the columns the page does not draw itself). */
  text?: (r: RunSummary) => string
  /** How a group's mean reads, for columns that average. */
  stat?: (v: number) => string
  /** Always shown (the chooser does not offer to hide it). */
  fixed?: boolean
  /** Sorts largest first on the first click. */
  descFirst?: boolean
}

const lrText = (v: number | null) => (v === null ? '—' : formatLr(v))
/** A learning rate as people write it: 0.001, 0.01, 3e-4. */
export function formatLr(v: number): string {
  const r = +v.toPrecision(3)
  return r !== 0 && Math.abs(r) < 1e-3 ? r.toExponential() : String(r)
}
const fixed2 = (v: number) => String(+v.toFixed(2))
const cellNames: Record<string, string> = { lstm: 'LSTM', gru: 'GRU', simple_rnn: 'SimpleRNN' }
/** `Bi-LSTM`, `GRU`, or the cells and directions of a mixed stack. */
export function modelText(r: RunSummary): string {
  if (!r.cell) return '—'
  const cells = r.cell
    .split('+')
    .map((c) => cellNames[c] ?? c)
    .join('+')
  if (r.direction === 'bidirectional') return `Bi-${cells}`
  if (r.direction === 'forward' || r.direction === null) return cells
  return `${cells} (${r.direction})`
}
const maxUnits = (r: RunSummary) => (r.hparams.units.length ? Math.max(...r.hparams.units) : null)

export const columns: readonly Column[] = [
  { key: 'id', label: '#', section: 'Run', num: true, fixed: true, value: (r) => r.id, descFirst: true },
  { key: 'name', label: 'Name', section: 'Run', fixed: true, value: (r) => r.name.toLowerCase() },
  { key: 'status', label: 'Status', section: 'Run', value: (r) => r.status },
  { key: 'model', label: 'Model', title: 'Cell and direction', section: 'Model', value: modelText, text: modelText },
  { key: 'cell', label: 'Cell', section: 'Model', value: (r) => r.cell, text: (r) => r.cell ?? '—' },
  {
    key: 'direction',
    label: 'Direction',
    section: 'Model',
    value: (r) => r.direction,
    text: (r) => r.direction ?? '—'
  },
  {
    key: 'layers',
    label: 'Layers',
    section: 'Model',
    num: true,
    value: (r) => r.layerCount,
    text: (r) => String(r.layerCount),
    stat: fixed2,
    descFirst: true
  },
  {
    key: 'stack',
    label: 'Stack',
    section: 'Model',
    value: (r) => r.hparams.stack,
    text: (r) => r.hparams.stack ?? '—'
  },
  {
    key: 'params',
    label: 'Params',
    section: 'Model',
    num: true,
    value: (r) => r.paramCount,
    text: (r) => count(r.paramCount),
    stat: (v) => count(Math.round(v)),
    descFirst: true
  },
  {
    key: 'units',
    label: 'Units',
    title: 'Units of each recurrent layer',
    section: 'Model',
    num: true,
    value: maxUnits,
    text: (r) => (r.hparams.units.length ? r.hparams.units.join('·') : '—'),
    descFirst: true
  },
  {
    key: 'dropout',
    label: 'Dropout',
    section: 'Model',
    num: true,
    value: (r) => r.hparams.dropout,
    text: (r) => (r.hparams.dropout === null ? '—' : String(r.hparams.dropout)),
    stat: fixed2,
    descFirst: true
  },
  {
    key: 'optimizer',
    label: 'Optimizer',
    section: 'Training',
    value: (r) => r.hparams.optimizer,
    text: (r) => r.hparams.optimizer ?? '—'
  },
  {
    key: 'lr',
    label: 'LR',
    title: 'Learning rate',
    section: 'Training',
    num: true,
    value: (r) => r.hparams.learningRate,
    text: (r) => lrText(r.hparams.learningRate),
    stat: formatLr,
    descFirst: true
  },
  {
    key: 'batch',
    label: 'Batch',
    title: 'Batch size',
    section: 'Training',
    num: true,
    value: (r) => r.hparams.batchSize,
    text: (r) => (r.hparams.batchSize === null ? '—' : String(r.hparams.batchSize)),
    stat: fixed2,
    descFirst: true
  },
  {
    key: 'seed',
    label: 'Seed',
    section: 'Training',
    num: true,
    value: (r) => r.hparams.seed,
    text: (r) => (r.hparams.seed === null ? '—' : String(r.hparams.seed))
  },
  {
    key: 'epochs',
    label: 'Epochs',
    section: 'Training',
    num: true,
    value: (r) => r.epochsDone,
    text: (r) => (r.epochsPlanned ? `${r.epochsDone}/${r.epochsPlanned}` : String(r.epochsDone)),
    stat: (v) => String(+v.toFixed(1)),
    descFirst: true
  },
  { key: 'curve', label: 'Val acc curve', title: 'Validation accuracy per epoch', section: 'Results' },
  {
    key: 'valAccuracy',
    label: 'Best val acc',
    section: 'Results',
    num: true,
    value: (r) => r.valAccuracy.best,
    stat: (v) => percent(v),
    descFirst: true
  },
  {
    key: 'valLoss',
    label: 'Best val loss',
    section: 'Results',
    num: true,
    value: (r) => r.valLoss.best,
    text: (r) => (r.valLoss.best === null ? '—' : r.valLoss.best.toFixed(4)),
    stat: (v) => v.toFixed(4)
  },
  {
    key: 'valMae',
    label: 'Best val MAE',
    title: 'Best validation mean absolute error (regression runs: loss mse or mae)',
    section: 'Results',
    num: true,
    value: (r) => r.valMae?.best ?? null,
    text: (r) => (r.valMae?.best == null ? '—' : r.valMae.best.toPrecision(4)),
    stat: (v) => v.toPrecision(4)
  },
  {
    key: 'accuracy',
    label: 'Last train acc',
    section: 'Results',
    num: true,
    value: (r) => r.accuracy.last,
    text: (r) => percent(r.accuracy.last),
    stat: (v) => percent(v),
    descFirst: true
  },
  {
    key: 'duration',
    label: 'Duration',
    section: 'Results',
    num: true,
    value: (r) => r.durationSeconds,
    text: (r) => duration(r.durationSeconds),
    stat: (v) => duration(v),
    descFirst: true
  },
  { key: 'tags', label: 'Tags', section: 'Run', value: (r) => (r.tags.length ? r.tags.join(', ') : null) },
  { key: 'created', label: 'Created', section: 'Run', value: (r) => r.createdAt, descFirst: true }
]
export const columnByKey = new Map(columns.map((c) => [c.key, c]))

/** What fits 1280 px beside the navigation; the chooser offers the rest. */
export const defaultColumns: readonly ColumnKey[] = [
  'id',
  'name',
  'status',
  'model',
  'params',
  'lr',
  'batch',
  'epochs',
  'curve',
  'valAccuracy',
  'tags',
  'created'
]

/** What runs can be grouped by: a column, or the whole config but its seed and name (the runs of one experiment). */
export const groupKeys = [
  { key: 'config', label: 'config (all but seed)' },
  { key: 'model', label: 'model' },
  { key: 'cell', label: 'cell' },
  { key: 'direction', label: 'direction' },
  { key: 'status', label: 'status' },
  { key: 'optimizer', label: 'optimizer' },
  { key: 'lr', label: 'learning rate' },
  { key: 'batch', label: 'batch size' },
  { key: 'units', label: 'units' },
  { key: 'dropout', label: 'dropout' },
  { key: 'layers', label: 'layers' },
  { key: 'stack', label: 'stack' },
  { key: 'tags', label: 'tags' }
] as const
export type GroupKey = (typeof groupKeys)[number]['key']

export interface TableState {
  search: string
  filter: string
  archived: boolean
  sort: ColumnKey
  desc: boolean
  columns: ColumnKey[]
  group: GroupKey | null
}

export const defaultState: TableState = {
  search: '',
  filter: '',
  archived: false,
  sort: 'id',
  desc: true,
  columns: [...defaultColumns],
  group: null
}

/** The state as the address's query: only what differs from the default, so a plain #/runs stays plain. */
export function stateToQuery(s: TableState): string {
  const q = new URLSearchParams()
  if (s.search) q.set('q', s.search)
  if (s.filter.trim()) q.set('filter', s.filter)
  if (s.archived) q.set('archived', '1')
  if (s.sort !== defaultState.sort || s.desc !== defaultState.desc) q.set('sort', `${s.desc ? '-' : ''}${s.sort}`)
  if (s.columns.join(',') !== defaultState.columns.join(',')) q.set('cols', s.columns.join(','))
  if (s.group) q.set('group', s.group)
  return q.toString()
}

/**
 * The filter language's names of the columns whose key differs (`val_accuracy` in `val_accuracy > 0.9`): a link
 * written with them (cols=…,val_accuracy,duration or sort=-val_accuracy) names the same columns.
 */
const columnAliases: Record<string, ColumnKey> = {
  val_accuracy: 'valAccuracy',
  val_acc: 'valAccuracy',
  val_loss: 'valLoss',
  last_accuracy: 'accuracy',
  duration_seconds: 'duration',
  durationSeconds: 'duration',
  learning_rate: 'lr',
  learningRate: 'lr',
  batch_size: 'batch',
  batchSize: 'batch',
  params_count: 'params',
  paramCount: 'params',
  created_at: 'created',
  createdAt: 'created'
}
/** A column key as the address may spell it: the key itself, or the filter language's name for it. */
export function columnKeyOf(name: string): ColumnKey | null {
  if (columnByKey.has(name as ColumnKey)) return name as ColumnKey
  return columnAliases[name] ?? null
}

/** Reads the state from an address query; unknown columns or keys are dropped rather than refused. */
export function queryToState(query: string): TableState {
  const q = new URLSearchParams(query)
  const sortText = q.get('sort') ?? ''
  const sortKey = (columnKeyOf(sortText.replace(/^-/, '')) ?? '') as ColumnKey
  const sortable = columnByKey.get(sortKey)?.value !== undefined
  const cols = q.get('cols')
  const chosen =
    cols === null
      ? [...defaultColumns]
      : cols.split(',').flatMap((k) => {
          const key = columnKeyOf(k.trim())
          return key ? [key] : []
        })
  // The id and the name are always there, in front.
  const fixedFirst = columns.filter((c) => c.fixed).map((c) => c.key)
  const group = q.get('group')
  return {
    search: q.get('q') ?? '',
    filter: q.get('filter') ?? '',
    archived: q.get('archived') === '1',
    sort: sortable ? sortKey : defaultState.sort,
    desc: sortable ? sortText.startsWith('-') : defaultState.desc,
    columns: [...fixedFirst, ...[...new Set(chosen)].filter((k) => !fixedFirst.includes(k))],
    group: groupKeys.some((g) => g.key === group) ? (group as GroupKey) : null
  }
}

/** Sorts by a column; runs without a value go last either way, ties by id (newest first). */
export function sortBy(runs: readonly RunSummary[], key: ColumnKey, desc: boolean): RunSummary[] {
  const get = columnByKey.get(key)?.value ?? ((r: RunSummary) => r.id)
  return [...runs].sort((a, b) => {
    const x = get(a)
    const y = get(b)
    if (x === null && y === null) return b.id - a.id
    if (x === null) return 1
    if (y === null) return -1
    const c = x < y ? -1 : x > y ? 1 : 0
    return c === 0 ? b.id - a.id : desc ? -c : c
  })
}

/** The config a run's group is made of: everything but its name and seed. */
function configKey(r: RunSummary): string {
  const h = r.hparams
  return JSON.stringify([r.dataset, h.stack, h.optimizer, h.learningRate, h.batchSize, r.epochsPlanned, h.patience])
}

export function groupLabel(key: GroupKey, r: RunSummary): string {
  const h = r.hparams
  if (key === 'config')
    return h.stack
      ? `lr ${lrText(h.learningRate)} · batch ${h.batchSize ?? '?'} · ${h.optimizer ?? '?'} · ${h.stack}`
      : 'no config'
  if (key === 'tags') return r.tags.length ? r.tags.join(', ') : 'no tags'
  const col = columnByKey.get(key as ColumnKey)!
  const text = col.text ? col.text(r) : String(col.value?.(r) ?? '—')
  return `${groupKeys.find((g) => g.key === key)!.label}: ${text}`
}

export interface Stat {
  n: number
  mean: number
  /** Sample standard deviation (n − 1), 0 for one value. */
  std: number
}

export function stat(values: readonly (number | null)[]): Stat | null {
  const v = values.filter((x): x is number => x !== null && Number.isFinite(x))
  if (v.length === 0) return null
  const mean = v.reduce((a, b) => a + b, 0) / v.length
  const std = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1)) : 0
  return { n: v.length, mean, std }
}

export interface RunGroup {
  key: string
  label: string
  runs: RunSummary[]
  /** Mean ± std of each averaging column over the group's runs. */
  stats: Partial<Record<ColumnKey, Stat | null>>
  /** The column's value when every run of the group shares it (shown in the group's row). */
  shared: Partial<Record<ColumnKey, string>>
  /** Mean validation accuracy per epoch, with the lowest and highest run at each epoch. */
  curve: { mean: (number | null)[]; low: (number | null)[]; high: (number | null)[] }
}

/** Groups sorted runs, in the order of each group's first run (so groups follow the sort too). */
export function groupRuns(runs: readonly RunSummary[], key: GroupKey): RunGroup[] {
  const groups = new Map<string, RunSummary[]>()
  for (const r of runs) {
    const k =
      key === 'config'
        ? configKey(r)
        : key === 'tags'
          ? r.tags.join('\u0000')
          : String(columnByKey.get(key as ColumnKey)?.value?.(r) ?? '')
    groups.set(k, [...(groups.get(k) ?? []), r])
  }
  return [...groups].map(([k, members]) => {
    const stats: RunGroup['stats'] = {}
    const shared: RunGroup['shared'] = {}
    for (const c of columns) {
      if (c.stat && c.value) stats[c.key] = stat(members.map((r) => c.value!(r) as number | null))
      else if (c.text) {
        const texts = new Set(members.map(c.text))
        if (texts.size === 1) shared[c.key] = [...texts][0]
      }
    }
    const epochs = Math.max(0, ...members.map((r) => r.valAccuracyCurve.length))
    const at = (e: number) => members.map((r) => r.valAccuracyCurve[e] ?? null).filter((v): v is number => v !== null)
    const curve = {
      mean: Array.from({ length: epochs }, (_, e) => stat(at(e))?.mean ?? null),
      low: Array.from({ length: epochs }, (_, e) => (at(e).length ? Math.min(...at(e)) : null)),
      high: Array.from({ length: epochs }, (_, e) => (at(e).length ? Math.max(...at(e)) : null))
    }
    return { key: k, label: groupLabel(key, members[0]), runs: members, stats, shared, curve }
  })
}

/** `97.20% ± 0.31` (the spread in the unit of the mean), or the mean alone for one run or equal values. */
export function statText(col: Column, s: Stat | null | undefined): string {
  const [mean, spread] = statParts(col, s)
  return spread ? `${mean} ${spread}` : mean
}

/** The mean and `± spread` apart, for a cell that shows the spread under the mean. */
export function statParts(col: Column, s: Stat | null | undefined): [string, string | null] {
  if (!s || !col.stat) return ['—', null]
  if (s.n < 2 || s.std === 0) return [col.stat(s.mean), null]
  const spread = col.key === 'valAccuracy' || col.key === 'accuracy' ? (s.std * 100).toFixed(2) : col.stat(s.std)
  return [col.stat(s.mean), `± ${spread}`]
}
