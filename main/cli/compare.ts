// `rnnlab compare`: the config keys that differ between runs, and their figures side by side.
import { count, displayText, fixedOrNonFinite, percent } from '../../common/format'
import { command, runIds } from './command'
import { table } from './print'

export const compare = command({
  usage: 'rnnlab compare <run> <run>... [--json]',
  summary: 'compare runs: the config keys that differ and last/best metrics side by side',
  options: {},
  readsOnly: true,
  run: async (args, ctx) => {
    const ids = runIds(args, ctx, 2, 10, compare.usage)
    const comparison = await ctx.services().handlers.compareRuns({ ids })
    if (args.values.json) {
      ctx.out(JSON.stringify(comparison, null, 2))
      return 0
    }
    const { runs, differences } = comparison
    const heads = runs.map((r) => `#${r.id} ${displayText(r.name, 40)}`)
    ctx.out(
      differences.length === 0
        ? 'The configs are identical (apart from their names).'
        : table(
            ['CONFIG KEY', ...heads],
            differences.map((d) => [d.path, ...d.values.map((v) => (v === undefined ? '—' : JSON.stringify(v)))])
          )
    )
    ctx.out('')
    const metricRows: string[][] = []
    for (const [label, key, fmt] of [
      ['val_accuracy', 'valAccuracy', percent],
      ['val_loss', 'valLoss', fixedOrNonFinite],
      ['accuracy', 'accuracy', percent],
      ['loss', 'loss', fixedOrNonFinite]
    ] as const) {
      metricRows.push([`${label} (last)`, ...runs.map((r) => fmt(r[key].last))])
      metricRows.push([
        `${label} (best)`,
        ...runs.map((r) => (r[key].best === null ? '—' : `${fmt(r[key].best)} @${r[key].bestEpoch}`))
      ])
    }
    metricRows.push(['params', ...runs.map((r) => count(r.paramCount))])
    metricRows.push(['epochs', ...runs.map((r) => String(r.epochsDone))])
    metricRows.push([
      'seconds/epoch',
      ...runs.map((r) => {
        const s = r.epochs.map((e) => e.seconds).filter((v): v is number => v !== null)
        return s.length ? (s.reduce((a, b) => a + b, 0) / s.length).toFixed(1) : '—'
      })
    ])
    ctx.out(
      table(
        ['METRIC', ...heads],
        metricRows,
        runs.map((_, i) => i + 1)
      )
    )
    return 0
  }
})
