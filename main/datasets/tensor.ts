// Streams a binary tensor file (raw or gzipped) straight into a typed array: the reader behind the npy and IDX parsers.
import { createReadStream } from 'node:fs'
import { open, stat } from 'node:fs/promises'
import { createGunzip } from 'node:zlib'
import { DatasetError, type DataFile, fail, fileSystemError, formatShape } from './errors'

export interface Dtype {
  kind: 'f' | 'i' | 'u' | 'b'
  size: number
  littleEndian: boolean
  /** As the file format spells it, for messages: '<f4', 'ubyte'. */
  name: string
}

export interface TensorHeader {
  shape: number[]
  dtype: Dtype
  /** Where the data starts. */
  headerBytes: number
  /** The data is in Fortran order (first index fastest); the reader returns C order all the same. */
  fortranOrder?: boolean
}

/** Parses a header from the file's first bytes; returns undefined while it needs more of them. */
export type HeaderParser = (head: Uint8Array, file: DataFile) => TensorHeader | undefined

export interface Tensor<A extends Float32Array | Float64Array> {
  shape: number[]
  dtype: Dtype
  data: A
}

export interface Rescale {
  multiply: number
  /** Divided, not multiplied by the inverse, so bytes / 255 match NumPy's to the bit. */
  divide: number
}

export interface ReadTensorOptions {
  /** Throws for a shape or dtype the caller cannot use, before any data is allocated. */
  check?: (header: TensorHeader) => void
  /** Each value becomes value × multiply / divide; may depend on the dtype (IDX bytes become 0..1). */
  rescale?: (dtype: Dtype) => Rescale
  onProgress?: (done: number, total: number) => void
}

/** Four GiB of float32: far above any dataset this app trains on, and below every typed-array limit. */
const MAX_ELEMENTS = 2 ** 30
const MAX_HEADER_BYTES = 1 << 20
const CHUNK_BYTES = 1 << 20

interface ByteSource {
  chunks: AsyncIterable<Uint8Array>
  /** The byte count the source will yield, when the file tells it up front. */
  size: number | undefined
  gzip: boolean
}

/** Opens a file for streaming; a gzip file (told by its magic bytes, not its name) is decompressed on the way. */
export async function openByteSource(file: DataFile): Promise<ByteSource> {
  let fileSize: number
  let gzip: boolean
  let trailerSize: number | undefined
  try {
    const info = await stat(file.path)
    if (info.isDirectory()) fail(file, 'is a folder, not a file')
    fileSize = info.size
    if (fileSize === 0) fail(file, 'the file is empty')
    const handle = await open(file.path, 'r')
    try {
      const magic = new Uint8Array(2)
      await handle.read(magic, 0, 2, 0)
      gzip = fileSize >= 2 && magic[0] === 0x1f && magic[1] === 0x8b
      if (gzip && fileSize >= 18) {
        // ISIZE, the last four bytes: the uncompressed length modulo 2^32 (single-member files, as datasets ship).
        const trailer = new Uint8Array(4)
        await handle.read(trailer, 0, 4, fileSize - 4)
        trailerSize = new DataView(trailer.buffer).getUint32(0, true)
      }
    } finally {
      await handle.close()
    }
  } catch (err) {
    throw fileSystemError(file, err)
  }
  if (!gzip) return { chunks: rawChunks(file), size: fileSize, gzip }
  return { chunks: gunzipChunks(file), size: trailerSize, gzip }
}

async function* rawChunks(file: DataFile): AsyncGenerator<Uint8Array> {
  const stream = createReadStream(file.path, { highWaterMark: CHUNK_BYTES })
  try {
    for await (const chunk of stream) yield chunk as Buffer
  } catch (err) {
    throw fileSystemError(file, err)
  } finally {
    stream.destroy()
  }
}

async function* gunzipChunks(file: DataFile): AsyncGenerator<Uint8Array> {
  const stream = createReadStream(file.path, { highWaterMark: CHUNK_BYTES })
  const gunzip = createGunzip({ chunkSize: CHUNK_BYTES })
  stream.on('error', (err) => gunzip.destroy(err))
  stream.pipe(gunzip)
  try {
    for await (const chunk of gunzip) yield chunk as Buffer
  } catch (err) {
    if (err instanceof DatasetError || (err as NodeJS.ErrnoException).syscall) throw fileSystemError(file, err)
    fail(file, `corrupt gzip data (${(err as Error).message})`)
  } finally {
    stream.destroy()
    gunzip.destroy()
  }
}

/**
 * Reads one tensor: the header through `parseHeader`, then the data, converted element by element into a
 * Float32Array or Float64Array of exactly the header's size. Every bad input ends in a DatasetError.
 */
