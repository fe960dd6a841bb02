// Time series: a numeric CSV (a header naming the columns, one row a time step) made into forecasting windows as
// Keras's timeseries_dataset_from_array does, split by time, z-scored with the training rows' statistics only.
import { existsSync, readFileSync } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileErrorMessage } from '../../common/file-errors'
import { TIMESERIES_DEFAULTS, type TimeseriesDatasetSpec, trainCountAfterSplit } from '../../common/datasets'
import { type DataFile, fail, fileSystemError } from './errors'

/** A numeric table as read: column names and the values row-major ([rows, columns]). */
export interface NumericTable {
  columns: string[]
  rows: number
  values: Float64Array
}

/** The largest time-series CSV read whole. */
const MAX_FILE_BYTES = 1 << 30

/**
 * Reads a numeric CSV with a header. Cells may be quoted; every cell of a data row must be a finite number (an
 * empty cell, `NaN` or text is refused with its line and column). Empty lines at the end are ignored; an empty line
 * between rows is refused (a gap in a time series is a mistake to see, not to skip).
 */
export async function readNumericCsv(file: DataFile): Promise<NumericTable> {
  let text: string
  try {
    const info = await stat(file.path)
    if (info.isDirectory()) fail(file, 'is a folder; a time series is one CSV file')
    if (info.size > MAX_FILE_BYTES) fail(file, `is ${Math.round(info.size / 2 ** 20)} MiB; at most 1 GiB is read`)
    text = await readFile(file.path, 'utf8')
  } catch (err) {
    throw fileSystemError(file, err)
  }
  return parseNumericCsv(text, file)
}

export function parseNumericCsv(text: string, file: DataFile): NumericTable {
  const at = (line: number): DataFile => ({ ...file, display: `${file.display}:${line}` })
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/)
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop()
  if (lines.length === 0) fail(file, 'is empty; a time series needs a header line naming the columns')
  const columns = splitCells(lines[0]).map((c) => c.trim())
  columns.forEach((c, i) => {
    if (c === '') fail(at(1), `the header's column ${i + 1} has no name`)
    if (columns.indexOf(c) !== i) fail(at(1), `the header names the column ${JSON.stringify(c)} twice`)
  })
  const values = new Float64Array((lines.length - 1) * columns.length)
  for (let r = 1; r < lines.length; r++) {
    const line = r + 1
    if (lines[r].trim() === '') fail(at(line), 'empty line between rows (a time series has one row a step)')
    const cells = splitCells(lines[r])
    if (cells.length !== columns.length)
      fail(at(line), `${cells.length} cells, but the header names ${columns.length} columns`)
    for (let c = 0; c < cells.length; c++) {
      const cell = cells[c].trim()
      const v = cell === '' ? NaN : Number(cell)
      if (!Number.isFinite(v)) {
        const what = cell === '' ? 'is empty' : `${JSON.stringify(cell)} is not a finite number`
        fail(at(line), `column ${JSON.stringify(columns[c])}: ${what}`)
      }
      values[(r - 1) * columns.length + c] = v
    }
  }
  return { columns, rows: lines.length - 1, values }
}

/** Splits one CSV line on commas; a cell may be quoted ("a,b", "" for a quote). */
function splitCells(line: string): string[] {
  if (!line.includes('"')) return line.split(',')
  const cells: string[] = []
  let cell = ''
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cell += '"'
        i++
      } else if (ch === '"') quoted = false
      else cell += ch
    } else if (ch === '"') quoted = true
    else if (ch === ',') {
      cells.push(cell)
      cell = ''
    } else cell += ch
  }
  cells.push(cell)
  return cells
}

/** The z-score of one column: (v - mean) / std, from the training rows. */
export interface ColumnScale {
  mean: number
  std: number
}

/** What a time-series run keeps (`normalization.json` beside its checkpoints): enough to read and answer new windows. */
export interface NormalizationRecord {
  format: 'rnnlab-normalization-1'
  /** The CSV the run trained on (absolute), to find its validation windows again. */
  file?: string
  /** Its row count, and the first row of the validation part. */
  rows?: number
  boundary?: number
  method: 'z-score' | 'none'
  /** The rows the statistics come from: the first `fittedRows` rows of the file (the training part). */
  fittedRows: number
  columns: Record<string, ColumnScale>
  featureColumns: string[]
  targetColumns: string[]
  sequenceLength: number
  sequenceStride: number
  horizon: number
  targetsPerStep: boolean
}

