// The .npy reader on files NumPy itself wrote (test/fixtures/npy, by scripts/make-npy-fixtures.py): every dtype it
// takes in both byte orders, Fortran order, header versions 1.0 to 3.0, 0-d to 3-d shapes, read value for value as
// float64 and float32; empty arrays and the dtypes it cannot use refused with their one-line message.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, test } from 'vitest'
import { DatasetError, dataFile } from '../../main/datasets/errors'
import { readNpy } from '../../main/datasets/npy'
import { fortranToC } from '../../main/datasets/tensor'
import { readInputNpy } from '../../main/onnx/npy'

const root = join(__dirname, '..', '..')
const dir = join(root, 'test', 'fixtures', 'npy')

interface Entry {
  file: string
  descr: string | unknown[]
  shape: number[]
  fortran_order: boolean
  version: string
  values?: (number | 'nan' | 'inf' | '-inf' | '-0')[]
  refused?: string
}

const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { numpy: string; files: Entry[] }
const read = manifest.files.filter((e) => e.values)
const refused = manifest.files.filter((e) => e.refused)

const SPECIAL = { nan: NaN, inf: Infinity, '-inf': -Infinity, '-0': -0 } as const
const expectedValues = (e: Entry): number[] => e.values!.map((v) => (typeof v === 'string' ? SPECIAL[v] : v))

/** The first index where `got` differs from `want` (NaN equals NaN, -0 differs from 0), or -1. */
function firstDifference(got: ArrayLike<number>, want: number[]): number {
  if (got.length !== want.length) return Math.min(got.length, want.length)
  for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i])) return i
  return -1
}

test('the fixtures cover every dtype, byte order, header version, Fortran order and the refusals', () => {
  const descrs = new Set(read.map((e) => e.descr as string))
  for (const kind of ['f2', 'f4', 'f8', 'i2', 'i4', 'i8', 'u2', 'u4', 'u8'])
    for (const order of ['<', '>']) expect(descrs, `${order}${kind}`).toContain(`${order}${kind}`)
  for (const single of ['|i1', '|u1', '|b1']) expect(descrs).toContain(single)
  expect(new Set(read.map((e) => e.version))).toEqual(new Set(['1.0', '2.0', '3.0']))
  expect(read.filter((e) => e.fortran_order).length).toBeGreaterThanOrEqual(3)
  expect(new Set(read.map((e) => e.shape.length))).toEqual(new Set([0, 1, 2, 3]))
  const refusedDescrs = refused.map((e) => JSON.stringify(e.descr))
  for (const kind of ['c8', 'c16', 'O', 'U2', 'S2', 'M8[D]'])
    expect(
      refusedDescrs.some((d) => d.includes(kind)),
      kind
    ).toBe(true)
  expect(
    refused.some((e) => Array.isArray(e.descr)),
    'a structured dtype'
  ).toBe(true)
  expect(refused.filter((e) => e.shape.includes(0)).length, 'empty arrays').toBe(2)
  // Every file in the folder is in the manifest.
  expect(
    readdirSync(dir)
      .filter((f) => f.endsWith('.npy'))
      .sort()
  ).toEqual(manifest.files.map((e) => e.file).sort())
})

