// Runs sweeps on this machine: up to `parallel` trials at once, each in its own training process (the training host),
// the engine's threads divided among them; the median rule stops trials that fall behind. The process that runs a
// sweep owns it (its pid in the sweep row); if it dies, the next start finds the sweep interrupted, and resuming it
// re-queues the interrupted trials from their last checkpoint. A trial's outcome is written exactly once.
import { EventEmitter } from 'node:events'
import { availableParallelism, hostname } from 'node:os'
import type { RunConfig } from '../../common/config'
import type { EpochMetrics, RunId, RunStatus, SweepStatus, SweepTrial } from '../../common/contract'
import { errorMessage } from '../../common/contract'
import {
  expandSweep,
  extendSweep,
  medianDecision,
  normalizeSweepConfig,
  objectiveGoal,
  type SweepConfig,
  type TrialPlan,
  type TrialsAddition
} from '../../common/sweep'
import type { NormalizeOptions } from '../../common/config'
import type { RunStore } from '../runs/store'
import type { TrainingHost } from '../training/host'
import { outcomeOf, PRUNED_PREFIX, type SweepStore } from './store'

export interface SweepRunOptions {
  parallel?: number
  threadsPerTrial?: number
}

export interface RemoteRunOptions {
  /** redis://[user:pass@]host:port[/db] or rediss://. */
  redis: string
  checkpoints?: 'epoch' | 'end'
}

export type SweepEvent =
  | { type: 'trial'; sweepId: number; trial: SweepTrial }
  | { type: 'finished'; sweepId: number; status: SweepStatus }
  /** A remote trial was picked up by a worker: its first start, or a later one after a worker was lost. */
  | { type: 'attempt'; sweepId: number; trial: number; runId: RunId; worker: string; start: number; fromEpoch: number }

/**
 * Who trains a sweep's trials: training processes here (the training host), or workers through Redis. A trial's run
 * settles through it once (finished() resolves with its final status).
 */
export interface TrialExecutor {
  /** Starts a trial's run; an interrupted one with a checkpoint continues from it. Counts the attempt. */
  launch(t: SweepTrial, opts: { threads: number; baseDir: string | undefined }): void
  finished(runId: RunId): Promise<RunStatus>
  /** Ends a run now with this status (pruned: completed with its stop reason; the owner stopping: interrupted). */
  end(runId: RunId, end: { status: 'completed' | 'interrupted'; error?: string; stopReason?: string }): void
  cancel(runId: RunId): void
  /** Lets go of what it holds once the sweep stops here; `ended`: the sweep will not run again. */
  close?(ended: boolean): Promise<void>
  /** Where the trials run, for people (the Redis address, password hidden). */
  label?: string
}

/**
 * Connects to Redis (a wrong address or password is one line, before anything is created), then makes the executor
 * of a sweep run through it.
 */
export type RemoteExecutorFactory = (
  opts: RemoteRunOptions
) => Promise<(sweepId: number, emit: (e: SweepEvent) => void) => Promise<TrialExecutor>>

/** Trials at once by default: half the cores (the other half for the rest of the machine), at least 1. */
export function defaultParallel(cores = availableParallelism()): number {
  return Math.max(1, Math.floor(cores / 2))
}

/** Engine threads per trial by default: the cores divided among the trials, at least 1. */
export function defaultThreadsPerTrial(parallel: number, cores = availableParallelism()): number {
  return Math.max(1, Math.floor(cores / parallel))
}

interface ActiveSweep {
  id: number
  exec: TrialExecutor
  sweep: SweepConfig
  baseDir: string | undefined
  parallel: number
  threads: number
  queue: SweepTrial[]
  /** How many trials the sweep holds as far as this process knows (trials added by another process come after). */
  known: number
  /** Through Redis: every trial goes to the queue at once, the workers are the limit. */
  unbounded: boolean
  /** Run id → trial number, for the trials training now. */
  running: Map<RunId, number>
  /** The objective per epoch of each completed trial, for the median rule. */
  completedCurves: (number | null)[][]
  stopping: 'cancel' | 'detach' | null
  poll: NodeJS.Timeout
  done: Promise<SweepStatus>
  resolve: (s: SweepStatus) => void
}

