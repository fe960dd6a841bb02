// The terminal's view of a training run, Keras `fit` style: a progress bar per epoch, then an epoch line.
import type { EpochMetrics, TrainingProgress } from '../../common/contract'

function clock(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?'
  const s = Math.round(seconds)
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  return m < 60
    ? `${m}:${String(s % 60).padStart(2, '0')}`
    : `${Math.floor(m / 60)}:${String(m % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`
}

export function progressBar(batch: number, batches: number, width = 30): string {
  const done = Math.min(width, Math.floor((width * batch) / Math.max(1, batches)))
  if (done >= width) return '='.repeat(width)
  return (
    '='.repeat(Math.max(0, done - 1)) +
    (done > 0 ? '>' : '') +
    '.'.repeat(width - Math.max(done, 1) + (done > 0 ? 0 : 1) - 1)
  )
}

export function progressLine(p: TrainingProgress): string {
  const digits = String(p.batches).length
  const acc = p.accuracy === null ? '' : ` - accuracy: ${p.accuracy.toFixed(4)}`
  return (
    `${String(p.batch).padStart(digits)}/${p.batches} [${progressBar(p.batch, p.batches)}]` +
    ` - loss: ${p.loss.toFixed(4)}${acc} - ${Math.round(p.samplesPerSecond).toLocaleString('en-US')} samples/s` +
    (p.etaSeconds === null ? '' : ` - ETA: ${clock(p.etaSeconds)}`)
  )
}

export function epochLine(m: EpochMetrics, batches: number): string {
  const parts = [
    `${batches}/${batches} [${'='.repeat(30)}]`,
    `${clock(m.seconds ?? 0)} ${batches > 0 && m.seconds ? Math.round((1000 * m.seconds) / batches) : 0}ms/step`
  ]
  if (m.loss !== null) parts.push(`loss: ${m.loss.toFixed(4)}`)
  if (m.accuracy !== null) parts.push(`accuracy: ${m.accuracy.toFixed(4)}`)
  if (m.valLoss !== null) parts.push(`val_loss: ${m.valLoss.toFixed(4)}`)
  if (m.valAccuracy !== null) parts.push(`val_accuracy: ${m.valAccuracy.toFixed(4)}`)
  if (m.mae != null) parts.splice(m.loss !== null ? 3 : 2, 0, `mae: ${m.mae.toFixed(4)}`)
  if (m.valMae != null) parts.push(`val_mae: ${m.valMae.toFixed(4)}`)
  return parts.join(' - ')
}
