// Trials on other machines, through a BullMQ queue on Redis: the Redis address, the connection (with errors a person
// can act on), and the trial job as a worker receives it — checked like any config from outside, since anyone who can
// write to the queue can forge one.
import { Redis } from 'ioredis'
import { normalizeRunConfig, type RunConfig } from '../../common/config'
import type { EpochMetrics } from '../../common/contract'
import { ContractError, optional, readArray, readInteger, readObject, readString } from '../../common/validate'
import { machineMemoryLimit } from '../config-file'

/** The queue the sweep's owner fills and workers pull trials from. */
export const TRIAL_QUEUE = 'rnnlab-trials'

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
