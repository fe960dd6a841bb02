// The analyses themselves, run in a worker process (main/worker.ts), never in the app's or the CLI's own process:
// each loads the run's data and checkpoint into the native engine and predicts its validation split.
import type { RunConfig } from '../../common/config'
import {
  argmax,
  changedCells,
  classScores,
  confusionMatrix,
  PREFIX_VERSION,
  type AblationReport,
  type AblationRow,
  type CheckpointKind,
  type ConfusionReport,
  type PrefixCurve,
  type RunDiff,
  type SampleOutcome
} from '../../common/analysis'
import type { RunId } from '../../common/contract'
import type { loadDataset, LoadedDataset } from '../datasets'
import { loadEngine } from '../engine'
import { engineSpec } from '../engine/spec'

/** One run's checkpoint, as the host found it in the database. */
export interface AnalysisModel {
  runId: RunId
  config: RunConfig
  checkpoint: { kind: CheckpointKind; epoch: number; path: string }
  /** The validation accuracy recorded at the checkpoint's epoch. */
  recordedAccuracy: number | null
}

export interface AnalysisJob {
  kind: 'confusion' | 'diff' | 'prefix' | 'ablation'
  home: string
  threads?: number
  /** One model; two for a diff (A, then B). */
  models: AnalysisModel[]
}

export type AnalysisResult =
  | { kind: 'confusion'; report: ConfusionReport }
  | { kind: 'diff'; diff: RunDiff }
  | { kind: 'prefix'; curve: Omit<PrefixCurve, 'createdAt'> }
  | { kind: 'ablation'; report: AblationReport }

export interface AnalysisServices {
  loadDataset: typeof loadDataset
  /** Work done of total (prefix: one step count of 2T; ablation: one evaluation); called between passes. */
  progress: (done: number, total: number) => void | Promise<void>
}

/** The validation split, and the class count the model's head gives. */
interface Validation {
  data: LoadedDataset
  x: Float32Array
  y: Int32Array
  n: number
  T: number
  F: number
  /** Items classified: n, or n × T with a label per step (each step an item, at index sample × T + step). */
  rows: number
}

async function validationOf(
  model: AnalysisModel,
  home: string,
  services: AnalysisServices,
  perStepAllowed = false
): Promise<Validation> {
  const data = await services.loadDataset(model.config.dataset, { home })
  if (data.validation.count === 0)
    throw new Error(
      `run ${model.runId}: its dataset has no validation split (give validationSplit or validation files)`
    )
  if (data.labelsPerStep && !perStepAllowed)
    throw new Error(`run ${model.runId}: its labels are per time step; this analysis needs one class per sample`)
  return {
    data,
    x: data.validation.x,
    y: data.validation.y,
    n: data.validation.count,
    T: data.timeSteps,
    F: data.features,
    rows: data.validation.y.length
  }
}

/** Class probabilities [n, classes] of x [n, steps, F], the model built for `steps`. */
function predict(model: AnalysisModel, x: Float32Array, n: number, steps: number, F: number, threads?: number) {
  const engine = loadEngine()
  const m = new engine.Model(engineSpec(model.config, [steps, F], threads))
  m.loadCheckpoint(model.checkpoint.path)
  const out = m.predict(x, n, { batchSize: 256 })
  const classes = out.length / n
  return { probabilities: out, classes }
}

function headClasses(model: AnalysisModel, classes: number, v: Validation): void {
  if (!Number.isInteger(classes) || classes < 2)
    throw new Error(`run ${model.runId}: its model gives ${classes} outputs per sample; a class per sample is needed`)
  if (classes < v.data.numClasses)
    throw new Error(`run ${model.runId}: its model gives ${classes} classes but the data has ${v.data.numClasses}`)
}

interface Outcomes {
  probabilities: Float32Array
  predicted: Int32Array
  classes: number
  correct: number
}

