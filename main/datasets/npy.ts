// NumPy .npy files (format versions 1.0, 2.0 and 3.0; C or Fortran order; numeric dtypes), read straight into typed
// arrays.
import { type DataFile, fail } from './errors'
import {
  type Dtype,
  type HeaderParser,
  readTensor,
  type ReadTensorOptions,
  type Tensor,
  type TensorHeader
} from './tensor'

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59] // \x93NUMPY
const MAX_HEADER_TEXT = 1 << 20

export function readNpy<A extends Float32Array | Float64Array>(
  file: DataFile,
  makeArray: (length: number) => A,
  options?: ReadTensorOptions
): Promise<Tensor<A>> {
  return readTensor(file, parseNpyHeader, makeArray, options)
}

export const parseNpyHeader: HeaderParser = (head, file) => {
  const prefix = Math.min(head.length, MAGIC.length)
  for (let i = 0; i < prefix; i++) {
    if (head[i] !== MAGIC[i]) fail(file, 'not a .npy file (the magic string \\x93NUMPY is missing)')
  }
  if (head.length < 12) return undefined
  const major = head[6]
  const minor = head[7]
  if (major < 1 || major > 3) fail(file, `unsupported .npy format version ${major}.${minor}`)
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength)
  const lengthBytes = major === 1 ? 2 : 4
  const textLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true)
  if (textLength > MAX_HEADER_TEXT) fail(file, `malformed header (it claims ${textLength} bytes)`)
  const headerBytes = 8 + lengthBytes + textLength
  if (head.length < headerBytes) return undefined
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(head.subarray(8 + lengthBytes, headerBytes))
  return interpretHeader(text, headerBytes, file)
}

function interpretHeader(text: string, headerBytes: number, file: DataFile): TensorHeader {
  let dict: unknown
  try {
    dict = new PythonLiteral(text).parse()
  } catch (err) {
    fail(file, `malformed header (${(err as Error).message})`)
  }
  if (typeof dict !== 'object' || dict === null || Array.isArray(dict)) fail(file, 'malformed header (not a dict)')
  const fields = dict as Record<string, unknown>
  const descr = fields.descr
  if (descr === undefined) fail(file, "malformed header (no 'descr')")
  if (typeof descr !== 'string') fail(file, 'structured dtypes are not supported: save a plain numeric array')
  // np.save writes a Fortran-ordered array (np.save('x.npy', a.T), say) as it lies in memory: read, then reordered.
  if (typeof fields.fortran_order !== 'boolean') fail(file, "malformed header ('fortran_order' must be True or False)")
  const shape = fields.shape
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    fail(file, "malformed header ('shape' must be a tuple of sizes)")
  }
  return { shape: shape as number[], dtype: parseDescr(descr, file), headerBytes, fortranOrder: fields.fortran_order }
}

function parseDescr(descr: string, file: DataFile): Dtype {
  const m = /^([<>|=])([fiub])(\d)$/.exec(descr)
  const size = m ? Number(m[3]) : 0
  const kind = m?.[2] as Dtype['kind'] | undefined
  const supported =
    kind === 'f'
      ? size === 2 || size === 4 || size === 8
      : kind === 'b'
        ? size === 1
        : kind === 'i' || kind === 'u'
          ? [1, 2, 4, 8].includes(size)
          : false
  if (!m || !kind || !supported) fail(file, `unsupported dtype '${descr}' (use float32, float64 or an integer type)`)
  return { kind, size, littleEndian: m[1] !== '>', name: descr }
}

/** Just enough of Python's literal syntax for an npy header: dicts, tuples, lists, strings, ints, booleans. */
class PythonLiteral {
  private at = 0
  constructor(private readonly text: string) {}

  parse(): unknown {
    const value = this.value()
    this.space()
    if (this.at < this.text.length) throw new Error(`unexpected ${JSON.stringify(this.text[this.at])} at ${this.at}`)
    return value
  }

  private space(): void {
    while (this.at < this.text.length && /\s/.test(this.text[this.at])) this.at++
  }

  private value(): unknown {
    this.space()
    const c = this.text[this.at]
    if (c === '{') return this.sequence('}', true)
    if (c === '(') return this.sequence(')', false)
    if (c === '[') return this.sequence(']', false)
    if (c === "'" || c === '"') return this.string(c)
    const word = /^[A-Za-z_0-9+-]+/.exec(this.text.slice(this.at, this.at + 40))?.[0]
    if (!word) throw new Error(c === undefined ? 'unexpected end' : `unexpected ${JSON.stringify(c)} at ${this.at}`)
    this.at += word.length
    if (word === 'True') return true
    if (word === 'False') return false
    if (word === 'None') return null
    const int = /^[+-]?\d+L?$/.exec(word) ? Number(word.replace(/L$/, '')) : NaN
    if (Number.isNaN(int)) throw new Error(`unexpected ${JSON.stringify(word)}`)
    return int
  }

  private string(quote: string): string {
    const end = this.text.indexOf(quote, this.at + 1)
    if (end < 0) throw new Error('unterminated string')
    const s = this.text.slice(this.at + 1, end)
    this.at = end + 1
    return s
  }

  private sequence(close: string, isDict: boolean): unknown {
    this.at++
    const items: unknown[] = []
    const dict: Record<string, unknown> = {}
    for (;;) {
      this.space()
      if (this.text[this.at] === close) {
        this.at++
        return isDict ? dict : items
      }
      if (isDict) {
        const key = this.value()
        if (typeof key !== 'string') throw new Error('a dict key is not a string')
        this.space()
        if (this.text[this.at] !== ':') throw new Error(`expected ':' at ${this.at}`)
        this.at++
        dict[key] = this.value()
      } else {
        items.push(this.value())
      }
      this.space()
      const c = this.text[this.at]
      if (c === ',') this.at++
      else if (c !== close) throw new Error(c === undefined ? 'unexpected end' : `expected ',' at ${this.at}`)
    }
  }
}
