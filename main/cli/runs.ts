// The run database from a terminal: list runs, show one, print its metrics, delete one.
import { existsSync } from 'node:fs'
import { errorMessage, type RunSummary } from '../../common/contract'
import { count, displayText, duration } from '../../common/format'
import { compileQuery } from '../../common/query'
import { UsageError } from './args'
import { command, runIds } from './command'
import { epochsTable, runsTable } from './print'

export const runs = command({
  usage: "rnnlab runs [--json] [--filter 'cell = gru and val_accuracy > 0.97'] [--search TEXT] [--all]",
  summary: 'list the runs in the database (--filter: a query on their figures; --all includes archived runs)',
  options: { filter: { type: 'string' }, search: { type: 'string' }, all: { type: 'boolean' } },
  readsOnly: true,
  run: async (args, ctx) => {
    if (args.positionals.length > 0) throw new UsageError(`usage: ${runs.usage}`)
    const { search, filter } = args.values
    let matches: (run: RunSummary) => boolean = () => true
    if (filter !== undefined) {
      try {
        matches = compileQuery(filter)
      } catch (e) {
        throw new UsageError(`--filter: ${errorMessage(e)}`)
      }
    }
    if (!existsSync(ctx.dbPath)) {
      // Nothing trained here yet (or --db names another file): said so, and nothing is created.
      ctx.out(
        args.values.json
          ? '[]'
          : `No runs yet in ${ctx.dbPath} (there is no database there yet). Start one with: rnnlab train examples/seed-bilstm-mnist.json`
      )
      return 0
    }
    const services = ctx.services()
    const found = (await services.handlers.listRuns({ search, includeArchived: args.values.all })).filter(matches)
    if (args.values.json) ctx.out(JSON.stringify(found, null, 2))
    else if (found.length === 0 && (filter !== undefined || search !== undefined)) ctx.out('No runs match.')
    else if (found.length === 0)
      ctx.out(`No runs yet in ${services.dbPath}. Start one with: rnnlab train examples/seed-bilstm-mnist.json`)
    else ctx.out(runsTable(found))
    return 0
  }
})

export const show = command({
  usage: 'rnnlab show <run> [--json]',
  summary: 'show one run: its config, status and per-epoch metrics',
  options: {},
  readsOnly: true,
  run: async (args, ctx) => {
    const [id] = runIds(args, ctx, 1, 1, show.usage)
    const run = await ctx.services().handlers.getRun({ id })
    if (args.values.json) {
      ctx.out(JSON.stringify(run, null, 2))
      return 0
    }
    ctx.out(
      `Run ${run.id}: ${displayText(run.name)}  [${run.status}]${run.error ? `  error: ${displayText(run.error, 2000)}` : ''}${run.stopReason ? `  (${displayText(run.stopReason)})` : ''}`
    )
    ctx.out(
      `  dataset ${run.dataset} · ${run.cell ?? '?'} · ${run.direction ?? '?'} · ${run.layerCount} layers · ${run.paramCount === null ? '?' : count(run.paramCount)} params · seed ${run.seed ?? '—'}`
    )
    ctx.out(
      `  created ${run.createdAt} · started ${run.startedAt ?? '—'} · ended ${run.endedAt ?? '—'} · duration ${duration(run.durationSeconds)}`
    )
    if (run.tags.length) ctx.out(`  tags: ${run.tags.map((t) => displayText(t)).join(', ')}`)
    if (run.notes) ctx.out(`  notes: ${displayText(run.notes, 2000)}`)
    ctx.out('')
    ctx.out(run.epochs.length ? epochsTable(run) : 'No finished epochs yet.')
    ctx.out('')
    ctx.out('Config:')
    ctx.out(JSON.stringify(run.config, null, 2))
    return 0
  }
})

export const metrics = command({
  usage: 'rnnlab metrics <run> [--csv | --json] [--steps]',
  summary:
    'print a run’s per-epoch metrics, or with --steps the loss and accuracy of each reported step (CSV for spreadsheets, JSON for scripts)',
  options: { csv: { type: 'boolean' }, steps: { type: 'boolean' } },
  readsOnly: true,
  run: async (args, ctx) => {
    const [id] = runIds(args, ctx, 1, 1, metrics.usage)
    const { handlers } = ctx.services()
    const per = args.values.steps ? 'step' : 'epoch'
    if (args.values.csv) {
      ctx.out((await handlers.metricsCsv({ ids: [id], per })).trimEnd())
      return 0
    }
    if (per === 'step') {
      // The table would be thousands of lines: CSV unless JSON is asked for.
      ctx.out(
        args.values.json
          ? JSON.stringify(await handlers.getRunBatches({ id }), null, 2)
          : (await handlers.metricsCsv({ ids: [id], per })).trimEnd()
      )
      return 0
    }
    const run = await handlers.getRun({ id })
    ctx.out(
      args.values.json
        ? JSON.stringify(run.epochs, null, 2)
        : run.epochs.length
          ? epochsTable(run)
          : 'No finished epochs yet.'
    )
    return 0
  }
})

export const remove = command({
  usage: 'rnnlab delete <run>',
  summary: 'delete a run (hidden from lists; its data is kept until purged)',
  options: {},
  run: async (args, ctx) => {
    const [id] = runIds(args, ctx, 1, 1, remove.usage)
    await ctx.services().handlers.deleteRun({ id })
    ctx.out(args.values.json ? JSON.stringify({ deleted: id }) : `Deleted run ${id}.`)
    return 0
  }
})
