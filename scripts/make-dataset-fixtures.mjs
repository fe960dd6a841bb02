// Writes the dataset loaders' test fixtures: small good files and a corpus of bad ones with the message each must give.
// Deterministic (no randomness, gzip without timestamps): `node scripts/make-dataset-fixtures.mjs [outDir]`,
// default test/fixtures/datasets. Re-run it after changing a message, and commit what it writes.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const outDir = process.argv[2] ?? join(root, 'test', 'fixtures', 'datasets')

// The good data: N samples of T steps of F features, 3 classes.
const N = 6
const T = 4
const F = 3
const C = 3
const xValues = Array.from({ length: N * T * F }, (_, i) => Math.fround(((i * 37) % 101) / 100 - 0.5))
const yValues = Array.from({ length: N }, (_, i) => (i * 2) % C)
const yPerStep = Array.from({ length: N * T }, (_, i) => (i + Math.floor(i / T)) % C)

const DTYPES = {
  '<f4': [4, (v, o, x) => v.setFloat32(o, x, true)],
  '<f8': [8, (v, o, x) => v.setFloat64(o, x, true)],
  '<i8': [8, (v, o, x) => v.setBigInt64(o, BigInt(x), true)],
  '<i4': [4, (v, o, x) => v.setInt32(o, x, true)],
  '>i4': [4, (v, o, x) => v.setInt32(o, x, false)],
  '<u2': [2, (v, o, x) => v.setUint16(o, x, true)],
  '|u1': [1, (v, o, x) => v.setUint8(o, x)],
  '|i1': [1, (v, o, x) => v.setInt8(o, x)]
}

/** An .npy file; `header` overrides the dict text, `version` the format version. */
export function npyBytes(descr, shape, values, { version = 1, header, fortran = false } = {}) {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`
  let dict = header ?? `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': ${shapeText}, }`
  const lengthBytes = version === 1 ? 2 : 4
  const unpadded = 8 + lengthBytes + dict.length + 1
  dict += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n'
  const [size, set] = DTYPES[descr] ?? [4, DTYPES['<f4'][1]]
  const bytes = new Uint8Array(8 + lengthBytes + dict.length + values.length * size)
  const view = new DataView(bytes.buffer)
  bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0])
  if (version === 1) view.setUint16(8, dict.length, true)
  else view.setUint32(8, dict.length, true)
  bytes.set(new TextEncoder().encode(dict), 8 + lengthBytes)
  values.forEach((x, i) => set(view, 8 + lengthBytes + dict.length + i * size, x))
  return bytes
}

/** An IDX file of unsigned bytes (type 0x08). */
export function idxBytes(shape, values, { magic } = {}) {
  const bytes = new Uint8Array(4 + 4 * shape.length + values.length)
  const view = new DataView(bytes.buffer)
  view.setUint32(0, magic ?? 0x0800 | shape.length, false)
  shape.forEach((d, i) => view.setUint32(4 + 4 * i, d, false))
  bytes.set(values, 4 + 4 * shape.length)
  return bytes
}

export function csvText(rows, header) {
  return (header ? header + '\n' : '') + rows.map((r) => r.join(',')).join('\n') + '\n'
}

const gzip = (bytes) => gzipSync(bytes, { level: 9 })
const pixels = xValues.map((_, i) => (i * 53) % 256)
const csvRows = Array.from({ length: N }, (_, n) => [yValues[n], ...xValues.slice(n * T * F, (n + 1) * T * F)])
const csvHeader = ['label', ...Array.from({ length: T * F }, (_, i) => `t${Math.floor(i / F)}f${i % F}`)].join(',')

