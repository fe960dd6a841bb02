// The training host: starts one worker process per run, records what it reports in the run store, relays progress
// as contract events, and marks the run failed when the worker dies. It never runs the engine itself, so training
// never blocks the app's or the CLI's event loop, and a native crash takes down only the worker.
import { fork } from 'node:child_process'
import { rmSync } from 'node:fs'
import { cpus, hostname } from 'node:os'
import { join } from 'node:path'
import { describePreflight, preflightRun, specFacts, type RunConfig } from '../../common/config'
import type { EpochMetrics, RunId, RunStatus, TrainingProgress } from '../../common/contract'
import { inferInputShape, modelFacts, summarize } from '../../common/model'
import type { RunStore } from '../runs/store'
import { engineSpec } from '../engine/spec'
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

interface ActiveRun {
  runId: RunId
  handle: WorkerHandle
  epochs: number
  startEpoch: number
  batches: number
  progress: TrainingProgress | null
  cancelled: boolean
  settled: boolean
  started: number
  done: Promise<RunStatus>
  resolve: (s: RunStatus) => void
}

export interface StartOptions {
  threads?: number
  baseDir?: string
  /** An ONNX file this product exported, whose weights start the run (checked against the config in the worker). */
  initFrom?: string
}

export class TrainingHost {
  private readonly active = new Map<RunId, ActiveRun>()
  /** Per-batch figures are kept at the rate they are reported (≤ 10 a second), written once per epoch. */
  private readonly batchRows = new Map<
    RunId,
    { step: number; epoch: number; batch: number; loss: number; accuracy: number | null; wallSeconds: number }[]
  >()

  constructor(
    private readonly store: RunStore,
    private readonly spawn: SpawnWorker,
    private readonly home: string,
    private readonly events: TrainingEvents
  ) {}

  /** Creates the run and starts training it; returns at once with the run's id. */
  start(config: RunConfig, opts: StartOptions = {}): RunId {
    const input = inferInputShape(config)
    // What the engine cannot run is refused here, before a run is created (shapes are checked once data is read).
    engineSpec(config, input ?? [1, 1])
    // So is what cannot fit the data as its spec describes it (the builder's checks before Start, in its words); the
    // worker checks again against the data as read.
    const problem = preflightRun(config, specFacts(config.dataset))[0]
    if (problem) throw new Error(describePreflight(config.model.layers, problem))
    const runId = this.store.createRun({
      name: config.name,
      config,
      dataset: config.dataset.source,
      seed: config.training.seed,
      paramCount: input ? summarize(config.model, input).totalParams : null,
      ...modelFacts(config),
      epochsPlanned: config.training.epochs
    })
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
    const last = this.store.checkpoint(runId, 'last')
    if (!last)
      throw new Error(`run ${runId} has no checkpoint to resume from (it stopped before its first epoch ended)`)
    const history = run.epochs.filter((e) => e.epoch <= last.epoch)
    this.launch(runId, run.config as RunConfig, opts, { checkpoint: last.path, epoch: last.epoch, history })
    return runId
  }

  cancel(runId: RunId): void {
    const run = this.active.get(runId)
    if (!run) throw new Error(`run ${runId} is not training in this process`)
    run.cancelled = true
    // The engine is inside a synchronous epoch; ending the process is the way to stop within the current batch.
    // Everything finished before is already saved (metrics in the database, checkpoints committed atomically).
    run.handle.stop(true)
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
    for (const id of this.active.keys()) this.cancel(id)
  }

