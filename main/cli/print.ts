// The terminal's tables: columns padded to their widest cell, numbers right-aligned.
import type { RunDetail, RunSummary } from '../../common/contract'
import { count, displayText, duration, fixedOrNonFinite, percent } from '../../common/format'

/** A plain text table: columns padded to their widest cell, numbers right-aligned. */
export function table(header: string[], rows: string[][], rightAligned: number[] = []): string {
  // A cell is one line: a line break or an escape in it would forge rows.
  rows = rows.map((r) => r.map((cell) => displayText(cell, Infinity)))
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)))
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (rightAligned.includes(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd()
  return [line(header), line(widths.map((w) => '─'.repeat(w))), ...rows.map(line)].join('\n')
}

export function runsTable(runs: RunSummary[]): string {
  return table(
    ['ID', 'NAME', 'STATUS', 'CELL', 'DIRECTION', 'LAYERS', 'PARAMS', 'EPOCHS', 'BEST VAL', 'DURATION', 'CREATED'],
    runs.map((r) => [
      String(r.id),
      displayText(r.name, 60),
      r.status,
      r.cell ?? '—',
      r.direction ?? '—',
      String(r.layerCount),
      count(r.paramCount),
      r.epochsPlanned ? `${r.epochsDone}/${r.epochsPlanned}` : String(r.epochsDone),
      bestFigure(r),
      duration(r.durationSeconds),
      r.createdAt.replace('T', ' ').slice(0, 16)
    ]),
    [0, 5, 6, 7, 8]
  )
}

/** A run's best validation figure: accuracy, or for a regression run (mse, mae) its MAE. */
export function bestFigure(r: RunSummary): string {
  if (r.valMae && r.valMae.best !== null) return `MAE ${r.valMae.best.toPrecision(4)} @${r.valMae.bestEpoch}`
  return r.valAccuracy.best === null ? '—' : `${percent(r.valAccuracy.best)} @${r.valAccuracy.bestEpoch}`
}

export function epochsTable(run: RunDetail): string {
  if (run.epochs.some((e) => e.mae != null || e.valMae != null)) {
    return table(
      ['EPOCH', 'LOSS', 'MAE', 'VAL_LOSS', 'VAL_MAE', 'LR', 'SECONDS', 'SAMPLES/S'],
      run.epochs.map((e) => [
        String(e.epoch),
        fixedOrNonFinite(e.loss),
        fixedOrNonFinite(e.mae ?? null),
        fixedOrNonFinite(e.valLoss),
        fixedOrNonFinite(e.valMae ?? null),
        e.learningRate === null ? '—' : e.learningRate.toPrecision(3),
        fixedOrNonFinite(e.seconds, 1),
        count(e.samplesPerSecond === null ? null : Math.round(e.samplesPerSecond))
      ]),
      [0, 1, 2, 3, 4, 5, 6, 7]
    )
  }
  return table(
    ['EPOCH', 'LOSS', 'ACCURACY', 'VAL_LOSS', 'VAL_ACCURACY', 'LR', 'SECONDS', 'SAMPLES/S'],
    run.epochs.map((e) => [
      String(e.epoch),
      fixedOrNonFinite(e.loss),
      fixedOrNonFinite(e.accuracy),
      fixedOrNonFinite(e.valLoss),
      fixedOrNonFinite(e.valAccuracy),
      e.learningRate === null ? '—' : e.learningRate.toPrecision(3),
      fixedOrNonFinite(e.seconds, 1),
      count(e.samplesPerSecond === null ? null : Math.round(e.samplesPerSecond))
    ]),
    [0, 1, 2, 3, 4, 5, 6, 7]
  )
}
