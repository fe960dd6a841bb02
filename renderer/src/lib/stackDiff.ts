// The compare view's config differences made readable: layer-stack changes grouped by layer ("layer 1: lstm → gru"),
// the rest (training, dataset) as plain dotted paths.
import { cellLabel } from '../../../common/cells'
import { normalizeModelConfig } from '../../../common/config'

export interface Difference {
  path: string
  values: unknown[]
}

export interface DifferenceGroup {
  /** "Layer 1", "Training", "Dataset", … */
  title: string
  rows: { label: string; values: unknown[] }[]
}

const LAYER = /^model\.layers\[(\d+)\](?:\.(.+))?$/

/** Groups differences by layer (with friendly field names) and then by config section, keeping their order. */
export function groupDifferences(differences: Difference[]): DifferenceGroup[] {
  const groups = new Map<string, DifferenceGroup>()
  const group = (title: string) => {
    let g = groups.get(title)
    if (!g) groups.set(title, (g = { title, rows: [] }))
    return g
  }
  for (const d of differences) {
    const m = LAYER.exec(d.path)
    if (m) {
      const field = (m[2] ?? 'layer').replace(/^layer\./, 'cell ')
      group(`Layer ${Number(m[1]) + 1}`).rows.push({ label: field, values: d.values })
      continue
    }
    const [section, ...rest] = d.path.split('.')
    const title = section.charAt(0).toUpperCase() + section.slice(1)
    group(title).rows.push({ label: rest.join('.') || section, values: d.values })
  }
  return [...groups.values()]
}

/** A config value that is not there: absent from a config, or `null` once the differences crossed JSON. */
export function isAbsent(v: unknown): boolean {
  return v === undefined || v === null
}

type LayerKind = 'recurrent' | 'dropout' | 'dense' | 'other'

/** The fields a layer is compared by, in the order they read; any other key of the config follows. */
const FIELDS: Record<LayerKind, string[]> = {
  recurrent: [
    'direction',
    'cell',
    'units',
    'returnSequences',
    'activation',
    'recurrentActivation',
    'useBias',
    'unitForgetBias',
    'resetAfter',
    'dropout',
    'recurrentDropout',
    'mergeMode',
    'sharedWeights',
    'name'
  ],
  dropout: ['rate', 'name'],
  dense: ['units', 'activation', 'useBias', 'name'],
  other: []
}

function layerKind(l: Record<string, unknown>): LayerKind {
  if (l.type === 'dropout' || l.type === 'dense') return l.type
  return l.type === 'bidirectional' || typeof l.units === 'number' ? 'recurrent' : 'other'
}

/**
 * A layer as the diff reads it: a bidirectional layer's wrapped cell is read as the layer itself, so that a Bi-LSTM
 * and a forward GRU line up field by field (`cell`, `units`, …) and differ in `direction`, `cell`, `mergeMode`.
 */
export function layerFields(raw: unknown): { kind: LayerKind; fields: Map<string, unknown> } {
  const l = (raw ?? {}) as Record<string, unknown>
  const kind = layerKind(l)
  const fields = new Map<string, unknown>()
  if (kind === 'recurrent') {
    const bi = l.type === 'bidirectional'
    const cell = (bi ? (l.layer ?? {}) : l) as Record<string, unknown>
    fields.set('direction', bi ? 'bidirectional' : cell.goBackwards ? 'backward' : 'forward')
    fields.set('cell', cell.type)
    for (const [k, v] of Object.entries(cell)) if (k !== 'type' && k !== 'goBackwards') fields.set(k, v)
    if (bi) for (const [k, v] of Object.entries(l)) if (k !== 'type' && k !== 'layer') fields.set(k, v)
  } else {
    for (const [k, v] of Object.entries(l)) if (k !== 'type') fields.set(k, v)
    if (kind === 'other') fields.set('type', l.type)
  }
  const order = FIELDS[kind]
  const sorted = new Map<string, unknown>()
  for (const k of order) if (fields.has(k)) sorted.set(k, fields.get(k))
  for (const [k, v] of fields) if (!sorted.has(k)) sorted.set(k, v)
  return { kind, fields: sorted }
}

/** A config's layers with their defaults filled (a key left out means its default, not a difference), or as written. */
function layersOf(config: unknown): unknown[] {
  const model = (config as { model?: { layers?: unknown[] } } | null)?.model
  try {
    return normalizeModelConfig(model).layers
  } catch {
    return Array.isArray(model?.layers) ? model.layers : []
  }
}

/**
 * The runs' layers lined up: each slot holds, per run, the index of its layer there or undefined. Runs are merged in
 * one at a time along the longest common sequence of layer kinds, earliest matches first, so that LSTM → Dense lines
 * up with the first recurrent layer and the head of Bi-LSTM → Dropout → Bi-LSTM → Dropout → Dense.
 */
