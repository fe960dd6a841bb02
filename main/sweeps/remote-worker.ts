// `rnnlab worker`'s loop: pulls trial jobs from the BullMQ queue, checks each like any config from outside, trains it
// in a training process of its own (the same one the desktop uses) and sends back, in order, on the results queue the
// job names: started, each epoch's metrics (with the checkpoints, every epoch or at the end), done or failed. The
// sweep's owner writes them into its database (the database never travels). See remote.ts for what travels.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, hostname } from 'node:os'
import { join } from 'node:path'
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq'
import type { Redis } from 'ioredis'
import { errorMessage } from '../../common/contract'
import { allowedDirsFromEnv, datasetPaths, FileAccess } from '../files'
import type { SpawnWorker } from '../training/host'
import type { TrainingJob, WorkerMessage } from '../training/protocol'
import {
  HEARTBEAT_MS,
  HEARTBEAT_TTL_MS,
  readTrialJob,
  stopKey,
  TRIAL_QUEUE,
  WORKER_KEY_PREFIX,
  type TravellingCheckpoint,
  type TrialJob,
  type TrialMessageBody,
  type WorkerHeartbeat
} from './remote'

/** What a job returns when it ends (the owner learns it from the results queue; this is for people looking). */
export interface TrialJobResult {
  attempt: string
  worker: string
  reason: string | null
  stopped: boolean
}

export interface RemoteWorkerOptions {
  connection: Redis
  home: string
  spawn: SpawnWorker
  concurrency?: number
  /** Engine threads per trial (default: cores ÷ concurrency). */
  threads?: number
  /**
   * A job whose worker has not renewed its lock for this long is found stalled and handed to another worker
   * (BullMQ's lockDuration and stalledInterval; default 30 s).
   */
  lockDurationMs?: number
  /** A line for the person watching the worker. */
  log?: (line: string) => void
}

type Send = (m: TrialMessageBody) => void

interface Current {
  jobId: string
  sweepId: number
  trial: number
  epoch: number
}