describe(`read as NumPy ${manifest.numpy} wrote them`, () => {
  it.each(read.map((e) => [`${e.file} (${e.descr}, shape [${e.shape}], v${e.version})`, e] as const))(
    '%s',
    async (_, e) => {
      const want = expectedValues(e)
      const f64 = await readNpy(dataFile(join(dir, e.file)), (n) => new Float64Array(n))
      expect(f64.shape).toEqual(e.shape)
      expect(f64.dtype.name).toBe(e.descr)
      const at = firstDifference(f64.data, want)
      expect(at, `float64 value ${at}: got ${f64.data[at]}, numpy wrote ${want[at]}`).toBe(-1)
      // Training reads float32: each value rounded once to the nearest float32, as numpy's astype(float32) does.
      const f32 = await readNpy(dataFile(join(dir, e.file)), (n) => new Float32Array(n))
      const want32 = want.map((v) => Math.fround(v))
      const at32 = firstDifference(f32.data, want32)
      expect(at32, `float32 value ${at32}: got ${f32.data[at32]}, expected ${want32[at32]}`).toBe(-1)
    }
  )

  it.each(read.filter((e) => e.shape.length === 3).map((e) => [e.file, e] as const))(
    '%s as rnnlab predict input [N, T, F]',
    async (_, e) => {
      const input = await readInputNpy(join(dir, e.file))
      expect([input.n, input.T, input.F]).toEqual(e.shape)
      const want = expectedValues(e).map((v) => Math.fround(v))
      expect(firstDifference(input.x, want)).toBe(-1)
    }
  )
})

describe('refused with one line naming the file', () => {
  it.each(refused.map((e) => [`${e.file} (${JSON.stringify(e.descr)}, shape [${e.shape}])`, e] as const))(
    '%s',
    async (_, e) => {
      const err = await readNpy(dataFile(join(dir, e.file)), (n) => new Float64Array(n)).then(
        () => undefined,
        (x: unknown) => x
      )
      expect(err, 'the read should have failed').toBeInstanceOf(DatasetError)
      expect((err as DatasetError).message).toBe(e.refused)
    }
  )
})

test('Fortran order is reordered in place exactly as a copy would, for shapes of 2 to 4 axes and unit axes', () => {
  for (const shape of [
    [2, 3],
    [3, 1, 4],
    [1, 5, 1],
    [4, 3, 2],
    [2, 3, 1, 5],
    [7, 11],
    [1, 1],
    [3, 2, 2, 2]
  ]) {
    const n = shape.reduce((a, d) => a * d, 1)
    // The C-order values 0..n-1, laid out in Fortran order: element (i0, i1, ...) at i0 + s0 * (i1 + s1 * ...).
    const file = new Float64Array(n)
    for (let c = 0; c < n; c++) {
      let rest = c
      let f = 0
      let stride = 1
      const index = shape.map(() => 0)
      for (let d = shape.length - 1; d >= 0; d--) {
        index[d] = rest % shape[d]
        rest = Math.floor(rest / shape[d])
      }
      for (let d = 0; d < shape.length; d++) {
        f += index[d] * stride
        stride *= shape[d]
      }
      file[f] = c
    }
    fortranToC(file, shape)
    expect(Array.from(file), `shape [${shape}]`).toEqual(Array.from({ length: n }, (_, i) => i))
  }
})

// The fixtures are what the script writes: rerun it (NumPy needed; under CI its absence is a failure, not a skip).
const hasNumpy = spawnSync('/usr/bin/python3', ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0
test.runIf(hasNumpy || process.env.CI)('scripts/make-npy-fixtures.py writes exactly the committed files', () => {
  expect(hasNumpy, 'NumPy is not installed for /usr/bin/python3 (apt-get install python3-numpy)').toBe(true)
  const out = mkdtempSync(join(tmpdir(), 'rnnlab-npy-'))
  try {
    const r = spawnSync('/usr/bin/python3', [join(root, 'scripts', 'make-npy-fixtures.py'), out], { encoding: 'utf8' })
    expect(r.status, r.stderr).toBe(0)
    const files = readdirSync(dir).sort()
    expect(readdirSync(out).sort()).toEqual(files)
    for (const name of files) {
      if (name === 'manifest.json') {
        // Another NumPy version is named in the manifest; what it says of each file may not differ.
        const files = (d: string) => (JSON.parse(readFileSync(join(d, name), 'utf8')) as { files: Entry[] }).files
        expect(files(out)).toEqual(files(dir))
      } else {
        expect(readFileSync(join(out, name)).equals(readFileSync(join(dir, name))), name).toBe(true)
      }
    }
  } finally {
    rmSync(out, { recursive: true, force: true })
  }
})
