// Training on x read through a memory map (NpyDatasetSpec.memoryMap; the engine's mapFloat32): the same bits as
// training on x read into memory, the same messages for bad files, and a bounded resident set on a 2 GiB file.
import { closeSync, ftruncateSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { afterAll, describe, expect, it } from 'vitest'
import { normalizeRunConfig } from '../../common/config'
import type { DatasetSpec, NpyDatasetSpec } from '../../common/datasets'
import { loadDataset, previewDataset, type SplitX } from '../../main/datasets'
import { loadEngine } from '../../main/engine/index'
import { engineSpec } from '../../main/engine/spec'
import { Services } from '../../main/services'
import { random } from '../helpers/random'
import { npyBytes } from '../helpers/sign-task'
import { tempDir } from '../helpers/tmp'

const engine = loadEngine()
const mapFile = (path: string, byteOffset: number, length: number) => engine.mapFloat32(path, byteOffset, length)
const dir = tempDir('rnnlab-mmap-')
afterAll(() => dir.remove())
const fixtures = join(__dirname, '..', 'fixtures', 'datasets')

const N = 300
const T = 12
const F = 5
function writeSmall(): NpyDatasetSpec {
  const next = random(7)
  const x = new Float32Array(N * T * F).map(() => next() * 2 - 1)
  const y = new Int32Array(N).map((_, i) => (x[i * T * F] > 0 ? 1 : 0) + (x[i * T * F + 1] > 0 ? 1 : 0))
  writeFileSync(join(dir.path, 'x.npy'), npyBytes(x, [N, T, F]))
  writeFileSync(join(dir.path, 'y.npy'), npyBytes(y, [N]))
  return { source: 'npy', train: { x: 'x.npy', y: 'y.npy' }, validationSplit: 0.2 }
}

function config(input: [number, number], units: number, epochs: number) {
  return normalizeRunConfig({
    dataset: { source: 'mnist-sample' },
    model: {
      input,
      layers: [
        { type: 'bidirectional', layer: { type: 'lstm', units, returnSequences: true } },
        { type: 'gru', units },
        { type: 'dense', units: 3, activation: 'softmax' }
      ]
    },
    training: { batchSize: 16, epochs, loss: 'categorical_crossentropy', seed: 11 }
  })
}

/** What the training worker does with a loaded dataset: epochs of shuffled batches, then the validation loss. */
function train(data: { train: { x: SplitX; y: Int32Array; count: number }; validation: typeof data.train }) {
  const c = config([T, F], 6, 2)
  const model = new engine.Model(engineSpec(c, [T, F], 2))
  model.init(c.training.seed)
  for (let epoch = 0; epoch < c.training.epochs; epoch++)
    model.trainEpoch(data.train.x, data.train.y, data.train.count, { batchSize: c.training.batchSize, shuffle: true })
  const val = model.evaluate(data.validation.x, data.validation.y, data.validation.count)
  const weights = Object.entries(model.getWeights()).map(([name, t]) => [
    name,
    Array.from(new Uint32Array(t.data.buffer))
  ])
  const predicted = model.predict(data.validation.x, data.validation.count)
  return { weights, val, predicted: Array.from(new Uint32Array(predicted.buffer)) }
}

describe('memory-mapped npy data', () => {
  const spec = writeSmall()
  const load = (s: DatasetSpec) => loadDataset(s, { home: dir.path, baseDir: dir.path, mapFile })

  it('trains to the same bits as the data read into memory (shuffled, 2 epochs, validation split from the map)', async () => {
    const mapped = await load({ ...spec, memoryMap: true })
    const inMemory = await load({ ...spec, memoryMap: false })
    expect(mapped.train.x).not.toBeInstanceOf(Float32Array)
    expect(inMemory.train.x).toBeInstanceOf(Float32Array)
    expect([mapped.train.count, mapped.validation.count]).toEqual([240, 60])
    expect(mapped.train.x.length).toBe(240 * T * F)
    expect(Array.from(mapped.validation.x.slice(0, 7))).toEqual(Array.from(inMemory.validation.x.slice(0, 7)))
    const a = train(mapped)
    const b = train(inMemory)
    expect(a.weights).toEqual(b.weights)
    expect(a.val).toEqual(b.val)
    expect(a.predicted).toEqual(b.predicted)
    expect(a.val.loss).toBeLessThan(Math.log(3)) // it learned something: the test is not of two untrained models
  })

  it('checks and trains token ids read from a map as from memory (an embedding first layer)', () => {
    const next = random(9)
    const n = 40
    const ids = new Float32Array(n * 6).map(() => Math.floor(next() * 20))
    writeFileSync(join(dir.path, 'ids.npy'), npyBytes(ids, [n, 6, 1]))
    const header = npyBytes(new Float32Array(0), [n, 6, 1]).length
    const mapped = mapFile(join(dir.path, 'ids.npy'), header, ids.length)
    const y = new Int32Array(n).map((_, i) => i % 2)
    const weights = (x: Float32Array | typeof mapped) => {
      const model = new engine.Model({
        input: [6, 1],
        layers: [
          { kind: 'embedding', inputDim: 20, outputDim: 4 },
          { kind: 'recurrent', cell: 'gru', units: 3 },
          { kind: 'dense', units: 2, activation: 'softmax' }
        ],
        loss: 'categorical_crossentropy'
      })
      model.init(3)
      model.trainEpoch(x, y, n, { batchSize: 8 })
      return Object.entries(model.getWeights()).map(([name, t]) => [name, Array.from(new Uint32Array(t.data.buffer))])
    }
    const trained = weights(ids)
    expect(trained.length).toBe(6)
    expect(weights(mapped)).toEqual(trained)
    const small = (x: Float32Array | typeof mapped) =>
      new engine.Model({
        input: [6, 1],
        layers: [
          { kind: 'embedding', inputDim: 10, outputDim: 4 },
          { kind: 'recurrent', cell: 'gru', units: 3 },
          { kind: 'dense', units: 2, activation: 'softmax' }
        ],
        loss: 'categorical_crossentropy'
      }).trainEpoch(x, y, n, { batchSize: 8 })
    const message = (f: () => unknown) => {
      try {
        f()
      } catch (e) {
        return (e as Error).message
      }
      return 'accepted'
    }
    const inMemory = message(() => small(ids))
    expect(inMemory).toMatch(/^x\[\d+\]: token id [\d.]+ is outside 0..9/)
    expect(message(() => small(mapped))).toBe(inMemory)
  })

  it('previews mapped data as data in memory (the builder shows the same samples and class counts)', async () => {
    const opts = { home: dir.path, baseDir: dir.path, mapFile }
    const mapped = await previewDataset({ ...spec, memoryMap: true }, opts)
    expect(mapped).toEqual(await previewDataset({ ...spec, memoryMap: false }, opts))
    expect(mapped.samples[0].x).toHaveLength(T)
  })

  it('maps automatically only large files; small ones are read into memory as before', async () => {
    const data = await load(spec)
    expect(data.train.x).toBeInstanceOf(Float32Array)
  })

  it('says why a file cannot be mapped when memoryMap is true', async () => {
    const where = (x: string): DatasetSpec => ({ source: 'npy', train: { x, y: 'y.npy' }, memoryMap: true })
    const good = (s: DatasetSpec) => loadDataset(s, { home: dir.path, baseDir: join(fixtures, 'good'), mapFile })
    await expect(good(where('x-f8.npy'))).rejects.toThrow(
      "x-f8.npy: memoryMap: cannot map it, its dtype is '<f8' (memory-mapping needs little-endian float32 in C order"
    )
    await expect(good(where('x-fortran.npy'))).rejects.toThrow(
      'x-fortran.npy: memoryMap: cannot map it, it is in Fortran order'
    )
    expect((await good(where('x.npy'))).train.x).not.toBeInstanceOf(Float32Array)
  })

  it('gives the same messages as reading into memory for bad files', async () => {
    const bad = (x: string, memoryMap: boolean) =>
      loadDataset(
        { source: 'npy', train: { x, y: 'y.npy' }, memoryMap },
        {
          home: dir.path,
          baseDir: join(fixtures, 'bad'),
          mapFile
        }
      )
    for (const x of ['x-nan.npy', 'x-cut.npy', 'x-cut-odd.npy', 'x-long.npy']) {
      const inMemory = await bad(x, false).then(
        () => 'loaded',
        (e: Error) => e.message
      )
      const mapped = await bad(x, true).then(
        () => 'loaded',
        (e: Error) => e.message
      )
      expect(inMemory).not.toBe('loaded')
      expect(mapped, x).toBe(inMemory)
    }
  })
})

describe('a run on memory-mapped data', () => {
  it('trains in the worker to the same epochs and checkpoint bits as on the data read into memory', async () => {
    writeSmall()
    const home = tempDir('rnnlab-mmap-home-')
    const services = new Services({ home: home.path, door: 'cli', version: 'test' })
    const notes: string[] = []
    services.on('onTrainingNote', (n) => notes.push(n.text))
    try {
      const run = async (memoryMap: boolean) => {
        const c = normalizeRunConfig({
          name: `mapped-${memoryMap}`,
          dataset: {
            source: 'npy',
            train: { x: join(dir.path, 'x.npy'), y: join(dir.path, 'y.npy') },
            validationSplit: 0.2,
            memoryMap
          },
          model: {
            layers: [
              { type: 'bidirectional', layer: { type: 'gru', units: 5 } },
              { type: 'dense', units: 3, activation: 'softmax' }
            ]
          },
          training: { batchSize: 16, epochs: 2, seed: 5 }
        })
        const id = services.training.start(c)
        expect(await services.training.finished(id)).toBe('completed')
        const r = services.store.getRun(id)
        const last = services.store.checkpoint(id, 'last')!
        return {
          epochs: r.epochs.map((e) => [e.loss, e.accuracy, e.valLoss, e.valAccuracy]),
          checkpoint: createHash('sha256').update(readFileSync(last.path)).digest('hex')
        }
      }
      const mapped = await run(true)
      // the worker said it mapped the file (and the run without the map does not)
      expect(notes.filter((n) => n.includes('memory-mapped'))).toEqual([
        `${join(dir.path, 'x.npy')}: memory-mapped ([300, 12, 5], 0.00 GiB), read by the engine as batches need it`
      ])
      const inMemory = await run(false)
      expect(notes.filter((n) => n.includes('memory-mapped'))).toHaveLength(1)
      expect(mapped.epochs).toHaveLength(2)
      expect(mapped).toEqual(inMemory)
    } finally {
      services.close()
      home.remove()
    }
  }, 120_000)
})

/** Peak resident set (VmHWM) of this process in bytes, after `reset` sets it back to the current resident set. */
function peakRss(): number {
  const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))
  return Number(kb?.[1]) * 1024
}
function currentRss(): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]) * 1024
}
function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5')
    return true
  } catch {
    return false
  }
}

