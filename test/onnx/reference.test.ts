// The exporter's graph glue against PyTorch, not against our engine: the reference fixtures' weights exported as
// one-layer models, run in onnxruntime, compared with the fixtures' Y and Y_h (test/fixtures/reference/README.md).
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { CELLS, optionSpec, type CellOption } from '../../common/cells'
import { exportOnnx } from '../../main/onnx/export'
import { InferenceService } from '../../main/onnx/inference'
import { cellVariant } from '../helpers/matrix'
import { makeConfig } from './helpers'

const DIR = join(__dirname, '..', 'fixtures', 'reference')

interface Fixture {
  header: {
    cell: string
    direction: string
    activation: string
    linear_before_reset: number | null
    T: number
    B: number
    I: number
    H: number
    D: number
  }
  tensors: Record<string, { shape: number[]; data: Float64Array }>
}

/** The fixture format: magic, u32 header length, JSON header, little-endian float64 tensors. */
function readFixture(path: string): Fixture {
  const bytes = readFileSync(path)
  const length = bytes.readUInt32LE(8)
  const header = JSON.parse(bytes.toString('utf8', 12, 12 + length))
  const tensors: Fixture['tensors'] = {}
  for (const t of header.tensors as { name: string; shape: number[]; offset: number; length: number }[]) {
    const data = new Float64Array(t.length / 8)
    for (let i = 0; i < data.length; i++) data[i] = bytes.readDoubleLE(12 + length + t.offset + 8 * i)
    tensors[t.name] = { shape: t.shape, data }
  }
  return { header, tensors }
}

const single = readdirSync(DIR).filter((f) => f.endsWith('.ref') && !f.startsWith('stacked'))
// In this thread: the inline runner gets its exercise here (the other tests use the default worker thread).
const inference = new InferenceService({ intraOpNumThreads: 1, thread: 'inline' })
afterAll(() => inference.close())

describe.each(single)('%s', (name) => {
  const { header, tensors } = readFixture(join(DIR, name))
  const { T, B, I, H, D } = header
  // The variant gives the cell; the fixture's header its activation and ONNX attributes (linear_before_reset).
  const variant = cellVariant(header.cell).cell
  const cell: Record<string, unknown> = { ...variant, units: H, activation: header.activation }
  const attributes = header as unknown as Record<string, unknown>
  for (const key of CELLS[variant.type].options as readonly CellOption[]) {
    const attribute = optionSpec(key).onnxAttribute
    if (attribute !== undefined && attributes[attribute] != null) cell[key] = attributes[attribute] === 1
  }
  // x [T, B, I] time-major in the fixture; the model takes [B, T, I].
  const x = new Float32Array(B * T * I)
  for (let t = 0; t < T; t++)
    for (let b = 0; b < B; b++) for (let i = 0; i < I; i++) x[(b * T + t) * I + i] = tensors.x.data[(t * B + b) * I + i]
  const weights = Object.fromEntries(
    ['W', 'R', 'B'].map((w) => [`layers.0.${w}`, { dims: tensors[w].shape, data: Float32Array.from(tensors[w].data) }])
  )
  const Y = (t: number, d: number, b: number, j: number) => tensors.Y.data[((t * D + d) * B + b) * H + j]
  const Yh = (d: number, b: number, j: number) => tensors.Y_h.data[(d * B + b) * H + j]

  for (const returnSequences of [true, false]) {
    test(returnSequences ? 'sequences' : 'last step', async () => {
      const layer =
        header.direction === 'bidirectional'
          ? { type: 'bidirectional', mergeMode: 'concat', layer: { ...cell, returnSequences } }
          : { ...cell, returnSequences, goBackwards: header.direction === 'reverse' }
      const config = makeConfig([layer], [T, I])
      const bytes = exportOnnx({ config, input: [T, I], weights })
      const { data, dims } = await inference.run(bytes, x, B, T, I)
      let worst = 0
      if (returnSequences) {
        expect(dims).toEqual([B, T, D * H])
        for (let b = 0; b < B; b++)
          for (let k = 0; k < T; k++)
            for (let d = 0; d < D; d++)
              for (let j = 0; j < H; j++) {
                // A lone go_backwards layer gives its steps in reading order (the engine's and Keras's convention).
                const t = header.direction === 'reverse' ? T - 1 - k : k
                worst = Math.max(worst, Math.abs(data[(b * T + k) * D * H + d * H + j] - Y(t, d, b, j)))
              }
      } else {
        expect(dims).toEqual([B, D * H])
        for (let b = 0; b < B; b++)
          for (let d = 0; d < D; d++)
            for (let j = 0; j < H; j++) {
              worst = Math.max(worst, Math.abs(data[b * D * H + d * H + j] - Yh(d, b, j)))
            }
      }
      expect(worst).toBeLessThan(2e-6)
    })
  }
})