/** Windows of one part of the series: x [count, L, F] and targets [count, U] or [count, L, U], normalised. */
export interface Windows {
  x: Float32Array
  targets: Float32Array
  count: number
  /** The row (0-based, in the file) each window starts at. */
  starts: number[]
}

export interface TimeseriesData {
  train: Windows
  validation: Windows
  normalization: NormalizationRecord
  /** The first row of the validation part (= the training rows). */
  boundary: number
}

/** How many windows of length L with a target h rows after their end fit in n rows, one every `stride` rows. */
export function windowCount(n: number, length: number, horizon: number, stride: number): number {
  const last = n - length - horizon // the last start whose target row (start + L - 1 + h) is row n - 1
  return last < 0 ? 0 : Math.floor(last / stride) + 1
}

/** The columns' indices in the table, refusing a name it lacks. */
function columnIndices(table: NumericTable, names: string[], file: DataFile, field: string): number[] {
  return names.map((name) => {
    const i = table.columns.indexOf(name)
    if (i < 0)
      fail(
        { ...file, display: `${file.display}:1` },
        `${field} names the column ${JSON.stringify(name)}, which the header lacks (columns: ${table.columns.join(', ')})`
      )
    return i
  })
}

/** Means and standard deviations (population, as Keras's Normalization) of rows [0, rows); a constant column gets std 1. */
export function fitScales(table: NumericTable, rows: number): ColumnScale[] {
  const C = table.columns.length
  return table.columns.map((_, c) => {
    let sum = 0
    for (let r = 0; r < rows; r++) sum += table.values[r * C + c]
    const mean = sum / rows
    let sq = 0
    for (let r = 0; r < rows; r++) sq += (table.values[r * C + c] - mean) ** 2
    const std = Math.sqrt(sq / rows)
    return { mean, std: std > 1e-12 * Math.max(1, Math.abs(mean)) ? std : 1 }
  })
}

/** Makes the windows of rows [from, to) of the table, normalised with `scales` (by column index). */
export function makeWindows(
  table: NumericTable,
  from: number,
  to: number,
  features: number[],
  targets: number[],
  scales: ColumnScale[],
  o: { sequenceLength: number; sequenceStride: number; horizon: number; targetsPerStep: boolean }
): Windows {
  const L = o.sequenceLength
  const C = table.columns.length
  const F = features.length
  const U = targets.length
  const count = windowCount(to - from, L, o.horizon, o.sequenceStride)
  const K = o.targetsPerStep ? L : 1
  const x = new Float32Array(count * L * F)
  const y = new Float32Array(count * K * U)
  const z = (r: number, c: number) => (table.values[r * C + c] - scales[c].mean) / scales[c].std
  const starts: number[] = []
  for (let w = 0; w < count; w++) {
    const s = from + w * o.sequenceStride
    starts.push(s)
    for (let t = 0; t < L; t++) for (let f = 0; f < F; f++) x[(w * L + t) * F + f] = z(s + t, features[f])
    for (let k = 0; k < K; k++) {
      const row = o.targetsPerStep ? s + k + o.horizon : s + L - 1 + o.horizon
      for (let u = 0; u < U; u++) y[(w * K + k) * U + u] = z(row, targets[u])
    }
  }
  return { x, targets: y, count, starts }
}

/** Reads the CSV of a timeseries spec and makes its training and validation windows. */
export async function loadTimeseries(spec: TimeseriesDatasetSpec, file: DataFile): Promise<TimeseriesData> {
  return timeseriesOf(await readNumericCsv(file), spec, file)
}

