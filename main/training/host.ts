// The training host: starts one worker process per run, records what it reports in the run store, relays progress
// as contract events, and marks the run failed when the worker dies. It never runs the engine itself, so training
// never blocks the app's or the CLI's event loop, and a native crash takes down only the worker.
import { fork } from 'node:child_process'
import { rmSync } from 'node:fs'
import { cpus, hostname } from 'node:os'
import { join } from 'node:path'
import { describePreflight, preflightRun, specFacts, type RunConfig } from '../../common/config'
import {
  errorMessage,
  type EpochMetrics,
  type RunId,
  type RunStatus,
  type TrainingProgress
} from '../../common/contract'
import { inferInputShape, modelFacts, summarize } from '../../common/model'
import { databaseProblem, isBusy, sqliteCode, type BatchRecord, type RunStore } from '../runs/store'
import { engineSpec } from '../engine/spec'
import { removeUnreferenced, resumeCheckpoint } from './checkpoints'
import type { HostMessage, TrainingJob, WorkerMessage } from './protocol'

export interface WorkerHandle {
  pid: number | undefined
  send(message: HostMessage): void
  onMessage(listener: (message: WorkerMessage) => void): void
  onExit(listener: (code: number | null, signal: string | null) => void): void
  /** Ends the worker: gently when its work is done, at once on cancel. */
  stop(now: boolean): void
}

export type SpawnWorker = () => WorkerHandle

