// CSV datasets, one row a sample (a class id, then timeSteps × features values), streamed line by line.
import { type DataFile, fail } from './errors'
import { openByteSource } from './tensor'

export interface CsvLayout {
  timeSteps: number
  features: number
  header: boolean
  labelColumn: 'first' | 'last'
  numClasses?: number
}

export interface CsvData {
  x: Float32Array
  y: Int32Array
  count: number
}

/**
 * A CSV number: decimal as spreadsheets write it (`12`, `-0.5`, `.5`, `+3`, `1e-3`), spaces around it ignored. Not
 * read as numbers, unlike JavaScript's Number(): hexadecimal, binary and octal (`0x10`), a cut exponent (`1e`),
 * `Infinity` and `NaN` (each refused, naming file:line:column). A value too large for a float (`1e999`) is Infinity.
 */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i

/** A line this long is no CSV row of this app's data; stopping keeps a binary file from filling memory. */
const MAX_LINE_CHARS = 64 << 20

export async function readCsv(
  file: DataFile,
  layout: CsvLayout,
  onProgress?: (done: number, total: number) => void
): Promise<CsvData> {
  const source = await openByteSource(file)
  const rowValues = layout.timeSteps * layout.features
  const expected = `expected ${rowValues + 1} values (label + ${layout.timeSteps}×${layout.features})`
  const labelAt = layout.labelColumn === 'first' ? 0 : rowValues
  const firstValue = layout.labelColumn === 'first' ? 1 : 0
  const sizeHint = source.gzip ? undefined : source.size

  let capacity = 0
  let x = new Float32Array(0)
  let y = new Int32Array(0)
  let count = 0
  let lineNumber = 0

  const ensureRoom = (lineChars: number): void => {
    if (count < capacity) return
    const estimate = sizeHint !== undefined && count === 0 ? Math.ceil((sizeHint / (lineChars + 1)) * 1.05) + 16 : 0
    capacity = Math.max(estimate, Math.ceil(capacity * 1.5), 1024)
    const grownX = new Float32Array(capacity * rowValues)
    grownX.set(x)
    x = grownX
    const grownY = new Int32Array(capacity)
    grownY.set(y)
    y = grownY
  }

  const row = (line: string): void => {
    lineNumber++
    if (lineNumber === 1 && layout.header) return
    if (line.trim() === '') return
    const place = `${lineNumber}`
    const fields = line.split(',')
    if (fields.length !== rowValues + 1) failAt(file, place, `${expected}, got ${fields.length}`)
    // file:line:column of a field, the column counted in characters from 1, at the value past any spaces.
    const at = (k: number): string => {
      let column = 1
      for (let j = 0; j < k; j++) column += fields[j].length + 1
      return `${place}:${column + (fields[k].length - fields[k].trimStart().length)}`
    }
    const labelText = fields[labelAt].trim().replace(/^"(.*)"$/, '$1')
    const label = DECIMAL.test(labelText) ? Number(labelText) : NaN
    if (!Number.isInteger(label) || label < 0 || label > 2 ** 31 - 1) {
      const hint = lineNumber === 1 ? ' (set "header": true if the first line names the columns)' : ''
      // What is wrong, never the text itself: the file may be anything the person (or a page) named.
      const kind =
        labelText === ''
          ? 'it is empty'
          : !DECIMAL.test(labelText)
            ? /^[+-]?\d/.test(labelText)
              ? 'it is not a decimal number'
              : 'it is text'
            : label < 0
              ? 'it is negative'
              : !Number.isInteger(label)
                ? 'it is not a whole number'
                : 'it is above 2147483647'
      failAt(
        file,
        at(labelAt),
        `label (field ${labelAt + 1}) is not a class id (a non-negative integer): ${kind}${hint}`
      )
    }
    if (layout.numClasses !== undefined && label >= layout.numClasses) {
      failAt(file, place, `label ${label} is out of range 0..${layout.numClasses - 1}`)
    }
    ensureRoom(line.length)
    y[count] = label
    const base = count * rowValues
    for (let i = 0; i < rowValues; i++) {
      const text = fields[firstValue + i].trim()
      const value = DECIMAL.test(text) ? Number(text) : NaN
      if (!Number.isFinite(value)) badValue(file, at(firstValue + i), text, i, layout.features, firstValue + i + 1)
      x[base + i] = value
    }
    count++
  }

  const decoder = new TextDecoder('utf-8')
  let rest = ''
  let read = 0
  for await (const chunk of source.chunks) {
    read += chunk.length
    const text = rest + decoder.decode(chunk, { stream: true })
    let start = 0
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      row(text.slice(start, nl > start && text[nl - 1] === '\r' ? nl - 1 : nl))
      start = nl + 1
    }
    rest = text.slice(start)
    if (rest.length > MAX_LINE_CHARS) failAt(file, `${lineNumber + 1}`, 'line too long (no line break in 64 MiB)')
    onProgress?.(read, sizeHint ?? read)
  }
  rest += decoder.decode()
  if (rest.endsWith('\r')) rest = rest.slice(0, -1)
  if (rest !== '') row(rest)
  if (count === 0) fail(file, 'holds no samples')
  // Growth leaves spare room; copy only when it is worth the moment of double memory.
  const trimmed = capacity > count * 1.25
  return {
    x: trimmed ? x.slice(0, count * rowValues) : x.subarray(0, count * rowValues),
    y: trimmed ? y.slice(0, count) : y.subarray(0, count),
    count
  }
}

function badValue(file: DataFile, at: string, text: string, i: number, features: number, field: number): never {
  // What is wrong, never the text itself: the file may be anything the person (or a page) named.
  const where = `at step ${Math.floor(i / features)}, feature ${i % features} (field ${field})`
  if (text === '') failAt(file, at, `empty value ${where}`)
  if (/^[+-]?nan$/i.test(text)) failAt(file, at, `NaN ${where}`)
  if (/^[+-]?inf(inity)?$/i.test(text) || DECIMAL.test(text)) failAt(file, at, `Infinity ${where}`)
  if (!Number.isNaN(Number(text)) || /^[+-]?\d/.test(text)) {
    failAt(file, at, `value ${where} is not a decimal number (write numbers as 16, -0.5 or 1e-3)`)
  }
  failAt(file, at, `value ${where} is not a number (text)`)
}

function failAt(file: DataFile, line: string, place: string): never {
  fail({ ...file, display: `${file.display}:${line}` }, place)
}