// Writes a 2 GiB sparse file and reads it all (8–10 s here; up to ~40 s with a cold page cache on a busy machine);
// RNNLAB_BIG_TESTS=0 skips it.
describe.skipIf(process.platform !== 'linux' || process.env.RNNLAB_BIG_TESTS === '0')(
  'a 2 GiB memory-mapped .npy',
  () => {
    it('trains an epoch over all of it with the resident set bounded', async () => {
      // 131,072 samples of [32, 128] float32: 2 GiB of x. The file is sparse (mostly zero rows, which are valid
      // float32), with 64 blocks of random rows spread over it so that the model sees real values.
      const big = tempDir('rnnlab-mmap-big-')
      try {
        const [n, t, f] = [131_072, 32, 128]
        const xPath = join(big.path, 'x.npy')
        const header = npyBytes(new Float32Array(0), [n, t, f])
        const fd = openSync(xPath, 'w')
        writeSync(fd, header)
        ftruncateSync(fd, header.length + n * t * f * 4)
        const next = random(3)
        const rows = new Float32Array(16 * t * f)
        for (let block = 0; block < 64; block++) {
          rows.forEach((_, i) => (rows[i] = next() * 2 - 1))
          writeSync(fd, rows, 0, rows.byteLength, header.length + block * (n / 64) * t * f * 4)
        }
        closeSync(fd)
        const labels = new Int32Array(n).map(() => Math.floor(next() * 3))
        writeFileSync(join(big.path, 'y.npy'), npyBytes(labels, [n]))

        const hasReset = resetPeakRss()
        const before = hasReset ? peakRss() : currentRss()
        const data = await loadDataset(
          { source: 'npy', train: { x: 'x.npy', y: 'y.npy' }, validationSplit: 0.01 },
          { home: big.path, baseDir: big.path, mapFile }
        )
        expect(data.train.x).not.toBeInstanceOf(Float32Array) // automatic: 2 GiB is over the threshold
        const c = normalizeRunConfig({
          dataset: { source: 'mnist-sample' },
          model: {
            input: [t, f],
            layers: [
              { type: 'simple_rnn', units: 4 },
              { type: 'dense', units: 3, activation: 'softmax' }
            ]
          },
          training: { batchSize: 256, epochs: 1, loss: 'categorical_crossentropy', seed: 1 }
        })
        const model = new engine.Model(engineSpec(c, [t, f], 2))
        model.init(1)
        const started = Date.now()
        const stats = model.trainEpoch(data.train.x, data.train.y, data.train.count, { batchSize: 256 })
        const val = model.evaluate(data.validation.x, data.validation.y, data.validation.count)
        const peak = peakRss()
        console.log(
          `2 GiB mapped: ${stats.samples} samples in ${((Date.now() - started) / 1000).toFixed(1)} s, ` +
            `peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB (${((peak - before) / 2 ** 20).toFixed(0)} MiB above the start)`
        )
        expect(stats.samples).toBe(data.train.count)
        expect(Number.isFinite(val.loss)).toBe(true)
        // The whole file read into memory would add 2,048 MiB; mapped, loading and training add under 128 MiB (measured:
        // 16 MiB for the engine alone).
        expect(peak - before).toBeLessThan(128 * 2 ** 20)
      } finally {
        big.remove()
      }
    }, 150_000)
  }
)