export class SweepRunner {
  private readonly active = new Map<number, ActiveSweep>()
  private readonly emitter = new EventEmitter()

  constructor(
    private readonly runs: RunStore,
    private readonly sweeps: SweepStore,
    private readonly training: TrainingHost,
    private readonly isAlive: (pid: number) => boolean,
    private readonly normalizeOptions: () => NormalizeOptions = () => ({}),
    private readonly remoteExecutor?: RemoteExecutorFactory
  ) {
    this.emitter.setMaxListeners(100)
  }

  /** Trials trained here, each in a training process of its own. */
  private localExecutor(id: number): TrialExecutor {
    const training = this.training
    return {
      launch: (t, opts) => {
        this.sweeps.countAttempt(id, t.trial)
        const run = this.runs.getRun(t.runId)
        if (run.status === 'running') throw new Error(`run ${t.runId} is still running in another process`)
        if (run.status === 'interrupted' && this.runs.checkpoint(t.runId, 'last')) training.resume(t.runId, opts)
        else training.startCreated(t.runId, run.config as RunConfig, opts)
      },
      finished: (runId) => training.finished(runId),
      end: (runId, end) => training.end(runId, end),
      cancel: (runId) => training.cancel(runId)
    }
  }

  /** Checks a sweep config and creates the sweep with a queued run per trial, then runs it through Redis. */
  async createRemote(input: unknown, opts: RemoteRunOptions & { baseDir?: string; file?: string }): Promise<number> {
    const sweep = normalizeSweepConfig(input, opts.file)
    const trials = expandSweep(sweep, this.normalizeOptions(), opts.file)
    if (!this.remoteExecutor) throw new Error('this process cannot run sweeps through Redis')
    // Connects (a wrong address or password is one line) before the sweep is created.
    const make = await this.remoteExecutor(opts)
    const id = this.sweeps.create(sweep, trials, opts.baseDir ?? null)
    await this.runRemote(id, make)
    return id
  }

  /** Runs a sweep that no live process runs, through Redis: its trials go to the queue, workers train them. */
  async resumeRemote(id: number, opts: RemoteRunOptions): Promise<void> {
    if (!this.remoteExecutor) throw new Error('this process cannot run sweeps through Redis')
    if (this.active.has(id)) throw new Error(`sweep ${id} is already running in this process`)
    const status = this.sweeps.status(id)
    if (status === 'completed' || status === 'cancelled')
      throw new Error(`sweep ${id} has ${status === 'completed' ? 'completed' : 'been cancelled'}; nothing to resume`)
    await this.runRemote(id, await this.remoteExecutor(opts))
  }

  private async runRemote(
    id: number,
    make: (sweepId: number, emit: (e: SweepEvent) => void) => Promise<TrialExecutor>
  ): Promise<void> {
    const exec = await make(id, (e) => this.emit(e))
    const trials = this.sweeps.trials(id)
    try {
      // Every trial left goes to the queue at once: the workers are the limit.
      this.start(id, { parallel: Math.max(1, trials.length), threadsPerTrial: 1 }, exec)
      this.active.get(id)!.unbounded = true
    } catch (e) {
      await exec.close?.(false)
      throw e
    }
  }

  on(listener: (e: SweepEvent) => void): () => void {
    this.emitter.on('event', listener)
    return () => this.emitter.off('event', listener)
  }

  /** Checks a sweep config, creates the sweep with a queued run per trial, and starts running it here. */
  create(input: unknown, opts: SweepRunOptions & { baseDir?: string; file?: string } = {}): number {
    const sweep = normalizeSweepConfig(input, opts.file)
    const trials = expandSweep(sweep, this.normalizeOptions(), opts.file)
    const id = this.sweeps.create(sweep, trials, opts.baseDir ?? null)
    this.resume(id, opts)
    return id
  }

