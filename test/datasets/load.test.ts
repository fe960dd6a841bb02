// Loading good files of every format, the offline MNIST sample, the MNIST folder/cache/download paths, and previews.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, describe, expect, it } from 'vitest'
import type { DatasetSpec } from '../../common/datasets'
import { DatasetError, type Fetcher, loadDataset, previewDataset, previewOf } from '../../main/datasets'
import { MNIST_DOWNLOADS } from '../../main/datasets/mnist'
import { sha256 } from '../../main/datasets/download'

const fixtures = join(__dirname, '..', 'fixtures', 'datasets')
const good = join(fixtures, 'good')
const expected = JSON.parse(readFileSync(join(good, 'expected.json'), 'utf8')) as {
  N: number
  T: number
  F: number
  C: number
  x: number[]
  y: number[]
  yPerStep: number[]
  pixels: number[]
}
const home = mkdtempSync(join(tmpdir(), 'rnnlab-datasets-'))
afterAll(() => rmSync(home, { recursive: true, force: true }))
const load = (spec: DatasetSpec, extra: Partial<Parameters<typeof loadDataset>[1]> = {}) =>
  loadDataset(spec, { home, baseDir: good, ...extra })

describe('npy', () => {
  const xFiles = ['x.npy', 'x-f8.npy', 'x-v2.npy', 'x-v3.npy', 'x-fortran.npy']
  const yFiles = ['y.npy', 'y-u2.npy', 'y-be.npy', 'y-f8.npy', 'y-onehot.npy']
  it.each(xFiles.flatMap((x) => yFiles.map((y) => [x, y])))('reads %s with %s', async (x, y) => {
    const data = await load({ source: 'npy', train: { x, y } })
    expect(data).toMatchObject({
      source: 'npy',
      timeSteps: expected.T,
      features: expected.F,
      numClasses: expected.C,
      labelsPerStep: false
    })
    expect(Array.from(data.train.x)).toEqual(expected.x)
    expect(Array.from(data.train.y)).toEqual(expected.y)
    expect(data.train.count).toBe(expected.N)
    expect(data.validation.count).toBe(0)
  })

  it('reads per-step labels, as ids and as one-hot', async () => {
    for (const y of ['y-steps.npy', 'y-steps-onehot.npy']) {
      const data = await load({ source: 'npy', train: { x: 'x.npy', y } })
      expect(data.labelsPerStep).toBe(true)
      expect(Array.from(data.train.y)).toEqual(expected.yPerStep)
    }
  })

  it('takes the last share as validation, and a declared class count', async () => {
    const data = await load({ source: 'npy', train: { x: 'x.npy', y: 'y.npy' }, validationSplit: 1 / 3, numClasses: 5 })
    expect(data.numClasses).toBe(5)
    expect(data.train.count).toBe(4)
    expect(data.validation.count).toBe(2)
    const sample = expected.T * expected.F
    expect(Array.from(data.validation.x)).toEqual(expected.x.slice(4 * sample))
    expect(Array.from(data.validation.y)).toEqual(expected.y.slice(4))
  })

  it('reads a validation set', async () => {
    const data = await load({
      source: 'npy',
      train: { x: 'x.npy', y: 'y.npy' },
      validation: { x: 'x-f8.npy', y: 'y-onehot.npy' }
    })
    expect(data.validation.count).toBe(expected.N)
    expect(Array.from(data.validation.y)).toEqual(expected.y)
  })

  it('resolves relative paths against baseDir and names them as written', async () => {
    const err = await load({ source: 'npy', train: { x: 'nope/x.npy', y: 'y.npy' } }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(DatasetError)
    expect((err as DatasetError).message).toBe('nope/x.npy: file not found')
    expect((err as DatasetError).file).toBe(join(good, 'nope', 'x.npy'))
  })
})

describe('idx', () => {
  it.each(['x.idx3-ubyte', 'x.idx3-ubyte.gz'])('reads %s, bytes scaled to 0..1', async (x) => {
    const data = await load({ source: 'idx', train: { x, y: 'y.idx1-ubyte' } })
    expect(Array.from(data.train.x)).toEqual(expected.pixels.map((p) => Math.fround(p / 255)))
    expect(Array.from(data.train.y)).toEqual(expected.y)
    expect([data.timeSteps, data.features]).toEqual([expected.T, expected.F])
  })
  it('reads a multi-member gzip, whose trailer tells only the last member', async () => {
    const raw = readFileSync(join(good, 'x.idx3-ubyte'))
    writeFileSync(
      join(home, 'x-two.idx3-ubyte.gz'),
      Buffer.concat([gzipSync(raw.subarray(0, 30)), gzipSync(raw.subarray(30))])
    )
    const data = await loadDataset(
      { source: 'idx', train: { x: 'x-two.idx3-ubyte.gz', y: join(good, 'y.idx1-ubyte') } },
      { home, baseDir: home }
    )
    expect(Array.from(data.train.x)).toEqual(expected.pixels.map((p) => Math.fround(p / 255)))
  })
  it('applies a declared scale instead', async () => {
    const data = await load({ source: 'idx', train: { x: 'x.idx3-ubyte', y: 'y.idx1-ubyte' }, scale: 1 })
    expect(Array.from(data.train.x)).toEqual(expected.pixels)
  })
})

describe('csv', () => {
  it('reads rows with a header, and CRLF rows without one', async () => {
    for (const [train, header] of [
      ['train.csv', true],
      ['train-noheader.csv', false]
    ] as const) {
      const data = await load({ source: 'csv', train, timeSteps: expected.T, features: expected.F, header })
      expect(Array.from(data.train.x)).toEqual(expected.x)
      expect(Array.from(data.train.y)).toEqual(expected.y)
      expect(data.numClasses).toBe(expected.C)
    }
  })
  it('reads the label from the last column when told, gzipped too', async () => {
    const rows = expected.y.map((label, n) => [...expected.x.slice(n * 12, (n + 1) * 12), label].join(',')).join('\n')
    writeFileSync(join(home, 'last.csv.gz'), gzipSync(rows))
    const data = await loadDataset(
      { source: 'csv', train: 'last.csv.gz', timeSteps: 4, features: 3, labelColumn: 'last', validationSplit: 0.5 },
      { home, baseDir: home }
    )
    expect([data.train.count, data.validation.count]).toEqual([3, 3])
    expect(Array.from(data.train.x)).toEqual(expected.x.slice(0, 36))
    expect(Array.from(data.validation.y)).toEqual(expected.y.slice(3))
  })
})

describe('progress and preview', () => {
  it('reports reading progress per file, ending at the total', async () => {
    const seen: { phase: string; done: number; total: number }[] = []
    await load({ source: 'npy', train: { x: 'x.npy', y: 'y.npy' } }, { onProgress: (p) => seen.push(p) })
    const last = (phase: string) => seen.filter((p) => p.phase === phase).at(-1)
    expect(last('read x.npy')).toEqual({ phase: 'read x.npy', done: 288, total: 288 })
    expect(last('read y.npy')).toEqual({ phase: 'read y.npy', done: 48, total: 48 })
  })

  it('previews per-step labels as one label per step', async () => {
    const preview = await previewDataset(
      { source: 'npy', train: { x: 'x.npy', y: 'y-steps.npy' }, classNames: ['a', 'b', 'c'] },
      { home, baseDir: good },
      2
    )
    expect(preview).toMatchObject({
      labelsPerStep: true,
      numClasses: 3,
      timeSteps: 4,
      features: 3,
      classNames: ['a', 'b', 'c']
    })
    expect(preview.validation).toBeUndefined()
    expect(preview.train.classCounts.reduce((a, b) => a + b)).toBe(expected.N * expected.T)
    expect(preview.samples.map((s) => s.label)).toEqual([expected.yPerStep.slice(0, 4), expected.yPerStep.slice(4, 8)])
    expect(preview.samples[1].x[0]).toEqual(expected.x.slice(12, 15))
  })
})

describe('mnist-sample', () => {
  let firstMs = 0
  it('loads the 10,000 real digits: 8,000 train, 2,000 validation, values in 0..1', async () => {
    const started = performance.now()
    const data = await loadDataset({ source: 'mnist-sample' }, { home })
    firstMs = performance.now() - started
    console.log(`mnist-sample loaded in ${firstMs.toFixed(0)} ms`)
    expect(data).toMatchObject({ timeSteps: 28, features: 28, numClasses: 10, labelsPerStep: false })
    expect(data.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'])
    expect(data.train.count).toBe(8000)
    expect(data.validation.count).toBe(2000)
    expect(data.train.x.length).toBe(8000 * 784)
    expect(data.validation.x.length).toBe(2000 * 784)
    let min = Infinity
    let max = -Infinity
    for (const v of data.train.x) {
      if (v < min) min = v
      if (v > max) max = v
    }
    expect(min).toBe(0)
    expect(max).toBeLessThanOrEqual(1)
    expect(max).toBeGreaterThan(0.99)
    const preview = previewOf(data)
    for (const split of [preview.train, preview.validation!]) {
      expect(split.classCounts).toHaveLength(10)
      // Evenly interleaved classes put close to 20% of every class in validation.
      for (const n of split.classCounts) expect(n).toBeGreaterThan(split === preview.train ? 650 : 150)
    }
    expect(
      preview.train.classCounts.reduce((a, b) => a + b) + preview.validation!.classCounts.reduce((a, b) => a + b)
    ).toBe(10_000)
  })

  it('is the same, value for value, on a second load', async () => {
    const [a, b] = await Promise.all([
      loadDataset({ source: 'mnist-sample' }, { home }),
      loadDataset({ source: 'mnist-sample' }, { home })
    ])
    expect(
      Buffer.from(a.train.x.buffer, a.train.x.byteOffset, a.train.x.byteLength).equals(
        Buffer.from(b.train.x.buffer, b.train.x.byteOffset, b.train.x.byteLength)
      )
    ).toBe(true)
    expect(Array.from(a.validation.y)).toEqual(Array.from(b.validation.y))
    // The fixed order starts with each class's first digit, the largest classes first (1,127 ones … 863 fives).
    expect(Array.from(a.train.y.subarray(0, 10))).toEqual([1, 7, 3, 6, 0, 2, 4, 9, 8, 5])
  })

  it('keeps a balanced prefix with limit', async () => {
    const data = await loadDataset({ source: 'mnist-sample', limit: 1000, validationSplit: 0.5 }, { home })
    expect([data.train.count, data.validation.count]).toEqual([500, 500])
    const counts = previewOf(data).train.classCounts
    for (const n of counts) expect(n).toBeGreaterThanOrEqual(40)
  })

  it('previews the first sample of each class', async () => {
    const preview = await previewDataset({ source: 'mnist-sample' }, { home }, 10)
    expect(preview.samples.map((s) => s.label)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(preview.samples[0].x).toHaveLength(28)
    expect(preview.samples[0].x[0]).toHaveLength(28)
    expect(preview.train.shape).toEqual([8000, 28, 28])
  })
})

describe('mnist family', () => {
  const tiny = join(good, 'mnist')
  it('reads the four files of a folder, gzipped or not', async () => {
    const data = await loadDataset({ source: 'mnist', dir: tiny }, { home })
    expect([data.train.count, data.validation.count]).toEqual([5, 3])
    expect(data.train.x[7 * 1]).toBe(Math.fround(49 / 255))
    expect(Array.from(data.validation.y)).toEqual([0, 1, 2])
    expect(data.classNames?.[0]).toBe('0')
  })

  it('names a folder that does not exist', async () => {
    const err = await loadDataset({ source: 'fashion-mnist', dir: 'no-such-folder' }, { home, baseDir: good }).catch(
      (e: unknown) => e
    )
    expect(err).toBeInstanceOf(DatasetError)
    expect((err as Error).message).toBe('no-such-folder: folder not found')
  })

  it('reads from the cache without downloading', async () => {
    const cacheHome = mkdtempSync(join(tmpdir(), 'rnnlab-cache-'))
    try {
      cpSync(tiny, join(cacheHome, 'datasets', 'fashion-mnist'), { recursive: true })
      const fetch: Fetcher = () => Promise.reject(new Error('no network in tests'))
      const data = await loadDataset({ source: 'fashion-mnist' }, { home: cacheHome, fetch })
      expect(data.train.count).toBe(5)
      expect(data.classNames?.[9]).toBe('Ankle boot')
    } finally {
      rmSync(cacheHome, { recursive: true, force: true })
    }
  })

  it('says clearly when the files are missing and cannot be downloaded', async () => {
    const urls: string[] = []
    const fetch: Fetcher = (url) => {
      urls.push(url)
      return Promise.reject(new Error(`getaddrinfo ENOTFOUND ${new URL(url).host}`))
    }
    const err = await loadDataset({ source: 'mnist' }, { home, fetch }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(DatasetError)
    const cache = join(home, 'datasets', 'mnist')
    expect((err as Error).message).toMatch(
      new RegExp(
        `^mnist: train-images-idx3-ubyte\\.gz is not in ${cache} and could not be downloaded \\(getaddrinfo ENOTFOUND .*\\); put the four IDX files there, or set "dir" to a folder that holds them$`
      )
    )
    expect(urls).toEqual(MNIST_DOWNLOADS.mnist.mirrors.map((m) => m + 'train-images-idx3-ubyte.gz'))
  })

  it('downloads into the cache only what matches its SHA-256, reporting progress', async () => {
    const dlHome = mkdtempSync(join(tmpdir(), 'rnnlab-dl-'))
    try {
      // Stand-in files whose hashes are made the expected ones for this test: the check itself is what is tested.
      const bodies = new Map<string, Uint8Array>()
      for (const name of ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz'])
        bodies.set(name, readFileSync(join(tiny, name)))
      for (const name of ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'])
        bodies.set(name + '.gz', gzipSync(readFileSync(join(tiny, name))))
      const sums = MNIST_DOWNLOADS.mnist.sha256
      const saved = { ...sums }
      sums.trainImages = sha256(bodies.get('train-images-idx3-ubyte.gz')!)
      sums.trainLabels = sha256(bodies.get('train-labels-idx1-ubyte.gz')!)
      sums.testImages = sha256(bodies.get('t10k-images-idx3-ubyte.gz')!)
      sums.testLabels = sha256(bodies.get('t10k-labels-idx1-ubyte.gz')!)
      const fetched: string[] = []
      const fetch: Fetcher = async (url, onProgress) => {
        fetched.push(url)
        const name = url.slice(url.lastIndexOf('/') + 1)
        // The first mirror serves altered bytes for one file: the loader must fall through to the next.
        const body =
          url.startsWith(MNIST_DOWNLOADS.mnist.mirrors[0]) && name.startsWith('t10k-labels')
            ? new Uint8Array([1, 2, 3])
            : bodies.get(name)!
        onProgress(body.length, body.length)
        return body
      }
      const phases: string[] = []
      try {
        const data = await loadDataset(
          { source: 'mnist' },
          { home: dlHome, fetch, onProgress: (p) => phases.push(p.phase) }
        )
        expect([data.train.count, data.validation.count]).toEqual([5, 3])
      } finally {
        Object.assign(sums, saved)
      }
      expect(fetched).toHaveLength(5)
      expect(phases).toContain('download t10k-labels-idx1-ubyte.gz')
      expect(readFileSync(join(dlHome, 'datasets', 'mnist', 't10k-labels-idx1-ubyte.gz')).length).toBe(
        bodies.get('t10k-labels-idx1-ubyte.gz')!.length
      )
    } finally {
      rmSync(dlHome, { recursive: true, force: true })
    }
  })
})