/** Workers as Node child processes (the CLI, `rnnlab serve`, tests). */
export function nodeWorkerSpawner(workerScript: string): SpawnWorker {
  return () => {
    const child = fork(workerScript, [], {
      env: { ...process.env, RNNLAB_TRAINING_WORKER: '1' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced'
    })
    return {
      pid: child.pid,
      send: (m) => void child.send(m),
      onMessage: (l) => void child.on('message', (m) => l(m as WorkerMessage)),
      onExit: (l) => void child.on('exit', (code, signal) => l(code, signal)),
      stop: (now) => {
        if (now) child.kill('SIGKILL')
        else if (child.connected) child.disconnect()
      }
    }
  }
}

export interface TrainingEvents {
  progress(p: TrainingProgress): void
  epoch(runId: RunId, metrics: EpochMetrics): void
  status(runId: RunId, status: RunStatus, error: string | null): void
  /** Free text for a person: loading data, building the model, stopping early… */
  note(runId: RunId, text: string): void
}

type FinalStatus = Exclude<RunStatus, 'queued' | 'running'>

interface ActiveRun {
  runId: RunId
  runDir: string
  handle: WorkerHandle
  epochs: number
  startEpoch: number
  batches: number
  progress: TrainingProgress | null
  cancelled: boolean
  /** Deleted (by any process) while training: stopped, and ended cancelled. */
  deleted: boolean
  /** How the worker said the run ended ('done' or 'failed'), applied once it has exited. */
  outcome: { status: FinalStatus; error: string | null; stopReason: string | null } | null
  /** The outcome was set by the host (end()): what the worker says afterwards does not replace it. */
  forced: boolean
  /** Why the host gave up recording (the database stayed locked, the disk is full): the run ends failed. */
  failure: string | null
  settled: boolean
  started: number
  /** The database writes, in the order the worker's messages came; each waits for the one before. */
  queue: Promise<void>
  /** When the progress was last saved for other processes (ms). */
  progressSaved: number
  done: Promise<RunStatus>
  resolve: (s: RunStatus) => void
}

/** How long the host keeps retrying one write while another process holds the database's write lock. */
export const dbRetryLimitMs = 30_000
/** How long one attempt may wait for the lock, freezing the event loop (better-sqlite3 waits synchronously). */
const attemptBusyMs = 50
/** How often the host looks in the database for runs deleted or asked to stop by another process. */
const stopPollMs = 500

export interface HostOptions {
  /** See dbRetryLimitMs (tests shorten it). */
  dbRetryLimitMs?: number
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

export interface StartOptions {
  threads?: number
  baseDir?: string
  /** An ONNX file this product exported, whose weights start the run (checked against the config in the worker). */
  initFrom?: string
}

export class TrainingHost {
  private readonly active = new Map<RunId, ActiveRun>()
  /** Per-batch figures are kept at the rate they are reported (≤ 10 a second), written once per epoch. */
  private readonly batchRows = new Map<RunId, BatchRecord[]>()

  private stopPoll: NodeJS.Timeout | null = null
  private readonly retryLimitMs: number

  constructor(
    private readonly store: RunStore,
    private readonly spawn: SpawnWorker,
    private readonly home: string,
    /** This database's runs' folders (paths.ts runsFolder). */
    private readonly runsDir: string,
    private readonly events: TrainingEvents,
    opts: HostOptions = {}
  ) {
    this.retryLimitMs = opts.dbRetryLimitMs ?? dbRetryLimitMs
  }

  /** Creates the run and starts training it; returns at once with the run's id. */
  start(config: RunConfig, opts: StartOptions = {}): RunId {
    const input = inferInputShape(config)
    // What the engine cannot run is refused here, before a run is created (shapes are checked once data is read).
    engineSpec(config, input ?? [1, 1])
    // So is what cannot fit the data as its spec describes it (the builder's checks before Start, in its words); the
    // worker checks again against the data as read.
    const problem = preflightRun(config, specFacts(config.dataset))[0]
    if (problem) throw new Error(describePreflight(config.model.layers, problem))
    const runId = this.starting(() =>
      this.store.createRun({
        name: config.name,
        config,
        dataset: config.dataset.source,
        seed: config.training.seed,
        paramCount: input ? summarize(config.model, input).totalParams : null,
        ...modelFacts(config),
        epochsPlanned: config.training.epochs
      })
    )
    this.launch(runId, config, opts, undefined)
    return runId
  }

  /** Continues an interrupted, failed or cancelled run from its last checkpoint. */
  resume(runId: RunId, opts: StartOptions = {}): RunId {
    if (this.active.has(runId)) throw new Error(`run ${runId} is already training`)
    const run = this.store.getRun(runId)
    if (run.status === 'completed') throw new Error(`run ${runId} has completed; there is nothing to resume`)
    if (run.status === 'running' || run.status === 'queued')
      throw new Error(`run ${runId} is still ${run.status} in another process`)
    // The checkpoint the database names, verified by its sha256; if it is gone or damaged, the newest whole one left.
    const from = resumeCheckpoint(this.store, runId, this.runDir(runId))
    const history = run.epochs.filter((e) => e.epoch <= from.epoch)
    this.launch(runId, run.config as RunConfig, opts, { checkpoint: from.path, epoch: from.epoch, history })
    return runId
  }

  /**
   * Starts a run created earlier and not yet trained (a sweep's queued trial), or one interrupted before its first
   * checkpoint, from the beginning.
   */
  startCreated(runId: RunId, config: RunConfig, opts: StartOptions = {}): RunId {
    if (this.active.has(runId)) throw new Error(`run ${runId} is already training`)
    const input = inferInputShape(config)
    engineSpec(config, input ?? [1, 1])
    this.launch(runId, config, opts, undefined)
    return runId
  }

  /**
   * Ends a run now with the given status (a sweep's pruned trial: completed with its stop reason; a sweep whose
   * process is stopping: interrupted). Everything recorded so far is kept; the worker is ended at once, and the run
   * settles with this outcome when it has exited.
   */
  end(runId: RunId, end: { status: 'completed' | 'interrupted'; error?: string; stopReason?: string }): void {
    const run = this.active.get(runId)
    if (!run) throw new Error(`run ${runId} is not training in this process`)
    run.outcome = { status: end.status, error: end.error ?? null, stopReason: end.stopReason ?? null }
    run.forced = true
    run.handle.stop(true)
    // A sweep detaching (its process is stopping) records the end now, not once the worker has exited: this process
    // may be gone by then. The first write is made before settle's first wait, so the row is updated on return.
    if (end.status === 'interrupted') void this.settle(run, null, null)
  }

  /**
   * Stops a run. Trained here: at once. Trained by another process (the CLI, `rnnlab serve`, the app): the stop is
   * asked for in the database, and that process stops it within about a second.
   */
  cancel(runId: RunId): void {
    const run = this.active.get(runId)
    if (!run) {
      this.store.requestStop(runId)
      return
    }
    this.stop(run)
  }

  /** Whether this process trains the run. */
  isTraining(runId: RunId): boolean {
    return this.active.has(runId)
  }

  private stop(run: ActiveRun): void {
    run.cancelled = true
    // The engine is inside a synchronous epoch; ending the process is the way to stop within the current batch.
    // Everything finished before is already saved (metrics in the database, checkpoints committed atomically).
    run.handle.stop(true)
  }

  private runDir(runId: RunId): string {
    return join(this.runsDir, String(runId))
  }

  /** Resolves with the final status once the run's worker has ended. */
  finished(runId: RunId): Promise<RunStatus> {
    const run = this.active.get(runId)
    if (run) return run.done
    return Promise.resolve(this.store.getSummary(runId).status)
  }

  activeProgress(): TrainingProgress[] {
    return [...this.active.values()].flatMap((r) => (r.progress ? [r.progress] : []))
  }

  /** Stops every run (the app is quitting): each is marked cancelled. */
  stopAll(): void {
    for (const run of this.active.values()) this.stop(run)
  }

  /** Polls the database, while runs train here, for runs another process deleted or asked to stop. */
  private watchStopRequests(): void {
    if (this.stopPoll) return
    this.stopPoll = setInterval(() => {
      const ids = [...this.active.values()].filter((r) => !r.cancelled && !r.settled).map((r) => r.runId)
      if (ids.length === 0) return
      let asked: { id: RunId; deleted: boolean }[]
      try {
        asked = this.store.stopRequested(ids)
      } catch {
        return // the database cannot be read just now; the next poll asks again
      }
      for (const { id, deleted } of asked) {
        const run = this.active.get(id)
        if (!run) continue
        run.deleted = deleted
        this.stop(run)
      }
    }, stopPollMs)
    this.stopPoll.unref()
  }

  private unwatchIfIdle(): void {
    if (this.active.size === 0 && this.stopPoll) {
      clearInterval(this.stopPoll)
      this.stopPoll = null
    }
  }

  /**
   * Runs one write, retrying while another process holds the database's write lock: each attempt waits at most
   * attemptBusyMs (so the event loop, and Electron's UI, never freezes longer), then the host waits asynchronously
   * with a growing pause, for at most retryLimitMs in all. Throws the error, in the product's words, beyond that.
   */
  private async write(run: ActiveRun, what: string, fn: () => void): Promise<void> {
    const t0 = Date.now()
    let pause = 20
    let told = false
    for (;;) {
      try {
        this.store.attempt(fn, attemptBusyMs)
        if (told) this.events.note(run.runId, `the run database is free again; recorded ${what}`)
        return
      } catch (e) {
        const left = t0 + this.retryLimitMs - Date.now()
        if (!isBusy(e))
          throw new Error(`could not record ${what}: ${databaseProblem(e, this.store.file)}`, { cause: e })
        if (left <= 0) {
          throw new Error(
            `could not record ${what}: ${databaseProblem(e, this.store.file)} for more than ${Math.round(this.retryLimitMs / 1000)} s`,
            { cause: e }
          )
        }
        if (!told) {
          told = true
          this.events.note(
            run.runId,
            `${databaseProblem(e, this.store.file)}; waiting up to ${Math.round(this.retryLimitMs / 1000)} s to record ${what}`
          )
        }
        await sleep(Math.min(pause, left))
        pause = Math.min(pause * 2, 1000)
      }
    }
  }

  /** Queues a step after the run's earlier database writes; a step that throws ends the run (see giveUp). */
  private enqueue(run: ActiveRun, step: () => Promise<void> | void): void {
    // Each step on a turn of its own (setImmediate): a backlog recorded at once never holds the event loop long.
    run.queue = run.queue
      .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
      .then(step)
      .catch((e) => this.giveUp(run, e))
  }

  /**
   * The database cannot record the run any more (locked beyond the limit, disk full): stop the worker at once, so
   * that it trains nothing nobody can record; the run ends failed, with the reason, once the worker has exited.
   */
  private giveUp(run: ActiveRun, e: unknown): void {
    if (run.failure !== null || run.settled) return
    let kept = ''
    try {
      const last = this.store.lastRecordedEpoch(run.runId)
      kept =
        last === 1
          ? '; epoch 1 is kept and the run can be resumed'
          : last > 1
            ? `; epochs 1-${last} are kept and the run can be resumed`
            : ''
    } catch {
      // the database cannot be read either; the reason alone
    }
    run.failure = `${errorMessage(e)}${kept}`
    run.handle.stop(true)
  }

  /** A write at Start: it waits for a lock as a user's edit does (busy_timeout); its error in the product's words. */
  private starting<T>(write: () => T): T {
    try {
      return write()
    } catch (e) {
      if (sqliteCode(e) === undefined) throw e
      throw new Error(`cannot start the run: ${databaseProblem(e, this.store.file)}`, { cause: e })
    }
  }

  private launch(runId: RunId, config: RunConfig, opts: StartOptions, resume: TrainingJob['resume']): void {
    // The host's pid marks the run as alive: if this process dies, the next start finds the run interrupted.
    this.starting(() =>
      this.store.markStarted(runId, {
        engineVersion: null,
        threads: opts.threads ?? null,
        cpu: cpus()[0]?.model ?? null,
        pid: process.pid,
        host: hostname()
      })
    )
    const handle = this.spawn()
    let resolve!: (s: RunStatus) => void
    const done = new Promise<RunStatus>((r) => (resolve = r))
    const run: ActiveRun = {
      runId,
      runDir: this.runDir(runId),
      handle,
      epochs: config.training.epochs,
      startEpoch: resume ? resume.epoch + 1 : 1,
      batches: 0,
      progress: null,
      cancelled: false,
      forced: false,
      deleted: false,
      outcome: null,
      failure: null,
      settled: false,
      started: Date.now(),
      queue: Promise.resolve(),
      progressSaved: 0,
      done,
      resolve
    }
    this.active.set(runId, run)
    this.watchStopRequests()
    this.events.status(runId, 'running', null)
    handle.onMessage((m) => {
      try {
        this.onMessage(run, m)
      } catch (e) {
        this.giveUp(run, e)
      }
    })
    // The run ends once its worker has exited (no file is being written then) and every earlier message is recorded.
    handle.onExit((code, signal) => this.enqueue(run, () => this.settle(run, code, signal)))
    const job: TrainingJob = {
      runId,
      config,
      home: this.home,
      runDir: run.runDir,
      baseDir: opts.baseDir,
      threads: opts.threads,
      initFrom: resume ? undefined : opts.initFrom,
      resume
    }
    handle.send({ type: 'start', job })
  }

  private onMessage(run: ActiveRun, m: WorkerMessage): void {
    if (run.settled || run.failure !== null) return
    switch (m.type) {
      case 'status':
        this.events.note(run.runId, m.phase)
        break
      case 'ready':
        run.batches = m.batches
        run.startEpoch = m.startEpoch
        this.enqueue(run, () =>
          this.write(run, 'the engine facts', () =>
            this.store.setEngineFacts(run.runId, {
              engineVersion: m.engineVersion,
              paramCount: m.paramCount,
              threads: m.threads
            })
          )
        )
        this.events.note(
          run.runId,
          `training on ${m.trainCount.toLocaleString('en-US')} samples, validating on ${m.validationCount.toLocaleString('en-US')}`
        )
        break
      case 'progress': {
        const elapsedEpochs = m.epoch - run.startEpoch + m.batch / m.batches
        const remainingEpochs = run.epochs - run.startEpoch + 1 - elapsedEpochs
        const perEpoch = m.seconds / (m.batch / m.batches)
        const step = (m.epoch - 1) * m.batches + m.batch
        run.progress = {
          runId: run.runId,
          epoch: m.epoch,
          epochs: run.epochs,
          batch: m.batch,
          batches: m.batches,
          loss: m.loss,
          accuracy: m.accuracy,
          step,
          stepLoss: m.stepLoss,
          stepAccuracy: m.stepAccuracy,
          stepBatches: m.stepBatches,
          samplesPerSecond: m.samplesPerSecond,
          etaSeconds: m.batch > 0 && Number.isFinite(perEpoch) ? Math.max(0, remainingEpochs * perEpoch) : null
        }
        const rows = this.batchRows.get(run.runId) ?? []
        rows.push({
          step,
          epoch: m.epoch,
          batch: m.batch,
          batches: m.stepBatches,
          loss: m.stepLoss,
          accuracy: m.stepAccuracy,
          wallSeconds: (Date.now() - run.started) / 1000
        })
        this.batchRows.set(run.runId, rows)
        // Doors in other processes read it from the database: about once a second, and at each epoch's end.
        const now = Date.now()
        if (now - run.progressSaved >= 1000 || m.batch === m.batches) {
          run.progressSaved = now
          try {
            // Best effort, never waiting on another process's write lock: the next report saves it again.
            this.store.attempt(() => this.store.setProgress(run.runId, run.progress), 0)
          } catch {
            // busy or full: other doors see this progress a second later, or at the epoch's record
          }
        }
        this.events.progress(run.progress)
        break
      }
      case 'epoch': {
        // This epoch's batch figures are taken now: while the database is busy, later epochs' arrive meanwhile.
        const batches = this.batchRows.get(run.runId) ?? []
        this.batchRows.delete(run.runId)
        this.enqueue(run, () => this.recordEpoch(run, m.metrics, m.checkpoints, batches))
        const health = m.health
        if (health)
          this.enqueue(run, () =>
            run.failure !== null || run.settled
              ? undefined
              : this.write(run, `the health of epoch ${health.epoch}`, () => this.store.recordHealth(run.runId, health))
          )
        break
      }
      case 'done':
        if (m.reason) this.events.note(run.runId, m.reason)
        if (!run.forced) run.outcome = { status: 'completed', error: null, stopReason: m.reason }
        this.release(run)
        break
      case 'failed':
        if (!run.forced) run.outcome = { status: 'failed', error: m.message, stopReason: null }
        this.release(run)
        break
    }
  }

  /** Lets a worker whose work is done exit; ends it if it has not within a few seconds. */
  private release(run: ActiveRun): void {
    run.handle.stop(false)
    setTimeout(() => {
      if (!run.settled) run.handle.stop(true)
    }, 5000).unref()
  }

  private async recordEpoch(
    run: ActiveRun,
    metrics: EpochMetrics,
    checkpoints: Extract<WorkerMessage, { type: 'epoch' }>['checkpoints'],
    batches: BatchRecord[]
  ): Promise<void> {
    if (run.failure !== null || run.settled) return
    const before = (['last', 'best'] as const).map((kind) => this.store.checkpoint(run.runId, kind))
    await this.write(run, `epoch ${metrics.epoch}`, () =>
      this.store.recordEpochResult(run.runId, metrics, checkpoints, batches)
    )
    // Files the database no longer names are removed only now that the new ones are committed (durably).
    for (const old of before) {
      if (old && checkpoints.some((c) => c.kind === old.kind && c.path !== old.path)) rmSync(old.path, { force: true })
    }
    this.events.epoch(run.runId, metrics)
  }

  /** Retries recording a run's end every 2 s (without holding the process open) until it is written. */
  private finishLater(finish: () => void): void {
    const timer = setTimeout(() => {
      if (!this.store.db.open) return
      try {
        this.store.attempt(finish, attemptBusyMs)
      } catch {
        this.finishLater(finish)
      }
    }, 2000)
    timer.unref()
  }

  /** The worker has exited and every earlier message is recorded: the run's end goes in the database. */
  private async settle(run: ActiveRun, code: number | null, signal: string | null): Promise<void> {
    if (run.settled) return
    run.settled = true
    let status: FinalStatus
    let error: string | null = null
    let stopReason: string | null = null
    if (run.failure !== null) {
      status = 'failed'
      error = run.failure
    } else if (run.forced && run.outcome) {
      ;({ status, error, stopReason } = run.outcome)
    } else if (run.deleted) {
      status = 'cancelled'
      stopReason = 'the run was deleted while it trained'
    } else if (run.cancelled) status = 'cancelled'
    else if (run.outcome) ({ status, error, stopReason } = run.outcome)
    else {
      status = 'failed'
      error = `the training process ended unexpectedly (${signal ? `signal ${signal}` : `exit code ${code}`})`
    }
    // No worker writes in the folder now: what it wrote that the database does not name goes (this run's epochs
    // only), and so do unfinished writes. That also gives back the space a full disk needs to record the end.
    try {
      removeUnreferenced(run.runDir, this.store.checkpointPaths(run.runId), run.startEpoch)
    } catch {
      // the database cannot be read; the next start cleans the folder
    }
    const finish = () => this.store.finishRun(run.runId, status, error, stopReason)
    try {
      await this.write(run, 'how the run ended', finish)
    } catch (e) {
      // Still locked (or full): tried again every few seconds while this process lives (the app, `rnnlab serve`).
      // If it ends first (the CLI), the run stays 'running' under its id, and the next start finds it interrupted.
      this.events.note(run.runId, errorMessage(e))
      this.finishLater(finish)
    }
    this.active.delete(run.runId)
    this.batchRows.delete(run.runId)
    this.unwatchIfIdle()
    this.events.status(run.runId, status, error)
    run.resolve(status)
  }
}
