// ONNX protobuf plumbing shared by export, check and import: safe decoding, int64 values, tensors in and out.
import { onnx } from 'onnx-proto'

export { onnx }

/** ONNX TensorProto.DataType values we write or read. */
export const FLOAT = 1
export const INT64 = 7
/** AttributeProto.AttributeType values. */
export const ATTR = {
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
  TENSORS: 9,
  GRAPHS: 10,
  SPARSE_TENSOR: 11,
  SPARSE_TENSORS: 12
} as const

/** The opset and IR version every export uses: the newest Debian's python3-onnx 1.12 checker accepts. */
export const OPSET = 17
export const IR_VERSION = 8

/**
 * One tensor may hold at most this many elements (1 GiB of float32). A hostile file can declare any dims; this
 * bounds what we ever allocate, far above any model this app trains.
 */
export const MAX_TENSOR_ELEMENTS = 2 ** 28

/** A file that is not an ONNX model we can use; the message names the file and the place at fault. */
export class OnnxFileError extends Error {
  constructor(
    readonly file: string,
    detail: string
  ) {
    super(`${file}: ${detail}`)
    this.name = 'OnnxFileError'
  }
}

// protobufjs packs and reads in the machine's byte order; ONNX raw_data is little-endian.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

/** An int64 field as a number (protobufjs gives Long objects when the `long` package is present). */
export function int(value: number | { toNumber(): number } | null | undefined): number {
  if (value === null || value === undefined) return 0
  return typeof value === 'number' ? value : value.toNumber()
}

/** Decodes a ModelProto; any protobuf failure (truncated, not protobuf at all) becomes an OnnxFileError. */
export function decodeModel(bytes: Uint8Array, file: string): onnx.ModelProto {
  if (bytes.length === 0) throw new OnnxFileError(file, 'the file is empty')
  try {
    return onnx.ModelProto.decode(bytes)
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e)
    throw new OnnxFileError(file, `not a readable ONNX model (truncated or not protobuf: ${why})`)
  }
}

export function encodeModel(model: onnx.IModelProto): Uint8Array {
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish()
}

/** The element count of a shape, or undefined for a negative, non-integer or absurdly large one. */
export function elementCount(dims: readonly number[]): number | undefined {
  let n = 1
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) return undefined
    n *= d
    if (n > MAX_TENSOR_ELEMENTS) return undefined
  }
  return n
}

export function floatTensor(name: string, dims: number[], data: Float32Array): onnx.ITensorProto {
  const copy = new Float32Array(data)
  if (!LITTLE_ENDIAN) swapBytes(new Uint8Array(copy.buffer), 4)
  return { name, dims, dataType: FLOAT, rawData: new Uint8Array(copy.buffer) }
}

export function int64Tensor(name: string, dims: number[], values: readonly number[]): onnx.ITensorProto {
  // raw_data as BigInt64 keeps INT64_MIN (the "to the start" bound of a backward Slice) exact.
  const data = new BigInt64Array(values.map((v) => BigInt(v)))
  if (!LITTLE_ENDIAN) swapBytes(new Uint8Array(data.buffer), 8)
  return { name, dims, dataType: INT64, rawData: new Uint8Array(data.buffer) }
}

function swapBytes(bytes: Uint8Array, width: number): void {
  for (let i = 0; i < bytes.length; i += width) bytes.subarray(i, i + width).reverse()
}

/** Where a tensor's values live, checked: the dims, element count and a problem (for the validator) if any. */
export function tensorProblem(t: onnx.ITensorProto): string | undefined {
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL || (t.externalData?.length ?? 0) > 0) {
    const where = t.externalData?.find((e) => e.key === 'location')?.value
    return `stores its data outside the file${where ? ` (${JSON.stringify(where)})` : ''}; only self-contained files are read`
  }
  const dims = (t.dims ?? []).map(int)
  const n = elementCount(dims)
  if (n === undefined) return `has an absurd shape [${dims.join(', ')}]`
  const width = t.dataType === FLOAT ? 4 : t.dataType === INT64 ? 8 : undefined
  if (width === undefined) return `has data type ${t.dataType}; only float32 and int64 tensors are expected`
  const raw = t.rawData?.length ?? 0
  const typed = t.dataType === FLOAT ? (t.floatData?.length ?? 0) : (t.int64Data?.length ?? 0)
  if (raw > 0 && typed > 0) return 'has both raw_data and typed data'
  const have = raw > 0 ? raw / width : typed
  if (have !== n) return `declares [${dims.join(', ')}] (${n} values) but holds ${have}`
  if (t.dataType === FLOAT) {
    const at = firstNonFinite(raw > 0 ? floatsOf(t.rawData!) : (t.floatData ?? []))
    if (at >= 0) {
      const value = raw > 0 ? floatsOf(t.rawData!)[at] : t.floatData![at]
      return `holds a non-finite value (${value}) at index ${at}; weights must be finite numbers`
    }
  }
  return undefined
}

