// The compare view's config differences made readable: layer-stack changes grouped by layer ("layer 1: lstm → gru"),
// the rest (training, dataset) as plain dotted paths.
import { cellLabel } from '../../../common/cells'

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

/** One line per layer for a stack, as the compare view shows it under each run: "Bi-LSTM(50, seq) → Dropout(0.2) → …". */
export function describeStack(config: unknown): string {
  const layers = (config as { model?: { layers?: unknown[] } } | null)?.model?.layers
  if (!Array.isArray(layers)) return '—'
  return layers
    .map((raw) => {
      const l = raw as Record<string, unknown>
      if (l.type === 'dropout') return `Dropout(${l.rate})`
      if (l.type === 'dense') return `Dense(${l.units}${l.activation ? ', ' + l.activation : ''})`
      const bi = l.type === 'bidirectional'
      const cell = (bi ? l.layer : l) as Record<string, unknown>
      const opts = [String(cell.units), ...(cell.returnSequences ? ['seq'] : [])]
      if (bi && l.mergeMode && l.mergeMode !== 'concat') opts.push(String(l.mergeMode))
      if (bi && l.sharedWeights) opts.push('shared')
      const prefix = bi ? 'Bi-' : cell.goBackwards ? '←' : ''
      return `${prefix}${cellLabel(cell.type)}(${opts.join(', ')})`
    })
    .join(' → ')
}
