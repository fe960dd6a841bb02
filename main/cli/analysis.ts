// `rnnlab confusion`, `rnnlab prefix`, `rnnlab diff`, `rnnlab ablation`: analyses of trained runs on their validation split, computed
// in a worker process (main/analysis). Ctrl-C cancels the analysis.
import type { AnalysisProgress } from '../../common/analysis'
import { percent } from '../../common/format'
import { AnalysisHost } from '../analysis/host'
import { UsageError } from './args'
import { command, runIds, type Context } from './command'
import { table } from './print'

function readCheckpoint(value: string | undefined): 'best' | 'last' | undefined {
  if (value !== undefined && value !== 'best' && value !== 'last')
    throw new UsageError(`--checkpoint: expected best or last, got ${value}`)
  return value
}

/** Runs `start` with a fresh analysis id: progress on a terminal's stderr, Ctrl-C cancels. */
async function withAnalysis<T>(
  ctx: Context,
  quiet: boolean,
  start: (analysisId: string) => T | Promise<T>
): Promise<T> {
  const services = ctx.services()
  const analysisId = AnalysisHost.newId()
  const tty = !quiet && process.stderr.isTTY
  const off = services.on('onAnalysisProgress', (p: AnalysisProgress) => {
    if (tty && p.analysisId === analysisId && p.total > 1) process.stderr.write(`\r${p.kind}: ${p.done}/${p.total}`)
  })
  const cancel = () => services.analyses.cancel(analysisId)
  process.once('SIGINT', cancel)
  try {
    return await start(analysisId)
  } finally {
    process.off('SIGINT', cancel)
    off()
    if (tty) process.stderr.write('\r\x1b[K')
  }
}

const className = (names: string[] | null, c: number) => names?.[c] ?? String(c)
const prob = (p: number) => p.toFixed(3)

export const confusion = command({
  usage: 'rnnlab confusion <run> [--checkpoint best|last] [--json]',
  summary: "a run's confusion matrix on its validation split, and the samples it gets wrong",
  options: { checkpoint: { type: 'string' } },
  readsOnly: true,
  run: async (args, ctx) => {
    const [runId] = runIds(args, ctx, 1, 1, confusion.usage)
    const checkpoint = readCheckpoint(args.values.checkpoint)
    const report = await withAnalysis(ctx, args.values.json, (analysisId) =>
      ctx.services().handlers.analyzeConfusion({ runId, checkpoint, analysisId })
    )
    if (args.values.json) {
      ctx.out(JSON.stringify(report, null, 2))
      return 0
    }
    const names = report.classNames
    const correct = report.matrix.reduce((a, row, i) => a + row[i], 0)
    const items = report.perStep ? 'validation tokens (steps)' : 'validation samples'
    ctx.out(
      `Run ${runId} (${report.checkpoint} checkpoint, epoch ${report.epoch}): ${correct} of ${report.size} ${items} right, ${percent(report.accuracy)}` +
        (report.recordedAccuracy === null ? '' : ` (recorded while training: ${percent(report.recordedAccuracy)})`)
    )
    ctx.out('')
    const classes = report.matrix.map((_, c) => className(names, c))
    ctx.out(
      table(
        ['TRUE \\ PREDICTED', ...classes],
        report.matrix.map((row, c) => [classes[c], ...row.map(String)]),
        classes.map((_, i) => i + 1)
      )
    )
    if (report.scores) {
      ctx.out('')
      ctx.out(
        table(
          ['CLASS', 'PRECISION', 'RECALL', 'F1', 'SUPPORT'],
          report.scores.map((s, c) => [
            classes[c],
            s.precision.toFixed(4),
            s.recall.toFixed(4),
            s.f1.toFixed(4),
            String(s.support)
          ]),
          [1, 2, 3, 4]
        )
      )
    }
    ctx.out('')
    ctx.out(
      `Misclassified: ${report.errors.length}${report.perStep ? ' tokens (SAMPLE is sample × steps + step;' : ' ('} the most confident first)`
    )
    if (report.errors.length > 0)
      ctx.out(
        table(
          ['SAMPLE', 'TRUE', 'PREDICTED', 'P(PREDICTED)', 'P(TRUE)'],
          report.errors
            .slice(0, 20)
            .map((e) => [
              String(e.index),
              className(names, e.label),
              className(names, e.predicted),
              prob(e.probabilities[e.predicted]),
              prob(e.probabilities[e.label])
            ]),
          [0, 3, 4]
        )
      )
    if (report.errors.length > 20) ctx.out(`… and ${report.errors.length - 20} more (--json lists them all)`)
    return 0
  }
})

