// Loads a DatasetSpec into memory as flat typed arrays for the trainer, and builds the preview the UI shows.
import { stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import {
  type DatasetPreview,
  type DatasetPreviewSample,
  type DatasetSource,
  type DatasetSpec,
  type SplitInfo,
  datasetClassNames,
  MEMORY_MAP_THRESHOLD_BYTES,
  MNIST_SAMPLE_VALIDATION_SPLIT,
  NAMES_CLASS_NAMES,
  NAMES_VALIDATION_SPLIT,
  type NamesDatasetSpec,
  SEGMENTATION_CLASS_NAMES,
  SEGMENTATION_DEFAULTS,
  type SegmentationDatasetSpec,
  type NpyDatasetSpec,
  type TextDatasetSpec,
  trainCountAfterSplit
} from '../../common/datasets'
import { loadNames } from './names'
import { loadSegmentation } from './segmentation'
import {
  buildTokenizer,
  classIdsOf,
  encodeTexts,
  OOV_TOKEN,
  readTextSamples,
  tagIdsOf,
  textPreviewOf,
  type TextSamples,
  type Tokenizer
} from './text'
import { readCsv } from './csv'
import { type NormalizationRecord, readNumericCsv, timeseriesOf, type Windows } from './timeseries'
import { type Fetcher, httpsFetch } from './download'
import { type DataFile, DatasetError, fail, formatShape } from './errors'
import { readIdx } from './idx'
import {
  checkClassRange,
  checkFinite,
  checkLabelShape,
  type ClassIds,
  failNonFinite,
  maxLabel,
  toClassIds
} from './labels'
import { loadMnistSample, locateMnistFiles } from './mnist'
import { parseNpyHeader, readNpy } from './npy'
import {
  type Dtype,
  readTensorLayout,
  type ReadTensorOptions,
  type Rescale,
  type Tensor,
  type TensorHeader
} from './tensor'
import type { MappedFloat32 } from '../engine'

export { DatasetError } from './errors'
export type { NormalizationRecord } from './timeseries'
export type { Fetcher } from './download'

/**
 * One split, row-major. x holds count × T × F values; y holds count class ids, or count × T with per-step labels.
 * The arrays may be views into a larger buffer (a validationSplit shares one between the two splits): mind
 * byteOffset, and send `x.slice()` rather than `x.buffer` to another thread or process.
 */
export interface Split<X = Float32Array> {
  x: X
  y: Int32Array
  count: number
  /** Regression sources (timeseries): the float targets [count, U] or [count, T, U]; y is then empty. */
  targets?: Float32Array
}

/** x as training may hold it: in memory, or memory-mapped (LoadDatasetOptions.mapFile). */
export type SplitX = Float32Array | MappedFloat32

export interface LoadedDataset<X = Float32Array> {
  source: DatasetSource
  timeSteps: number
  features: number
  numClasses: number
  labelsPerStep: boolean
  classNames?: string[]
  train: Split<X>
  /** Empty (count 0) when the spec gives neither a validation set nor a validationSplit. */
  validation: Split<X>
  /** Text sources: the tokenizer (its vocabulary built on the training split), and the training texts. */
  text?: { tokenizer: Tokenizer & { lengths: number[] }; trainTexts: string[] }
  /** Time series: the normalisation fitted on the training rows, and where the windows start in the file. */
  timeseries?: {
    normalization: NormalizationRecord
    /** The first row of the validation part. */
    boundary: number
    rows: number
    trainStarts: number[]
    validationStarts: number[]
    /** The first target column over the whole file, in its own units (for the preview's plot; at most 2,000 points). */
    series: number[]
  }
}

export interface DatasetProgress {
  /** What is happening, e.g. "read x_train.npy" or "download train-images-idx3-ubyte.gz". */
  phase: string
  done: number
  total: number
}

export interface LoadDatasetOptions {
  /** RNNLAB_HOME: the MNIST family's download cache is `home/datasets/<source>/`. */
  home: string
  /** Relative paths in the spec are resolved against it (the config file's folder); default: the working directory. */
  baseDir?: string
  onProgress?: (progress: DatasetProgress) => void
  /** Downloads a URL; tests pass a fake so that nothing reaches the network. */
  fetch?: Fetcher
}

/** Maps `length` float32 values of a file from `byteOffset` on (the engine's mapFloat32). */
export type MapFile = (path: string, byteOffset: number, length: number) => MappedFloat32

export interface LoadMappedOptions extends LoadDatasetOptions {
  /**
   * Lets an `npy` dataset's x be memory-mapped rather than read into memory (see NpyDatasetSpec.memoryMap): training
   * passes the engine's mapFloat32.
   */
  mapFile: MapFile
  /** A note for the user, e.g. why a large file is read into memory after all. */
  onNotice?: (message: string) => void
}

/** A split as read, before class counting and splitting. */
interface Part {
  x: SplitX
  labels: ClassIds
  count: number
  timeSteps: number
  features: number
  /** Where the labels came from, for messages about them. */
  yFile?: DataFile
}

type TensorReader = typeof readNpy

const UNSIGNED_BYTES_TO_UNIT: Rescale = { multiply: 1, divide: 255 }
const UNCHANGED: Rescale = { multiply: 1, divide: 1 }

export async function loadDataset(spec: DatasetSpec, opts: LoadMappedOptions): Promise<LoadedDataset<SplitX>>
export async function loadDataset(spec: DatasetSpec, opts: LoadDatasetOptions): Promise<LoadedDataset>
export async function loadDataset(
  spec: DatasetSpec,
  opts: LoadDatasetOptions | LoadMappedOptions
): Promise<LoadedDataset<SplitX>> {
  const progress = (phase: string, done: number, total: number): void => opts.onProgress?.({ phase, done, total })
  const file = (path: string): DataFile => ({ path: resolve(opts.baseDir ?? process.cwd(), path), display: path })
  const classNames = datasetClassNames(spec)

  switch (spec.source) {
    case 'mnist-sample': {
      progress('read mnist-sample', 0, 1)
      const data = await loadMnistSample(spec.limit)
      progress('read mnist-sample', 1, 1)
      const part: Part = {
        x: data.x,
        labels: { ids: data.y, perStep: false },
        count: data.count,
        timeSteps: 28,
        features: 28
      }
      return assemble(
        spec.source,
        part,
        undefined,
        spec.validationSplit ?? MNIST_SAMPLE_VALIDATION_SPLIT,
        10,
        classNames
      )
    }
    case 'mnist':
    case 'fashion-mnist': {
      const dir = spec.dir === undefined ? undefined : file(spec.dir)
      const files = await locateMnistFiles(spec.source, dir, opts.home, opts.fetch ?? httpsFetch, progress)
      const images = { timeSteps: 28, features: 28, what: `${spec.source}'s [N, 28, 28]` }
      const rescale = (): Rescale => UNSIGNED_BYTES_TO_UNIT
      const train = await readPart(readIdx, files.trainImages, files.trainLabels, rescale, images, progress)
      const validation = await readPart(readIdx, files.testImages, files.testLabels, rescale, images, progress)
      return assemble(spec.source, train, validation, undefined, 10, classNames)
    }
    case 'npy':
    case 'idx': {
      const read: TensorReader = spec.source === 'npy' ? readNpy : readIdx
      const scale = spec.source === 'idx' ? spec.scale : undefined
      const rescale = (dtype: Dtype): Rescale =>
        scale !== undefined
          ? { multiply: scale, divide: 1 }
          : spec.source === 'idx' && dtype.kind === 'u' && dtype.size === 1
            ? UNSIGNED_BYTES_TO_UNIT
            : UNCHANGED
      const map = 'mapFile' in opts ? opts : undefined
      const mapper = spec.source === 'npy' && map ? npyMapper(spec, map) : undefined
      if (spec.source === 'idx' && map) await noteUnmappedIdx(file(spec.train.x), map)
      const train = await readPart(read, file(spec.train.x), file(spec.train.y), rescale, undefined, progress, mapper)
      const validation = spec.validation
        ? await readPart(
            read,
            file(spec.validation.x),
            file(spec.validation.y),
            rescale,
            {
              timeSteps: train.timeSteps,
              features: train.features,
              what: `the training data's [N, ${train.timeSteps}, ${train.features}]`
            },
            progress,
            mapper
          )
        : undefined
      return assemble(spec.source, train, validation, spec.validationSplit, spec.numClasses, classNames)
    }
    case 'csv': {
      const layout = {
        timeSteps: spec.timeSteps,
        features: spec.features,
        header: spec.header ?? false,
        labelColumn: spec.labelColumn ?? 'first',
        numClasses: spec.numClasses ?? spec.classNames?.length
      } as const
      const readPartCsv = async (path: string): Promise<Part> => {
        const csv = file(path)
        const data = await readCsv(csv, layout, (done, total) => progress(`read ${path}`, done, total))
        return {
          x: data.x,
          labels: { ids: data.y, perStep: false },
          count: data.count,
          timeSteps: spec.timeSteps,
          features: spec.features,
          yFile: csv
        }
      }
      const train = await readPartCsv(spec.train)
      const validation = spec.validation ? await readPartCsv(spec.validation) : undefined
      return assemble(spec.source, train, validation, spec.validationSplit, spec.numClasses, classNames)
    }
    case 'text':
    case 'names':
    case 'segmentation':
      return loadText(spec, file, progress)
    case 'timeseries': {
      progress(`read ${spec.train}`, 0, 1)
      const csv = file(spec.train)
      const table = await readNumericCsv(csv)
      progress(`read ${spec.train}`, 1, 1)
      const ts = timeseriesOf(table, spec, csv)
      const split = (w: Windows): Split => ({ x: w.x, y: new Int32Array(0), count: w.count, targets: w.targets })
      const C = table.columns.length
      const first = table.columns.indexOf(spec.targetColumns[0])
      const every = Math.max(1, Math.ceil(table.rows / 2000))
      const series: number[] = []
      for (let r = 0; r < table.rows; r += every) series.push(table.values[r * C + first])
      return {
        source: 'timeseries',
        timeSteps: spec.sequenceLength,
        features: ts.normalization.featureColumns.length,
        numClasses: 0,
        labelsPerStep: ts.normalization.targetsPerStep,
        train: split(ts.train),
        validation: split(ts.validation),
        timeseries: {
          normalization: ts.normalization,
          boundary: ts.boundary,
          rows: table.rows,
          trainStarts: ts.train.starts,
          validationStarts: ts.validation.starts,
          series
        }
      }
    }
  }
}

/** What a time-series run keeps (`normalization.json` beside its checkpoints). */
export function normalizationRecord(data: LoadedDataset<SplitX>): NormalizationRecord | undefined {
  return data.timeseries?.normalization
}

/**
 * Text: read the samples, settle the class ids, build the vocabulary on the training split only (the file's first
 * share when validationSplit takes the rest), and encode every sample as [maxLength, 1] token ids.
 */
async function loadText(
  spec: TextDatasetSpec | NamesDatasetSpec | SegmentationDatasetSpec,
  file: (path: string) => DataFile,
  progress: (phase: string, done: number, total: number) => void
): Promise<LoadedDataset<SplitX>> {
  const where = spec.source === 'text' ? spec.train : spec.source
  progress(`read ${where}`, 0, 1)
  let train: TextSamples
  let validation: TextSamples | undefined
  let split: number | undefined
  let declared: readonly string[] | undefined
  if (spec.source === 'names') {
    train = await loadNames()
    split = spec.validationSplit ?? NAMES_VALIDATION_SPLIT
    declared = NAMES_CLASS_NAMES
  } else if (spec.source === 'segmentation') {
    train = await loadSegmentation(spec)
    split = spec.validationSplit ?? SEGMENTATION_DEFAULTS.validationSplit
    declared = SEGMENTATION_CLASS_NAMES
  } else {
    const read = (path: string) =>
      readTextSamples(file(path), spec.format, spec.textColumn ?? 'text', spec.labelColumn ?? 'label', spec.tagsColumn)
    train = await read(spec.train)
    validation = spec.validation !== undefined ? await read(spec.validation) : undefined
    split = spec.validationSplit
    declared = spec.classNames
  }
  progress(`read ${where}`, 1, 1)
  const tagging = train.tags !== undefined
  const trainCount = validation ? train.texts.length : trainCountAfterSplit(train.texts.length, split)
  const trainTexts = train.texts.slice(0, trainCount)
  const tokenizer = buildTokenizer(
    trainTexts,
    spec.source === 'names'
      ? { ...spec, level: 'char' }
      : spec.source === 'segmentation'
        ? { level: 'char', lowercase: true, maxLength: spec.windowLength ?? SEGMENTATION_DEFAULTS.windowLength }
        : spec
  )
  const classes = tagging ? tagIdsOf(train, validation, declared, tokenizer) : classIdsOf(train, validation, declared)
  const part = (samples: TextSamples, ids: Int32Array): Part => ({
    x: encodeTexts(samples.texts, tokenizer),
    labels: { ids, perStep: tagging },
    count: samples.texts.length,
    timeSteps: tokenizer.maxLength,
    features: 1
  })
  const loaded = assemble(
    spec.source,
    part(train, classes.train),
    validation ? part(validation, classes.validation!) : undefined,
    validation ? undefined : split,
    classes.classNames.length,
    classes.classNames
  )
  return { ...loaded, text: { tokenizer, trainTexts } }
}

/** What a run keeps of a text dataset (`tokenizer.json` beside its checkpoints): enough to encode new text. */
export function tokenizerRecord(data: LoadedDataset<SplitX>): Record<string, unknown> | undefined {
  if (!data.text) return undefined
  const { level, lowercase, truncating, maxLength, vocabulary } = data.text.tokenizer
  return {
    format: 'rnnlab-tokenizer-1',
    level,
    lowercase,
    normalization: 'NFC',
    truncating,
    padding: 'post',
    maxLength,
    labels: data.labelsPerStep ? 'token' : 'sample',
    // The segmentation source keeps letters and digits only (no spaces, no punctuation): new text is read the same way.
    ...(data.source === 'segmentation' ? { keep: 'letters-digits' } : {}),
    padId: 0,
    oovId: 1,
    oovToken: OOV_TOKEN,
    classNames: data.classNames ?? null,
    vocabulary
  }
}

/** How memory-mapping explains itself: what it needs, and how to get it from NumPy. */
const MAP_NEEDS =
  "memory-mapping needs little-endian float32 in C order, uncompressed: np.save(path, np.ascontiguousarray(x, dtype='<f4'))"

/** Maps an `npy` x file when the spec asks for it (or, automatically, when it is large and can be mapped). */
type Mapper = (xFile: DataFile, check: (header: TensorHeader) => void) => Promise<MappedFloat32 | undefined>

function npyMapper(spec: NpyDatasetSpec, opts: LoadMappedOptions): Mapper | undefined {
  if (spec.memoryMap === false) return undefined
  return async (xFile, check) => {
    const layout = await readTensorLayout(xFile, parseNpyHeader)
    if (!layout.gzip) check(layout.header)
    const { dtype, fortranOrder, headerBytes, shape } = layout.header
    const dataBytes = layout.elements * dtype.size
    const reason = layout.gzip
      ? 'it is gzip-compressed'
      : dtype.kind !== 'f' || dtype.size !== 4 || (!dtype.littleEndian && dtype.name[0] === '>')
        ? `its dtype is '${dtype.name}'`
        : fortranOrder
          ? 'it is in Fortran order'
          : headerBytes % 4 !== 0
            ? 'its data does not start at a multiple of 4 bytes'
            : undefined
    if (spec.memoryMap === true) {
      if (reason) fail(xFile, `memoryMap: cannot map it, ${reason} (${MAP_NEEDS})`)
    } else {
      if (!layout.gzip && dataBytes < MEMORY_MAP_THRESHOLD_BYTES) return undefined
      if (layout.gzip && layout.fileSize < MEMORY_MAP_THRESHOLD_BYTES / 4) return undefined
      if (reason) {
        opts.onNotice?.(`${xFile.display}: read into memory, not memory-mapped: ${reason} (${MAP_NEEDS})`)
        return undefined
      }
    }
    if (shape.includes(0)) fail(xFile, `holds no data (shape ${formatShape(shape)})`)
    try {
      const mapped = opts.mapFile(xFile.path, headerBytes, layout.elements)
      opts.onNotice?.(
        `${xFile.display}: memory-mapped (${formatShape(shape)}, ${(dataBytes / 2 ** 30).toFixed(2)} GiB), read by the engine as batches need it`
      )
      return mapped
    } catch (err) {
      throw new DatasetError(`${xFile.display}: ${(err as Error).message.replace(`${xFile.path}: `, '')}`, xFile.path)
    }
  }
}

/** IDX data is big-endian or bytes to rescale: read into memory; a large file says so. */
async function noteUnmappedIdx(xFile: DataFile, opts: LoadMappedOptions): Promise<void> {
  const size = await stat(xFile.path).then(
    (info) => info.size,
    () => 0
  )
  if (size >= MEMORY_MAP_THRESHOLD_BYTES) {
    opts.onNotice?.(
      `${xFile.display}: IDX data is read into memory (only a .npy file can be memory-mapped; ${MAP_NEEDS})`
    )
  }
}

async function readPart(
  read: TensorReader,
  xFile: DataFile,
  yFile: DataFile,
  rescale: (dtype: Dtype) => Rescale,
  expect: { timeSteps: number; features: number; what: string } | undefined,
  progress: (phase: string, done: number, total: number) => void,
  map?: Mapper
): Promise<Part> {
  const xOptions: ReadTensorOptions = {
    check: ({ shape }) => {
      if (shape.length !== 3) fail(xFile, `expected 3 dimensions [N, T, F], got ${formatShape(shape)}`)
      if (expect && (shape[1] !== expect.timeSteps || shape[2] !== expect.features)) {
        fail(xFile, `shape ${formatShape(shape)} does not match ${expect.what}`)
      }
    },
    rescale,
    onProgress: (done, total) => progress(`read ${xFile.display}`, done, total)
  }
  let shape: number[] = []
  const mapped = await map?.(xFile, (header) => {
    xOptions.check!(header)
    shape = header.shape
  })
  let x: SplitX
  if (mapped) {
    x = mapped
    progress(`check ${xFile.display}`, 0, 1)
    const bad = mapped.firstNonFinite()
    if (bad >= 0) failNonFinite(bad, mapped.slice(bad, bad + 1)[0], shape[1], shape[2], xFile)
    progress(`check ${xFile.display}`, 1, 1)
  } else {
    const tensor: Tensor<Float32Array> = await read(xFile, (n) => new Float32Array(n), xOptions)
    shape = tensor.shape
    checkFinite(tensor.data, shape[1], shape[2], xFile)
    x = tensor.data
  }
  const [count, timeSteps, features] = shape
  const y = await read(yFile, (n) => new Float64Array(n), {
    check: ({ shape: yShape }) => checkLabelShape(yShape, yFile, shape, xFile),
    onProgress: (done, total) => progress(`read ${yFile.display}`, done, total)
  })
  return { x, labels: toClassIds(y, yFile, shape), count, timeSteps, features, yFile }
}

/** The most classes a dataset's labels may imply when it does not declare numClasses (the largest label + 1). */
export const MAX_INFERRED_CLASSES = 100_000

/** Settles the class count, checks every label against it, and applies validationSplit. */
function assemble(
  source: DatasetSource,
  train: Part,
  validation: Part | undefined,
  validationSplit: number | undefined,
  declaredClasses: number | undefined,
  classNames: string[] | undefined
): LoadedDataset<SplitX> {
  const { timeSteps, features } = train
  const perStep = train.labels.perStep
  if (validation) {
    const where = validation.yFile ?? { path: '', display: 'validation' }
    if (validation.labels.perStep !== perStep) {
      fail(
        where,
        `labels are ${validation.labels.perStep ? 'per step' : 'per sample'} but the training labels are ${perStep ? 'per step' : 'per sample'}`
      )
    }
    const a = train.labels.oneHotWidth
    const b = validation.labels.oneHotWidth
    if (a !== undefined && b !== undefined && a !== b)
      fail(where, `one-hot rows have ${b} classes but the training labels have ${a}`)
  }
  let numClasses = declaredClasses ?? classNames?.length
  for (const part of [train, validation]) {
    const width = part?.labels.oneHotWidth
    if (part && width !== undefined && numClasses !== undefined && width !== numClasses) {
      fail(
        part.yFile ?? { path: '', display: source },
        `one-hot rows have ${width} classes but the dataset declares ${numClasses}`
      )
    }
    numClasses ??= width
  }
  if (numClasses === undefined) {
    let inferred = 0
    // Inferred from the largest label: bounded, so that one wild label (2147483646) cannot make every count below it
    // a class to allocate, count and send; a declared numClasses (up to 1,000,000) says more classes are meant.
    for (const part of [train, validation]) {
      const largest = part ? maxLabel(part.labels.ids) : -1
      if (largest >= MAX_INFERRED_CLASSES) {
        fail(
          part!.yFile ?? { path: '', display: source },
          `the largest label is ${largest}, which would make ${largest + 1} classes; RNN Lab infers at most ${MAX_INFERRED_CLASSES.toLocaleString('en-US')} classes from the labels (labels are class ids 0, 1, 2, …; set numClasses to declare more)`
        )
      }
      inferred = Math.max(inferred, largest + 1)
    }
    numClasses = inferred
  }
  for (const part of [train, validation]) {
    if (part)
      checkClassRange(
        part.labels.ids,
        numClasses,
        perStep ? timeSteps : undefined,
        part.yFile ?? { path: '', display: source }
      )
  }

  const whole = (part: Part): Split<SplitX> => ({ x: part.x, y: part.labels.ids, count: part.count })
  let splits: { train: Split<SplitX>; validation: Split<SplitX> }
  if (validation) {
    splits = { train: whole(train), validation: whole(validation) }
  } else {
    const trainCount = trainCountAfterSplit(train.count, validationSplit)
    if (trainCount < 1) {
      throw new DatasetError(
        `${source}: validationSplit ${validationSplit} leaves no training samples of ${train.count}`
      )
    }
    const xRow = timeSteps * features
    const yRow = perStep ? timeSteps : 1
    const ids = train.labels.ids
    splits = {
      train: { x: train.x.subarray(0, trainCount * xRow), y: ids.subarray(0, trainCount * yRow), count: trainCount },
      validation: {
        x: train.x.subarray(trainCount * xRow),
        y: ids.subarray(trainCount * yRow),
        count: train.count - trainCount
      }
    }
  }
  return {
    source,
    timeSteps,
    features,
    numClasses,
    labelsPerStep: perStep,
    ...(classNames ? { classNames } : {}),
    ...splits
  }
}

/** Shapes, class counts and a few samples of a dataset (it loads the whole dataset to count). */
export async function previewDataset(
  spec: DatasetSpec,
  opts: LoadDatasetOptions | LoadMappedOptions,
  nSamples = 8
): Promise<DatasetPreview> {
  const data = 'mapFile' in opts ? await loadDataset(spec, opts) : await loadDataset(spec, opts)
  return previewOf(data, nSamples)
}

/** The preview of data already loaded: samples are the first of each class in the training split, in class order. */
export function previewOf(data: LoadedDataset<SplitX>, nSamples = 8): DatasetPreview {
  const { timeSteps, features, numClasses, labelsPerStep } = data
  const info = (split: Split<SplitX>): SplitInfo => {
    // Counted in a Map (as many entries as classes present), then laid out by class id up to numClasses, which is
    // bounded (inferred: MAX_INFERRED_CLASSES; declared: the contract's 1,000,000).
    const counts = new Map<number, number>()
    for (let i = 0; i < split.y.length; i++) counts.set(split.y[i], (counts.get(split.y[i]) ?? 0) + 1)
    const classCounts = Array.from({ length: numClasses }, (_, c) => counts.get(c) ?? 0)
    return { count: split.count, shape: [split.count, timeSteps, features], classCounts }
  }
  const picked: number[] = []
  if (!labelsPerStep) {
    const seen = new Set<number>()
    for (let i = 0; i < data.train.count && picked.length < nSamples && seen.size < numClasses; i++) {
      if (!seen.has(data.train.y[i])) {
        seen.add(data.train.y[i])
        picked.push(i)
      }
    }
    picked.sort((a, b) => data.train.y[a] - data.train.y[b])
  }
  for (let i = 0; i < data.train.count && picked.length < nSamples; i++) if (!picked.includes(i)) picked.push(i)

  const samples: DatasetPreviewSample[] = picked.map((index) => {
    const x: number[][] = []
    for (let t = 0; t < timeSteps; t++) {
      const start = (index * timeSteps + t) * features
      x.push(Array.from(data.train.x.slice(start, start + features))) // a copy: x may be memory-mapped
    }
    if (data.train.targets) {
      const width = data.train.targets.length / Math.max(1, data.train.count)
      const target = Array.from(data.train.targets.subarray(index * width, (index + 1) * width))
      return { split: 'train', index, label: [], target, x }
    }
    const label = labelsPerStep
      ? Array.from(data.train.y.subarray(index * timeSteps, (index + 1) * timeSteps))
      : data.train.y[index]
    if (data.text) {
      const vocabulary = data.text.tokenizer.vocabulary
      const tokens: string[] = []
      for (const row of x) if (row[0] !== 0) tokens.push(vocabulary[row[0]] ?? OOV_TOKEN)
      return { split: 'train', index, label, x, text: data.text.trainTexts[index].normalize('NFC'), tokens }
    }
    return { split: 'train', index, label, x }
  })
  return {
    source: data.source,
    train: info(data.train),
    ...(data.validation.count > 0 ? { validation: info(data.validation) } : {}),
    timeSteps,
    features,
    numClasses,
    labelsPerStep,
    ...(data.classNames ? { classNames: data.classNames } : {}),
    samples,
    ...(data.text ? { text: textPreviewOf(data.text.tokenizer) } : {}),
    ...(data.timeseries
      ? {
          timeseries: {
            rows: data.timeseries.rows,
            boundary: data.timeseries.boundary,
            featureColumns: data.timeseries.normalization.featureColumns,
            targetColumns: data.timeseries.normalization.targetColumns,
            horizon: data.timeseries.normalization.horizon,
            series: data.timeseries.series
          }
        }
      : {})
  }
}
