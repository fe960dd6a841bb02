// Mutated IDX, NPY and CSV files (seeded): every load either succeeds or throws a DatasetError, and none hangs.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, describe, expect, it } from 'vitest'
import type { DatasetSpec } from '../../common/datasets'
import { DatasetError, loadDataset } from '../../main/datasets'
import { random as seeded } from '../helpers/random'

const good = join(__dirname, '..', 'fixtures', 'datasets', 'good')
const work = mkdtempSync(join(tmpdir(), 'rnnlab-fuzz-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))
for (const name of ['x.npy', 'y.npy', 'x.idx3-ubyte', 'y.idx1-ubyte']) copyFileSync(join(good, name), join(work, name))

const CASES = 400
const CASE_TIMEOUT_MS = 5_000

interface Base {
  name: string
  bytes: Uint8Array
  /** Where the header ends, so mutations hit it often. */
  headerBytes: number
  spec: (file: string) => DatasetSpec
}

const read = (name: string): Uint8Array => new Uint8Array(readFileSync(join(good, name)))
const npyPair =
  (role: 'x' | 'y') =>
  (file: string): DatasetSpec => ({
    source: 'npy',
    train: role === 'x' ? { x: file, y: 'y.npy' } : { x: 'x.npy', y: file }
  })
const idxPair =
  (role: 'x' | 'y') =>
  (file: string): DatasetSpec => ({
    source: 'idx',
    train: role === 'x' ? { x: file, y: 'y.idx1-ubyte' } : { x: 'x.idx3-ubyte', y: file }
  })
const bases: Base[] = [
  { name: 'x.npy', bytes: read('x.npy'), headerBytes: 128, spec: npyPair('x') },
  { name: 'y.npy', bytes: read('y.npy'), headerBytes: 128, spec: npyPair('y') },
  { name: 'y-onehot.npy', bytes: read('y-onehot.npy'), headerBytes: 128, spec: npyPair('y') },
  { name: 'y-steps.npy', bytes: read('y-steps.npy'), headerBytes: 128, spec: npyPair('y') },
  { name: 'x.idx3-ubyte', bytes: read('x.idx3-ubyte'), headerBytes: 16, spec: idxPair('x') },
  { name: 'y.idx1-ubyte', bytes: read('y.idx1-ubyte'), headerBytes: 8, spec: idxPair('y') },
  { name: 'x.idx3-ubyte.gz', bytes: read('x.idx3-ubyte.gz'), headerBytes: 20, spec: idxPair('x') },
  {
    name: 'train.csv',
    bytes: read('train.csv'),
    headerBytes: 0,
    spec: (file) => ({ source: 'csv', train: file, timeSteps: 4, features: 3, header: true })
  },
  {
    name: 'train-noheader.csv',
    bytes: read('train-noheader.csv'),
    headerBytes: 0,
    spec: (file) => ({ source: 'csv', train: file, timeSteps: 4, features: 3, validationSplit: 0.5 })
  }
]

const CSV_NOISE = ',\n\r-+.e0123456789 abNnaIinf"\u00e9'

function mutate(base: Base, random: () => number): { bytes: Uint8Array; how: string } {
  const int = (n: number): number => Math.floor(random() * n)
  const src = base.bytes
  const kind = int(base.name.endsWith('.csv') ? 7 : 6)
  const hotEnd = base.headerBytes > 0 && random() < 0.6 ? Math.min(base.headerBytes, src.length) : src.length
  switch (kind) {
    case 0: {
      const at = int(src.length)
      return { bytes: src.slice(0, at), how: `truncate to ${at}` }
    }
    case 1: {
      const out = src.slice()
      const flips = 1 + int(4)
      for (let i = 0; i < flips; i++) out[int(hotEnd)] ^= 1 << int(8)
      return { bytes: out, how: `flip ${flips} bits below ${hotEnd}` }
    }
    case 2: {
      const extra = Uint8Array.from({ length: 1 + int(600) }, () => int(256))
      return { bytes: new Uint8Array([...src, ...extra]), how: `extend by ${extra.length}` }
    }
    case 3: {
      const out = src.slice()
      const n = 1 + int(8)
      for (let i = 0; i < n; i++) out[int(hotEnd)] = int(256)
      return { bytes: out, how: `randomize ${n} bytes below ${hotEnd}` }
    }
    case 4: {
      // A random header: sizes from a range that includes zero, one, the true ones and absurd ones.
      const out = src.slice()
      const view = new DataView(out.buffer)
      const sizes = [0, 1, 2, 3, 4, 5, 6, 7, 12, 255, 65535, 2 ** 31, 2 ** 32 - 1]
      if (base.name.includes('.npy')) {
        const text = new TextDecoder('latin1').decode(out.subarray(10, 128))
        const shape = Array.from({ length: int(5) }, () => sizes[int(sizes.length)])
        const descr = ['<f4', '<f8', '|u1', '<i8', '>i2', '<f2', '|b1', 'O', '<U3'][int(9)]
        const fresh = text
          .replace(/'descr': '[^']*'/, `'descr': '${descr}'`)
          .replace(/\([^)]*\)/, `(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`)
        const bytes = new TextEncoder().encode(fresh.slice(0, 118).padEnd(117, ' ') + '\n')
        out.set(bytes.subarray(0, Math.min(bytes.length, 118)), 10)
        return { bytes: out, how: `header ${descr} (${shape.join(', ')})` }
      }
      if (base.name.endsWith('.gz')) return { bytes: gzipSync(src.slice(0, 8)), how: 'gzip of a cut header' }
      const dims = src[3]
      const at = 4 + 4 * int(dims)
      const value = sizes[int(sizes.length)]
      view.setUint32(at, value, false)
      if (random() < 0.3) out[2] = [0x08, 0x09, 0x0b, 0x0c, 0x0d, 0x0e, 0x0a][int(7)]
      return { bytes: out, how: `dim at ${at} = ${value}, type ${out[2]}` }
    }
    case 5: {
      const from = int(src.length)
      const length = int(Math.min(200, src.length - from) + 1)
      const at = int(src.length)
      return {
        bytes: new Uint8Array([...src.slice(0, at), ...src.slice(from, from + length), ...src.slice(at)]),
        how: `insert ${length} bytes at ${at}`
      }
    }
    default: {
      let text = new TextDecoder().decode(src)
      const edits = 1 + int(5)
      for (let i = 0; i < edits; i++) {
        const at = int(text.length)
        const noise = CSV_NOISE[int(CSV_NOISE.length)]
        text =
          random() < 0.5 ? text.slice(0, at) + noise + text.slice(at + 1) : text.slice(0, at) + noise + text.slice(at)
      }
      return { bytes: new TextEncoder().encode(text), how: `${edits} text edits` }
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms (a hang)`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

describe('fuzz', () => {
  it(`${CASES} mutated files end in a load or a DatasetError`, async () => {
    const random = seeded(20261127)
    const outcomes = { loaded: 0, refused: 0 }
    const messages = new Set<string>()
    const failures: string[] = []
    const started = performance.now()
    for (let i = 0; i < CASES; i++) {
      const base = bases[i % bases.length]
      const { bytes, how } = mutate(base, random)
      const name = `case-${i}-${base.name}`
      writeFileSync(join(work, name), bytes)
      try {
        const data = await withTimeout(loadDataset(base.spec(name), { home: work, baseDir: work }), CASE_TIMEOUT_MS)
        expect(data.train.x.length).toBe(data.train.count * data.timeSteps * data.features)
        outcomes.loaded++
      } catch (err) {
        if (err instanceof DatasetError && !err.message.includes('\n')) {
          outcomes.refused++
          messages.add(err.message.replace(/^case-\d+-/, '').replace(/\d+/g, 'N'))
        } else {
          failures.push(
            `case ${i} (${base.name}, ${how}): ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`
          )
        }
      }
    }
    if (process.env.FUZZ_MESSAGES) console.log([...messages].sort().join('\n'))
    console.log(
      `fuzz: ${outcomes.loaded} loaded, ${outcomes.refused} refused with ${messages.size} distinct messages, ` +
        `${failures.length} other outcomes, in ${(performance.now() - started).toFixed(0)} ms`
    )
    expect(failures).toEqual([])
    expect(outcomes.refused).toBeGreaterThan(CASES / 2)
    expect(outcomes.loaded).toBeGreaterThan(0)
  }, 120_000)
})