export const prefix = command({
  usage: 'rnnlab prefix <run> [--recompute] [--json]',
  summary: 'validation accuracy given only the first k, or only the last k, time steps (k = 1…T), kept with the run',
  options: { recompute: { type: 'boolean' } },
  run: async (args, ctx) => {
    const [runId] = runIds(args, ctx, 1, 1, prefix.usage)
    const curve = await withAnalysis(ctx, args.values.json, (analysisId) =>
      ctx.services().handlers.analyzePrefix({ runId, recompute: args.values.recompute, analysisId })
    )
    if (args.values.json) {
      ctx.out(JSON.stringify(curve, null, 2))
      return 0
    }
    ctx.out(
      `Run ${runId} (${curve.checkpoint} checkpoint, epoch ${curve.epoch}), ${curve.size} validation samples: accuracy given only the first k or the last k of ${curve.timeSteps} steps`
    )
    ctx.out(
      table(
        ['K', 'FIRST K', 'LAST K'],
        curve.first.map((a, i) => [String(i + 1), percent(a), percent(curve.last[i])]),
        [0, 1, 2]
      )
    )
    return 0
  }
})

export const diff = command({
  usage: 'rnnlab diff <runA> <runB> [--checkpoint best|last] [--json]',
  summary: 'the validation samples one run gets right and the other wrong, and the confusion cells that changed',
  options: { checkpoint: { type: 'string' } },
  readsOnly: true,
  run: async (args, ctx) => {
    const [a, b] = runIds(args, ctx, 2, 2, diff.usage)
    const checkpoint = readCheckpoint(args.values.checkpoint)
    const d = await withAnalysis(ctx, args.values.json, (analysisId) =>
      ctx.services().handlers.analyzeDiff({ a, b, checkpoint, analysisId })
    )
    if (args.values.json) {
      ctx.out(JSON.stringify(d, null, 2))
      return 0
    }
    const names = d.classNames
    const side = (s: typeof d.a) => `run ${s.runId} (${s.checkpoint}, epoch ${s.epoch}) ${percent(s.accuracy)}`
    ctx.out(`${side(d.a)} against ${side(d.b)}, on the same ${d.size} validation samples`)
    const list = (rows: typeof d.onlyA) =>
      rows.length === 0
        ? ''
        : `: ${rows
            .slice(0, 30)
            .map((s) => s.index)
            .join(', ')}${rows.length > 30 ? ', …' : ''}`
    ctx.out(`Right in run ${a}, wrong in run ${b}: ${d.onlyA.length}${list(d.onlyA)}`)
    ctx.out(`Right in run ${b}, wrong in run ${a}: ${d.onlyB.length}${list(d.onlyB)}`)
    ctx.out(`Wrong in both: ${d.bothWrong}`)
    ctx.out('')
    if (d.changedCells.length === 0) ctx.out('The confusion matrices are the same.')
    else
      ctx.out(
        table(
          ['TRUE', 'PREDICTED', `RUN ${a}`, `RUN ${b}`, 'CHANGE'],
          d.changedCells.map((c) => [
            className(names, c.label),
            className(names, c.predicted),
            String(c.a),
            String(c.b),
            `${c.b > c.a ? '+' : ''}${c.b - c.a}`
          ]),
          [2, 3, 4]
        )
      )
    return 0
  }
})

export const ablation = command({
  usage: 'rnnlab ablation <run> [--checkpoint best|last] [--json]',
  summary:
    "validation accuracy without each bidirectional layer's forward, then backward, direction (zeroed in concat, left out of sum/ave/mul)",
  options: { checkpoint: { type: 'string' } },
  readsOnly: true,
  run: async (args, ctx) => {
    const [runId] = runIds(args, ctx, 1, 1, ablation.usage)
    const checkpoint = readCheckpoint(args.values.checkpoint)
    const report = await withAnalysis(ctx, args.values.json, (analysisId) =>
      ctx.services().handlers.analyzeAblation({ runId, checkpoint, analysisId })
    )
    if (args.values.json) {
      ctx.out(JSON.stringify(report, null, 2))
      return 0
    }
    ctx.out(
      `Run ${runId} (${report.checkpoint} checkpoint, epoch ${report.epoch}), ${report.size} validation samples` +
        (report.recordedAccuracy === null ? '' : ` (recorded val_accuracy ${percent(report.recordedAccuracy)})`)
    )
    const points = (d: number) => `${d > 0 ? '+' : d < 0 ? '−' : '±'}${(Math.abs(d) * 100).toFixed(2)} pts`
    ctx.out(
      table(
        ['LAYER', 'MERGE', 'REMOVED', 'VAL ACCURACY', 'VAL LOSS', 'Δ VS INTACT'],
        report.rows.map((r) =>
          r.layer === null
            ? ['intact model', '', 'none', percent(r.accuracy), r.loss.toFixed(4), '']
            : [
                `${r.layer} (bidirectional ${r.cell} ${r.units})`,
                r.mergeMode ?? '',
                r.direction ?? '',
                percent(r.accuracy),
                r.loss.toFixed(4),
                points(r.delta)
              ]
        ),
        [3, 4, 5]
      )
    )
    if (report.rows.length === 1) ctx.out('The model has no bidirectional layer: there is no direction to remove.')
    return 0
  }
})
