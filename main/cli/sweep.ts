// `rnnlab sweep`: a sweep of trials run on this machine, N at once, with a line per trial and the counts so far;
// `rnnlab sweep show|cancel|resume <id>` and `rnnlab sweeps`.
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import type { SweepDetail, SweepStatus, SweepSummary, SweepTrial, SweepWorker } from '../../common/contract'
import { percent } from '../../common/format'
import { isObject } from '../../common/fields'
import { describeParams, expandSweep, normalizeSweepConfig } from '../../common/sweep'
import { machineMemoryLimit, parseJson } from '../config-file'
import type { SweepEvent } from '../sweeps/runner'
import { defaultParallel, defaultThreadsPerTrial } from '../sweeps/runner'
import { UsageError } from './args'
import { command, type Context } from './command'
import { table } from './print'

const SUBCOMMANDS = ['show', 'cancel', 'resume', 'add'] as const

function positiveInteger(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${flag}: expected a positive integer, got ${value}`)
  return n
}

function sweepId(ref: string): number {
  if (!/^\d+$/.test(ref) || Number(ref) < 1) throw new UsageError(`expected a sweep id (a number), got ${ref}`)
  return Number(ref)
}

function objectiveText(s: SweepSummary, value: number | null): string {
  if (value === null) return '—'
  return s.objective === 'val_accuracy' ? percent(value) : value.toFixed(4)
}

/** A sweep run through Redis: its queued trials wait in Redis for a worker (running ones are a worker's). */
const onRedis = (s: SweepSummary) => s.remote !== null && s.status === 'running'

/** A trial's state as printed: a queued one of a sweep on Redis waits there for a worker. */
const stateText = (s: SweepSummary, t: SweepTrial) => (t.state === 'queued' && onRedis(s) ? 'queued (remote)' : t.state)

function countsLine(s: SweepSummary): string {
  const c = s.counts
  const ended = c.completed + c.pruned + c.failed + c.cancelled
  const parts = [
    `done ${ended}/${s.trials}`,
    `running ${c.running}`,
    `${onRedis(s) ? 'queued (remote)' : 'queued'} ${c.queued + c.interrupted}`,
    `pruned ${c.pruned}`
  ]
  if (c.failed) parts.push(`failed ${c.failed}`)
  if (c.cancelled) parts.push(`cancelled ${c.cancelled}`)
  parts.push(s.best ? `best ${objectiveText(s, s.best.value)} (trial ${s.best.trial})` : 'best —')
  return parts.join(' · ')
}

function paramsText(params: Record<string, unknown>): string {
  return Object.values(params)
    .map((v) => (typeof v === 'string' ? v : JSON.stringify(v)))
    .join(' · ')
}

/** The counts of a sweep as a small table: what `sweep show` and the end of a run print. */
function countsTable(s: SweepSummary): string {
  const c = s.counts
  return table(
    [
      'TRIALS',
      'DONE',
      'RUNNING',
      onRedis(s) ? 'QUEUED (REMOTE)' : 'QUEUED',
      'PRUNED',
      'FAILED',
      'CANCELLED',
      `BEST ${s.objective.toUpperCase()}`
    ],
    [
      [
        String(s.trials),
        String(c.completed + c.pruned + c.failed + c.cancelled),
        String(c.running),
        String(c.queued + c.interrupted),
        String(c.pruned),
        String(c.failed),
        String(c.cancelled),
        s.best ? `${objectiveText(s, s.best.value)} (trial ${s.best.trial})` : '—'
      ]
    ],
    [0, 1, 2, 3, 4, 5, 6]
  )
}

export function trialsTable(d: SweepDetail): string {
  const keys = Object.keys(d.trialList[0]?.params ?? {})
  return table(
    ['TRIAL', 'RUN', 'STATE', ...keys.map((k) => k.toUpperCase()), 'SEED', 'EPOCHS', d.objective.toUpperCase()],
    d.trialList.map((t) => [
      String(t.trial),
      String(t.runId),
      stateText(d, t),
      ...keys.map((k) => {
        const v = t.params[k]
        return typeof v === 'string' ? v : JSON.stringify(v)
      }),
      t.seed === null ? '—' : String(t.seed),
      t.epochsPlanned ? `${t.epochsDone}/${t.epochsPlanned}` : String(t.epochsDone),
      objectiveText(d, t.objective)
    ]),
    [0, 1]
  )
}

function sweepsTable(list: SweepSummary[]): string {
  return table(
    ['ID', 'NAME', 'STATUS', 'METHOD', 'TRIALS', 'DONE', 'RUNNING', 'QUEUED', 'PRUNED', 'BEST', 'CREATED'],
    list.map((s) => [
      String(s.id),
      s.name,
      s.status,
      s.method,
      String(s.trials),
      String(s.counts.completed + s.counts.pruned + s.counts.failed + s.counts.cancelled),
      String(s.counts.running),
      String(s.counts.queued + s.counts.interrupted),
      String(s.counts.pruned),
      s.best ? `${objectiveText(s, s.best.value)} ${s.objective} (trial ${s.best.trial})` : '—',
      s.createdAt.replace('T', ' ').slice(0, 16)
    ]),
    [0, 4, 5, 6, 7, 8]
  )
}

/** Reads a sweep file (JSON errors with line and column); `--epochs` sets the base's training.epochs. */
function readSweepFile(file: string, epochs: number | undefined): unknown {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    throw new Error(`${file}: ${code === 'ENOENT' ? 'no such file' : String(e)}`, { cause: e })
  }
  const json = parseJson(text, file)
  if (epochs !== undefined && isObject(json) && isObject(json.base)) {
    const training = isObject(json.base.training) ? json.base.training : {}
    json.base = { ...json.base, training: { ...training, epochs } }
  }
  return json
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`

function workersTable(list: SweepWorker[]): string {
  return table(
    ['WORKER', 'STATE', 'TRIAL', 'EPOCH', 'TRIALS DONE', 'LAST HEARTBEAT'],
    list.map((w) => [
      w.name,
      w.state,
      w.trial === null ? '—' : String(w.trial),
      w.epoch === null ? '—' : String(w.epoch),
      String(w.trialsDone),
      w.lastHeartbeat.replace('T', ' ').slice(0, 19)
    ]),
    [2, 3, 4]
  )
}

/** Follows a sweep run by this process until it ends, printing a line per trial start and end. */
async function follow(ctx: Context, id: number, early: SweepEvent[], json: boolean): Promise<number> {
  const services = ctx.services()
  const summary = () => services.sweepStore.list().find((s) => s.id === id)!
  const s0 = services.sweepStore.get(id)
  if (json)
    ctx.out(
      JSON.stringify({
        event: 'started',
        sweepId: id,
        name: s0.name,
        trials: s0.trials,
        ...(s0.remote ? { remote: s0.remote } : {})
      })
    )
  else if (s0.remote)
    ctx.err(
      `Sweep ${id}: ${s0.name} — ${s0.trials} trial${s0.trials === 1 ? '' : 's'} queued on ${s0.remote} for the workers ` +
        `(rnnlab worker --redis …); objective ${s0.objective} (${s0.goal})`
    )
  else
    ctx.err(
      `Sweep ${id}: ${s0.name} — ${s0.trials} trial${s0.trials === 1 ? '' : 's'}, ${s0.parallel} at once, ` +
        `${s0.threadsPerTrial} engine thread${s0.threadsPerTrial === 1 ? '' : 's'} each; objective ${s0.objective} (${s0.goal})`
    )
  const print = (e: SweepEvent) => {
    if (e.sweepId !== id) return
    if (e.type === 'attempt') {
      if (json) ctx.out(JSON.stringify({ event: 'attempt', ...e }))
      else
        ctx.err(
          `trial ${e.trial} on worker ${e.worker}` +
            (e.start > 1 ? ` (start ${e.start}, the worker before it was lost)` : '') +
            (e.fromEpoch > 0 ? `, from the checkpoint of epoch ${e.fromEpoch}` : '')
        )
      return
    }
    if (e.type !== 'trial') return
    const t: SweepTrial = e.trial
    if (json) {
      ctx.out(JSON.stringify({ event: 'trial', sweepId: id, ...t }))
      return
    }
    const s = summary()
    const width = String(s.trials).length
    if (t.state === 'queued') {
      // Put on Redis for the workers (or added to the sweep): it starts when a worker (or a free slot) takes it.
      ctx.err(`trial ${String(t.trial).padStart(width)}/${s.trials} ${stateText(s, t)}  [${paramsText(t.params)}]`)
      return
    }
    const what =
      t.state === 'running'
        ? 'started  '
        : `${t.state.padEnd(9)}${t.objective !== null ? ` ${s.objective} ${objectiveText(s, t.objective)}` : ''}`
    const line = `trial ${String(t.trial).padStart(width)}/${s.trials} ${what}  [${paramsText(t.params)}]`
    ctx.err(t.state === 'running' ? line : `${line}  — ${countsLine(s)}`)
    if (t.state === 'pruned' && t.stopReason) ctx.err(`  ${t.stopReason}`)
    if (t.state === 'failed' && t.error) ctx.err(`  ${t.error}`)
  }
  early.forEach(print)
  const off = services.sweeps.on(print)
  const onSigint = () => {
    if (!json) ctx.err('\nStopping the sweep (it can be resumed)…')
    services.sweeps.detachAll()
  }
  process.on('SIGINT', onSigint)
  let status: SweepStatus
  try {
    status = await services.sweeps.finished(id)
  } finally {
    process.off('SIGINT', onSigint)
    off()
  }
  const d = services.sweepStore.get(id)
  const traffic = services.remoteTraffic.get(id)
  const redis = traffic && {
    ...traffic,
    bytesPerTrial: d.trials > 0 ? Math.round((traffic.inputBytes + traffic.outputBytes) / d.trials) : null,
    attempts: d.trialList.reduce((n, t) => n + t.attempts, 0)
  }
  if (json) {
    ctx.out(
      JSON.stringify({
        event: 'finished',
        sweepId: id,
        status,
        counts: d.counts,
        best: d.best,
        ...(redis ? { redis } : {})
      })
    )
  } else {
    ctx.out(trialsTable(d))
    ctx.out('')
    ctx.out(countsTable(d))
    if (redis)
      ctx.err(
        `Redis traffic: ${kb(redis.inputBytes)} in, ${kb(redis.outputBytes)} out` +
          (redis.bytesPerTrial !== null ? ` (${kb(redis.bytesPerTrial)} a trial)` : '') +
          `; ${redis.attempts} trial starts for ${d.trials} trials; ${redis.ignored} late or foreign messages ignored`
      )
    if (status === 'interrupted')
      ctx.err(`Sweep ${id} interrupted; continue it with: rnnlab sweep resume ${id}${d.remote ? ' --redis URL' : ''}`)
    else
      ctx.err(
        `Sweep ${id} ${status}.` +
          (d.best
            ? ` Best ${d.objective} ${objectiveText(d, d.best.value)}: trial ${d.best.trial} (run ${d.best.runId}), ${describeParams(d.best.params as never)}.`
            : '')
      )
  }
  return status === 'completed' ? 0 : 130
}

export const sweep = command({
  usage:
    'rnnlab sweep <sweep.json> [--parallel N] [--threads-per-trial N] [--redis URL [--checkpoints epoch|end]] [--epochs N] [--new] [--json]  |  rnnlab sweep show|cancel|resume <id>  |  rnnlab sweep add <id> <values.json> | --trials N',
  summary:
    'run a sweep of trials (grid or random) on this machine, N at once, or on workers through Redis; show, cancel, resume one or add trials to it',
  options: {
    parallel: { type: 'string' },
    redis: { type: 'string' },
    checkpoints: { type: 'string' },
    'threads-per-trial': { type: 'string' },
    epochs: { type: 'string' },
    trials: { type: 'string' },
    new: { type: 'boolean' }
  },
  run: async (args, ctx) => {
    const { json } = args.values
    const [first, second] = args.positionals
    const n = args.positionals.length
    const sub =
      (SUBCOMMANDS as readonly string[]).includes(first) && (n === 2 || (first === 'add' && n === 3)) ? first : null
    if (sub === null && n !== 1) throw new UsageError(`usage: ${sweep.usage}`)
    if (args.values.trials !== undefined && sub !== 'add')
      throw new UsageError('--trials is for rnnlab sweep add <id> --trials N (a random sweep)')
    const addTrials = positiveInteger('trials', args.values.trials)
    if (sub === 'add' && (n === 3) === (addTrials !== undefined))
      throw new UsageError(
        'rnnlab sweep add <id> takes a values file (a grid sweep: {"parameter": [extra values]}) or --trials N (a random sweep), not both'
      )
    const parallel = positiveInteger('parallel', args.values.parallel)
    const threadsFlag = positiveInteger('threads-per-trial', args.values['threads-per-trial'])
    const epochs = positiveInteger('epochs', args.values.epochs)
    const redisUrl = args.values.redis
    const checkpointsFlag = args.values.checkpoints
    if (checkpointsFlag !== undefined && checkpointsFlag !== 'epoch' && checkpointsFlag !== 'end')
      throw new UsageError(`--checkpoints: expected epoch or end, got ${checkpointsFlag}`)
    if (checkpointsFlag !== undefined && redisUrl === undefined)
      throw new UsageError('--checkpoints is for sweeps run through Redis (--redis URL)')
    if (redisUrl !== undefined && (parallel !== undefined || threadsFlag !== undefined))
      throw new UsageError(
        `--${parallel !== undefined ? 'parallel' : 'threads-per-trial'} is the workers' own with --redis (rnnlab worker --concurrency N --threads N)`
      )
    const checkpoints = checkpointsFlag as 'epoch' | 'end' | undefined
    if (sub === 'show' || sub === 'cancel') {
      const extra = (['parallel', 'threads-per-trial', 'epochs', 'new', 'redis', 'checkpoints'] as const).find(
        (f) => args.values[f] !== undefined && args.values[f] !== false
      )
      if (extra) throw new UsageError(`--${extra} is not an option of rnnlab sweep ${sub}`)
    }
    if ((sub === 'resume' || sub === 'add') && (epochs !== undefined || args.values.new))
      throw new UsageError(`--${epochs !== undefined ? 'epochs' : 'new'} is not an option of rnnlab sweep ${sub}`)
    const services = ctx.services()
    const { handlers } = services
    if (sub === 'show') {
      const d = await handlers.getSweep({ id: sweepId(second) })
      if (json) ctx.out(JSON.stringify({ ...d, workers: await handlers.sweepWorkers({ id: d.id }) }, null, 2))
      else {
        ctx.out(
          `Sweep ${d.id}: ${d.name}  [${d.status}]  ${d.method} · objective ${d.objective} (${d.goal})` +
            (d.parallel
              ? ` · ${d.parallel} at once × ${d.threadsPerTrial} engine thread${d.threadsPerTrial === 1 ? '' : 's'}`
              : '') +
            (d.status === 'running' && d.pid ? ` · process ${d.pid} on ${d.host}` : '')
        )
        ctx.out('')
        ctx.out(countsTable(d))
        ctx.out('')
        ctx.out(trialsTable(d))
        if (d.remote) {
          const workers = await handlers.sweepWorkers({ id: d.id })
          ctx.out('')
          ctx.out(workers.length > 0 ? workersTable(workers) : `No worker has taken a trial from ${d.remote} yet.`)
        }
      }
      return 0
    }
    if (sub === 'cancel') {
      const id = sweepId(second)
      await handlers.cancelSweep({ id })
      ctx.out(json ? JSON.stringify({ cancelled: id }) : `Cancelled sweep ${id}.`)
      return 0
    }
    if (sub === 'add') {
      const id = sweepId(second)
      let values: Record<string, unknown> | undefined
      if (n === 3) {
        const file = args.positionals[2]
        const parsed = readSweepFile(file, undefined)
        if (!isObject(parsed))
          throw new Error(
            `${file}: expected an object of extra values per parameter, e.g. {"training.optimizer.learningRate": [0.003]}`
          )
        values = parsed
      }
      const early: SweepEvent[] = []
      const off = services.sweeps.on((e) => early.push(e))
      let reply
      try {
        reply = await handlers.addSweepTrials({
          id,
          ...(values !== undefined ? { values } : { trials: addTrials }),
          parallel,
          threadsPerTrial: threadsFlag,
          redis: redisUrl,
          checkpoints
        })
      } finally {
        off()
      }
      const t = reply.trials
      const which = t.length === 1 ? `trial ${t[0]}` : `trials ${t[0]}–${t[t.length - 1]}`
      if (!reply.resumed) {
        const by = reply.owner ? `process ${reply.owner.pid} on ${reply.owner.host ?? 'another machine'}` : 'its owner'
        if (json)
          ctx.out(JSON.stringify({ event: 'added', sweepId: id, trials: t, resumed: false, owner: reply.owner }))
        else ctx.err(`Added ${which} to sweep ${id}; ${by}, which runs the sweep, picks them up.`)
        return 0
      }
      if (json) ctx.out(JSON.stringify({ event: 'added', sweepId: id, trials: t, resumed: true }))
      else ctx.err(`Added ${which} to sweep ${id}; running them here.`)
      return follow(ctx, id, early, json)
    }
    const early: SweepEvent[] = []
    const off = services.sweeps.on((e) => early.push(e))
    let id: number
    try {
      if (sub === 'resume') {
        id = sweepId(second)
        await handlers.resumeSweep({ id, parallel, threadsPerTrial: threadsFlag, redis: redisUrl, checkpoints })
      } else {
        const file = first
        const input = readSweepFile(file, epochs)
        // Checked here so that errors name the file; the handler checks it again, as for the page.
        const checked = normalizeSweepConfig(input, file)
        expandSweep(checked, { memoryLimitBytes: machineMemoryLimit() }, file)
        const unfinished = args.values.new ? null : services.sweepStore.findUnfinished(checked)
        const p = parallel ?? defaultParallel()
        const threadsPerTrial = threadsFlag ?? defaultThreadsPerTrial(p)
        if (unfinished !== null) {
          id = unfinished
          // Refused, naming the process, when another live process runs it.
          await handlers.resumeSweep(
            redisUrl !== undefined ? { id, redis: redisUrl, checkpoints } : { id, parallel: p, threadsPerTrial }
          )
          if (!json)
            ctx.err(`Sweep ${id} from this file did not finish; continuing it (--new starts another sweep instead)`)
        } else {
          const baseDir = dirname(resolve(file))
          id = (
            await handlers.createSweep(
              redisUrl !== undefined
                ? { config: input, baseDir, redis: redisUrl, checkpoints }
                : { config: input, parallel: p, threadsPerTrial, baseDir }
            )
          ).sweepId
        }
      }
    } finally {
      off()
    }
    return follow(ctx, id, early, json)
  }
})

export const sweeps = command({
  usage: 'rnnlab sweeps [--json]',
  summary: 'list the sweeps: status, trials done / running / queued / pruned, best so far',
  options: {},
  run: async (args, ctx) => {
    if (args.positionals.length > 0) throw new UsageError(`usage: ${sweeps.usage}`)
    const list = await ctx.services().handlers.listSweeps(undefined)
    if (args.values.json) ctx.out(JSON.stringify(list, null, 2))
    else if (list.length === 0) ctx.out('No sweeps yet. Start one with: rnnlab sweep examples/sweeps/seed-matrix.json')
    else ctx.out(sweepsTable(list))
    return 0
  }
})
