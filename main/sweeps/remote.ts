// Trials on other machines, through BullMQ queues on Redis: the Redis address, the connection (with errors a person
// can act on), the trial job as a worker receives it and the messages a worker sends back — each checked like any
// input from outside, since anyone who can write to the queues can forge one.
//
// What travels (and nothing else; the run database never leaves the sweep's owner):
// - queue `rnnlab-trials`, one job per trial attempt (job id `<sweep key>-t<trial>-<attempt>`): the trial's run config,
//   the owner's attempt id, the queue to answer on, how often to send checkpoints, and the checkpoint to resume from
//   (the owner replaces it in the job's data with every checkpoint it receives, so that a worker that picks the job up
//   after BullMQ found it stalled continues from there);
// - queue `rnnlab-results-<sweep key>`, the answers, read in order by the owner alone: started (which worker, which
//   BullMQ start of the job, from which epoch), epoch (metrics, and the checkpoints written, base64), done, failed;
// - `rnnlab:stop:<job id>`: the owner asks the worker to stop a trial (pruned by the median rule, cancelled);
// - `rnnlab:worker:<host:pid>`: each worker's heartbeat (state, current trials), expiring when the worker is gone.
import { Redis } from 'ioredis'
import { normalizeRunConfig, type RunConfig } from '../../common/config'
import type { EpochMetrics } from '../../common/contract'
import { ContractError, optional, readArray, readInteger, readObject, readString } from '../../common/validate'
import { machineMemoryLimit } from '../config-file'

/** The queue the sweep's owner fills and workers pull trials from. */
export const TRIAL_QUEUE = 'rnnlab-trials'
/** Results queues are named this plus the sweep's key; a job may name no other queue to answer on. */
export const RESULTS_PREFIX = 'rnnlab-results-'
const RESULTS_QUEUE = /^rnnlab-results-[A-Za-z0-9_-]{1,64}$/
/** The key a worker's heartbeat is kept under (it expires when the worker stops refreshing it). */
export const WORKER_KEY_PREFIX = 'rnnlab:worker:'
/** The key by which the owner asks a worker to stop a trial's job. */
export const stopKey = (jobId: string): string => `rnnlab:stop:${jobId}`
/** A worker refreshes its heartbeat this often, and it expires after HEARTBEAT_TTL_MS. */
export const HEARTBEAT_MS = 2_000
export const HEARTBEAT_TTL_MS = 15_000

/** The largest checkpoint a job may carry (base64 text). */
const MAX_CHECKPOINT_CHARS = 256 * 1024 * 1024

/** A Redis address with its password hidden, for messages. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@')
  }
}

/** Checks a `--redis` address: redis://[user:pass@]host:port[/db] or rediss:// (TLS). */
export function parseRedisUrl(url: string, what = '--redis'): URL {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    throw new Error(`${what}: expected redis://[user:pass@]host:port[/db] (or rediss:// for TLS), got ${url}`)
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new Error(`${what}: expected a redis:// or rediss:// address, got ${u.protocol}//…`)
  }
  if (!u.hostname) throw new Error(`${what}: the address names no host`)
  const db = u.pathname.replace(/^\//, '')
  if (db !== '' && !/^\d+$/.test(db)) throw new Error(`${what}: the database after the host is a number, got /${db}`)
  return u
}

/** A connection error in words a person can act on, naming the (redacted) address. */
export function describeRedisError(e: unknown, url: string): string {
  const message = e instanceof Error ? e.message : String(e)
  const code = (e as NodeJS.ErrnoException | undefined)?.code
  const where = redactRedisUrl(url)
  if (/WRONGPASS/.test(message)) return `${where}: the Redis server refused the user name or password (WRONGPASS)`
  if (/NOAUTH/.test(message))
    return `${where}: the Redis server needs a password: give it in the address, redis://:PASSWORD@host:port`
  if (code === 'ECONNREFUSED') return `${where}: nothing accepts connections there (connection refused)`
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `${where}: unknown host`
  if (code === 'ETIMEDOUT') return `${where}: no answer (timed out)`
  return `${where}: cannot connect to Redis: ${message.split('\n')[0]}`
}

