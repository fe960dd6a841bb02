// Sorting the runs table by a column; runs without a value sort last in either direction.
import type { RunSummary } from '../../../common/contract'

export type RunSortKey =
  | 'id'
  | 'name'
  | 'status'
  | 'cell'
  | 'direction'
  | 'layers'
  | 'params'
  | 'epochs'
  | 'valAccuracy'
  | 'duration'
  | 'created'

const value: Record<RunSortKey, (r: RunSummary) => string | number | null> = {
  id: (r) => r.id,
  name: (r) => r.name.toLowerCase(),
  status: (r) => r.status,
  cell: (r) => r.cell,
  direction: (r) => r.direction,
  layers: (r) => r.layerCount,
  params: (r) => r.paramCount,
  epochs: (r) => r.epochsDone,
  valAccuracy: (r) => r.valAccuracy.best,
  duration: (r) => r.durationSeconds,
  created: (r) => r.createdAt
}

export function sortRuns(runs: readonly RunSummary[], key: RunSortKey, descending: boolean): RunSummary[] {
  const get = value[key]
  return [...runs].sort((a, b) => {
    const x = get(a)
    const y = get(b)
    if (x === null && y === null) return b.id - a.id
    if (x === null) return 1
    if (y === null) return -1
    const c = x < y ? -1 : x > y ? 1 : b.id - a.id
    return descending ? -c : c
  })
}
