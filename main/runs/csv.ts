// Per-epoch metrics of one or more runs as CSV, one row per run and epoch.
import type { RunDetail } from '../../common/contract'

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

function cell(v: unknown): string {
  if (v === null || v === undefined) return ''
  const s = String(v)
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

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
