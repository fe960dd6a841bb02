// The compare chart's series: a metric of each run against epoch, step or wall time.
import type { BatchMetrics, RunDetail } from '../../../common/contract'
import type { Point } from './series'

export type CompareMetric = 'val_accuracy' | 'val_loss' | 'accuracy' | 'loss' | 'mae' | 'val_mae'
export type CompareAxis = 'epoch' | 'step' | 'wall'

const epochKey = {
  val_accuracy: 'valAccuracy',
  val_loss: 'valLoss',
  accuracy: 'accuracy',
  loss: 'loss',
  mae: 'mae',
  val_mae: 'valMae'
} as const

/** Regression runs (loss mse or mae) have MAE figures and no accuracy. */
export function isRegressionRun(run: { epochs: { mae?: number | null; valMae?: number | null }[] }): boolean {
  return run.epochs.some((e) => e.mae != null || e.valMae != null)
}

/**
 * Per-step series longer than this are drawn without breaks. A break is a NaN point, and chart.js's LTTB decimation
 * cannot take one, so a chart with breaks falls back to min-max, which draws ~16 times the points: ten runs of 9,380
 * steps took over a minute to pan (see POINTS_PER_PIXEL in lineChart.ts). At that length an epoch spans many pixels and
 * its break is a fraction of one, so nothing visible is lost; shorter series keep their breaks.
 */
export const BREAKS_UP_TO = 2000

/**
 * Train metrics against step or wall time use the per-step figures (each the mean over the batches since the previous
 * report), with a break (a NaN point) between epochs up to BREAKS_UP_TO points; validation metrics exist once an
 * epoch, placed at the epoch's last step or its end in wall time.
 */
export function metricSeries(
  run: RunDetail,
  batches: BatchMetrics[],
  metric: CompareMetric,
  axis: CompareAxis
): Point[] {
  const key = epochKey[metric]
  const perBatch = (metric === 'loss' || metric === 'accuracy') && axis !== 'epoch' && batches.length > 0
  if (perBatch) {
    const out: Point[] = []
    const breaks = batches.length <= BREAKS_UP_TO
    let epoch = 0
    for (const b of batches) {
      const y = metric === 'loss' ? b.loss : b.accuracy
      if (y === null) continue
      const x = axis === 'step' ? b.step : b.wallSeconds
      const last = out[out.length - 1]
      if (b.epoch !== epoch && last && breaks) out.push({ x: (last.x + x) / 2, y: NaN })
      epoch = b.epoch
      out.push({ x, y })
    }
    return out
  }
  const lastStep = new Map<number, number>()
  const lastWall = new Map<number, number>()
  for (const b of batches) {
    lastStep.set(b.epoch, Math.max(lastStep.get(b.epoch) ?? 0, b.step))
    lastWall.set(b.epoch, Math.max(lastWall.get(b.epoch) ?? 0, b.wallSeconds))
  }
  const stepsPerEpoch = lastStep.get(1) ?? 1
  let wall = 0
  return run.epochs.flatMap((e) => {
    wall += e.seconds ?? 0
    const y = e[key]
    if (y === null || y === undefined) return []
    const x =
      axis === 'epoch'
        ? e.epoch
        : axis === 'step'
          ? (lastStep.get(e.epoch) ?? e.epoch * stepsPerEpoch)
          : (lastWall.get(e.epoch) ?? wall)
    return [{ x, y }]
  })
}

/** Mean seconds an epoch took. */
export function secondsPerEpoch(run: RunDetail): number | null {
  const s = run.epochs.flatMap((e) => (e.seconds === null ? [] : [e.seconds]))
  return s.length ? s.reduce((a, b) => a + b, 0) / s.length : null
}

export const palette = [
  '#2f6fde',
  '#e0762b',
  '#2a9d5b',
  '#c23b6e',
  '#7b5cd6',
  '#1b9aaa',
  '#b58b00',
  '#d64545',
  '#5a7d2a',
  '#8a6d5a'
]
