// IDX files, the MNIST format: a big-endian header (magic 0x0000TTDD: type TT, DD dimensions) and C-order data.
import { type DataFile, fail } from './errors'
import { type Dtype, type HeaderParser, readTensor, type ReadTensorOptions, type Tensor } from './tensor'

const IDX_TYPES: Record<number, Omit<Dtype, 'littleEndian'>> = {
  0x08: { kind: 'u', size: 1, name: 'ubyte' },
  0x09: { kind: 'i', size: 1, name: 'byte' },
  0x0b: { kind: 'i', size: 2, name: 'short' },
  0x0c: { kind: 'i', size: 4, name: 'int' },
  0x0d: { kind: 'f', size: 4, name: 'float' },
  0x0e: { kind: 'f', size: 8, name: 'double' }
}

export function readIdx<A extends Float32Array | Float64Array>(
  file: DataFile,
  makeArray: (length: number) => A,
  options?: ReadTensorOptions
): Promise<Tensor<A>> {
  return readTensor(file, parseIdxHeader, makeArray, options)
}

export const parseIdxHeader: HeaderParser = (head, file) => {
  if (head.length < 4) return undefined
  const magic = ((head[0] << 24) | (head[1] << 16) | (head[2] << 8) | head[3]) >>> 0
  const type = IDX_TYPES[head[2]]
  if (head[0] !== 0 || head[1] !== 0 || !type) {
    fail(
      file,
      `not an IDX file (magic 0x${magic.toString(16).padStart(8, '0')}; images are 0x00000803, labels 0x00000801)`
    )
  }
  const dims = head[3]
  if (dims === 0) fail(file, 'malformed header (0 dimensions)')
  const headerBytes = 4 + 4 * dims
  if (head.length < headerBytes) return undefined
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength)
  const shape: number[] = []
  for (let d = 0; d < dims; d++) shape.push(view.getUint32(4 + 4 * d, false))
  return { shape, dtype: { ...type, littleEndian: false }, headerBytes }
}