  /** Runs a sweep that no live process runs: interrupted trials first (from their last checkpoint), then queued ones. */
  resume(id: number, opts: SweepRunOptions = {}): void {
    this.start(id, opts, null)
  }

  private start(id: number, opts: SweepRunOptions, remote: TrialExecutor | null): void {
    if (this.active.has(id)) throw new Error(`sweep ${id} is already running in this process`)
    const parallel = opts.parallel ?? defaultParallel()
    const threads = opts.threadsPerTrial ?? defaultThreadsPerTrial(parallel)
    this.sweeps.claim(id, { pid: process.pid, host: hostname(), parallel, threadsPerTrial: threads }, this.isAlive)
    const { sweep, baseDir } = this.sweeps.config(id)
    const trials = this.sweeps.trials(id)
    this.sweeps.setRemote(id, remote?.label ?? null)
    const s: ActiveSweep = {
      id,
      exec: remote ?? this.localExecutor(id),
      sweep,
      baseDir: baseDir ?? undefined,
      parallel,
      threads,
      queue: [],
      known: trials.length,
      unbounded: false,
      running: new Map(),
      completedCurves: [],
      stopping: null,
      poll: setInterval(() => this.checkCancelled(s), 1000),
      done: undefined as unknown as Promise<SweepStatus>,
      resolve: () => {}
    }
    s.poll.unref()
    s.done = new Promise((r) => (s.resolve = r))
    this.active.set(id, s)
    for (const t of trials) {
      // A trial whose run ended while no process owned the sweep ends now (once: the outcome is written only once).
      if (['completed', 'pruned', 'failed', 'cancelled'].includes(t.state))
        this.sweeps.setOutcome(id, t.trial, t.state as 'completed')
      if (t.state === 'completed') s.completedCurves.push(this.curve(t.runId, sweep))
    }
    s.queue = [...trials.filter((t) => t.state === 'interrupted'), ...trials.filter((t) => t.state === 'queued')]
    this.fill(s)
  }

  /** Resolves with the sweep's final status once this process stops running it. */
  finished(id: number): Promise<SweepStatus> {
    const s = this.active.get(id)
    return s ? s.done : Promise.resolve(this.sweeps.status(id))
  }

  isRunning(id: number): boolean {
    return this.active.has(id)
  }

  /** Cancels a sweep: its running trials are stopped, its queued and interrupted ones never run. */
  cancel(id: number): void {
    const status = this.sweeps.status(id)
    if (status === 'completed' || status === 'cancelled') throw new Error(`sweep ${id} has already ${status}`)
    this.sweeps.markCancelled(id)
    const s = this.active.get(id)
    if (s) return this.stopForCancel(s)
    const detail = this.sweeps.get(id)
    // Another live process runs it: it sees the mark within a second and stops its trials itself.
    if (detail.pid !== null && detail.host === hostname() && this.isAlive(detail.pid)) return
    for (const t of detail.trialList) {
      if (t.state === 'queued' || t.state === 'interrupted') this.cancelTrial(id, t)
    }
  }

  /**
   * Stops running every sweep here without ending it (the app quits, Ctrl-C): running trials are marked
   * interrupted, the sweep too, and `resume` continues them later.
   */
  detachAll(): void {
    for (const s of [...this.active.values()]) this.detach(s)
  }

  detach(s: ActiveSweep): void {
    s.stopping = 'detach'
    for (const runId of [...s.running.keys()]) {
      s.exec.end(runId, {
        status: 'interrupted',
        error: `the sweep stopped before this trial ended; \`rnnlab sweep resume ${s.id}\` continues it`
      })
    }
    this.end(s, 'interrupted')
  }

