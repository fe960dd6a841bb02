// Analyses of a trained run on its validation split: the confusion matrix and the misclassified samples, the diff of
// two runs, prefix accuracy (the model given only the first or last k steps), and direction ablation (a bidirectional
// layer without its forward or its backward direction). The figures are computed in a
// worker process (main/analysis); what is here is their shape and the arithmetic both sides share.
import type { RunId } from './contract'

export type CheckpointKind = 'best' | 'last'

/** One validation sample as a model classified it. */
export interface SampleOutcome {
  /** Its index in the validation split. */
  index: number
  label: number
  predicted: number
  /** The model's class probabilities for it. */
  probabilities: number[]
}

export interface ConfusionReport {
  runId: RunId
  checkpoint: CheckpointKind
  /** The epoch the checkpoint was saved at. */
  epoch: number
  /** Validation samples classified (the matrix's total); with a label per step, steps (tokens). */
  size: number
  /** Labels per step (tagging): each step is an item, `index` in errors/predicted/labels is sample × T + step. */
  perStep?: boolean
  numClasses: number
  classNames: string[] | null
  /** matrix[true][predicted]: how many samples of class `true` the model called `predicted`. */
  matrix: number[][]
  /** Per class: precision, recall and F1 (a class never predicted and never true has 0s). */
  scores?: ClassScore[]
  /** The diagonal over the total. */
  accuracy: number
  /** The validation accuracy recorded for that epoch while training (null when none was). */
  recordedAccuracy: number | null
  /** Every sample's predicted class, in validation order (for a cell's samples). */
  predicted: number[]
  /** Every sample's true class, in validation order. */
  labels: number[]
  /** The misclassified samples, most confident mistakes first. */
  errors: SampleOutcome[]
}

/** A confusion cell whose count differs between two runs. */
export interface ConfusionCellChange {
  label: number
  predicted: number
  a: number
  b: number
}

export interface RunDiff {
  a: { runId: RunId; checkpoint: CheckpointKind; epoch: number; accuracy: number }
  b: { runId: RunId; checkpoint: CheckpointKind; epoch: number; accuracy: number }
  size: number
  numClasses: number
  classNames: string[] | null
  /** Samples run A gets right and run B wrong (B's outcome), then the other way round (A's outcome). */
  onlyA: { index: number; label: number; a: number; b: number; probabilitiesA: number[]; probabilitiesB: number[] }[]
  onlyB: { index: number; label: number; a: number; b: number; probabilitiesA: number[]; probabilitiesB: number[] }[]
  /** Samples both get wrong. */
  bothWrong: number
  /** Each run's confusion matrix, [true][predicted]. */
  matrixA: number[][]
  matrixB: number[][]
  /** The confusion cells whose counts differ, the largest change first. */
  changedCells: ConfusionCellChange[]
}

/** The version of the prefix-accuracy computation; a curve stored by another version is computed again. */
export const PREFIX_VERSION = 1

/** Validation accuracy with only the first k steps (first[k − 1]) or only the last k steps (last[k − 1]) given. */
export interface PrefixCurve {
  runId: RunId
  checkpoint: CheckpointKind
  epoch: number
  timeSteps: number
  /** Validation samples used. */
  size: number
  first: number[]
  last: number[]
  version: number
  createdAt: string
}

/** One row of a direction ablation: the model with one direction of one bidirectional layer removed. */
export interface AblationRow {
  /** The layer's index in the model's layers; null for the intact model (the baseline row). */
  layer: number | null
  /** The direction removed; null for the intact model. */
  direction: 'forward' | 'backward' | null
  /** The layer's merge: concat zeroes the direction's half; sum, ave and mul leave the other direction alone. */
  mergeMode: string | null
  /** The layer's cell and units, as the run's config names them. */
  cell: string | null
  units: number | null
  /** Validation accuracy and loss with that direction removed. */
  accuracy: number
  loss: number
  /** accuracy − the intact model's accuracy. */
  delta: number
}

/** Direction ablation of a checkpoint on the validation split: the intact model first, then 2 rows a bidirectional layer. */
export interface AblationReport {
  runId: RunId
  checkpoint: CheckpointKind
  epoch: number
  /** Validation samples evaluated. */
  size: number
  /** The validation accuracy recorded for that epoch while training (null when none was). */
  recordedAccuracy: number | null
  rows: AblationRow[]
}

/** Progress of an analysis computing in a worker process. */
export interface AnalysisProgress {
  /** The id the call that started it gave (cancel with it). */
  analysisId: string
  kind: 'confusion' | 'diff' | 'prefix' | 'ablation'
  runIds: RunId[]
  done: number
  total: number
}

/** The class with the highest probability (the first of equals). */
export function argmax(p: ArrayLike<number>, start = 0, length = p.length - start): number {
  let best = 0
  for (let i = 1; i < length; i++) if (p[start + i] > p[start + best]) best = i
  return best
}

/** The confusion matrix of labels against predictions: matrix[true][predicted]. */
export interface ClassScore {
  precision: number
  recall: number
  f1: number
  /** Items of the class (the row's total). */
  support: number
}

/** Precision, recall and F1 of each class from matrix[true][predicted] (0 where a ratio is 0 / 0). */
export function classScores(matrix: number[][]): ClassScore[] {
  return matrix.map((row, c) => {
    const tp = row[c]
    const support = row.reduce((a, b) => a + b, 0)
    const predicted = matrix.reduce((a, r) => a + r[c], 0)
    const precision = predicted > 0 ? tp / predicted : 0
    const recall = support > 0 ? tp / support : 0
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0
    return { precision, recall, f1, support }
  })
}

export function confusionMatrix(labels: ArrayLike<number>, predicted: ArrayLike<number>, classes: number): number[][] {
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0))
  for (let i = 0; i < labels.length; i++) m[labels[i]][predicted[i]]++
  return m
}

/** The cells two matrices of the same size disagree on, the largest change first. */
export function changedCells(a: number[][], b: number[][]): ConfusionCellChange[] {
  const out: ConfusionCellChange[] = []
  a.forEach((row, label) =>
    row.forEach((count, predicted) => {
      if (count !== b[label][predicted]) out.push({ label, predicted, a: count, b: b[label][predicted] })
    })
  )
  return out.sort((x, y) => Math.abs(y.a - y.b) - Math.abs(x.a - x.b) || x.label - y.label || x.predicted - y.predicted)
}

/** A stable text of a value (object keys sorted), to tell whether two dataset specs are the same data. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`
  if (v !== null && typeof v === 'object')
    return `{${Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`
  return JSON.stringify(v)
}