/**
 * Connects to Redis and checks the connection (PING) at once, so that a wrong address or password is one clear line
 * instead of endless retries. The connection then reconnects on its own if Redis goes away for a while.
 */
export async function connectRedis(url: string, what = '--redis'): Promise<Redis> {
  parseRedisUrl(url, what)
  let first: unknown
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: null, // BullMQ's workers block on Redis; they must not give up after a few retries
    retryStrategy: () => null,
    connectTimeout: 10_000
  })
  redis.on('error', (e) => (first ??= e))
  try {
    await redis.connect()
    await redis.ping()
  } catch (e) {
    redis.disconnect()
    // The first error says why (WRONGPASS, ECONNREFUSED); what connect() rejects with is often "Connection is closed".
    throw new Error(describeRedisError(first ?? e, url), { cause: e })
  }
  redis.options.retryStrategy = (times) => Math.min(200 * times, 5000)
  return redis
}

/** A trial as a job: which sweep and trial, the attempt it belongs to, its run config, and where to resume from. */
export interface TrialJob {
  sweepId: number
  trial: number
  /** The owner's id for this attempt: results of another attempt are ignored by the owner. */
  attempt: string
  /** The queue the worker sends its results to (rnnlab-results-<sweep key>). */
  replyTo: string
  /** Send the checkpoints every epoch (a worker that dies loses at most an epoch), or only at the end (less traffic). */
  checkpoints: 'epoch' | 'end'
  config: RunConfig
  resume?: { checkpoint: Buffer; epoch: number; history: EpochMetrics[] }
}

function readNullableNumber(v: unknown, field: string): number | null {
  if (v === null) return null
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ContractError(field, 'expected a finite number or null')
  return v
}

function readEpoch(v: unknown, field: string): EpochMetrics {
  const o = readObject(v, field)
  const n = (k: string) => readNullableNumber(o[k] ?? null, `${field}.${k}`)
  return {
    epoch: readInteger(o.epoch, `${field}.epoch`, 1, 1_000_000),
    loss: n('loss'),
    accuracy: n('accuracy'),
    valLoss: n('valLoss'),
    valAccuracy: n('valAccuracy'),
    learningRate: n('learningRate'),
    seconds: n('seconds'),
    samplesPerSecond: n('samplesPerSecond')
  }
}

/** Checks a job's data as it arrives from the queue; a bad one is refused with the field named (`job.config…`). */
export function readTrialJob(data: unknown): TrialJob {
  const o = readObject(data, 'job')
  const job: TrialJob = {
    sweepId: readInteger(o.sweepId, 'job.sweepId', 1),
    trial: readInteger(o.trial, 'job.trial', 1),
    attempt: readString(o.attempt, 'job.attempt', 1, 100),
    replyTo: (() => {
      const q = readString(o.replyTo, 'job.replyTo', 1, 100)
      if (!RESULTS_QUEUE.test(q)) throw new ContractError('job.replyTo', `expected ${RESULTS_PREFIX}<key>, got ${q}`)
      return q
    })(),
    checkpoints: (() => {
      const c = o.checkpoints ?? 'epoch'
      if (c !== 'epoch' && c !== 'end')
        throw new ContractError('job.checkpoints', `expected "epoch" or "end", got ${JSON.stringify(c)}`)
      return c
    })(),
    config: (() => {
      try {
        return normalizeRunConfig(o.config, undefined, { memoryLimitBytes: machineMemoryLimit() })
      } catch (e) {
        const err = e as { path?: string; detail?: string; message: string }
        throw new ContractError(err.path ? `job.config.${err.path}` : 'job.config', err.detail ?? err.message)
      }
    })()
  }
  job.resume = optional(o.resume, (v) => {
    const r = readObject(v, 'job.resume')
    const checkpoint = readString(r.checkpoint, 'job.resume.checkpoint', 1, MAX_CHECKPOINT_CHARS)
    if (!/^[A-Za-z0-9+/]+=*$/.test(checkpoint)) throw new ContractError('job.resume.checkpoint', 'expected base64')
    return {
      checkpoint: Buffer.from(checkpoint, 'base64'),
      epoch: readInteger(r.epoch, 'job.resume.epoch', 1, job.config.training.epochs),
      history: readArray(r.history, 'job.resume.history', 1_000_000).map((e, i) =>
        readEpoch(e, `job.resume.history[${i}]`)
      )
    }
  })
  return job
}