  /** Called by the services for every epoch a training process reports: the median rule for sweep trials. */
  onEpoch(runId: RunId, metrics: EpochMetrics): void {
    const s = [...this.active.values()].find((x) => x.running.has(runId))
    if (!s || s.stopping || !s.sweep.pruner) return
    const run = this.runs.getSummary(runId)
    if (run.epochsPlanned !== null && metrics.epoch >= run.epochsPlanned) return
    const goal = objectiveGoal(s.sweep.objective)
    const d = medianDecision(s.sweep.pruner, goal, this.curve(runId, s.sweep), metrics.epoch, s.completedCurves)
    if (!d.prune) return
    const f = (x: number | null) => (x === null ? '?' : x.toFixed(4))
    s.exec.end(runId, {
      status: 'completed',
      stopReason: `${PRUNED_PREFIX} by the median rule at epoch ${metrics.epoch}: best ${s.sweep.objective} ${f(d.best)} is worse than the median ${f(d.median)} of ${d.compared} completed trial${d.compared === 1 ? '' : 's'}`
    })
  }

  private curve(runId: RunId, sweep: SweepConfig): (number | null)[] {
    return this.runs.getRun(runId).epochs.map((e) => (sweep.objective === 'val_accuracy' ? e.valAccuracy : e.valLoss))
  }

  private checkCancelled(s: ActiveSweep): void {
    try {
      if (!s.stopping && this.sweeps.status(s.id) === 'cancelled') this.stopForCancel(s)
      else if (!s.stopping && this.pickUpAdded(s)) this.fill(s)
    } catch {
      // The database is closing; the services stop the sweep themselves.
    }
  }

  private stopForCancel(s: ActiveSweep): void {
    s.stopping = 'cancel'
    for (const t of s.queue) this.cancelTrial(s.id, t)
    s.queue = []
    for (const runId of [...s.running.keys()]) s.exec.cancel(runId)
    if (s.running.size === 0) this.end(s, 'cancelled')
  }

  private cancelTrial(id: number, t: SweepTrial): void {
    if (this.sweeps.setOutcome(id, t.trial, 'cancelled')) {
      this.runs.finishRun(t.runId, 'cancelled', null, 'the sweep was cancelled')
      this.emit({ type: 'trial', sweepId: id, trial: { ...t, state: 'cancelled' } })
    }
  }

  /** Queues the trials added to the sweep since this process last looked; returns whether there were any. */
  private pickUpAdded(s: ActiveSweep): boolean {
    if (this.sweeps.trialCount(s.id) <= s.known) return false
    const added = this.sweeps.trials(s.id).filter((t) => t.trial > s.known)
    if (added.length === 0) return false
    s.known = Math.max(s.known, ...added.map((t) => t.trial))
    const fresh = added.filter((t) => t.state === 'queued')
    s.queue.push(...fresh)
    if (s.unbounded) s.parallel = Math.max(s.parallel, s.running.size + s.queue.length)
    s.sweep = this.sweeps.config(s.id).sweep
    for (const t of fresh) this.emit({ type: 'trial', sweepId: s.id, trial: t })
    return true
  }

  private fill(s: ActiveSweep): void {
    while (!s.stopping && s.running.size < s.parallel && s.queue.length > 0) this.launch(s, s.queue.shift()!)
    if (!s.stopping && s.running.size === 0 && s.queue.length === 0) {
      // Trials added meanwhile by another process are run before the sweep ends.
      if (this.sweeps.finishCompleted(s.id, s.known)) this.end(s, 'completed')
      else if (this.pickUpAdded(s)) this.fill(s)
    }
  }