export async function readTensor<A extends Float32Array | Float64Array>(
  file: DataFile,
  parseHeader: HeaderParser,
  makeArray: (length: number) => A,
  options: ReadTensorOptions = {},
  trustTrailer = true
): Promise<Tensor<A>> {
  const source = await openByteSource(file)
  const iterator = source.chunks[Symbol.asyncIterator]()
  try {
    let head: Uint8Array = new Uint8Array(0)
    let header: TensorHeader | undefined
    while (!(header = parseHeader(head, file))) {
      const next = await iterator.next()
      if (next.done) fail(file, `truncated header (the file holds ${head.length} bytes)`)
      head = concat(head, next.value)
      if (head.length > MAX_HEADER_BYTES + CHUNK_BYTES) fail(file, 'malformed header (no end found)')
    }
    const { shape, dtype, headerBytes } = header
    options.check?.(header)
    if (shape.includes(0)) fail(file, `holds no data (shape ${formatShape(shape)})`)
    let elements = 1
    for (let d = 0; d < shape.length; d++) {
      elements *= shape[d]
      if (elements > MAX_ELEMENTS) fail(file, `shape ${formatShape(shape)} is too large (over ${MAX_ELEMENTS} values)`)
    }
    const dataBytes = elements * dtype.size
    if (!source.gzip && source.size !== headerBytes + dataBytes) {
      sizeMismatch(file, shape, dataBytes, source.size! - headerBytes)
    }
    if (source.gzip && trustTrailer && source.size !== (headerBytes + dataBytes) % 2 ** 32) {
      // The trailer disagrees, but a cut or corrupt file has a meaningless trailer too: decompress to learn which.
      let total = head.length
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) total += next.value.length
      if (total !== headerBytes + dataBytes) sizeMismatch(file, shape, dataBytes, total - headerBytes)
      // Whole data behind a wrong trailer (a multi-member gzip): read it again, minding only the stream.
      return readTensor(file, parseHeader, makeArray, options, false)
    }
    const data = makeArray(elements)
    const decoder = new Decoder(dtype, data, options.rescale?.(dtype) ?? { multiply: 1, divide: 1 })
    let received = 0
    const take = (bytes: Uint8Array): void => {
      if (received + bytes.length > dataBytes) {
        fail(file, `holds more data than its header says (${formatShape(shape)}, ${dataBytes} bytes of data)`)
      }
      decoder.push(bytes)
      received += bytes.length
      options.onProgress?.(received, dataBytes)
    }
    if (head.length > headerBytes) take(head.subarray(headerBytes))
    head = new Uint8Array(0)
    for (;;) {
      const next = await iterator.next()
      if (next.done) break
      take(next.value)
    }
    if (received < dataBytes) sizeMismatch(file, shape, dataBytes, received)
    if (header.fortranOrder) fortranToC(data, shape)
    return { shape, dtype, data }
  } finally {
    await iterator.return?.()
  }
}

/** A tensor file's header, read without its data; for a memory map of the data (raw files only). */
export interface TensorLayout {
  header: TensorHeader
  /** The file's size in bytes. */
  fileSize: number
  gzip: boolean
  /** The number of values the header's shape holds. */
  elements: number
}

/** Reads only the header of a tensor file; checks that a raw file holds exactly the data the header describes. */
export async function readTensorLayout(file: DataFile, parseHeader: HeaderParser): Promise<TensorLayout> {
  let handle
  try {
    const info = await stat(file.path)
    if (info.isDirectory()) fail(file, 'is a folder, not a file')
    if (info.size === 0) fail(file, 'the file is empty')
    handle = await open(file.path, 'r')
    let head: Uint8Array = new Uint8Array(0)
    let header: TensorHeader | undefined
    const magic = new Uint8Array(2)
    await handle.read(magic, 0, 2, 0)
    const gzip = info.size >= 2 && magic[0] === 0x1f && magic[1] === 0x8b
    if (gzip)
      return {
        header: { shape: [], dtype: { kind: 'u', size: 1, littleEndian: true, name: 'gzip' }, headerBytes: 0 },
        fileSize: info.size,
        gzip,
        elements: 0
      }
    while (!(header = parseHeader(head, file))) {
      if (head.length >= info.size) fail(file, `truncated header (the file holds ${head.length} bytes)`)
      if (head.length > MAX_HEADER_BYTES) fail(file, 'malformed header (no end found)')
      const chunk = new Uint8Array(Math.min(65536, info.size - head.length))
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, head.length)
      head = concat(head, chunk.subarray(0, bytesRead))
    }
    let elements = 1
    for (const d of header.shape) elements *= d
    if (info.size !== header.headerBytes + elements * header.dtype.size) {
      sizeMismatch(file, header.shape, elements * header.dtype.size, info.size - header.headerBytes)
    }
    return { header, fileSize: info.size, gzip, elements }
  } catch (err) {
    if (err instanceof DatasetError) throw err
    throw fileSystemError(file, err)
  } finally {
    await handle?.close()
  }
}