function outcomes(model: AnalysisModel, v: Validation, threads?: number): Outcomes {
  const { probabilities } = predict(model, v.x, v.n, v.T, v.F, threads)
  // Per-step labels: the output [n, T, classes] read as n × T rows.
  const classes = probabilities.length / v.rows
  headClasses(model, classes, v)
  const predicted = new Int32Array(v.rows)
  let correct = 0
  for (let i = 0; i < v.rows; i++) {
    predicted[i] = argmax(probabilities, i * classes, classes)
    if (predicted[i] === v.y[i]) correct++
  }
  return { probabilities, predicted, classes, correct }
}

const rounded = (p: Float32Array, start: number, length: number) =>
  Array.from(p.subarray(start, start + length), (v) => Math.round(v * 1e5) / 1e5)

export function confusion(model: AnalysisModel, v: Validation, o: Outcomes): ConfusionReport {
  const matrix = confusionMatrix(v.y, o.predicted, o.classes)
  const errors: SampleOutcome[] = []
  for (let i = 0; i < v.rows; i++) {
    if (o.predicted[i] === v.y[i]) continue
    errors.push({
      index: i,
      label: v.y[i],
      predicted: o.predicted[i],
      probabilities: rounded(o.probabilities, i * o.classes, o.classes)
    })
  }
  // The most confident mistakes first.
  errors.sort((a, b) => b.probabilities[b.predicted] - a.probabilities[a.predicted] || a.index - b.index)
  return {
    runId: model.runId,
    checkpoint: model.checkpoint.kind,
    epoch: model.checkpoint.epoch,
    size: v.rows,
    perStep: v.data.labelsPerStep,
    numClasses: o.classes,
    classNames: v.data.classNames ?? null,
    matrix,
    scores: classScores(matrix),
    accuracy: o.correct / v.rows,
    recordedAccuracy: model.recordedAccuracy,
    predicted: Array.from(o.predicted),
    labels: Array.from(v.y),
    errors
  }
}

/**
 * Direction ablation: the validation accuracy and loss of the checkpoint intact, then with each bidirectional layer's
 * forward, then backward, direction removed (the engine's `ablate` option: zeroed in a concat merge, left out of a
 * sum/ave/mul merge so that the other direction is the output alone). Computed on demand, not stored: 1 + 2 × (the
 * bidirectional layers) evaluations of the validation split.
 */
async function ablation(model: AnalysisModel, home: string, threads: number | undefined, services: AnalysisServices) {
  const v = await validationOf(model, home, services)
  const layers = model.config.model.layers
  const bidirectional = layers.flatMap((l, i) => (l.type === 'bidirectional' ? [{ l, i }] : []))
  const total = 1 + 2 * bidirectional.length
  await services.progress(0, total)
  const m = new (loadEngine().Model)(engineSpec(model.config, [v.T, v.F], threads))
  m.loadCheckpoint(model.checkpoint.path)
  headClasses(model, m.describe().outputFeatures, v)
  const intact = m.evaluate(v.x, v.y, v.n, { batchSize: 256 })
  await services.progress(1, total)
  const rows: AblationRow[] = [
    {
      layer: null,
      direction: null,
      mergeMode: null,
      cell: null,
      units: null,
      accuracy: intact.accuracy,
      loss: intact.loss,
      delta: 0
    }
  ]
  let done = 1
  for (const { l, i } of bidirectional)
    for (const direction of ['forward', 'backward'] as const) {
      const s = m.evaluate(v.x, v.y, v.n, { batchSize: 256, ablate: { layer: i, direction } })
      rows.push({
        layer: i,
        direction,
        mergeMode: l.mergeMode,
        cell: l.layer.type,
        units: l.layer.units,
        accuracy: s.accuracy,
        loss: s.loss,
        delta: s.accuracy - intact.accuracy
      })
      await services.progress(++done, total)
    }
  const report: AblationReport = {
    runId: model.runId,
    checkpoint: model.checkpoint.kind,
    epoch: model.checkpoint.epoch,
    size: v.n,
    recordedAccuracy: model.recordedAccuracy,
    rows
  }
  return report
}