export function timeseriesOf(table: NumericTable, spec: TimeseriesDatasetSpec, file: DataFile): TimeseriesData {
  const o = {
    sequenceLength: spec.sequenceLength,
    sequenceStride: spec.sequenceStride ?? TIMESERIES_DEFAULTS.sequenceStride,
    horizon: spec.horizon ?? TIMESERIES_DEFAULTS.horizon,
    targetsPerStep: spec.targetsPerStep ?? TIMESERIES_DEFAULTS.targetsPerStep
  }
  const featureColumns = spec.featureColumns ?? table.columns
  const features = columnIndices(table, featureColumns, file, 'dataset.featureColumns')
  const targets = columnIndices(table, spec.targetColumns, file, 'dataset.targetColumns')
  const need = o.sequenceLength + o.horizon
  const boundary = trainCountAfterSplit(table.rows, spec.validationSplit)
  const where = `sequenceLength ${o.sequenceLength} + horizon ${o.horizon}`
  if (table.rows < need)
    fail(file, `${table.rows} rows, too short for one window: ${where} needs at least ${need} rows`)
  if (boundary < need)
    fail(
      file,
      `the training part (the first ${boundary} of ${table.rows} rows) is too short for one window: ${where} needs ${need} rows; lower dataset.validationSplit or sequenceLength`
    )
  if (boundary < table.rows && table.rows - boundary < need)
    fail(
      file,
      `the validation part (the last ${table.rows - boundary} rows) is too short for one window: ${where} needs ${need} rows; raise dataset.validationSplit or lower sequenceLength`
    )
  const normalize = spec.normalize ?? TIMESERIES_DEFAULTS.normalize
  const scales = normalize ? fitScales(table, boundary) : table.columns.map(() => ({ mean: 0, std: 1 }))
  const train = makeWindows(table, 0, boundary, features, targets, scales, o)
  const validation = makeWindows(table, boundary, table.rows, features, targets, scales, o)
  const used = new Set([...featureColumns, ...spec.targetColumns])
  const columns: Record<string, ColumnScale> = {}
  table.columns.forEach((c, i) => {
    if (used.has(c)) columns[c] = scales[i]
  })
  return {
    train,
    validation,
    boundary,
    normalization: {
      format: 'rnnlab-normalization-1',
      ...(file.path ? { file: file.path } : {}),
      rows: table.rows,
      boundary,
      method: normalize ? 'z-score' : 'none',
      fittedRows: boundary,
      columns,
      featureColumns: [...featureColumns],
      targetColumns: [...spec.targetColumns],
      ...o
    }
  }
}

/**
 * A window of new data for a trained run: the last sequenceLength rows of the table's feature columns, normalised
 * with the run's record, as x [1, L, F].
 */
export function lastWindow(table: NumericTable, record: NormalizationRecord, file: DataFile): Float32Array {
  const L = record.sequenceLength
  if (table.rows < L) fail(file, `${table.rows} rows, too short for one window: the run reads windows of ${L} rows`)
  const features = columnIndices(table, record.featureColumns, file, 'the run (featureColumns)')
  const C = table.columns.length
  const F = features.length
  const x = new Float32Array(L * F)
  const start = table.rows - L
  for (let t = 0; t < L; t++)
    for (let f = 0; f < F; f++) {
      const name = record.featureColumns[f]
      const { mean, std } = record.columns[name]
      x[t * F + f] = (table.values[(start + t) * C + features[f]] - mean) / std
    }
  return x
}

/** Model outputs [.., U] (normalised targets) back in the data's units, in place. */
export function denormalize(values: Float32Array | number[], record: NormalizationRecord): void {
  const U = record.targetColumns.length
  for (let k = 0; k < values.length; k++) {
    const { mean, std } = record.columns[record.targetColumns[k % U]]
    values[k] = values[k] * std + mean
  }
}

/** The run's normalization.json (beside its checkpoints), or a one-line error saying why there is none. */
export function readNormalization(checkpointPath: string, runLabel: string): NormalizationRecord {
  const path = join(dirname(checkpointPath), 'normalization.json')
  if (!existsSync(path))
    throw new Error(
      `${runLabel} has no normalization.json: it did not train on a time series (dataset source timeseries)`
    )
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as NormalizationRecord
  } catch (e) {
    const why = e instanceof SyntaxError ? `not valid JSON (${e.message})` : fileErrorMessage(e, path)
    throw new Error(e instanceof SyntaxError ? `${path}: ${why}` : why, { cause: e })
  }
}
