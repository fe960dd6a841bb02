// `rnnlab worker`'s loop: pulls trial jobs from the BullMQ queue, checks each like any config from outside, trains it
// in a training process of its own (the same one the desktop uses) and sends back, per epoch, the metrics and the
// checkpoint as the job's progress; the sweep's owner writes them into its database (the database never travels).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, hostname } from 'node:os'
import { join } from 'node:path'
import { UnrecoverableError, Worker, type Job } from 'bullmq'
import type { Redis } from 'ioredis'
import { errorMessage } from '../../common/contract'
import type { SpawnWorker } from '../training/host'
import type { TrainingJob, WorkerMessage } from '../training/protocol'
import { readTrialJob, TRIAL_QUEUE, type TrialJob } from './remote'

/** What a worker reports for a job, as the job's progress (one per epoch) and its return value. */
export type TrialReport =
  | {
      type: 'epoch'
      attempt: string
      worker: string
      metrics: import('../../common/contract').EpochMetrics
      /** The checkpoints written at this epoch, base64. */
      checkpoints: { kind: 'last' | 'best'; epoch: number; base64: string }[]
    }
  | { type: 'done'; attempt: string; worker: string; reason: string | null }

export interface RemoteWorkerOptions {
  connection: Redis
  home: string
  spawn: SpawnWorker
  concurrency?: number
  /** Engine threads per trial (default: cores ÷ concurrency). */
  threads?: number
  /** A line for the person watching the worker. */
  log?: (line: string) => void
}

/** Trains one checked trial job in a training process; resolves with the stop reason, rejects with the failure. */
function trainJob(job: Job, trial: TrialJob, opts: RemoteWorkerOptions, name: string): Promise<string | null> {
  const dir = mkdtempSync(join(opts.home, 'remote', `sweep-${trial.sweepId}-trial-${trial.trial}-`))
  let resume: TrainingJob['resume']
  if (trial.resume) {
    const file = join(dir, 'resume.ckpt')
    writeFileSync(file, trial.resume.checkpoint)
    resume = { checkpoint: file, epoch: trial.resume.epoch, history: trial.resume.history }
  }
  const handle = opts.spawn()
  return new Promise<string | null>((resolve, reject) => {
    let settled = false
    const finish = (f: () => void) => {
      if (settled) return
      settled = true
      handle.stop(false)
      rmSync(dir, { recursive: true, force: true })
      f()
    }
    handle.onMessage((m: WorkerMessage) => {
      if (m.type === 'epoch') {
        const report: TrialReport = {
          type: 'epoch',
          attempt: trial.attempt,
          worker: name,
          metrics: m.metrics,
          checkpoints: m.checkpoints.map((c) => ({
            kind: c.kind,
            epoch: c.epoch,
            base64: readFileSync(c.path).toString('base64')
          }))
        }
        job.updateProgress(report).catch(() => {})
      } else if (m.type === 'done') finish(() => resolve(m.reason))
      else if (m.type === 'failed') finish(() => reject(new UnrecoverableError(m.message)))
    })
    handle.onExit((code, signal) =>
      finish(() =>
        reject(
          new Error(`the training process ended unexpectedly (${signal ? `signal ${signal}` : `exit code ${code}`})`)
        )
      )
    )
    handle.send({
      type: 'start',
      job: {
        runId: trial.trial,
        config: trial.config,
        home: opts.home,
        runDir: dir,
        threads: opts.threads,
        resume
      }
    })
  })
}

/** Starts pulling trials; returns the BullMQ worker (close it to stop after the trials in hand). */
export function startRemoteWorker(opts: RemoteWorkerOptions): Worker {
  const concurrency = opts.concurrency ?? 1
  const threads = opts.threads ?? Math.max(1, Math.floor(availableParallelism() / concurrency))
  const name = `${hostname()}:${process.pid}`
  const log = opts.log ?? (() => {})
  mkdirSync(join(opts.home, 'remote'), { recursive: true })
  const worker = new Worker(
    TRIAL_QUEUE,
    async (job: Job) => {
      let trial: TrialJob
      try {
        trial = readTrialJob(job.data)
      } catch (e) {
        // A job this worker cannot run as given would fail the same way everywhere: no retry.
        log(`job ${job.id}: refused: ${errorMessage(e)}`)
        throw new UnrecoverableError(`refused by ${name}: ${errorMessage(e)}`)
      }
      log(`job ${job.id}: sweep ${trial.sweepId} trial ${trial.trial} (${trial.config.name})`)
      const reason = await trainJob(job, trial, { ...opts, threads }, name)
      const done: TrialReport = { type: 'done', attempt: trial.attempt, worker: name, reason }
      log(`job ${job.id}: done${reason ? ` (${reason})` : ''}`)
      return done
    },
    { connection: opts.connection, concurrency }
  )
  worker.on('error', (e) => log(`worker: ${errorMessage(e)}`))
  return worker
}