  /**
   * Adds trials to a sweep (grid: extra values per parameter; random: more draws). Its owner runs them: this process
   * when it runs the sweep, a live process that runs it, else the sweep is resumed here with `opts` (through Redis
   * when `opts.redis` is given). Returns the new trials' numbers.
   */
  async addTrials(
    id: number,
    add: TrialsAddition,
    opts: SweepRunOptions & Partial<RemoteRunOptions> = {},
    check?: (trials: TrialPlan[]) => void
  ): Promise<{ trials: number[]; resumed: boolean; owner: { pid: number; host: string | null } | null }> {
    const { sweep } = this.sweeps.config(id)
    const existing = this.sweeps.trials(id).map((t) => ({ params: t.params, repeat: t.repeat }))
    const detail = this.sweeps.get(id)
    const live =
      this.active.has(id) ||
      (detail.status === 'running' && detail.pid !== null && this.ownerAlive(detail.pid, detail.host))
    if (!live && detail.remote !== null && opts.redis === undefined)
      throw new Error(
        `sweep ${id} ran through Redis (${detail.remote}): give the Redis address (--redis URL) to run the new trials there`
      )
    const ext = extendSweep(sweep, existing, add, this.normalizeOptions())
    check?.(ext.trials)
    if (!live && opts.redis !== undefined && !this.remoteExecutor)
      throw new Error('this process cannot run sweeps through Redis')
    // Connects (a wrong address or password is one line) before the trials are added.
    const connect =
      !live && opts.redis !== undefined
        ? await this.remoteExecutor!({ redis: opts.redis, checkpoints: opts.checkpoints })
        : null
    const r = this.sweeps.addTrials(id, ext.sweep, ext.trials, (pid, host) =>
      this.active.has(id) ? true : this.ownerAlive(pid, host)
    )
    const trials = Array.from({ length: r.last - r.first + 1 }, (_, i) => r.first + i)
    const s = this.active.get(id)
    if (s) {
      if (!s.stopping && this.pickUpAdded(s)) this.fill(s)
      return { trials, resumed: false, owner: { pid: process.pid, host: hostname() } }
    }
    if (r.owned) {
      const d = this.sweeps.get(id)
      return { trials, resumed: false, owner: d.pid === null ? null : { pid: d.pid, host: d.host } }
    }
    if (connect) await this.runRemote(id, connect)
    else this.resume(id, opts)
    return { trials, resumed: true, owner: { pid: process.pid, host: hostname() } }
  }

  /** Whether the process that runs a sweep is alive (one on another host is taken to be). */
  private ownerAlive(pid: number, host: string | null): boolean {
    return host !== hostname() || this.isAlive(pid)
  }

  private launch(s: ActiveSweep, t: SweepTrial): void {
    const opts = { threads: s.threads, baseDir: s.baseDir }
    try {
      s.exec.launch(t, opts)
    } catch (e) {
      this.runs.finishRun(t.runId, 'failed', errorMessage(e))
      this.trialEnded(s, t, 'failed')
      return
    }
    s.running.set(t.runId, t.trial)
    this.emit({ type: 'trial', sweepId: s.id, trial: this.trial(s.id, t.trial) ?? { ...t, state: 'running' } })
    void s.exec.finished(t.runId).then((status) => {
      s.running.delete(t.runId)
      if (s.stopping === 'detach') return
      this.trialEnded(s, t, status)
      if (s.stopping === 'cancel' && s.running.size === 0) this.end(s, 'cancelled')
      else this.fill(s)
    })
  }

  private trialEnded(s: ActiveSweep, t: SweepTrial, status: RunStatus): void {
    const outcome = outcomeOf(status, this.runs.getSummary(t.runId).stopReason) ?? 'failed'
    this.sweeps.setOutcome(s.id, t.trial, outcome)
    if (outcome === 'completed') s.completedCurves.push(this.curve(t.runId, s.sweep))
    this.emit({ type: 'trial', sweepId: s.id, trial: this.trial(s.id, t.trial) ?? { ...t, state: outcome } })
  }

  private trial(id: number, trial: number): SweepTrial | undefined {
    return this.sweeps.trials(id).find((t) => t.trial === trial)
  }

  private end(s: ActiveSweep, status: 'completed' | 'cancelled' | 'interrupted'): void {
    if (!this.active.has(s.id)) return
    clearInterval(s.poll)
    this.active.delete(s.id)
    this.sweeps.finish(s.id, status)
    const done = () => {
      this.emit({ type: 'finished', sweepId: s.id, status })
      s.resolve(status)
    }
    // A remote sweep lets go of its queues first (its trials' jobs removed, workers asked to stop them).
    if (s.exec.close)
      void s.exec
        .close(status !== 'interrupted')
        .catch(() => {})
        .then(done)
    else done()
  }

  private emit(e: SweepEvent): void {
    this.emitter.emit('event', e)
  }
}
