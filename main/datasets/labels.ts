// Turns label tensors into class ids (from ids or one-hot rows) and checks features for NaN and infinity.
import { type DataFile, fail, formatShape } from './errors'
import type { Tensor } from './tensor'

export interface ClassIds {
  /** N ids, or N × T with per-step labels. */
  ids: Int32Array
  perStep: boolean
  /** The width C of one-hot labels; the class count they imply. */
  oneHotWidth?: number
}

const MAX_CLASS_ID = 2 ** 31 - 2

/** Refuses any label tensor shape that cannot pair with x [N, T, F], before its data is read. */
export function checkLabelShape(shape: number[], yFile: DataFile, xShape: number[], xFile: DataFile): void {
  if (shape.length < 1 || shape.length > 3) {
    fail(yFile, `expected labels [N], [N, T], [N, C] or [N, T, C], got ${formatShape(shape)}`)
  }
  if (shape[0] !== xShape[0]) fail(yFile, `holds ${shape[0]} labels but ${xFile.display} holds ${xShape[0]} samples`)
}

/**
 * Reads class ids from y: [N] ids; [N, T] integer ids, one per step; [N, C] float one-hot rows; [N, T, C] one-hot
 * per step. Float ids [N] are accepted when they are whole numbers.
 */
export function toClassIds(y: Tensor<Float64Array>, yFile: DataFile, xShape: number[]): ClassIds {
  const [n, timeSteps] = xShape
  const { shape, data } = y
  if (shape.length === 1) return { ids: wholeIds(data, yFile, (i) => `index ${i}`), perStep: false }
  if (shape.length === 2 && y.dtype.kind !== 'f') {
    if (shape[1] !== timeSteps) {
      fail(
        yFile,
        `expected per-step labels [N, T] = [${n}, ${timeSteps}], got ${formatShape(shape)} (one-hot labels must be float)`
      )
    }
    return {
      ids: wholeIds(data, yFile, (i) => `sample ${Math.floor(i / timeSteps)}, step ${i % timeSteps}`),
      perStep: true
    }
  }
  if (shape.length === 3 && shape[1] !== timeSteps) {
    fail(yFile, `expected one-hot labels per step [N, T, C] with T = ${timeSteps}, got ${formatShape(shape)}`)
  }
  const width = shape[shape.length - 1]
  const rows = data.length / width
  const ids = new Int32Array(rows)
  for (let r = 0; r < rows; r++) {
    let hot = -1
    for (let c = 0; c < width; c++) {
      const v = data[r * width + c]
      if (v === 1 && hot < 0) hot = c
      else if (v !== 0) hot = -2
      if (hot === -2) break
    }
    if (hot < 0) {
      const where = shape.length === 2 ? `row ${r}` : `sample ${Math.floor(r / timeSteps)}, step ${r % timeSteps}`
      fail(yFile, `${where} is not one-hot (expected one 1 and ${width - 1} zeros)`)
    }
    ids[r] = hot
  }
  return { ids, perStep: shape.length === 3, oneHotWidth: width }
}

function wholeIds(data: Float64Array, yFile: DataFile, where: (i: number) => string): Int32Array {
  const ids = new Int32Array(data.length)
  for (let i = 0; i < data.length; i++) {
    const v = data[i]
    if (!Number.isInteger(v) || v < 0 || v > MAX_CLASS_ID) {
      fail(yFile, `label ${v} at ${where(i)} is not a class id (a non-negative integer)`)
    }
    ids[i] = v
  }
  return ids
}

/** Fails on the first label outside 0..numClasses-1, naming its place. */
export function checkClassRange(
  ids: Int32Array,
  numClasses: number,
  timeSteps: number | undefined,
  file: DataFile
): void {
  for (let i = 0; i < ids.length; i++) {
    if (ids[i] >= numClasses) {
      const where =
        timeSteps === undefined ? `index ${i}` : `sample ${Math.floor(i / timeSteps)}, step ${i % timeSteps}`
      fail(file, `label ${ids[i]} at ${where} is out of range 0..${numClasses - 1}`)
    }
  }
}

export function maxLabel(ids: Int32Array): number {
  let max = -1
  for (let i = 0; i < ids.length; i++) if (ids[i] > max) max = ids[i]
  return max
}

/** Fails on the first NaN or infinity in x [N, T, F]. */
export function checkFinite(x: Float32Array, timeSteps: number, features: number, file: DataFile): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]
    // The subtraction is NaN exactly for NaN and ±Infinity; one test keeps the common path fast.
    if (v - v !== 0) failNonFinite(i, v, timeSteps, features, file)
  }
}

/** Fails naming where the non-finite value v at flat index i of x [N, T, F] lies. */
export function failNonFinite(i: number, v: number, timeSteps: number, features: number, file: DataFile): never {
  const sample = Math.floor(i / (timeSteps * features))
  const step = Math.floor(i / features) % timeSteps
  const what = Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity'
  fail(file, `${what} at sample ${sample}, step ${step}, feature ${i % features}`)
}
