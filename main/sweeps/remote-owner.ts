// The owner's side of a sweep run through Redis: it puts each trial on the BullMQ queue as a job, reads what workers
// send back on the sweep's own results queue (one message at a time, in order) and writes it into its own database —
// the database never leaves this process. Each job carries an attempt id; a worker's message names it and BullMQ's
// count of starts of the job, so a message of an attempt the owner gave up, or of a worker believed dead (an earlier
// start of the job), is ignored, and a trial is recorded once. When BullMQ finds a job stalled (its worker died), it
// hands the job to another worker, which continues from the checkpoint in the job's data: the owner puts there every
// checkpoint it receives. See remote.ts for what travels.
import { createHash, randomUUID } from 'node:crypto'
import { mkdirSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { Job, Queue, Worker } from 'bullmq'
import type { Redis } from 'ioredis'
import type { EpochMetrics, RunId, RunStatus, SweepTrial } from '../../common/contract'
import { errorMessage } from '../../common/contract'
import type { CheckpointRecord, RunStore } from '../runs/store'
import { isIntactCheckpoint, resumeCheckpoint, sha256 } from '../training/checkpoints'
import {
  readTrialMessage,
  RESULTS_PREFIX,
  stopKey,
  TRIAL_QUEUE,
  WORKER_KEY_PREFIX,
  type TravellingCheckpoint,
  type TrialMessage,
  type WorkerHeartbeat
} from './remote'
import type { SweepEvent, TrialExecutor } from './runner'
import type { SweepStore } from './store'

/** A sweep's key in Redis: the same for the same sweep of the same database, whichever process owns it. */
export function sweepKey(host: string, dbPath: string, sweepId: number, createdAt: string): string {
  let db = dbPath
  try {
    db = realpathSync(dbPath)
  } catch {
    // a database being created: its path as given
  }
  return createHash('sha256').update(`${host}\0${db}\0${sweepId}\0${createdAt}`).digest('hex').slice(0, 16)
}

/** Redis traffic while the owner ran the sweep (the server's INFO stats: every client, workers included). */
export interface RedisTraffic {
  /** Bytes the server received (total_net_input_bytes) and sent (total_net_output_bytes) meanwhile. */
  inputBytes: number
  outputBytes: number
  /** Messages from workers read, and those ignored (another attempt's, a worker believed dead, malformed). */
  messages: number
  ignored: number
}

export interface RemoteTrialsOptions {
  sweepId: number
  key: string
  connection: Redis
  runs: RunStore
  sweeps: SweepStore
  /** This database's runs' folders (paths.ts runsFolder). */
  runsDir: string
  checkpoints: 'epoch' | 'end'
  label: string
  events: {
    epoch(runId: RunId, metrics: EpochMetrics): void
    status(runId: RunId, status: RunStatus, error: string | null): void
  }
  emit: (e: SweepEvent) => void
}

interface RemoteTrial {
  trial: number
  runId: RunId
  jobId: string
  attempt: string
  /** The BullMQ start of the job whose messages are taken (0 until the first worker starts it). */
  start: number
  job: Job | null
  data: Record<string, unknown>
  ended: boolean
  done: Promise<RunStatus>
  resolve: (s: RunStatus) => void
}

const POLL_MS = 2000

async function netBytes(connection: Redis): Promise<{ input: number; output: number }> {
  const info = await connection.info('stats')
  const read = (name: string) => Number(new RegExp(`${name}:(\\d+)`).exec(info)?.[1] ?? 0)
  return { input: read('total_net_input_bytes'), output: read('total_net_output_bytes') }
}

export class RemoteTrials implements TrialExecutor {
  readonly label: string
  private readonly queue: Queue
  private readonly resultsQueue: Queue
  private results: Worker | null = null
  private readonly byRun = new Map<RunId, RemoteTrial>()
  private readonly byJob = new Map<string, RemoteTrial>()
  private readonly pending = new Set<Promise<unknown>>()
  private poll: NodeJS.Timeout | null = null
  private polling = false
  private closed = false
  private bytesAtStart = { input: 0, output: 0 }
  private readonly counts = { messages: 0, ignored: 0 }
  /** Filled when the executor closes. */
  traffic: RedisTraffic | null = null

  constructor(private readonly o: RemoteTrialsOptions) {
    this.label = o.label
    this.queue = new Queue(TRIAL_QUEUE, { connection: o.connection })
    this.resultsQueue = new Queue(RESULTS_PREFIX + o.key, { connection: o.connection })
  }

  /** Takes the sweep's jobs a previous owner left in the queue back, then starts reading the results queue. */
  async init(): Promise<void> {
    this.bytesAtStart = await netBytes(this.o.connection)
    const left = await this.queue.getJobs(['waiting', 'delayed', 'prioritized', 'active'])
    for (const j of left) if (j?.id?.startsWith(`${this.o.key}-`)) await this.stopJob(j.id)
    // Results of those attempts still in the results queue are read and ignored (their attempts are unknown here).
    this.results = new Worker(RESULTS_PREFIX + this.o.key, async (job: Job) => this.onMessage(job.data), {
      connection: this.o.connection,
      concurrency: 1
    })
    this.results.on('error', () => {})
    await this.results.waitUntilReady()
    this.poll = setInterval(() => void this.check(), POLL_MS)
  }

  launch(t: SweepTrial): void {
    const run = this.o.runs.getRun(t.runId)
    if (run.status === 'running') throw new Error(`run ${t.runId} is still running in another process`)
    let resume: Record<string, unknown> | undefined
    if (run.status === 'interrupted' && this.o.runs.checkpoint(t.runId, 'last')) {
      const from = resumeCheckpoint(this.o.runs, t.runId, this.runDir(t.runId))
      resume = {
        checkpoint: readFileSync(from.path).toString('base64'),
        epoch: from.epoch,
        history: run.epochs.filter((e) => e.epoch <= from.epoch)
      }
      this.o.runs.dropEpochsAfter(t.runId, from.epoch)
    } else this.o.runs.dropEpochsAfter(t.runId, 0)
    // Queued until a worker starts it (shown "queued (remote)", not running). The owner's pid marks the run as
    // waited for: if this process dies, the next start finds it interrupted.
    this.o.runs.markQueued(t.runId, { pid: process.pid, host: hostname() })
    const attempt = randomUUID()
    const jobId = `${this.o.key}-t${t.trial}-${attempt.slice(0, 8)}`
    const data: Record<string, unknown> = {
      sweepId: this.o.sweepId,
      trial: t.trial,
      attempt,
      replyTo: RESULTS_PREFIX + this.o.key,
      checkpoints: this.o.checkpoints,
      config: run.config,
      ...(resume ? { resume } : {})
    }
    let resolve!: (s: RunStatus) => void
    const done = new Promise<RunStatus>((r) => (resolve = r))
    const rt: RemoteTrial = {
      trial: t.trial,
      runId: t.runId,
      jobId,
      attempt,
      start: 0,
      job: null,
      data,
      ended: false,
      done,
      resolve
    }
    this.byRun.set(t.runId, rt)
    this.byJob.set(jobId, rt)
    this.o.events.status(t.runId, 'queued', null)
    this.track(
      this.queue
        // An unexpected end of a worker's training process is tried once more (from the checkpoint in the data).
        .add('trial', data, { jobId, attempts: 2, removeOnComplete: true, removeOnFail: { age: 7 * 86_400 } })
        .then(
          (job) => (rt.job = job),
          (e) => this.finish(rt, 'failed', `could not queue the trial: ${errorMessage(e)}`)
        )
    )
  }

  finished(runId: RunId): Promise<RunStatus> {
    const t = this.byRun.get(runId)
    return t ? t.done : Promise.resolve(this.o.runs.getSummary(runId).status)
  }

  end(runId: RunId, end: { status: 'completed' | 'interrupted'; error?: string; stopReason?: string }): void {
    const t = this.byRun.get(runId)
    if (t) this.finish(t, end.status, end.error ?? null, end.stopReason ?? null)
  }

  cancel(runId: RunId): void {
    const t = this.byRun.get(runId)
    if (t) this.finish(t, 'cancelled', null)
  }

  async close(ended: boolean): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.poll) clearInterval(this.poll)
    for (const t of this.byRun.values())
      if (!t.ended) this.finish(t, 'interrupted', 'the sweep stopped before this trial ended')
    while (this.pending.size > 0) await Promise.allSettled([...this.pending])
    await this.results?.close()
    try {
      const now = await netBytes(this.o.connection)
      this.traffic = {
        inputBytes: now.input - this.bytesAtStart.input,
        outputBytes: now.output - this.bytesAtStart.output,
        ...this.counts
      }
    } catch {
      // Redis is gone; no figures
    }
    // A sweep that will not run again leaves nothing in Redis; an interrupted one keeps its results queue.
    if (ended) await this.resultsQueue.obliterate({ force: true }).catch(() => {})
    await this.resultsQueue.close().catch(() => {})
    await this.queue.close().catch(() => {})
    this.o.connection.disconnect()
  }

  private runDir(runId: RunId): string {
    return join(this.o.runsDir, String(runId))
  }

  private track(p: Promise<unknown>): void {
    const q = p.catch(() => {})
    this.pending.add(q)
    void q.then(() => this.pending.delete(q))
  }

  /** Ends a trial here, once: recorded, the worker asked to stop it, its job removed if no worker holds it. */
  private finish(
    t: RemoteTrial,
    status: Exclude<RunStatus, 'queued' | 'running'>,
    error: string | null,
    stopReason: string | null = null,
    byWorker = false
  ): void {
    if (t.ended) return
    t.ended = true
    if (!byWorker) this.track(this.stopJob(t.jobId))
    this.o.runs.finishRun(t.runId, status, error, stopReason)
    this.o.events.status(t.runId, status, error)
    t.resolve(status)
  }

  private async stopJob(jobId: string): Promise<void> {
    await this.o.connection.set(stopKey(jobId), '1', 'PX', 3_600_000)
    // Removing fails while a worker holds the job (it sees the stop key within a second instead).
    await this.queue.remove(jobId).catch(() => {})
  }

  private ignore(): void {
    this.counts.ignored++
  }

  /** One message from a worker, in the order its worker sent it. */
  private async onMessage(raw: unknown): Promise<void> {
    this.counts.messages++
    let m: TrialMessage
    try {
      m = readTrialMessage(raw)
    } catch {
      return this.ignore()
    }
    const t = this.byJob.get(m.jobId)
    // Not one of this owner's attempts, or one that ended here, or from an earlier start (a worker believed dead).
    if (!t || t.ended || m.attempt !== t.attempt || m.start < t.start) return this.ignore()
    if (m.start > t.start) {
      if (m.type !== 'started') return this.ignore()
      t.start = m.start
      // A worker took it from the queue: the run trains now (a worker taking over a lost one's goes on running).
      if (this.o.runs.getSummary(t.runId).status !== 'running') {
        this.o.runs.markStarted(t.runId, {
          engineVersion: null,
          threads: null,
          cpu: null,
          pid: process.pid,
          host: hostname()
        })
        this.o.events.status(t.runId, 'running', null)
      }
      this.o.sweeps.countAttempt(this.o.sweepId, t.trial)
      // What the lost worker trained after the checkpoint this start continues from is trained again.
      this.o.runs.dropEpochsAfter(t.runId, m.fromEpoch)
      this.o.sweeps.upsertWorker(this.o.sweepId, {
        name: m.worker,
        host: m.host,
        pid: pidOf(m.worker),
        state: 'training',
        trial: t.trial,
        epoch: m.fromEpoch,
        heartbeatAt: new Date().toISOString()
      })
      this.o.emit({
        type: 'attempt',
        sweepId: this.o.sweepId,
        trial: t.trial,
        runId: t.runId,
        worker: m.worker,
        start: m.start,
        fromEpoch: m.fromEpoch
      })
      return
    }
    switch (m.type) {
      case 'started':
        return this.ignore()
      case 'epoch': {
        const checkpoints = this.save(t, m.checkpoints)
        const before = (['last', 'best'] as const).map((kind) => this.o.runs.checkpoint(t.runId, kind))
        this.o.runs.recordEpochResult(t.runId, m.metrics, checkpoints, [])
        for (const old of before)
          if (old && checkpoints.some((c) => c.kind === old.kind && c.path !== old.path))
            rmSync(old.path, { force: true })
        // The median rule may end the trial here.
        this.o.events.epoch(t.runId, m.metrics)
        const last = m.checkpoints.find((c) => c.kind === 'last')
        if (!t.ended && last && t.job && checkpoints.some((c) => c.kind === 'last')) {
          // A worker that picks the job up after this one is lost continues from here.
          const history = this.o.runs.getRun(t.runId).epochs.filter((e) => e.epoch <= last.epoch)
          t.data = { ...t.data, resume: { checkpoint: last.base64, epoch: last.epoch, history } }
          await t.job.updateData(t.data).catch(() => {})
        }
        return
      }
      case 'done': {
        const checkpoints = this.save(t, m.checkpoints)
        if (checkpoints.length > 0) this.o.runs.recordCheckpoints(t.runId, checkpoints)
        this.o.sweeps.countWorkerTrial(this.o.sweepId, m.worker)
        return this.finish(t, 'completed', null, m.reason, true)
      }
      case 'failed':
        return this.finish(t, 'failed', `${m.message} (on worker ${m.worker})`, null, true)
    }
  }

  /** Writes the checkpoints received into the run's folder (whole ones only), as the training host's would be. */
  private save(t: RemoteTrial, list: TravellingCheckpoint[]): CheckpointRecord[] {
    const dir = this.runDir(t.runId)
    mkdirSync(dir, { recursive: true })
    const out: CheckpointRecord[] = []
    const last = list.find((c) => c.kind === 'last')
    for (const c of list) {
      if (c.sameAsLast && (!last || last.epoch !== c.epoch)) continue
      const bytes = Buffer.from(c.sameAsLast ? last!.base64 : c.base64, 'base64')
      if (!isIntactCheckpoint(bytes)) continue
      const path = join(dir, `${c.kind}-${c.epoch}.ckpt`)
      const tmp = `${path}.writing`
      writeFileSync(tmp, bytes, { flush: true })
      renameSync(tmp, path)
      out.push({ kind: c.kind, epoch: c.epoch, path, sha256: sha256(bytes), bytes: bytes.length })
    }
    return out
  }

  /** Every two seconds: jobs that failed in the queue (refused, stalled too often), and the workers' heartbeats. */
  private async check(): Promise<void> {
    if (this.polling || this.closed) return
    this.polling = true
    try {
      for (const t of this.byRun.values()) {
        if (t.ended || !t.job) continue
        const state = await this.queue.getJobState(t.jobId)
        if (state !== 'failed' || t.ended) continue
        const job = await Job.fromId(this.queue, t.jobId)
        this.finish(t, 'failed', job?.failedReason || 'the trial failed on a worker')
      }
      await this.heartbeats()
    } catch {
      // Redis is out of reach for a moment: the connection reconnects, the next pass looks again
    } finally {
      this.polling = false
    }
  }

  private async heartbeats(): Promise<void> {
    const keys: string[] = []
    let cursor = '0'
    do {
      const [next, found] = await this.o.connection.scan(cursor, 'MATCH', `${WORKER_KEY_PREFIX}*`, 'COUNT', 100)
      cursor = next
      keys.push(...found)
    } while (cursor !== '0' && keys.length < 10_000)
    if (keys.length === 0) return
    const values = await this.o.connection.mget(...keys)
    for (const v of values) {
      let beat: WorkerHeartbeat
      try {
        beat = JSON.parse(v ?? '') as WorkerHeartbeat
        if (typeof beat.name !== 'string' || typeof beat.host !== 'string' || !Array.isArray(beat.jobs)) continue
      } catch {
        continue
      }
      const mine = beat.jobs.find((j) => typeof j.jobId === 'string' && j.jobId.startsWith(`${this.o.key}-`))
      const trial = mine ? this.byJob.get(mine.jobId) : undefined
      this.o.sweeps.upsertWorker(this.o.sweepId, {
        name: beat.name.slice(0, 300),
        host: beat.host.slice(0, 300),
        pid: Number.isInteger(beat.pid) ? beat.pid : null,
        state: mine ? 'training' : beat.jobs.length > 0 ? 'busy' : 'idle',
        trial: trial?.trial ?? null,
        epoch: mine && Number.isInteger(mine.epoch) ? mine.epoch : null,
        heartbeatAt:
          typeof beat.at === 'string' && !Number.isNaN(Date.parse(beat.at)) ? beat.at : new Date().toISOString()
      })
    }
  }
}

function pidOf(worker: string): number | null {
  const m = /:(\d+)$/.exec(worker)
  return m ? Number(m[1]) : null
}
