// Finding 6 of the 2026-12 security probe: a dataset of 64 labels equal to 2147483646 (numClasses not given) made the
// preview allocate 2^31 slots and killed `rnnlab serve` (or Electron's main process) after 32 s. Inferred class
// counts are bounded (MAX_INFERRED_CLASSES = 100,000) and counted in a Map; a declared numClasses is honoured.
import { afterAll, expect, test } from 'vitest'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { dispatch } from '../../common/contract'
import { MAX_INFERRED_CLASSES, previewDataset } from '../../main/datasets'
import { Services } from '../../main/services'
import { tempDir } from '../helpers/tmp'

const home = tempDir('rnnlab-class-count-')
afterAll(() => home.remove())

/** A little-endian .npy (format 1.0) of int32 or float32 values. */
function writeNpy(name: string, descr: '<i4' | '<f4', shape: number[], values: number[]): string {
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${tuple}, }`
  header = header.padEnd(Math.ceil((10 + header.length + 1) / 64) * 64 - 11, ' ') + '\n'
  const data = descr === '<i4' ? new Int32Array(values) : new Float32Array(values)
  const head = Buffer.alloc(10)
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(head)
  head.writeUInt16LE(header.length, 8)
  const path = join(home.path, name)
  writeFileSync(path, Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(data.buffer)]))
  return path
}

const x = writeNpy('x.npy', '<f4', [64, 2, 3], new Array(64 * 6).fill(0.25))

test('64 labels of 2147483646: a clear error naming the file, not 2^31 class slots', async () => {
  const y = writeNpy('y-huge.npy', '<i4', [64], new Array(64).fill(2147483646))
  await expect(previewDataset({ source: 'npy', train: { x, y } }, { home: home.path })).rejects.toThrow(
    `${y}: the largest label is 2147483646, which would make 2147483647 classes; RNN Lab infers at most 100,000 classes from the labels (labels are class ids 0, 1, 2, …; set numClasses to declare more)`
  )
})

test('through the door the page uses, the same one-line error, and the services still answer', async () => {
  const y = writeNpy('y-huge2.npy', '<i4', [64], [...new Array(63).fill(0), 20_000_000])
  const services = new Services({ home: home.path, door: 'browser', version: 'test' })
  try {
    const reply = await dispatch(services.handlers, 'datasets:preview', { dataset: { source: 'npy', train: { x, y } } })
    // ok first: a failure message quoting a 20,000,001-entry reply would take minutes to format.
    expect(reply.ok).toBe(false)
    expect(reply.ok ? '' : reply.error).toMatch(
      /y-huge2\.npy: the largest label is 20000000, which would make 20000001 classes/
    )
    expect(await dispatch(services.handlers, 'app:info', undefined)).toMatchObject({ ok: true })
  } finally {
    services.close()
  }
})

test('the bound itself: labels up to 99,999 are inferred as 100,000 classes; 100,000 is refused', async () => {
  const fits = writeNpy('y-fits.npy', '<i4', [64], [...new Array(63).fill(1), MAX_INFERRED_CLASSES - 1])
  const preview = await previewDataset(
    { source: 'npy', train: { x, y: fits }, validationSplit: 0 },
    { home: home.path }
  )
  expect(preview.numClasses).toBe(MAX_INFERRED_CLASSES)
  expect(preview.train.classCounts).toHaveLength(MAX_INFERRED_CLASSES)
  expect(preview.train.classCounts[1]).toBe(63)
  expect(preview.train.classCounts[MAX_INFERRED_CLASSES - 1]).toBe(1)
  const over = writeNpy('y-over.npy', '<i4', [64], [...new Array(63).fill(1), MAX_INFERRED_CLASSES])
  await expect(previewDataset({ source: 'npy', train: { x, y: over } }, { home: home.path })).rejects.toThrow(
    /y-over\.npy: the largest label is 100000, which would make 100001 classes/
  )
})

test('a declared numClasses above the bound is honoured', async () => {
  const y = writeNpy('y-declared.npy', '<i4', [64], [...new Array(63).fill(3), 250_000])
  const preview = await previewDataset(
    { source: 'npy', train: { x, y }, numClasses: 250_001, validationSplit: 0 },
    { home: home.path }
  )
  expect(preview.numClasses).toBe(250_001)
  expect(preview.train.classCounts[3]).toBe(63)
  expect(preview.train.classCounts[250_000]).toBe(1)
})
