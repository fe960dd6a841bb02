// The run database from a terminal: list runs, show one, print its metrics, delete one; the Trash: list, restore, purge.
import { existsSync } from 'node:fs'
import { errorMessage, type RunSummary } from '../../common/contract'
import { count, displayText, duration, formatBytes } from '../../common/format'
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
  summary: 'delete a run: it goes to the Trash, where it can be restored until it is purged',
  options: {},
  run: async (args, ctx) => {
    const [id] = runIds(args, ctx, 1, 1, remove.usage)
    const services = ctx.services()
    await services.handlers.deleteRun({ id })
    ctx.out(
      args.values.json
        ? JSON.stringify({ deleted: id })
        : `Deleted run ${id}. It stays in the Trash for ${services.retentionDays} days: rnnlab restore ${id} brings it back.`
    )
    return 0
  }
})

/** Run ids of the Trash named on the command line (deleted runs have no name lookup: ids only). */
function trashIds(args: { positionals: string[] }, usage: string): number[] {
  if (args.positionals.length === 0) throw new UsageError(`usage: ${usage}`)
  return args.positionals.map((p) => {
    if (!/^\d+$/.test(p)) throw new UsageError(`${p}: give the run's number (rnnlab trash lists them)`)
    return Number(p)
  })
}

export const trash = command({
  usage: 'rnnlab trash [--json]',
  summary: 'list the deleted runs, with their size and the day each is purged',
  options: {},
  run: async (args, ctx) => {
    if (args.positionals.length > 0) throw new UsageError(`usage: ${trash.usage}`)
    const t = await ctx.services().handlers.listTrash(undefined)
    if (args.values.json) ctx.out(JSON.stringify(t, null, 2))
    else if (t.runs.length === 0) ctx.out('The Trash is empty.')
    else
      for (const r of t.runs)
        ctx.out(
          `${r.id}  ${r.name}  [${r.status}] · deleted ${r.deletedAt} · purged after ${r.purgeAt} · ${formatBytes(r.bytes)}`
        )
    return 0
  }
})

export const restore = command({
  usage: 'rnnlab restore <run>...',
  summary: 'bring deleted runs back from the Trash',
  options: {},
  run: async (args, ctx) => {
    const ids = trashIds(args, restore.usage)
    const { handlers } = ctx.services()
    for (const id of ids) await handlers.restoreRun({ id })
    ctx.out(
      args.values.json ? JSON.stringify({ restored: ids }) : `Restored ${ids.map((id) => `run ${id}`).join(', ')}.`
    )
    return 0
  }
})

export const purge = command({
  usage: 'rnnlab purge <run>... | --all',
  summary: 'delete runs in the Trash for good, with their checkpoints (--all: empty the Trash)',
  options: { all: { type: 'boolean' } },
  run: async (args, ctx) => {
    const { handlers } = ctx.services()
    const all = args.values.all === true
    if (all && args.positionals.length) throw new UsageError(`usage: ${purge.usage}`)
    const ids = all ? (await handlers.listTrash(undefined)).runs.map((r) => r.id) : trashIds(args, purge.usage)
    const report = ids.length ? await handlers.purgeRuns({ ids }) : { purged: [], bytes: 0 }
    ctx.out(
      args.values.json
        ? JSON.stringify(report)
        : report.purged.length === 0
          ? 'The Trash is empty.'
          : `Deleted ${report.purged.map((id) => `run ${id}`).join(', ')} for good; ${formatBytes(report.bytes)} freed.`
    )
    return 0
  }
})