/** name → bytes of every good file. */
export function goodFiles() {
  const oneHot = yValues.flatMap((c) => Array.from({ length: C }, (_, k) => (k === c ? 1 : 0)))
  const tinyMnist = (n, seed) => ({
    images: idxBytes(
      [n, 28, 28],
      Array.from({ length: n * 784 }, (_, i) => (i * seed) % 256)
    ),
    labels: idxBytes(
      [n],
      Array.from({ length: n }, (_, i) => (i * seed) % 10)
    )
  })
  const train = tinyMnist(5, 7)
  const test = tinyMnist(3, 11)
  return {
    'x.npy': npyBytes('<f4', [N, T, F], xValues),
    'x-f8.npy': npyBytes('<f8', [N, T, F], xValues),
    'x-v2.npy': npyBytes('<f4', [N, T, F], xValues, { version: 2 }),
    'x-v3.npy': npyBytes('<f4', [N, T, F], xValues, { version: 3 }),
    // The same values in Fortran order (first index fastest), as np.save writes np.asfortranarray(x).
    'x-fortran.npy': npyBytes(
      '<f4',
      [N, T, F],
      xValues.map((_, i) => xValues[((i % N) * T + (Math.floor(i / N) % T)) * F + Math.floor(i / (N * T))]),
      { fortran: true }
    ),
    'y.npy': npyBytes('<i8', [N], yValues),
    'y-u2.npy': npyBytes('<u2', [N], yValues),
    'y-be.npy': npyBytes('>i4', [N], yValues),
    'y-f8.npy': npyBytes('<f8', [N], yValues),
    'y-onehot.npy': npyBytes('<f4', [N, C], oneHot),
    'y-steps.npy': npyBytes('|u1', [N, T], yPerStep),
    'y-steps-onehot.npy': npyBytes(
      '<f4',
      [N, T, C],
      yPerStep.flatMap((c) => Array.from({ length: C }, (_, k) => (k === c ? 1 : 0)))
    ),
    'x.idx3-ubyte': idxBytes([N, T, F], pixels),
    'x.idx3-ubyte.gz': gzip(idxBytes([N, T, F], pixels)),
    'y.idx1-ubyte': idxBytes([N], yValues),
    'train.csv': new TextEncoder().encode(csvText(csvRows, csvHeader)),
    'train-noheader.csv': new TextEncoder().encode(csvText(csvRows).replace(/\n/g, '\r\n')),
    'mnist/train-images-idx3-ubyte.gz': gzip(train.images),
    'mnist/train-labels-idx1-ubyte.gz': gzip(train.labels),
    'mnist/t10k-images-idx3-ubyte': test.images,
    'mnist/t10k-labels-idx1-ubyte': test.labels,
    'expected.json': new TextEncoder().encode(
      JSON.stringify({ N, T, F, C, x: xValues, y: yValues, yPerStep, pixels }) + '\n'
    )
  }
}