/** Trains one checked trial job in a training process; resolves with the stop reason, rejects with the failure. */
function trainJob(
  job: Job,
  trial: TrialJob,
  opts: RemoteWorkerOptions,
  send: Send,
  current: Current
): Promise<{ reason: string | null; stopped: boolean }> {
  const dir = mkdtempSync(join(opts.home, 'remote', `sweep-${trial.sweepId}-trial-${trial.trial}-`))
  let resume: TrainingJob['resume']
  if (trial.resume) {
    const file = join(dir, 'resume.ckpt')
    writeFileSync(file, trial.resume.checkpoint)
    resume = { checkpoint: file, epoch: trial.resume.epoch, history: trial.resume.history }
  }
  const handle = opts.spawn()
  /** The newest checkpoint file of each kind (older ones are removed as newer ones come). */
  const latest = new Map<'last' | 'best', { epoch: number; path: string }>()
  const read = (kind: 'last' | 'best', c: { epoch: number; path: string }): TravellingCheckpoint => ({
    kind,
    epoch: c.epoch,
    base64: readFileSync(c.path).toString('base64')
  })
  /** The checkpoints to send; a best one of the same epoch as the last one is the same bytes: sent once. */
  const pack = (list: { kind: 'last' | 'best'; epoch: number; path: string }[]): TravellingCheckpoint[] => {
    const last = list.find((c) => c.kind === 'last')
    return list.map((c) =>
      c.kind === 'best' && last && last.epoch === c.epoch
        ? { kind: 'best', epoch: c.epoch, base64: '', sameAsLast: true }
        : read(c.kind, c)
    )
  }
  return new Promise((resolve, reject) => {
    let settled = false
    const finish = (f: () => void) => {
      if (settled) return
      settled = true
      clearInterval(stopPoll)
      handle.stop(false)
      rmSync(dir, { recursive: true, force: true })
      f()
    }
    // The owner asks for a stop (the median rule pruned the trial, the sweep was cancelled) through a key.
    const stopPoll = setInterval(() => {
      opts.connection.exists(stopKey(job.id!)).then(
        (n) => {
          if (n > 0 && !settled) {
            handle.stop(true)
            finish(() => resolve({ reason: 'stopped by the sweep owner', stopped: true }))
          }
        },
        () => {}
      )
    }, 1000)
    handle.onMessage((m: WorkerMessage) => {
      if (settled) return
      if (m.type === 'epoch') {
        current.epoch = m.metrics.epoch
        for (const c of m.checkpoints) {
          const before = latest.get(c.kind)
          if (before && before.path !== c.path) rmSync(before.path, { force: true })
          latest.set(c.kind, { epoch: c.epoch, path: c.path })
        }
        send({
          type: 'epoch',
          metrics: m.metrics,
          checkpoints: trial.checkpoints === 'epoch' ? pack(m.checkpoints) : []
        })
      } else if (m.type === 'done') {
        const checkpoints = trial.checkpoints === 'end' ? pack([...latest].map(([kind, c]) => ({ kind, ...c }))) : []
        send({ type: 'done', reason: m.reason, checkpoints })
        finish(() => resolve({ reason: m.reason, stopped: false }))
      } else if (m.type === 'failed') {
        send({ type: 'failed', message: m.message })
        finish(() => reject(new UnrecoverableError(m.message)))
      }
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
        // A job's relative data paths start at the worker's lab folder.
        baseDir: opts.home,
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
  // A job may make this machine read data only inside its lab folder and the folders RNNLAB_ALLOW_DIRS names.
  const files = new FileAccess([opts.home, ...allowedDirsFromEnv()])
  const replies = new Map<string, Queue>()
  const current = new Map<string, Current>()

  const heartbeat = () => {
    const beat: WorkerHeartbeat = {
      name,
      host: hostname(),
      pid: process.pid,
      state: current.size > 0 ? 'training' : 'idle',
      jobs: [...current.values()],
      at: new Date().toISOString()
    }
    opts.connection.set(WORKER_KEY_PREFIX + name, JSON.stringify(beat), 'PX', HEARTBEAT_TTL_MS).catch(() => {})
  }
  const beats = setInterval(heartbeat, HEARTBEAT_MS)
  beats.unref()

  const worker = new Worker(
    TRIAL_QUEUE,
    async (job: Job): Promise<TrialJobResult> => {
      let trial: TrialJob
      try {
        trial = readTrialJob(job.data)
        for (const { field, path } of datasetPaths(trial.config.dataset))
          files.check(path, `job.config.${field}`, opts.home)
      } catch (e) {
        // A job this worker cannot run as given would fail the same way everywhere: no retry.
        log(`job ${job.id}: refused: ${errorMessage(e)}`)
        throw new UnrecoverableError(`refused by ${name}: ${errorMessage(e)}`)
      }
      let reply = replies.get(trial.replyTo)
      if (!reply) replies.set(trial.replyTo, (reply = new Queue(trial.replyTo, { connection: opts.connection })))
      // Messages go in the order they were made: each add waits for the one before.
      let chain = Promise.resolve()
      const head = { jobId: job.id!, attempt: trial.attempt, start: job.attemptsStarted, worker: name }
      const send: Send = (m) => {
        chain = chain
          .then(() => reply.add(m.type, { ...head, ...m }, { removeOnComplete: true, removeOnFail: true }))
          .then(
            () => {},
            (e) => log(`job ${job.id}: could not send ${m.type}: ${errorMessage(e)}`)
          )
      }
      const from = trial.resume?.epoch ?? 0
      const me: Current = { jobId: job.id!, sweepId: trial.sweepId, trial: trial.trial, epoch: from }
      current.set(job.id!, me)
      heartbeat()
      log(
        `job ${job.id}: sweep ${trial.sweepId} trial ${trial.trial} (${trial.config.name})` +
          (from > 0 ? ` from the checkpoint of epoch ${from}` : '') +
          (job.attemptsStarted > 1 ? `, start ${job.attemptsStarted}` : '')
      )
      send({ type: 'started', host: hostname(), fromEpoch: from })
      try {
        const { reason, stopped } = await trainJob(job, trial, { ...opts, threads }, send, me)
        log(`job ${job.id}: ${stopped ? 'stopped' : 'done'}${reason && !stopped ? ` (${reason})` : ''}`)
        return { attempt: trial.attempt, worker: name, reason, stopped }
      } finally {
        await chain
        current.delete(job.id!)
        heartbeat()
      }
    },
    {
      connection: opts.connection,
      concurrency,
      name,
      lockDuration: opts.lockDurationMs ?? 30_000,
      stalledInterval: opts.lockDurationMs ?? 30_000,
      // A trial may lose a few workers before it is given up as failed.
      maxStalledCount: 3
    }
  )
  worker.on('error', (e) => log(`worker: ${errorMessage(e)}`))
  worker.on('closed', () => {
    clearInterval(beats)
    opts.connection.del(WORKER_KEY_PREFIX + name).catch(() => {})
    for (const q of replies.values()) void q.close()
  })
  heartbeat()
  return worker
}
