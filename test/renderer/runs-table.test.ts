// The runs table's logic (renderer/src/lib/runsTable.ts): sorting with missing values last, the state in the address,
// and groups with mean ± std.
import { describe, expect, it } from 'vitest'
import type { RunSummary } from '../../common/contract'
import {
  defaultColumns,
  formatLr,
  groupRuns,
  queryToState,
  sortBy,
  stat,
  stateToQuery,
  statText,
  columnByKey
} from '../../renderer/src/lib/runsTable'

function run(id: number, over: Partial<RunSummary> & { lr?: number | null; seed?: number } = {}): RunSummary {
  const { lr = 0.001, seed = 42, ...rest } = over
  return {
    id,
    name: `run ${id}`,
    status: 'completed',
    dataset: 'mnist-sample',
    cell: 'lstm',
    direction: 'bidirectional',
    layerCount: 5,
    paramCount: 93_010,
    epochsDone: 3,
    epochsPlanned: 3,
    valAccuracy: { best: null, last: null, bestEpoch: null },
    valLoss: { best: null, last: null, bestEpoch: null },
    accuracy: { best: null, last: null, bestEpoch: null },
    loss: { best: null, last: null, bestEpoch: null },
    durationSeconds: 10,
    tags: [],
    notes: '',
    archived: false,
    createdAt: '2026-12-01T10:00:00Z',
    startedAt: null,
    endedAt: null,
    error: null,
    stopReason: null,
    hparams: {
      optimizer: 'adam',
      learningRate: lr,
      batchSize: 64,
      units: [50, 50],
      dropout: 0.2,
      stack: 'Bi-LSTM 50 → Bi-LSTM 50 → Dense 10',
      seed,
      patience: null
    },
    valAccuracyCurve: [],
    ...rest
  }
}
const acc = (best: number | null) => ({ best, last: best, bestEpoch: best === null ? null : 3 })

describe('sorting the runs table', () => {
  const runs = [
    run(1, { paramCount: 100, name: 'b' }),
    run(2, { paramCount: null, name: 'a' }),
    run(3, { paramCount: 50, name: 'C' })
  ]
  it('sorts both ways with missing values last, ties newest first', () => {
    expect(sortBy(runs, 'params', true).map((x) => x.id)).toEqual([1, 3, 2])
    expect(sortBy(runs, 'params', false).map((x) => x.id)).toEqual([3, 1, 2])
    expect(sortBy(runs, 'name', false).map((x) => x.id)).toEqual([2, 1, 3])
    expect(sortBy(runs, 'id', true).map((x) => x.id)).toEqual([3, 2, 1])
    expect(sortBy(runs, 'lr', true).map((x) => x.id)).toEqual([3, 2, 1])
  })
})

describe('the table state in the address', () => {
  it('keeps a plain #/runs plain, and round-trips every setting', () => {
    expect(stateToQuery(queryToState(''))).toBe('')
    const s = {
      search: 'gru',
      filter: 'lr < 0.01 and val_accuracy > 90%',
      archived: true,
      sort: 'valAccuracy' as const,
      desc: true,
      columns: ['id', 'name', 'lr', 'curve', 'valAccuracy'] as const,
      group: 'config' as const
    }
    const q = stateToQuery({ ...s, columns: [...s.columns] })
    expect(queryToState(q)).toEqual({ ...s, columns: [...s.columns] })
    expect(new URLSearchParams(q).get('sort')).toBe('-valAccuracy')
  })

  it('drops what it does not know, and keeps the id and name in front', () => {
    const s = queryToState('sort=nonsense&cols=lr,bogus,name&group=weather')
    expect(s.sort).toBe('id')
    expect(s.columns).toEqual(['id', 'name', 'lr'])
    expect(s.group).toBeNull()
    // The sparkline does not sort.
    expect(queryToState('sort=curve').sort).toBe('id')
    expect(queryToState('').columns).toEqual([...defaultColumns])
  })

  it("reads the Duration column and the filter language's names of columns", () => {
    expect(queryToState('cols=id,name,status,duration').columns).toEqual(['id', 'name', 'status', 'duration'])
    const s = queryToState('cols=status,val_accuracy,val_loss,last_accuracy,duration_seconds&sort=-val_accuracy')
    expect(s.columns).toEqual(['id', 'name', 'status', 'valAccuracy', 'valLoss', 'accuracy', 'duration'])
    expect([s.sort, s.desc]).toEqual(['valAccuracy', true])
    // Written back with the table's own keys.
    expect(new URLSearchParams(stateToQuery(s)).get('cols')).toBe(
      'id,name,status,valAccuracy,valLoss,accuracy,duration'
    )
  })
})

describe('groups with mean ± std', () => {
  it('groups the seeds of one config, and averages their figures', () => {
    const seeds = [
      run(1, { seed: 1, valAccuracy: acc(0.96), valAccuracyCurve: [0.9, 0.95, 0.96] }),
      run(2, { seed: 2, valAccuracy: acc(0.97), valAccuracyCurve: [0.92, 0.96, 0.97] }),
      run(3, { seed: 3, valAccuracy: acc(0.98), valAccuracyCurve: [0.91, 0.97, 0.98] }),
      run(4, { lr: 0.01, valAccuracy: acc(0.9), valAccuracyCurve: [0.9] })
    ]
    const groups = groupRuns(seeds, 'config')
    expect(groups.map((g) => g.runs.map((r) => r.id))).toEqual([[1, 2, 3], [4]])
    const s = groups[0].stats.valAccuracy!
    expect(s.n).toBe(3)
    expect(s.mean).toBeCloseTo(0.97, 10)
    expect(s.std).toBeCloseTo(0.01, 10)
    expect(statText(columnByKey.get('valAccuracy')!, s)).toBe('97.00% ± 1.00')
    expect(statText(columnByKey.get('valAccuracy')!, groups[1].stats.valAccuracy)).toBe('90.00%')
    expect(groups[0].curve.mean.map((v) => +v!.toFixed(4))).toEqual([0.91, 0.96, 0.97])
    expect(groups[0].curve.low).toEqual([0.9, 0.95, 0.96])
    expect(groups[0].curve.high).toEqual([0.92, 0.97, 0.98])
    expect(groups[0].shared.cell).toBe('lstm')
    expect(groups[0].shared.seed).toBeUndefined()
    expect(groups[0].label).toBe('lr 0.001 · batch 64 · adam · Bi-LSTM 50 → Bi-LSTM 50 → Dense 10')
  })

  it('groups by a column, labelled with its name', () => {
    const runs = [run(1, { cell: 'gru' }), run(2), run(3, { cell: 'gru' })]
    expect(groupRuns(runs, 'cell').map((g) => [g.label, g.runs.length])).toEqual([
      ['cell: gru', 2],
      ['cell: lstm', 1]
    ])
    expect(groupRuns([run(1, { lr: 3e-4 })], 'lr')[0].label).toBe('learning rate: 3e-4')
    expect(groupRuns([run(1, { cell: 'gru' })], 'model')[0].label).toBe('model: Bi-GRU')
  })

  it('computes a sample standard deviation and ignores missing values', () => {
    expect(stat([null, null])).toBeNull()
    expect(stat([2, 4, 4, 4, 5, 5, 7, 9])).toEqual({ n: 8, mean: 5, std: Math.sqrt(32 / 7) })
    expect(stat([1, null])).toEqual({ n: 1, mean: 1, std: 0 })
    expect([0.001, 0.01, 0.0003, 1e-5, 0.1].map(formatLr)).toEqual(['0.001', '0.01', '3e-4', '1e-5', '0.1'])
  })
})
