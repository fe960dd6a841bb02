// `rnnlab`: the services from a terminal. Every command prints a table by default and JSON with --json;
// a bad input ends with one line naming it and a non-zero exit status.
import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { errorMessage, type RunDetail, type RunSummary } from '../common/contract'
import { configDifferences } from '../common/diff'
import { compileQuery } from '../common/query'
import { startServer } from './doors/server'
import { defaultDbPath, findAppRoot, resolveHome } from './paths'
import { Services, summarizeRunConfig } from './services'
import { readRunConfig } from './config-file'
import { epochLine, progressLine } from './progress'
import { exportRun, predictNpy } from './onnx/service'
import { loadDataset } from './datasets'
import { formatParityReport } from './onnx/parity'

class UsageError extends Error {}

interface Command {
  usage: string
  summary: string
  run: (args: ParsedArgs, ctx: Context) => Promise<number> | number
}

interface ParsedArgs {
  positional: string[]
  flags: Map<string, string | true>
}

interface Context {
  out: (text: string) => void
  err: (text: string) => void
  services: () => Services
  appRoot: string
}

const globalHelp = `Global options: --db FILE (default $RNNLAB_HOME/rnnlab.db, RNNLAB_HOME defaults to ~/.rnnlab), --json, --help`

function parseArgs(argv: string[], valueFlags: readonly string[]): ParsedArgs {
  const positional: string[] = []
  const flags = new Map<string, string | true>()
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--') {
      positional.push(...argv.slice(i + 1))
      break
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=')
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2)
      if (eq > 0) flags.set(name, a.slice(eq + 1))
      else if (valueFlags.includes(name)) {
        const v = argv[++i]
        if (v === undefined) throw new UsageError(`--${name} needs a value`)
        flags.set(name, v)
      } else flags.set(name, true)
    } else positional.push(a)
  }
  return { positional, flags }
}

const valueFlags = ['db', 'epochs', 'threads', 'init-from', 'out', 'checkpoint', 'input', 'engine', 'port', 'search', 'filter', 'resume']

function pct(v: number | null): string {
  return v === null ? '—' : `${(v * 100).toFixed(2)}%`
}

function num(v: number | null, digits = 4): string {
  return v === null ? '—' : v.toFixed(digits)
}

function duration(s: number | null): string {
  if (s === null) return '—'
  if (s < 60) return `${s.toFixed(1)} s`
  const m = Math.floor(s / 60)
  return m < 60 ? `${m} min ${Math.round(s - m * 60)} s` : `${Math.floor(m / 60)} h ${m % 60} min`
}