/** The bad corpus: each case's files, the spec that reads them (paths relative to bad/), and the exact message. */
export function badCases() {
  const x = npyBytes('<f4', [N, T, F], xValues)
  const y = npyBytes('<i8', [N], yValues)
  const npy = (xName, yName, extra = {}) => ({ source: 'npy', train: { x: xName, y: yName }, ...extra })
  const idx = (xName, yName) => ({ source: 'idx', train: { x: xName, y: yName } })
  const csv = (name, extra = {}) => ({ source: 'csv', train: name, timeSteps: T, features: F, ...extra })
  const withNan = xValues.slice()
  withNan[(5 * T + 3) * F + 2] = NaN
  const withInf = xValues.slice()
  withInf[(1 * T + 0) * F + 1] = -Infinity
  const withBigLabel = yValues.slice()
  withBigLabel[2] = 5
  const withNegative = yValues.slice()
  withNegative[3] = -1
  const badOneHot = yValues.flatMap((c) => Array.from({ length: C }, (_, k) => (k === c ? 1 : 0)))
  badOneHot[2 * C] = 1 // row 2 then holds two ones
  const rows = (edit) => new TextEncoder().encode(csvText(csvRows.map((r, i) => edit(r.slice(), i))))
  const idxImages = idxBytes([N, T, F], pixels)
  const idxLabels = idxBytes([N], yValues)
  const enc = (s) => new TextEncoder().encode(s)

  return [
    {
      name: 'npy: empty file',
      files: { 'empty.npy': new Uint8Array(0), 'y.npy': y },
      spec: npy('empty.npy', 'y.npy'),
      message: 'empty.npy: the file is empty'
    },
    {
      name: 'npy: not an npy file',
      files: { 'text.npy': enc('x,y\n1,2\n'), 'y.npy': y },
      spec: npy('text.npy', 'y.npy'),
      message: 'text.npy: not a .npy file (the magic string \\x93NUMPY is missing)'
    },
    {
      name: 'npy: truncated header',
      files: { 'short-header.npy': x.slice(0, 30), 'y.npy': y },
      spec: npy('short-header.npy', 'y.npy'),
      message: 'short-header.npy: truncated header (the file holds 30 bytes)'
    },
    {
      name: 'npy: unclosed header dict',
      files: {
        'open-dict.npy': npyBytes('<f4', [N, T, F], xValues, {
          header: "{'descr': '<f4', 'fortran_order': False, 'shape': (6, 4, 3), "
        }),
        'y.npy': y
      },
      spec: npy('open-dict.npy', 'y.npy'),
      message: 'open-dict.npy: malformed header (unexpected end)'
    },
    {
      name: 'npy: header without shape',
      files: {
        'no-shape.npy': npyBytes('<f4', [N, T, F], xValues, { header: "{'descr': '<f4', 'fortran_order': False}" }),
        'y.npy': y
      },
      spec: npy('no-shape.npy', 'y.npy'),
      message: "no-shape.npy: malformed header ('shape' must be a tuple of sizes)"
    },
    {
      name: 'npy: unknown version',
      files: {
        'v9.npy': (() => {
          const b = x.slice()
          b[6] = 9
          return b
        })(),
        'y.npy': y
      },
      spec: npy('v9.npy', 'y.npy'),
      message: 'v9.npy: unsupported .npy format version 9.0'
    },
    {
      name: 'npy: fortran_order neither True nor False',
      files: {
        'fortran-0.npy': npyBytes('<f4', [N, T, F], xValues, {
          header: "{'descr': '<f4', 'fortran_order': 0, 'shape': (6, 4, 3), }"
        }),
        'y.npy': y
      },
      spec: npy('fortran-0.npy', 'y.npy'),
      message: "fortran-0.npy: malformed header ('fortran_order' must be True or False)"
    },
    {
      name: 'npy: complex dtype',
      files: { 'complex.npy': npyBytes('<c8', [N, T, F], xValues), 'y.npy': y },
      spec: npy('complex.npy', 'y.npy'),
      message: "complex.npy: unsupported dtype '<c8' (use float32, float64 or an integer type)"
    },
    {
      name: 'npy: structured dtype',
      files: {
        'structured.npy': npyBytes('<f4', [N, T, F], xValues, {
          header: "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (6, 4, 3), }"
        }),
        'y.npy': y
      },
      spec: npy('structured.npy', 'y.npy'),
      message: 'structured.npy: structured dtypes are not supported: save a plain numeric array'
    },
    {
      name: 'npy: x of 2 dimensions',
      files: { 'x_train.npy': npyBytes('<f4', [N, T * F], xValues), 'y.npy': y },
      spec: npy('x_train.npy', 'y.npy'),
      message: 'x_train.npy: expected 3 dimensions [N, T, F], got [6, 12]'
    },
    {
      name: 'npy: data cut short',
      files: { 'x-cut.npy': x.slice(0, x.length - T * F * 4), 'y.npy': y },
      spec: npy('x-cut.npy', 'y.npy'),
      message: 'x-cut.npy: header says 6 items but the file holds 5'
    },
    {
      name: 'npy: data cut mid-sample',
      files: { 'x-cut-odd.npy': x.slice(0, x.length - 10), 'y.npy': y },
      spec: npy('x-cut-odd.npy', 'y.npy'),
      message: 'x-cut-odd.npy: header says 6 items (288 bytes of data) but the file holds 278 bytes of data'
    },
    {
      name: 'npy: file far larger than its header says',
      files: { 'x-long.npy': new Uint8Array([...x, ...new Uint8Array(4096)]), 'y.npy': y },
      spec: npy('x-long.npy', 'y.npy'),
      message: 'x-long.npy: header says 6 items (288 bytes of data) but the file holds 4384 bytes of data'
    },
    {
      name: 'npy: shape too large',
      files: { 'huge.npy': npyBytes('<f4', [2000000, 1000, 1000], xValues), 'y.npy': y },
      spec: npy('huge.npy', 'y.npy'),
      message: 'huge.npy: shape [2000000, 1000, 1000] is too large (over 1073741824 values)'
    },
    {
      name: 'npy: NaN in x',
      files: { 'x-nan.npy': npyBytes('<f4', [N, T, F], withNan), 'y.npy': y },
      spec: npy('x-nan.npy', 'y.npy'),
      message: 'x-nan.npy: NaN at sample 5, step 3, feature 2'
    },
    {
      name: 'npy: infinity in x',
      files: { 'x-inf.npy': npyBytes('<f8', [N, T, F], withInf), 'y.npy': y },
      spec: npy('x-inf.npy', 'y.npy'),
      message: 'x-inf.npy: -Infinity at sample 1, step 0, feature 1'
    },
    {
      name: 'npy: fewer labels than samples',
      files: { 'x.npy': x, 'y-short.npy': npyBytes('<i8', [N - 1], yValues.slice(1)) },
      spec: npy('x.npy', 'y-short.npy'),
      message: 'y-short.npy: holds 5 labels but x.npy holds 6 samples'
    },
    {
      name: 'npy: negative label',
      files: { 'x.npy': x, 'y-neg.npy': npyBytes('<i4', [N], withNegative) },
      spec: npy('x.npy', 'y-neg.npy'),
      message: 'y-neg.npy: label -1 at index 3 is not a class id (a non-negative integer)'
    },
    {
      name: 'npy: fractional label',
      files: { 'x.npy': x, 'y-frac.npy': npyBytes('<f8', [N], [0, 2.5, 1, 0, 1, 2]) },
      spec: npy('x.npy', 'y-frac.npy'),
      message: 'y-frac.npy: label 2.5 at index 1 is not a class id (a non-negative integer)'
    },
    {
      name: 'npy: label out of the declared range',
      files: { 'x.npy': x, 'y-big.npy': npyBytes('<i8', [N], withBigLabel) },
      spec: npy('x.npy', 'y-big.npy', { numClasses: 3 }),
      message: 'y-big.npy: label 5 at index 2 is out of range 0..2'
    },
    {
      name: 'npy: one-hot row with two ones',
      files: { 'x.npy': x, 'y-hot.npy': npyBytes('<f4', [N, C], badOneHot) },
      spec: npy('x.npy', 'y-hot.npy'),
      message: 'y-hot.npy: row 2 is not one-hot (expected one 1 and 2 zeros)'
    },
    {
      name: 'npy: per-step labels of the wrong length',
      files: { 'x.npy': x, 'y-steps5.npy': npyBytes('|u1', [N, 5], new Array(N * 5).fill(0)) },
      spec: npy('x.npy', 'y-steps5.npy'),
      message: 'y-steps5.npy: expected per-step labels [N, T] = [6, 4], got [6, 5] (one-hot labels must be float)'
    },
    {
      name: 'npy: labels of 4 dimensions',
      files: { 'x.npy': x, 'y-4d.npy': npyBytes('<f4', [N, 1, 1, 1], new Array(N).fill(1)) },
      spec: npy('x.npy', 'y-4d.npy'),
      message: 'y-4d.npy: expected labels [N], [N, T], [N, C] or [N, T, C], got [6, 1, 1, 1]'
    },
    {
      name: 'npy: validation shape differs from training',
      files: {
        'x.npy': x,
        'y.npy': y,
        'x-val.npy': npyBytes('<f4', [3, T, 2], xValues.slice(0, 3 * T * 2)),
        'y-val.npy': npyBytes('<i8', [3], [0, 1, 2])
      },
      spec: npy('x.npy', 'y.npy', { validation: { x: 'x-val.npy', y: 'y-val.npy' } }),
      message: "x-val.npy: shape [3, 4, 2] does not match the training data's [N, 4, 3]"
    },
    {
      name: 'npy: validation labels per step, training per sample',
      files: { 'x.npy': x, 'y.npy': y, 'y-steps.npy': npyBytes('|u1', [N, T], yPerStep) },
      spec: npy('x.npy', 'y.npy', { validation: { x: 'x.npy', y: 'y-steps.npy' } }),
      message: 'y-steps.npy: labels are per step but the training labels are per sample'
    },
    {
      name: 'npy: one-hot width differs from numClasses',
      files: {
        'x.npy': x,
        'y-onehot.npy': npyBytes(
          '<f4',
          [N, C],
          badOneHot.map((v, i) => (i === 2 * C ? 0 : v))
        )
      },
      spec: npy('x.npy', 'y-onehot.npy', { numClasses: 4 }),
      message: 'y-onehot.npy: one-hot rows have 3 classes but the dataset declares 4'
    },
    {
      name: 'npy: missing file',
      files: { 'y.npy': y },
      spec: npy('missing.npy', 'y.npy'),
      message: 'missing.npy: file not found'
    },
    {
      name: 'idx: bad magic',
      files: { 'x-magic.idx3-ubyte': idxBytes([N, T, F], pixels, { magic: 0x01000803 }), 'y.idx1-ubyte': idxLabels },
      spec: idx('x-magic.idx3-ubyte', 'y.idx1-ubyte'),
      message: 'x-magic.idx3-ubyte: not an IDX file (magic 0x01000803; images are 0x00000803, labels 0x00000801)'
    },
    {
      name: 'idx: truncated header',
      files: { 'x-header.idx3-ubyte': idxImages.slice(0, 10), 'y.idx1-ubyte': idxLabels },
      spec: idx('x-header.idx3-ubyte', 'y.idx1-ubyte'),
      message: 'x-header.idx3-ubyte: truncated header (the file holds 10 bytes)'
    },
    {
      name: 'idx: labels cut short',
      files: { 'x.idx3-ubyte': idxImages, 'labels.idx1-ubyte': idxLabels.slice(0, idxLabels.length - 1) },
      spec: idx('x.idx3-ubyte', 'labels.idx1-ubyte'),
      message: 'labels.idx1-ubyte: header says 6 items but the file holds 5'
    },
    {
      name: 'idx: images of 2 dimensions',
      files: { 'x-flat.idx2-ubyte': idxBytes([N, T * F], pixels), 'y.idx1-ubyte': idxLabels },
      spec: idx('x-flat.idx2-ubyte', 'y.idx1-ubyte'),
      message: 'x-flat.idx2-ubyte: expected 3 dimensions [N, T, F], got [6, 12]'
    },
    {
      name: 'idx: gzip cut short',
      files: { 'x-cut.idx3-ubyte.gz': gzip(idxImages).slice(0, 40), 'y.idx1-ubyte': idxLabels },
      spec: idx('x-cut.idx3-ubyte.gz', 'y.idx1-ubyte'),
      message: 'x-cut.idx3-ubyte.gz: corrupt gzip data (unexpected end of file)'
    },
    {
      name: 'idx: gzip size field disagrees with the header',
      files: {
        'x-more.idx3-ubyte.gz': gzip(new Uint8Array([...idxImages, ...new Uint8Array(T * F)])),
        'y.idx1-ubyte': idxLabels
      },
      spec: idx('x-more.idx3-ubyte.gz', 'y.idx1-ubyte'),
      message: 'x-more.idx3-ubyte.gz: header says 6 items but the file holds 7'
    },
    {
      name: 'idx: empty file',
      files: { 'empty.idx1-ubyte': new Uint8Array(0), 'x.idx3-ubyte': idxImages },
      spec: idx('x.idx3-ubyte', 'empty.idx1-ubyte'),
      message: 'empty.idx1-ubyte: the file is empty'
    },
    {
      name: 'csv: a row one value short',
      files: { 'train-short.csv': rows((r, i) => (i === 2 ? r.slice(0, -1) : r)) },
      spec: csv('train-short.csv'),
      message: 'train-short.csv:3: expected 13 values (label + 4×3), got 12'
    },
    {
      name: 'csv: a value that is not a number',
      files: {
        'train-text.csv': rows((r, i) => {
          if (i === 1) r[4] = 'abc'
          return r
        })
      },
      spec: csv('train-text.csv'),
      message: 'train-text.csv:2:64: value at step 1, feature 0 (field 5) is not a number (text)'
    },
    {
      name: 'csv: an empty value',
      files: {
        'train-gap.csv': rows((r, i) => {
          if (i === 0) r[12] = ''
          return r
        })
      },
      spec: csv('train-gap.csv'),
      message: 'train-gap.csv:1:211: empty value at step 3, feature 2 (field 13)'
    },
    {
      name: 'csv: NaN',
      files: {
        'train-nan.csv': rows((r, i) => {
          if (i === 4) r[2] = 'nan'
          return r
        })
      },
      spec: csv('train-nan.csv'),
      message: 'train-nan.csv:5:23: NaN at step 0, feature 1 (field 3)'
    },
    {
      name: 'csv: undeclared header line',
      files: { 'train-header.csv': enc(csvText(csvRows, csvHeader)) },
      spec: csv('train-header.csv'),
      message:
        'train-header.csv:1:1: label (field 1) is not a class id (a non-negative integer): it is text (set "header": true if the first line names the columns)'
    },
    {
      name: 'csv: negative label',
      files: {
        'train-neg.csv': rows((r, i) => {
          if (i === 5) r[0] = -2
          return r
        })
      },
      spec: csv('train-neg.csv'),
      message: 'train-neg.csv:6:1: label (field 1) is not a class id (a non-negative integer): it is negative'
    },
    {
      name: 'csv: label out of the declared range',
      files: {
        'train-range.csv': rows((r, i) => {
          if (i === 3) r[0] = 7
          return r
        })
      },
      spec: csv('train-range.csv', { numClasses: 3 }),
      message: 'train-range.csv:4: label 7 is out of range 0..2'
    },
    {
      name: 'csv: empty file',
      files: { 'empty.csv': new Uint8Array(0) },
      spec: csv('empty.csv'),
      message: 'empty.csv: the file is empty'
    },
    {
      name: 'csv: header only',
      files: { 'header-only.csv': enc(csvHeader + '\n') },
      spec: csv('header-only.csv', { header: true }),
      message: 'header-only.csv: holds no samples'
    },
    {
      name: 'mnist: folder missing a file',
      files: {
        'mnist-3/train-images-idx3-ubyte.gz': new Uint8Array([0x1f, 0x8b]),
        'mnist-3/train-labels-idx1-ubyte.gz': new Uint8Array([0x1f, 0x8b]),
        'mnist-3/t10k-images-idx3-ubyte.gz': new Uint8Array([0x1f, 0x8b])
      },
      spec: { source: 'mnist', dir: 'mnist-3' },
      message: 'mnist-3: no t10k-labels-idx1-ubyte[.gz] in this folder (mnist needs its four IDX files)'
    }
  ]
}

function write(dir, files) {
  for (const [name, bytes] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true })
    writeFileSync(join(dir, name), bytes)
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  rmSync(join(outDir, 'good'), { recursive: true, force: true })
  rmSync(join(outDir, 'bad'), { recursive: true, force: true })
  write(join(outDir, 'good'), goodFiles())
  const cases = badCases()
  for (const c of cases) write(join(outDir, 'bad'), c.files)
  const manifest = cases.map(({ name, spec, message }) => ({ name, spec, message }))
  writeFileSync(join(outDir, 'bad', 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n')
  console.log(`wrote ${Object.keys(goodFiles()).length} good files and ${cases.length} bad cases to ${outDir}`)
}
