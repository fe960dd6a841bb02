// Metrics of one or more runs as CSV: one row per run and epoch, or per run and reported step.
import type { BatchMetrics, RunDetail, RunSummary } from '../../common/contract'
import { csvCell as cell } from '../../common/format'

const columns = [
  'run_id',
  'run_name',
  'epoch',
  'loss',
  'accuracy',
  'val_loss',
  'val_accuracy',
  'learning_rate',
  'seconds',
  'samples_per_second'
] as const

export function metricsCsv(runs: RunDetail[]): string {
  const lines = [columns.join(',')]
  for (const r of runs) {
    for (const e of r.epochs) {
      lines.push(
        [
          r.id,
          r.name,
          e.epoch,
          e.loss,
          e.accuracy,
          e.valLoss,
          e.valAccuracy,
          e.learningRate,
          e.seconds,
          e.samplesPerSecond
        ]
          .map(cell)
          .join(',')
      )
    }
  }
  return lines.join('\n') + '\n'
}

/**
 * The columns of the per-step CSV: each row the mean loss and accuracy of the `batches` training batches that end at
 * `batch` of `epoch` (global `step`). `batches` is empty for a run recorded before RNN Lab kept per-step means: its
 * figures are running means over the epoch so far.
 */
export const stepColumns = [
  'run_id',
  'run_name',
  'step',
  'epoch',
  'batch',
  'batches',
  'loss',
  'accuracy',
  'wall_seconds'
] as const

export function stepsCsv(runs: { run: Pick<RunSummary, 'id' | 'name'>; steps: BatchMetrics[] }[]): string {
  const lines = [stepColumns.join(',')]
  for (const { run, steps } of runs) {
    for (const s of steps) {
      lines.push(
        [run.id, run.name, s.step, s.epoch, s.batch, s.batches, s.loss, s.accuracy, s.wallSeconds].map(cell).join(',')
      )
    }
  }
  return lines.join('\n') + '\n'
}