/** A plain text table: columns padded to their widest cell, numbers right-aligned. */
export function table(header: string[], rows: string[][], rightAligned: number[] = []): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)))
  const line = (cells: string[]) =>
    cells.map((cell, c) => (rightAligned.includes(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd()
  return [line(header), line(widths.map((w) => '─'.repeat(w))), ...rows.map(line)].join('\n')
}

function runsTable(runs: RunSummary[]): string {
  return table(
    ['ID', 'NAME', 'STATUS', 'CELL', 'DIRECTION', 'LAYERS', 'PARAMS', 'EPOCHS', 'BEST VAL ACC', 'DURATION', 'CREATED'],
    runs.map((r) => [
      String(r.id),
      r.name,
      r.status,
      r.cell ?? '—',
      r.direction ?? '—',
      String(r.layerCount),
      r.paramCount === null ? '—' : r.paramCount.toLocaleString('en-US'),
      r.epochsPlanned ? `${r.epochsDone}/${r.epochsPlanned}` : String(r.epochsDone),
      r.valAccuracy.best === null ? '—' : `${pct(r.valAccuracy.best)} @${r.valAccuracy.bestEpoch}`,
      duration(r.durationSeconds),
      r.createdAt.replace('T', ' ').slice(0, 16)
    ]),
    [0, 5, 6, 7, 8]
  )
}

function epochsTable(run: RunDetail): string {
  return table(
    ['EPOCH', 'LOSS', 'ACCURACY', 'VAL_LOSS', 'VAL_ACCURACY', 'LR', 'SECONDS', 'SAMPLES/S'],
    run.epochs.map((e) => [
      String(e.epoch),
      num(e.loss),
      num(e.accuracy),
      num(e.valLoss),
      num(e.valAccuracy),
      e.learningRate === null ? '—' : e.learningRate.toPrecision(3),
      num(e.seconds, 1),
      e.samplesPerSecond === null ? '—' : Math.round(e.samplesPerSecond).toLocaleString('en-US')
    ]),
    [0, 1, 2, 3, 4, 5, 6, 7]
  )
}

function runRefs(args: ParsedArgs, ctx: Context, min: number, max: number, usage: string): number[] {
  if (args.positional.length < min || args.positional.length > max) throw new UsageError(`usage: ${usage}`)
  const store = ctx.services().store
  return args.positional.map((ref) => store.resolve(ref))
}

const commands: Record<string, Command> = {
  train: {
    usage: 'rnnlab train <config.json> [--db FILE] [--epochs N] [--threads N] [--json]  |  rnnlab train --resume <run>',
    summary: 'train a model from a run config, with a progress bar; prints the run id',
    run: (args, ctx) => trainCommand(args, ctx)
  },
  summary: {
    usage: 'rnnlab summary <config.json> [--json]',
    summary: 'print the Keras-style table of a config’s model: layer, output shape, params; totals',
    run: async (args, ctx) => {
      if (args.positional.length !== 1) throw new UsageError(`usage: ${commands.summary.usage}`)
      const file = args.positional[0]
      const config = readRunConfig(file)
      const reply = await summarizeRunConfig(config, resolveHome(), dirname(resolve(file)))
      ctx.out(args.flags.has('json') ? JSON.stringify({ input: reply.input, ...reply.summary }, null, 2) : reply.text)
      return 0
    }
  },
  runs: {
    usage: "rnnlab runs [--json] [--filter 'cell = gru and val_accuracy > 0.97'] [--search TEXT] [--all]",
    summary: 'list the runs in the database (--filter: a query on their figures; --all includes archived runs)',
    run: (args, ctx) => {
      if (args.positional.length > 0) throw new UsageError(`usage: ${commands.runs.usage}`)
      const search = args.flags.get('search')
      const filter = args.flags.get('filter')
      let matches: (run: RunSummary) => boolean = () => true
      if (typeof filter === 'string') {
        try {
          matches = compileQuery(filter)
        } catch (e) {
          throw new UsageError(`--filter: ${errorMessage(e)}`)
        }
      }
      const runs = ctx
        .services()
        .store.listRuns({ search: typeof search === 'string' ? search : undefined, includeArchived: args.flags.has('all') })
        .filter(matches)
      if (args.flags.has('json')) ctx.out(JSON.stringify(runs, null, 2))
      else if (runs.length === 0 && (filter !== undefined || search !== undefined)) ctx.out('No runs match.')
      else if (runs.length === 0) ctx.out(`No runs yet in ${ctx.services().dbPath}. Start one with: rnnlab train examples/seed-bilstm-mnist.json`)
      else ctx.out(runsTable(runs))
      return 0
    }
  },
  show: {
    usage: 'rnnlab show <run> [--json]',
    summary: 'show one run: its config, status and per-epoch metrics',
    run: (args, ctx) => {
      const [id] = runRefs(args, ctx, 1, 1, commands.show.usage)
      const run = ctx.services().store.getRun(id)
      if (args.flags.has('json')) {
        ctx.out(JSON.stringify(run, null, 2))
        return 0
      }
      ctx.out(`Run ${run.id}: ${run.name}  [${run.status}]${run.error ? `  error: ${run.error}` : ''}${run.stopReason ? `  (${run.stopReason})` : ''}`)
      ctx.out(`  dataset ${run.dataset} · ${run.cell ?? '?'} · ${run.direction ?? '?'} · ${run.layerCount} layers · ${run.paramCount?.toLocaleString('en-US') ?? '?'} params · seed ${run.seed ?? '—'}`)
      ctx.out(`  created ${run.createdAt} · started ${run.startedAt ?? '—'} · ended ${run.endedAt ?? '—'} · duration ${duration(run.durationSeconds)}`)
      if (run.tags.length) ctx.out(`  tags: ${run.tags.join(', ')}`)
      if (run.notes) ctx.out(`  notes: ${run.notes}`)
      ctx.out('')
      ctx.out(run.epochs.length ? epochsTable(run) : 'No finished epochs yet.')
      ctx.out('')
      ctx.out('Config:')
      ctx.out(JSON.stringify(run.config, null, 2))
      return 0
    }
  },
  compare: {
    usage: 'rnnlab compare <run> <run>... [--json]',
    summary: 'compare runs: the config keys that differ and last/best metrics side by side',
    run: (args, ctx) => {
      const ids = runRefs(args, ctx, 2, 10, commands.compare.usage)
      const runs = ids.map((id) => ctx.services().store.getRun(id))
      const differences = configDifferences(runs.map((r) => r.config))
      if (args.flags.has('json')) {
        ctx.out(JSON.stringify({ runs, differences }, null, 2))
        return 0
      }
      const heads = runs.map((r) => `#${r.id} ${r.name}`)
      ctx.out(
        differences.length === 0
          ? 'The configs are identical (apart from their names).'
          : table(['CONFIG KEY', ...heads], differences.map((d) => [d.path, ...d.values.map((v) => (v === undefined ? '—' : JSON.stringify(v)))]))
      )
      ctx.out('')
      const metricRows: string[][] = []
      for (const [label, key, fmt] of [
        ['val_accuracy', 'valAccuracy', pct],
        ['val_loss', 'valLoss', num],
        ['accuracy', 'accuracy', pct],
        ['loss', 'loss', num]
      ] as const) {
        metricRows.push([`${label} (last)`, ...runs.map((r) => fmt(r[key].last))])
        metricRows.push([`${label} (best)`, ...runs.map((r) => (r[key].best === null ? '—' : `${fmt(r[key].best)} @${r[key].bestEpoch}`))])
      }
      metricRows.push(['params', ...runs.map((r) => r.paramCount?.toLocaleString('en-US') ?? '—')])
      metricRows.push(['epochs', ...runs.map((r) => String(r.epochsDone))])
      metricRows.push([
        'seconds/epoch',
        ...runs.map((r) => {
          const s = r.epochs.map((e) => e.seconds).filter((v): v is number => v !== null)
          return s.length ? (s.reduce((a, b) => a + b, 0) / s.length).toFixed(1) : '—'
        })
      ])
      ctx.out(table(['METRIC', ...heads], metricRows, runs.map((_, i) => i + 1)))
      return 0
    }
  },
  metrics: {
    usage: 'rnnlab metrics <run> [--csv | --json]',
    summary: 'print a run’s per-epoch metrics (CSV for spreadsheets, JSON for scripts)',
    run: async (args, ctx) => {
      const [id] = runRefs(args, ctx, 1, 1, commands.metrics.usage)
      const run = ctx.services().store.getRun(id)
      if (args.flags.has('csv')) ctx.out((await ctx.services().handlers.metricsCsv({ ids: [id] })).trimEnd())
      else if (args.flags.has('json')) ctx.out(JSON.stringify(run.epochs, null, 2))
      else ctx.out(run.epochs.length ? epochsTable(run) : 'No finished epochs yet.')
      return 0
    }
  },
  delete: {
    usage: 'rnnlab delete <run>',
    summary: 'delete a run (hidden from lists; its data is kept until purged)',
    run: (args, ctx) => {
      const [id] = runRefs(args, ctx, 1, 1, commands.delete.usage)
      ctx.services().store.deleteRun(id)
      if (args.flags.has('json')) ctx.out(JSON.stringify({ deleted: id }))
      else ctx.out(`Deleted run ${id}.`)
      return 0
    }
  },
  export: {
    usage: 'rnnlab export <run> --out model.onnx [--checkpoint best|last] [--json]',
    summary: 'export a run’s model to ONNX and print the parity report against the engine',
    run: async (args, ctx) => {
      const [runId] = runRefs(args, ctx, 1, 1, commands.export.usage)
      const out = args.flags.get('out')
      if (typeof out !== 'string') throw new UsageError('--out: give the .onnx file to write')
      const checkpoint = args.flags.get('checkpoint')
      if (checkpoint !== undefined && checkpoint !== 'best' && checkpoint !== 'last') {
        throw new UsageError(`--checkpoint: expected best or last, got ${String(checkpoint)}`)
      }
      const services = ctx.services()
      if (!args.flags.has('json')) ctx.err(`Exporting run ${runId} and checking it against the engine in onnxruntime…`)
      const result = await exportRun({ store: services.store, runId, checkpoint, out, loadDataset: (spec) => loadDataset(spec, { home: resolveHome() }), inference: services.inference })
      if (args.flags.has('json')) ctx.out(JSON.stringify(result.report, null, 2))
      else {
        ctx.out(formatParityReport(result.report))
        ctx.out(`${result.ok ? 'Wrote' : 'Wrote (parity check FAILED)'} ${result.path} (${result.report.bytes.toLocaleString('en-US')} bytes, ${result.report.checkpoint} checkpoint, epoch ${result.report.epoch})`)
      }
      return result.ok ? 0 : 1
    }
  },
  predict: {
    usage: 'rnnlab predict <model.onnx | run> --input x.npy [--out probs.npy] [--engine onnx|native] [--json]',
    summary: 'run a model on samples from a .npy file and print or save the probabilities',
    run: async (args, ctx) => {
      if (args.positional.length !== 1) throw new UsageError(`usage: ${commands.predict.usage}`)
      const input = args.flags.get('input')
      if (typeof input !== 'string') throw new UsageError('--input: give a .npy file of samples [N, T, F]')
      const engine = args.flags.get('engine') ?? 'onnx'
      if (engine !== 'onnx' && engine !== 'native') throw new UsageError(`--engine: expected onnx or native, got ${String(engine)}`)
      const out = args.flags.get('out')
      const target = args.positional[0]
      const needsStore = !target.toLowerCase().endsWith('.onnx')
      const services = needsStore ? ctx.services() : undefined
      const result = await predictNpy({
        target,
        store: services?.store,
        engine,
        input,
        out: typeof out === 'string' ? out : undefined,
        inference: services?.inference
      })
      const units = result.dims.at(-1) ?? 1
      const rows = result.data.length / units
      const argmax = Array.from({ length: rows }, (_, r) => {
        let best = 0
        for (let u = 1; u < units; u++) if (result.data[r * units + u] > result.data[r * units + best]) best = u
        return best
      })
      if (args.flags.has('json')) {
        ctx.out(JSON.stringify({ source: result.source, engine: result.engine, dims: result.dims, out: result.out ?? null, argmax, classNames: result.classNames ?? null }))
      } else {
        ctx.err(`${result.source} in ${result.engine === 'onnx' ? 'onnxruntime' : 'the native engine'}: output [${result.dims.join(', ')}]`)
        if (result.out) ctx.out(`Wrote ${result.out}`)
        else ctx.out(argmax.map((a, i) => `${i}\t${result.classNames?.[a] ?? a}\t${result.data[i * units + a].toFixed(4)}`).join('\n'))
      }
      return 0
    }
  },
  serve: {
    usage: 'rnnlab serve [--port N]',
    summary: 'serve the full UI to a browser on 127.0.0.1, protected by a token in the URL',
    run: async (args, ctx) => {
      const portFlag = args.flags.get('port')
      const port = portFlag === undefined ? 0 : Number(portFlag)
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port: expected a port number, got ${String(portFlag)}`)
      const rendererDir = join(ctx.appRoot, 'out', 'renderer')
      try {
        readFileSync(join(rendererDir, 'index.html'))
      } catch {
        throw new Error(`${join(rendererDir, 'index.html')}: the UI is not built; run 'npm run build'`)
      }
      const server = await startServer({ services: ctx.services(), rendererDir, port })
      ctx.out(args.flags.has('json') ? JSON.stringify({ url: server.url, port: server.port }) : `RNN Lab is serving on ${server.url}\nOpen that address in a browser (the token is required). Ctrl-C stops.`)
      await new Promise<void>((resolve) => {
        const stop = () => void server.close().then(resolve)
        process.once('SIGINT', stop)
        process.once('SIGTERM', stop)
      })
      return 0
    }
  }
}

async function trainCommand(args: ParsedArgs, ctx: Context): Promise<number> {
  const json = args.flags.has('json')
  const resumeRef = args.flags.get('resume')
  const initFrom = args.flags.get('init-from')
  if (initFrom === true) throw new UsageError('--init-from needs a model.onnx')
  const threadsFlag = args.flags.get('threads')
  const threads = threadsFlag === undefined ? undefined : Number(threadsFlag)
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 1)) throw new UsageError(`--threads: expected a positive integer, got ${String(threadsFlag)}`)
  const services = ctx.services()
  let runId: number
  let name: string
  let batches = 0
  if (typeof resumeRef === 'string') {
    if (args.positional.length > 0) throw new UsageError('--resume takes a run, not a config file')
    runId = services.store.resolve(resumeRef)
    name = services.store.getSummary(runId).name
  } else {
    if (args.positional.length !== 1) throw new UsageError(`usage: ${commands.train.usage}`)
    const file = args.positional[0]
    const config = readRunConfig(file)
    const epochsFlag = args.flags.get('epochs')
    if (epochsFlag !== undefined) {
      const epochs = Number(epochsFlag)
      if (!Number.isInteger(epochs) || epochs < 1) throw new UsageError(`--epochs: expected a positive integer, got ${String(epochsFlag)}`)
      config.training.epochs = epochs
    }
    name = config.name
    // The worker's first message arrives on a later tick, after the listeners below are in place.
    runId = services.training.start(config, {
      threads,
      baseDir: dirname(resolve(file)),
      initFrom: typeof initFrom === 'string' ? resolve(initFrom) : undefined
    })
  }
  const tty = !json && process.stderr.isTTY === true
  let lastEpoch = 0
  const offs = [
    services.on('onTrainingNote', (n) => {
      if (n.runId !== runId) return
      if (json) ctx.out(JSON.stringify({ event: 'note', ...n }))
      else ctx.err(n.text)
    }),
    services.on('onTrainingProgress', (p) => {
      if (p.runId !== runId) return
      batches = p.batches
      if (json) ctx.out(JSON.stringify({ event: 'progress', ...p }))
      else {
        if (p.epoch !== lastEpoch) {
          lastEpoch = p.epoch
          ctx.err(`Epoch ${p.epoch}/${p.epochs}`)
        }
        if (tty) process.stderr.write(`\r${progressLine(p)}\x1b[K`)
      }
    }),
    services.on('onTrainingEpoch', (e) => {
      if (e.runId !== runId) return
      if (json) ctx.out(JSON.stringify({ event: 'epoch', ...e }))
      else {
        if (tty) process.stderr.write('\r\x1b[K')
        ctx.err(epochLine(e.metrics, batches))
      }
    })
  ]
  if (typeof resumeRef === 'string') services.training.resume(runId, { threads })
  if (json) ctx.out(JSON.stringify({ event: 'started', runId, name }))
  else ctx.err(`Run ${runId}: ${name}${typeof resumeRef === 'string' ? ' (resumed)' : ''}`)
  // Ctrl-C cancels the run cleanly: the worker stops, the run is marked cancelled, the database stays intact.
  const onSigint = () => {
    if (!json) ctx.err('\nCancelling…')
    try {
      services.training.cancel(runId)
    } catch {
      // already finished
    }
  }
  process.on('SIGINT', onSigint)
  try {
    const status = await services.training.finished(runId)
    const run = services.store.getSummary(runId)
    if (json) ctx.out(JSON.stringify({ event: 'finished', runId, status, error: run.error }))
    else {
      ctx.err(`Run ${runId} ${status}${run.error ? `: ${run.error}` : ''}.${run.valAccuracy.best !== null ? ` Best val_accuracy ${pct(run.valAccuracy.best)} at epoch ${run.valAccuracy.bestEpoch}.` : ''}`)
      ctx.out(String(runId))
    }
    return status === 'completed' ? 0 : status === 'cancelled' ? 130 : 1
  } finally {
    process.off('SIGINT', onSigint)
    offs.forEach((off) => off())
  }
}

export const commandNames = Object.keys(commands)

function help(): string {
  const width = Math.max(...commandNames.map((n) => n.length))
  const lines = [
    'rnnlab — RNN Lab from a terminal',
    '',
    'Usage: rnnlab <command> [options]',
    '',
    'Commands:',
    ...commandNames.map((n) => `  ${n.padEnd(width)}  ${commands[n].summary}`),
    '',
    globalHelp,
    "Run 'rnnlab <command> --help' for a command's options."
  ]
  return lines.join('\n')
}

function version(appRoot: string): string {
  return (JSON.parse(readFileSync(join(appRoot, 'package.json'), 'utf8')) as { version: string }).version
}

export async function main(argv: string[], io: { out?: (s: string) => void; err?: (s: string) => void } = {}): Promise<number> {
  const out = io.out ?? ((s: string) => process.stdout.write(s + '\n'))
  const err = io.err ?? ((s: string) => process.stderr.write(s + '\n'))
  const appRoot = findAppRoot(__dirname)
  let services: Services | undefined
  try {
    const [name, ...rest] = argv
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      out(help())
      return name === undefined ? 2 : 0
    }
    if (name === '--version' || name === '-v') {
      out(version(appRoot))
      return 0
    }
    const command = commands[name]
    if (!command) throw new UsageError(`unknown command '${name}'; run 'rnnlab --help' for the list`)
    const args = parseArgs(rest, valueFlags)
    if (args.flags.has('help')) {
      out(`usage: ${command.usage}\n${command.summary}`)
      return 0
    }
    const home = resolveHome()
    const db = args.flags.get('db')
    const ctx: Context = {
      out,
      err,
      appRoot,
      services: () =>
        (services ??= new Services({
          home,
          dbPath: typeof db === 'string' ? db : defaultDbPath(home),
          door: 'cli',
          version: version(appRoot)
        }))
    }
    return await command.run(args, ctx)
  } catch (e) {
    err(`rnnlab: ${errorMessage(e)}`)
    return e instanceof UsageError ? 2 : 1
  } finally {
    services?.close()
  }
}

if (typeof require !== 'undefined' && require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code
  })
}