function sizeMismatch(file: DataFile, shape: number[], dataBytes: number, held: number): never {
  const itemBytes = dataBytes / shape[0]
  if (held >= 0 && held % itemBytes === 0) {
    fail(file, `header says ${shape[0]} items but the file holds ${held / itemBytes}`)
  }
  fail(
    file,
    `header says ${shape[0]} items (${dataBytes} bytes of data) but the file holds ${Math.max(held, 0)} bytes of data`
  )
}

/**
 * Reorders Fortran-order data (first index fastest) into C order in place, cycle by cycle, with one bit per element
 * to mark what has moved: a copy would double the memory of a dataset-sized array.
 */
export function fortranToC(data: Float32Array | Float64Array, shape: readonly number[]): void {
  const n = data.length
  const dims = shape.length
  if (dims < 2 || shape.filter((d) => d > 1).length < 2) return // at most one axis longer than 1: the same order
  const fStride: number[] = []
  for (let d = 0, s = 1; d < dims; s *= shape[d], d++) fStride.push(s)
  /** Where the value C order puts at `c` lies in the file. */
  const source = (c: number): number => {
    let f = 0
    for (let d = dims - 1; d >= 0; d--) {
      const size = shape[d]
      const i = c % size
      c = (c - i) / size
      f += i * fStride[d]
    }
    return f
  }
  const moved = new Uint8Array(Math.ceil(n / 8))
  for (let start = 0; start < n; start++) {
    if (moved[start >> 3] & (1 << (start & 7))) continue
    const first = data[start]
    let at = start
    for (;;) {
      moved[at >> 3] |= 1 << (at & 7)
      const from = source(at)
      if (from === start) {
        data[at] = first
        break
      }
      data[at] = data[from]
      at = from
    }
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length)
  out.set(a, 0)
  out.set(b, a.length)
  return out
}

/** Converts a stream of bytes into numbers, keeping the bytes of an element split across two chunks. */
class Decoder {
  private at = 0
  private readonly carry: Uint8Array
  private carried = 0

  constructor(
    private readonly dtype: Dtype,
    private readonly out: Float32Array | Float64Array,
    private readonly rescale: Rescale
  ) {
    this.carry = new Uint8Array(dtype.size)
  }

  push(bytes: Uint8Array): void {
    const size = this.dtype.size
    let offset = 0
    if (this.carried > 0) {
      const n = Math.min(size - this.carried, bytes.length)
      this.carry.set(bytes.subarray(0, n), this.carried)
      this.carried += n
      offset = n
      if (this.carried < size) return
      this.decode(this.carry, 1)
      this.carried = 0
    }
    const whole = Math.floor((bytes.length - offset) / size)
    if (whole > 0) this.decode(bytes.subarray(offset, offset + whole * size), whole)
    const rest = bytes.length - offset - whole * size
    if (rest > 0) {
      this.carry.set(bytes.subarray(bytes.length - rest), 0)
      this.carried = rest
    }
  }

  private decode(src: Uint8Array, count: number): void {
    const { out, dtype } = this
    const { multiply, divide } = this.rescale
    const at = this.at
    this.at += count
    const sameLayout =
      dtype.kind === 'f' && dtype.littleEndian && multiply === 1 && divide === 1 && dtype.size === out.BYTES_PER_ELEMENT
    if (sameLayout) {
      // Byte copy: works whatever the alignment of the chunk.
      new Uint8Array(out.buffer, out.byteOffset + at * dtype.size, count * dtype.size).set(src)
      return
    }
    if (dtype.size === 1 && dtype.kind !== 'i') {
      for (let i = 0; i < count; i++) out[at + i] = (src[i] * multiply) / divide
      return
    }
    const view = new DataView(src.buffer, src.byteOffset, src.byteLength)
    const le = dtype.littleEndian
    const size = dtype.size
    const read: (offset: number) => number =
      dtype.kind === 'f'
        ? size === 2
          ? (o) => half(view.getUint16(o, le))
          : size === 4
            ? (o) => view.getFloat32(o, le)
            : (o) => view.getFloat64(o, le)
        : dtype.kind === 'i'
          ? size === 1
            ? (o) => view.getInt8(o)
            : size === 2
              ? (o) => view.getInt16(o, le)
              : size === 4
                ? (o) => view.getInt32(o, le)
                : (o) => Number(view.getBigInt64(o, le))
          : size === 1
            ? (o) => view.getUint8(o)
            : size === 2
              ? (o) => view.getUint16(o, le)
              : size === 4
                ? (o) => view.getUint32(o, le)
                : (o) => Number(view.getBigUint64(o, le))
    for (let i = 0; i < count; i++) out[at + i] = (read(i * size) * multiply) / divide
  }
}

/** An IEEE 754 half-precision value (NumPy's float16) from its 16 bits. */
function half(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1
  const exponent = (bits >> 10) & 0x1f
  const fraction = bits & 0x3ff
  if (exponent === 0) return sign * fraction * 2 ** -24
  if (exponent === 31) return fraction ? NaN : sign * Infinity
  return sign * (1024 + fraction) * 2 ** (exponent - 25)
}