/** A checkpoint as it travels: which, of which epoch, and its bytes in base64. */
export interface TravellingCheckpoint {
  kind: 'last' | 'best'
  epoch: number
  /** The bytes; empty for a best checkpoint of the same epoch as the last one sent with it (the same bytes). */
  base64: string
  sameAsLast?: boolean
}

/** What a worker sends back on the results queue; `start` is BullMQ's count of starts of the job (attemptsStarted). */
export type TrialMessageBody =
  | { type: 'started'; host: string; fromEpoch: number }
  | { type: 'epoch'; metrics: EpochMetrics; checkpoints: TravellingCheckpoint[] }
  | { type: 'done'; reason: string | null; checkpoints: TravellingCheckpoint[] }
  | { type: 'failed'; message: string }
export type TrialMessage = { jobId: string; attempt: string; start: number; worker: string } & TrialMessageBody

function readCheckpoints(v: unknown, field: string): TravellingCheckpoint[] {
  return readArray(v ?? [], field, 2).map((c, i) => {
    const o = readObject(c, `${field}[${i}]`)
    if (o.kind !== 'last' && o.kind !== 'best') throw new ContractError(`${field}[${i}].kind`, 'expected last or best')
    if (o.kind === 'best' && o.sameAsLast === true)
      return {
        kind: 'best',
        epoch: readInteger(o.epoch, `${field}[${i}].epoch`, 1, 1_000_000),
        base64: '',
        sameAsLast: true
      }
    const base64 = readString(o.base64, `${field}[${i}].base64`, 1, MAX_CHECKPOINT_CHARS)
    if (!/^[A-Za-z0-9+/]+=*$/.test(base64)) throw new ContractError(`${field}[${i}].base64`, 'expected base64')
    return { kind: o.kind, epoch: readInteger(o.epoch, `${field}[${i}].epoch`, 1, 1_000_000), base64 }
  })
}

/** Checks a message from the results queue (the owner trusts no more than the worker trusts a job). */
export function readTrialMessage(data: unknown): TrialMessage {
  const o = readObject(data, 'message')
  const head = {
    jobId: readString(o.jobId, 'message.jobId', 1, 200),
    attempt: readString(o.attempt, 'message.attempt', 1, 100),
    start: readInteger(o.start, 'message.start', 0),
    worker: readString(o.worker, 'message.worker', 1, 300)
  }
  switch (o.type) {
    case 'started':
      return {
        ...head,
        type: 'started',
        host: readString(o.host, 'message.host', 1, 300),
        fromEpoch: readInteger(o.fromEpoch, 'message.fromEpoch', 0)
      }
    case 'epoch':
      return {
        ...head,
        type: 'epoch',
        metrics: readEpoch(o.metrics, 'message.metrics'),
        checkpoints: readCheckpoints(o.checkpoints, 'message.checkpoints')
      }
    case 'done':
      return {
        ...head,
        type: 'done',
        reason: o.reason === null || o.reason === undefined ? null : readString(o.reason, 'message.reason', 0, 10_000),
        checkpoints: readCheckpoints(o.checkpoints, 'message.checkpoints')
      }
    case 'failed':
      return { ...head, type: 'failed', message: readString(o.message, 'message.message', 0, 10_000) }
    default:
      throw new ContractError('message.type', `expected started, epoch, done or failed, got ${JSON.stringify(o.type)}`)
  }
}

/** A worker's heartbeat, as kept under WORKER_KEY_PREFIX + name. */
export interface WorkerHeartbeat {
  name: string
  host: string
  pid: number
  state: 'idle' | 'training'
  jobs: { jobId: string; sweepId: number; trial: number; epoch: number }[]
  at: string
}