  private launch(runId: RunId, config: RunConfig, opts: StartOptions, resume: TrainingJob['resume']): void {
    const handle = this.spawn()
    let resolve!: (s: RunStatus) => void
    const done = new Promise<RunStatus>((r) => (resolve = r))
    const run: ActiveRun = {
      runId,
      handle,
      epochs: config.training.epochs,
      startEpoch: 1,
      batches: 0,
      progress: null,
      cancelled: false,
      settled: false,
      started: Date.now(),
      done,
      resolve
    }
    this.active.set(runId, run)
    // The host's pid marks the run as alive: if this process dies, the next start finds the run interrupted.
    this.store.markStarted(runId, {
      engineVersion: null,
      threads: opts.threads ?? null,
      cpu: cpus()[0]?.model ?? null,
      pid: process.pid,
      host: hostname()
    })
    this.events.status(runId, 'running', null)
    handle.onMessage((m) => {
      try {
        this.onMessage(run, m)
      } catch (e) {
        this.settle(run, 'failed', `recording the run failed: ${e instanceof Error ? e.message : String(e)}`)
        handle.stop(true)
      }
    })
    handle.onExit((code, signal) => {
      if (run.cancelled) this.settle(run, 'cancelled', null)
      else
        this.settle(
          run,
          'failed',
          `the training process ended unexpectedly (${signal ? `signal ${signal}` : `exit code ${code}`})`
        )
    })
    const job: TrainingJob = {
      runId,
      config,
      home: this.home,
      runDir: join(this.home, 'runs', String(runId)),
      baseDir: opts.baseDir,
      threads: opts.threads,
      initFrom: resume ? undefined : opts.initFrom,
      resume
    }
    handle.send({ type: 'start', job })
  }

  private onMessage(run: ActiveRun, m: WorkerMessage): void {
    if (run.settled) return
    switch (m.type) {
      case 'status':
        this.events.note(run.runId, m.phase)
        break
      case 'ready':
        run.batches = m.batches
        run.startEpoch = m.startEpoch
        this.store.setEngineFacts(run.runId, {
          engineVersion: m.engineVersion,
          paramCount: m.paramCount,
          threads: m.threads
        })
        this.events.note(
          run.runId,
          `training on ${m.trainCount.toLocaleString('en-US')} samples, validating on ${m.validationCount.toLocaleString('en-US')}`
        )
        break
      case 'progress': {
        const elapsedEpochs = m.epoch - run.startEpoch + m.batch / m.batches
        const remainingEpochs = run.epochs - run.startEpoch + 1 - elapsedEpochs
        const perEpoch = m.seconds / (m.batch / m.batches)
        run.progress = {
          runId: run.runId,
          epoch: m.epoch,
          epochs: run.epochs,
          batch: m.batch,
          batches: m.batches,
          loss: m.loss,
          accuracy: m.accuracy,
          samplesPerSecond: m.samplesPerSecond,
          etaSeconds: m.batch > 0 && Number.isFinite(perEpoch) ? Math.max(0, remainingEpochs * perEpoch) : null
        }
        const rows = this.batchRows.get(run.runId) ?? []
        rows.push({
          step: (m.epoch - 1) * m.batches + m.batch,
          epoch: m.epoch,
          batch: m.batch,
          loss: m.loss,
          accuracy: m.accuracy,
          wallSeconds: (Date.now() - run.started) / 1000
        })
        this.batchRows.set(run.runId, rows)
        this.events.progress(run.progress)
        break
      }
      case 'epoch': {
        const before = (['last', 'best'] as const).map((kind) => this.store.checkpoint(run.runId, kind))
        this.store.recordEpochResult(run.runId, m.metrics, m.checkpoints, this.batchRows.get(run.runId) ?? [])
        this.batchRows.delete(run.runId)
        // Files the database no longer names are removed only now that the new ones are committed.
        for (const old of before) {
          if (old && m.checkpoints.some((c) => c.kind === old.kind && c.path !== old.path))
            rmSync(old.path, { force: true })
        }
        this.events.epoch(run.runId, m.metrics)
        break
      }
      case 'done':
        if (m.reason) this.events.note(run.runId, m.reason)
        this.settle(run, 'completed', null, m.reason)
        run.handle.stop(false)
        break
      case 'failed':
        this.settle(run, 'failed', m.message)
        run.handle.stop(false)
        break
    }
  }

  private settle(
    run: ActiveRun,
    status: Exclude<RunStatus, 'queued' | 'running'>,
    error: string | null,
    stopReason: string | null = null
  ): void {
    if (run.settled) return
    run.settled = true
    this.active.delete(run.runId)
    this.batchRows.delete(run.runId)
    this.store.finishRun(run.runId, status, error, stopReason)
    this.events.status(run.runId, status, error)
    run.resolve(status)
  }
}