/** A sparse tensor's problem: its values and indices checked as tensors, its dense shape bounded. */
export function sparseTensorProblem(s: onnx.ISparseTensorProto): string | undefined {
  for (const [part, t] of [
    ['values', s.values],
    ['indices', s.indices]
  ] as const) {
    if (!t) return `has no ${part}`
    const problem = tensorProblem(t)
    if (problem) return `${part} ${problem}`
  }
  const dims = (s.dims ?? []).map(int)
  if (elementCount(dims) === undefined) return `has an absurd shape [${dims.join(', ')}]`
  return undefined
}

/** The index of the first NaN or ±Infinity, or -1. */
export function firstNonFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return i
  return -1
}

/** raw_data as float32 values (a copy: raw_data may sit at an odd offset in the file's buffer). */
function floatsOf(raw: Uint8Array): Float32Array {
  const bytes = new Uint8Array(raw)
  if (!LITTLE_ENDIAN) swapBytes(bytes, 4)
  return new Float32Array(bytes.buffer, 0, Math.floor(bytes.length / 4))
}

/** A float initializer's values; call tensorProblem first (it throws here with the same words otherwise). */
export function readFloatTensor(t: onnx.ITensorProto, file: string): { dims: number[]; data: Float32Array } {
  const problem = tensorProblem(t)
  if (problem) throw new OnnxFileError(file, `initializer ${JSON.stringify(t.name)} ${problem}`)
  if (t.dataType !== FLOAT) throw new OnnxFileError(file, `initializer ${JSON.stringify(t.name)} is not float32`)
  const dims = (t.dims ?? []).map(int)
  const raw = t.rawData
  if (raw && raw.length > 0) {
    // Copy first: raw_data may sit at an odd offset inside the file's buffer (and Buffer#slice would not copy).
    const bytes = new Uint8Array(raw)
    if (!LITTLE_ENDIAN) swapBytes(bytes, 4)
    return { dims, data: new Float32Array(bytes.buffer, 0, bytes.length / 4) }
  }
  return { dims, data: Float32Array.from(t.floatData ?? []) }
}

export function readInt64Tensor(t: onnx.ITensorProto, file: string): number[] {
  const problem = tensorProblem(t)
  if (problem) throw new OnnxFileError(file, `initializer ${JSON.stringify(t.name)} ${problem}`)
  const raw = t.rawData
  if (raw && raw.length > 0) {
    const bytes = new Uint8Array(raw)
    if (!LITTLE_ENDIAN) swapBytes(bytes, 8)
    return [...new BigInt64Array(bytes.buffer, 0, bytes.length / 8)].map(Number)
  }
  return (t.int64Data ?? []).map(int)
}

// ---------------------------------------------------------------------------------------------------------------
// Attributes

const text = new TextEncoder()
const untext = new TextDecoder()

export function attrInt(name: string, i: number): onnx.IAttributeProto {
  return { name, type: ATTR.INT, i }
}
export function attrInts(name: string, ints: number[]): onnx.IAttributeProto {
  return { name, type: ATTR.INTS, ints }
}
export function attrString(name: string, s: string): onnx.IAttributeProto {
  return { name, type: ATTR.STRING, s: text.encode(s) }
}
export function attrStrings(name: string, strings: string[]): onnx.IAttributeProto {
  return { name, type: ATTR.STRINGS, strings: strings.map((s) => text.encode(s)) }
}

export function getAttr(node: onnx.INodeProto, name: string): onnx.IAttributeProto | undefined {
  return node.attribute?.find((a) => a.name === name)
}
export function getInt(node: onnx.INodeProto, name: string): number | undefined {
  const a = getAttr(node, name)
  return a === undefined ? undefined : int(a.i)
}
export function getInts(node: onnx.INodeProto, name: string): number[] | undefined {
  const a = getAttr(node, name)
  return a === undefined ? undefined : (a.ints ?? []).map(int)
}
export function getString(node: onnx.INodeProto, name: string): string | undefined {
  const a = getAttr(node, name)
  return a?.s ? untext.decode(a.s) : a === undefined ? undefined : ''
}
export function getStrings(node: onnx.INodeProto, name: string): string[] | undefined {
  const a = getAttr(node, name)
  return a === undefined ? undefined : (a.strings ?? []).map((s) => untext.decode(s))
}
