// The runs filter language (common/query.ts): parsing, precedence, evaluation over run summaries, and errors that name
// the column at fault.
import { describe, expect, it } from 'vitest'
import type { RunSummary } from '../../common/contract'
import { QueryError, compileQuery, parseQuery } from '../../common/query'

const figures = (best: number | null, last = best) => ({ best, last, bestEpoch: best === null ? null : 1 })
function run(over: Partial<RunSummary>): RunSummary {
  return {
    id: 1,
    name: 'run',
    status: 'completed',
    dataset: 'mnist-sample',
    cell: 'lstm',
    direction: 'bidirectional',
    layerCount: 5,
    paramCount: 93_010,
    epochsDone: 10,
    epochsPlanned: 10,
    valAccuracy: figures(0.98, 0.975),
    valLoss: figures(0.07, 0.08),
    accuracy: figures(0.99),
    loss: figures(0.03),
    durationSeconds: 50,
    tags: [],
    notes: '',
    archived: false,
    createdAt: '2026-11-27T06:00:00Z',
    startedAt: null,
    endedAt: null,
    error: null,
    stopReason: null,
    hparams: {
      optimizer: 'adam',
      learningRate: 0.001,
      batchSize: 64,
      units: [50, 50],
      dropout: 0.2,
      stack: 'Bi-LSTM 50 → Dropout 0.2 → Bi-LSTM 50 → Dropout 0.2 → Dense 10',
      seed: 42,
      patience: null
    },
    valAccuracyCurve: [0.97, 0.98],
    ...over
  }
}
const lstm = run({ id: 1, name: 'tutorial bi-lstm', tags: ['baseline'] })
const gru = run({
  id: 2,
  name: 'bi-gru',
  cell: 'gru',
  hparams: {
    optimizer: 'sgd',
    learningRate: 0.01,
    batchSize: 128,
    units: [32, 64],
    dropout: 0,
    stack: 'Bi-GRU 32 → Bi-GRU 64 → Dense 10',
    seed: 7,
    patience: 3
  },
  paramCount: 70_610,
  valAccuracy: figures(0.972),
  tags: ['sibling', 'Fast']
})
const mixed = run({
  id: 3,
  name: 'mixed',
  cell: 'gru+lstm',
  direction: 'bidirectional+forward',
  valAccuracy: figures(null),
  status: 'failed'
})
const all = [lstm, gru, mixed]
const ids = (q: string) => all.filter(compileQuery(q)).map((r) => r.id)

function errorOf(q: string): QueryError {
  try {
    parseQuery(q)
  } catch (e) {
    if (e instanceof QueryError) return e
    throw e
  }
  throw new Error(`no error for ${q}`)
}

describe('query language', () => {
  it('matches everything when empty', () => {
    expect(parseQuery('   ')).toBeNull()
    expect(ids('')).toEqual([1, 2, 3])
  })

  it('compares text fields without case, list fields by any item', () => {
    expect(ids('cell = gru')).toEqual([2, 3])
    expect(ids('cell = GRU and direction = forward')).toEqual([3])
    expect(ids('cell != gru')).toEqual([1])
    expect(ids('tags = fast')).toEqual([2])
    expect(ids("name ~ 'bi-'")).toEqual([1, 2])
    expect(ids('status = failed')).toEqual([3])
    expect(ids('name = "tutorial bi-lstm"')).toEqual([1])
  })

  it('filters by hyperparameters read from the config', () => {
    expect(ids('lr < 0.005')).toEqual([1, 3])
    expect(ids('optimizer = sgd and batch >= 128')).toEqual([2])
    expect(ids('units = 64')).toEqual([2])
    expect(ids('dropout > 0 and seed = 42')).toEqual([1, 3])
  })

  it('compares numbers, with % and k suffixes; a missing metric never passes a comparison', () => {
    expect(ids('val_accuracy > 0.97')).toEqual([1, 2])
    expect(ids('val_accuracy >= 97.5%')).toEqual([1])
    expect(ids('last_val_accuracy < 0.976')).toEqual([1, 2])
    expect(ids('params < 80k')).toEqual([2])
    expect(ids('params = 93010')).toEqual([1, 3])
    expect(ids('val_accuracy != 0.98')).toEqual([2, 3])
    expect(ids('val_accuracy <= 1')).toEqual([1, 2])
  })

  it('gives and precedence over or, and honours parentheses and not', () => {
    expect(ids('cell = gru and val_accuracy > 0.97 or tags = baseline')).toEqual([1, 2])
    expect(ids('cell = gru and (val_accuracy > 0.97 or tags = baseline)')).toEqual([2])
    expect(ids('not cell = gru')).toEqual([1])
    expect(ids('not (cell = gru or status = failed)')).toEqual([1])
    expect(ids('cell = gru AND NOT status = failed')).toEqual([2])
  })

  it('names the column at fault', () => {
    expect(errorOf('val_acc > 0.9').message).toBe(
      'filter, column 1: unknown field "val_acc" (did you mean val_accuracy?)'
    )
    expect(errorOf('cell = gru and').column).toBe(15)
    expect(errorOf('cell = gru and').detail).toContain('expected a field')
    expect(errorOf('cell gru').detail).toContain('expected a comparison (=, !=, >, >=, <, <=, ~) after cell')
    expect(errorOf('params > lots').detail).toBe('params is a number, got "lots"')
    expect(errorOf('cell > gru').column).toBe(6)
    expect(errorOf('cell > gru').detail).toContain('cell is text')
    expect(errorOf('(cell = gru').detail).toBe('expected ")" to close the "(" at column 1, found the end of the filter')
    expect(errorOf('name = "open').detail).toContain('never closed')
    expect(errorOf('cell = gru lstm').detail).toBe('expected "and", "or" or the end of the filter, found "lstm"')
    expect(errorOf('params ~ 9').detail).toContain('~ (contains) compares text')
    expect(errorOf('cell ! gru').detail).toContain('expected !=')
  })
})
