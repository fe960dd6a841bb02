// Forecasts of a time-series run: the next values after a window read from a CSV, or over the run's own validation
// windows beside the last-value (persistence) baseline, in the data's own units (the run's normalization.json).
import { resolve } from 'node:path'
import { dataFile } from '../datasets/errors'
import { denormalize, lastWindow, makeWindows, readNormalization, readNumericCsv } from '../datasets/timeseries'
import { type PredictEngine, type PredictOptions, predictWith } from './service'

export interface ForecastWindow {
  /** The window's first row in the file (0-based, not counting the header). */
  start: number
  /** The forecast in the data's units: [U], or [T × U] with targets per step. */
  forecast: number[]
  /** Validation windows: what happened. */
  actual?: number[]
  /** Validation windows: the last-value baseline (the target columns at the window's last row, or at each step). */
  persistence?: number[]
  /** Validation windows: the first target column over the window's rows, in the data's units. */
  history?: number[]
}

export interface Forecast {
  source: string
  sequenceLength: number
  engine: PredictEngine
  targetColumns: string[]
  horizon: number
  targetsPerStep: boolean
  windows: ForecastWindow[]
  /** Validation: mean absolute errors over every forecast value, in the data's units. */
  mae?: number
  persistenceMae?: number
}

/**
 * `csv`: the forecast after the last sequenceLength rows of that file. Otherwise: every validation window of the
 * run's own CSV (the file it trained on), with what happened and the persistence baseline.
 */
export async function forecastRun(options: PredictOptions & { csv?: string }): Promise<Forecast> {
  const store = options.store
  if (!store) throw new Error('a forecast needs the run database')
  const runId = store.resolve(options.target)
  const kind = options.checkpoint ?? (store.checkpoint(runId, 'best') ? 'best' : 'last')
  const checkpoint = store.checkpoint(runId, kind)
  if (!checkpoint) throw new Error(`run ${runId} has no ${kind} checkpoint`)
  const record = readNormalization(checkpoint.path, `run ${runId}`)
  const L = record.sequenceLength
  const F = record.featureColumns.length
  const U = record.targetColumns.length
  const K = record.targetsPerStep ? L : 1
  const base = {
    sequenceLength: L,
    targetColumns: record.targetColumns,
    horizon: record.horizon,
    targetsPerStep: record.targetsPerStep
  }
  const run = (x: Float32Array, n: number) => predictWith({ ...options, target: String(runId) }, { x, n, T: L, F })

  if (options.csv !== undefined) {
    const file = dataFile(resolve(options.csv), options.csv)
    const table = await readNumericCsv(file)
    const result = await run(lastWindow(table, record, file), 1)
    const forecast = Array.from(result.data)
    denormalize(forecast, record)
    return { ...base, source: result.source, engine: result.engine, windows: [{ start: table.rows - L, forecast }] }
  }

  if (!record.file || record.boundary === undefined)
    throw new Error(`run ${runId}: its normalization.json does not name the file it trained on; give --csv`)
  const file = dataFile(record.file, record.file)
  const table = await readNumericCsv(file)
  if (table.rows !== record.rows)
    throw new Error(
      `${record.file}: has ${table.rows} rows, but run ${runId} trained on ${record.rows}; the file changed since`
    )
  const index = (name: string) => table.columns.indexOf(name)
  const scales = table.columns.map((c) => record.columns[c] ?? { mean: 0, std: 1 })
  const features = record.featureColumns.map(index)
  const targets = record.targetColumns.map(index)
  const windows = makeWindows(table, record.boundary, table.rows, features, targets, scales, record)
  if (windows.count === 0)
    throw new Error(`run ${runId} has no validation windows (its dataset had no validationSplit)`)
  const result = await run(windows.x, windows.count)
  const predicted = Array.from(result.data)
  denormalize(predicted, record)
  const actual = Array.from(windows.targets)
  denormalize(actual, record)
  const C = table.columns.length
  let modelError = 0
  let baselineError = 0
  const out: ForecastWindow[] = windows.starts.map((s, w) => {
    const forecast = predicted.slice(w * K * U, (w + 1) * K * U)
    const truth = actual.slice(w * K * U, (w + 1) * K * U)
    const persistence: number[] = []
    for (let k = 0; k < K; k++) {
      const row = record.targetsPerStep ? s + k : s + L - 1
      for (let u = 0; u < U; u++) persistence.push(table.values[row * C + targets[u]])
    }
    for (let j = 0; j < truth.length; j++) {
      modelError += Math.abs(forecast[j] - truth[j])
      baselineError += Math.abs(persistence[j] - truth[j])
    }
    const history: number[] = []
    for (let t = 0; t < L; t++) history.push(table.values[(s + t) * C + targets[0]])
    return { start: s, forecast, actual: truth, persistence, history }
  })
  const values = windows.count * K * U
  return {
    ...base,
    source: result.source,
    engine: result.engine,
    windows: out,
    mae: modelError / values,
    persistenceMae: baselineError / values
  }
}