/** Runs one analysis job; `progress` is called as the work advances. */
export async function runAnalysis(job: AnalysisJob, services: AnalysisServices): Promise<AnalysisResult> {
  const [first] = job.models
  if (job.kind === 'ablation')
    return { kind: 'ablation', report: await ablation(first, job.home, job.threads, services) }
  if (job.kind === 'confusion') {
    const v = await validationOf(first, job.home, services, true)
    await services.progress(0, 1)
    const report = confusion(first, v, outcomes(first, v, job.threads))
    await services.progress(1, 1)
    return { kind: 'confusion', report }
  }
  if (job.kind === 'diff') {
    const second = job.models[1]
    const v = await validationOf(first, job.home, services)
    await services.progress(0, 2)
    const a = outcomes(first, v, job.threads)
    await services.progress(1, 2)
    const b = outcomes(second, v, job.threads)
    await services.progress(2, 2)
    if (a.classes !== b.classes)
      throw new Error(`runs ${first.runId} and ${second.runId} give ${a.classes} and ${b.classes} classes`)
    const onlyA: RunDiff['onlyA'] = []
    const onlyB: RunDiff['onlyB'] = []
    let bothWrong = 0
    for (let i = 0; i < v.n; i++) {
      const ra = a.predicted[i] === v.y[i]
      const rb = b.predicted[i] === v.y[i]
      if (!ra && !rb) bothWrong++
      if (ra === rb) continue
      const row = {
        index: i,
        label: v.y[i],
        a: a.predicted[i],
        b: b.predicted[i],
        probabilitiesA: rounded(a.probabilities, i * a.classes, a.classes),
        probabilitiesB: rounded(b.probabilities, i * b.classes, b.classes)
      }
      ;(ra ? onlyA : onlyB).push(row)
    }
    const matrixA = confusionMatrix(v.y, a.predicted, a.classes)
    const matrixB = confusionMatrix(v.y, b.predicted, b.classes)
    const side = (m: AnalysisModel, o: Outcomes) => ({
      runId: m.runId,
      checkpoint: m.checkpoint.kind,
      epoch: m.checkpoint.epoch,
      accuracy: o.correct / v.n
    })
    return {
      kind: 'diff',
      diff: {
        a: side(first, a),
        b: side(second, b),
        size: v.n,
        numClasses: a.classes,
        classNames: v.data.classNames ?? null,
        onlyA,
        onlyB,
        bothWrong,
        matrixA,
        matrixB,
        changedCells: changedCells(matrixA, matrixB)
      }
    }
  }
  // Prefix accuracy: the model given x[:, :k] (the backward direction of a bidirectional layer then starts at step
  // k), and x[:, T−k:], for k = 1…T. k = T is the whole sequence, predicted once for both curves.
  const v = await validationOf(first, job.home, services)
  const { n, T, F } = v
  const total = 2 * T - 1
  let done = 0
  await services.progress(done, total)
  const accuracyOf = (x: Float32Array, k: number) => {
    const { probabilities, classes } = predict(first, x, n, k, F, job.threads)
    headClasses(first, classes, v)
    let correct = 0
    for (let i = 0; i < n; i++) if (argmax(probabilities, i * classes, classes) === v.y[i]) correct++
    return correct / n
  }
  const firstCurve = new Array<number>(T)
  const lastCurve = new Array<number>(T)
  for (let k = 1; k <= T; k++) {
    const head = new Float32Array(n * k * F)
    const tail = new Float32Array(n * k * F)
    for (let i = 0; i < n; i++) {
      head.set(v.x.subarray(i * T * F, (i * T + k) * F), i * k * F)
      tail.set(v.x.subarray((i * T + T - k) * F, (i + 1) * T * F), i * k * F)
    }
    firstCurve[k - 1] = accuracyOf(head, k)
    await services.progress(++done, total)
    if (k === T) lastCurve[k - 1] = firstCurve[k - 1]
    else {
      lastCurve[k - 1] = accuracyOf(tail, k)
      await services.progress(++done, total)
    }
  }
  return {
    kind: 'prefix',
    curve: {
      runId: first.runId,
      checkpoint: first.checkpoint.kind,
      epoch: first.checkpoint.epoch,
      timeSteps: T,
      size: n,
      first: firstCurve,
      last: lastCurve,
      version: PREFIX_VERSION
    }
  }
}
