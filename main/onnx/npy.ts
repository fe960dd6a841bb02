// .npy files for `rnnlab predict`: reads x [N, T, F] with the datasets' parser, writes float32 results.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { fileErrorMessage } from '../../common/file-errors'
import { dirname } from 'node:path'
import { dataFile, fail, formatShape } from '../datasets/errors'
import { readNpy } from '../datasets/npy'

/** x [N, T, F] as float32 (any numeric dtype is converted); the file is named in every error. */
export async function readInputNpy(path: string): Promise<{ x: Float32Array; n: number; T: number; F: number }> {
  const file = dataFile(path)
  const tensor = await readNpy(file, (length) => new Float32Array(length), {
    check: (header) => {
      if (header.shape.length !== 3) fail(file, `expected 3 dimensions [N, T, F], got ${formatShape(header.shape)}`)
    }
  })
  const [n, T, F] = tensor.shape
  return { x: tensor.data, n, T, F }
}

/** The bytes of a little-endian float32 .npy (format 1.0), C order. */
export function encodeNpy(data: Float32Array, shape: readonly number[]): Uint8Array {
  const size = shape.reduce((a, d) => a * d, 1)
  if (size !== data.length)
    throw new Error(`npy: shape ${formatShape([...shape])} needs ${size} values, got ${data.length}`)
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${tuple}, }`
  // The magic, version and length take 10 bytes; the header ends in a newline, padded so data is 64-byte aligned.
  header = header.padEnd(Math.ceil((10 + header.length + 1) / 64) * 64 - 10 - 1, ' ') + '\n'
  const bytes = new Uint8Array(10 + header.length + data.length * 4)
  bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0)
  new DataView(bytes.buffer).setUint16(8, header.length, true)
  for (let i = 0; i < header.length; i++) bytes[10 + i] = header.charCodeAt(i)
  const view = new DataView(bytes.buffer, 10 + header.length)
  for (let i = 0; i < data.length; i++) view.setFloat32(4 * i, data[i], true)
  return bytes
}

/** Writes a file whole or not at all: a temporary beside it, then a rename. */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`
  try {
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(tmp, bytes, { flush: true })
    renameSync(tmp, path)
  } catch (e) {
    rmSync(tmp, { force: true }) // a failed write (a full disk, a folder in the way) leaves nothing behind
    throw new Error(fileErrorMessage(e, path, 'write'), { cause: e })
  }
}

export function writeNpy(path: string, data: Float32Array, shape: readonly number[]): void {
  writeFileAtomic(path, encodeNpy(data, shape))
}