export function alignLayers(configs: unknown[]): (number | undefined)[][] {
  let slots: { kind: LayerKind; at: (number | undefined)[] }[] = []
  configs.forEach((config, r) => {
    const kinds = layersOf(config).map((l) => layerKind((l ?? {}) as Record<string, unknown>))
    const [n, m] = [slots.length, kinds.length]
    // common[i][j]: the longest common sequence of slots[i..] and kinds[j..].
    const common = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0))
    for (let i = n - 1; i >= 0; i--)
      for (let j = m - 1; j >= 0; j--)
        common[i][j] =
          slots[i].kind === kinds[j] ? common[i + 1][j + 1] + 1 : Math.max(common[i + 1][j], common[i][j + 1])
    const next: typeof slots = []
    let [i, j] = [0, 0]
    const blank = () => new Array<number | undefined>(configs.length).fill(undefined)
    while (i < n || j < m) {
      if (i < n && j < m && slots[i].kind === kinds[j] && common[i][j] === common[i + 1][j + 1] + 1) {
        slots[i].at[r] = j++
        next.push(slots[i++])
      } else if (i < n && (j === m || common[i + 1][j] >= common[i][j + 1])) {
        next.push(slots[i++])
      } else {
        const at = blank()
        at[r] = j
        next.push({ kind: kinds[j++], at })
      }
    }
    slots = next
  })
  return slots.map((s) => s.at)
}

/**
 * The layer differences of runs' configs, by aligned layer: a layer some runs lack reads as its one-line form beside
 * "—"; fields whose values differ among the layers that have them follow, and equal ones are left out.
 */
export function layerDifferences(configs: unknown[]): DifferenceGroup[] {
  const layers = configs.map(layersOf)
  const groups: DifferenceGroup[] = []
  for (const at of alignLayers(configs)) {
    const present = at.filter((i) => i !== undefined)
    const positions = [...new Set(present)]
    const title =
      positions.length === 1
        ? `Layer ${positions[0]! + 1}`
        : `Layer ${at.map((i) => (i === undefined ? '—' : i + 1)).join(' / ')}`
    const rows: DifferenceGroup['rows'] = []
    if (present.length < configs.length) {
      rows.push({
        label: 'layer',
        values: at.map((i, r) => (i === undefined ? undefined : describeLayer(layers[r][i])))
      })
    }
    if (present.length >= 2) {
      const views = at.map((i, r) => (i === undefined ? undefined : layerFields(layers[r][i]).fields))
      const keys: string[] = []
      for (const v of views) for (const k of v?.keys() ?? []) if (!keys.includes(k)) keys.push(k)
      for (const k of keys) {
        const values = views.map((v) => v?.get(k))
        // Compared among the layers that have the field: a GRU's resetAfter beside an LSTM is the cell's difference,
        // which the `cell` row shows already.
        const have = values.filter((v) => v !== undefined).map((v) => JSON.stringify(v))
        if (new Set(have).size > 1) rows.push({ label: k, values })
      }
    }
    if (rows.length) groups.push({ title, rows })
  }
  return groups
}

/** The differences outside the layers (training, dataset, the model's input) grouped by section, then the layers'. */
export function configDifferenceGroups(configs: unknown[], differences: Difference[]): DifferenceGroup[] {
  const rest = groupDifferences(differences.filter((d) => !LAYER.test(d.path)))
  return [...layerDifferences(configs), ...rest]
}

/** One line per layer for a stack, as the compare view shows it under each run: "Bi-LSTM(50, seq) → Dropout(0.2) → …". */
export function describeStack(config: unknown): string {
  const layers = (config as { model?: { layers?: unknown[] } } | null)?.model?.layers
  if (!Array.isArray(layers)) return '—'
  return layers.map(describeLayer).join(' → ')
}

/** One layer in a word: `Bi-LSTM(50, seq)`, `Dropout(0.2)`, `Dense(10, softmax)`. */
export function describeLayer(raw: unknown): string {
  const l = (raw ?? {}) as Record<string, unknown>
  if (l.type === 'dropout') return `Dropout(${l.rate})`
  if (l.type === 'dense') return `Dense(${l.units}${l.activation ? ', ' + l.activation : ''})`
  const bi = l.type === 'bidirectional'
  const cell = ((bi ? l.layer : l) ?? {}) as Record<string, unknown>
  const opts = [String(cell.units), ...(cell.returnSequences ? ['seq'] : [])]
  if (bi && l.mergeMode && l.mergeMode !== 'concat') opts.push(String(l.mergeMode))
  if (bi && l.sharedWeights) opts.push('shared')
  const prefix = bi ? 'Bi-' : cell.goBackwards ? '←' : ''
  return `${prefix}${cellLabel(cell.type)}(${opts.join(', ')})`
}
