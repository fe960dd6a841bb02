// Reads the engine's reference fixtures (test/fixtures/reference/*.ref, written by scripts/make-reference-fixtures.py;
// the format is in that folder's README.md): a magic, a JSON header and little-endian float64 tensors.
import { readFileSync, readdirSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const referenceDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'reference')

const MAGIC = 'RNNREF1\0'

// Every fixture file, sorted, as absolute paths.
export function listReferenceFiles(dir = referenceDir) {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.ref'))
    .sort()
    .map((name) => join(dir, name))
}

// Parses one fixture: { header, tensors: { [name]: { shape, data: Float64Array } } }, tensors in file order.
// Every check names the file, so a broken fixture says which one.
export function readReference(path) {
  const file = basename(path)
  const bytes = readFileSync(path)
  const fail = (why) => {
    throw new Error(`${file}: ${why}`)
  }
  if (bytes.length < 12 || bytes.toString('latin1', 0, 8) !== MAGIC)
    fail('not a reference fixture (expected the magic "RNNREF1\\0")')
  const headerLength = bytes.readUInt32LE(8)
  const dataStart = 12 + headerLength
  if (dataStart > bytes.length)
    fail(`header length ${headerLength} runs past the end of the file (${bytes.length} bytes)`)
  let header
  try {
    header = JSON.parse(bytes.toString('utf8', 12, dataStart))
  } catch (e) {
    fail(`header is not JSON: ${e.message}`)
  }
  if (!Array.isArray(header.tensors)) fail('header has no "tensors" list')
  const dataLength = bytes.length - dataStart
  const tensors = {}
  let end = 0
  for (const { name, dtype, shape, offset, length } of header.tensors) {
    if (typeof name !== 'string' || name in tensors) fail(`tensor name ${JSON.stringify(name)} is missing or repeated`)
    if (dtype !== 'float64') fail(`tensor ${name}: dtype ${dtype}, expected float64`)
    if (!Array.isArray(shape) || !shape.every((n) => Number.isInteger(n) && n >= 0))
      fail(`tensor ${name}: bad shape ${JSON.stringify(shape)}`)
    const count = shape.reduce((a, n) => a * n, 1)
    if (length !== 8 * count) fail(`tensor ${name}: length ${length} bytes, but shape [${shape}] needs ${8 * count}`)
    if (!Number.isInteger(offset) || offset < end || offset + length > dataLength) {
      fail(
        `tensor ${name}: bytes ${offset}..${offset + length} overlap the previous tensor or run past the data (${dataLength} bytes)`
      )
    }
    const data = new Float64Array(count)
    for (let k = 0; k < count; k++) data[k] = bytes.readDoubleLE(dataStart + offset + 8 * k)
    tensors[name] = { shape, data }
    end = offset + length
  }
  if (end !== dataLength) fail(`${dataLength - end} bytes after the last tensor`)
  return { header, tensors }
}
