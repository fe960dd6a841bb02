// The run store: every run, its per-epoch and per-batch metrics, checkpoints and exports, in one SQLite file.
import type { PrefixCurve } from '../../common/analysis'
import Database from 'better-sqlite3'
import { existsSync, mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import type {
  BatchMetrics,
  ExportInfo,
  EpochMetrics,
  MetricFigures,
  RunDetail,
  RunId,
  RunQuery,
  RunStatus,
  RunSummary,
  RunUpdate,
  TrainingHealth,
  TrainingProgress
} from '../../common/contract'
import { faultPoint } from '../fault-point'
import { migrate } from './migrations'
import { runHparams } from '../../common/hparams'

function parseConfig(json: string): unknown {
  try {
    return JSON.parse(json)
  } catch {
    return null
  }
}

export interface NewRun {
  name: string
  config: unknown
  dataset: string
  seed: number | null
  paramCount: number | null
  cell: string | null
  direction: string | null
  layerCount: number
  epochsPlanned: number | null
  status?: RunStatus
}

export interface CheckpointRecord {
  kind: 'last' | 'best'
  epoch: number
  path: string
  sha256: string
  bytes: number
}

/** A reported step's figures as the contract names them (see BatchMetrics); a new run always has `batches`. */
export type BatchRecord = BatchMetrics

export interface RunStart {
  engineVersion: string | null
  threads: number | null
  cpu: string | null
  pid: number | null
  host: string | null
}

interface RunRow {
  id: number
  name: string
  config_json: string
  dataset: string
  seed: number | null
  status: RunStatus
  error: string | null
  created_at: string
  started_at: string | null
  ended_at: string | null
  duration_s: number | null
  engine_version: string | null
  threads: number | null
  cpu: string | null
  param_count: number | null
  cell: string | null
  direction: string | null
  layer_count: number
  epochs_planned: number | null
  stop_reason: string | null
  tags_json: string
  notes: string
  archived: number
  pid: number | null
  host: string | null
  progress_json: string | null
  deleted_at: string | null
}

/** A run changed by some connection: its id and the change's number (see migration 5). */
export interface RunChange {
  runId: RunId
  seq: number
}

interface EpochRow {
  run_id: number
  epoch: number
  loss: number | null
  accuracy: number | null
  val_loss: number | null
  val_accuracy: number | null
  mae: number | null
  val_mae: number | null
  learning_rate: number | null
  seconds: number | null
  samples_per_second: number | null
}

export class RunNotFoundError extends Error {
  constructor(id: RunId | string) {
    super(`run ${id} not found`)
    this.name = 'RunNotFoundError'
  }
}

const now = () => new Date().toISOString()

/**
 * How long one write waits for another process's write lock before SQLite gives up. better-sqlite3 waits
 * synchronously, freezing the event loop (the UI, in Electron), so this is short: a user's edit waits at most this
 * long, and the training host retries asynchronously (see `RunStore.attempt` and training/host.ts).
 */
export const busyTimeoutMs = 1000

/** SQLite's result code of a failed statement (`SQLITE_BUSY`, `SQLITE_FULL`…), or undefined for other errors. */
export function sqliteCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined
}

/** True for an error that goes away when another process lets go of the database: worth retrying. */
export function isBusy(e: unknown): boolean {
  const code = sqliteCode(e)
  return code !== undefined && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
}

/** A database error in the product's words, naming the database file; other errors' first line as they are. */
export function databaseProblem(e: unknown, file: string): string {
  const code = sqliteCode(e)
  const first = e instanceof Error ? e.message.split('\n')[0] : String(e)
  if (code === undefined) return first
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
    return `the run database ${file} is locked by another process`
  if (code.startsWith('SQLITE_FULL')) return `the disk holding the run database ${file} is full`
  if (code.startsWith('SQLITE_READONLY')) return `the run database ${file} cannot be written (read-only)`
  if (code.startsWith('SQLITE_IOERR')) return `the run database ${file} cannot be written (disk error: ${first})`
  if (code.startsWith('SQLITE_CORRUPT') || code.startsWith('SQLITE_NOTADB'))
    return `the run database ${file} is damaged (${first})`
  return `the run database ${file}: ${first}`
}

function figures(
  epochs: EpochRow[],
  metric: 'loss' | 'accuracy' | 'val_loss' | 'val_accuracy' | 'mae' | 'val_mae'
): MetricFigures {
  const better = metric.endsWith('accuracy') ? 'max' : 'min'
  let last: number | null = null
  let best: number | null = null
  let bestEpoch: number | null = null
  for (const e of epochs) {
    const v = e[metric]
    if (v === null || !Number.isFinite(v)) continue
    last = v
    if (best === null || (better === 'max' ? v > best : v < best)) {
      best = v
      bestEpoch = e.epoch
    }
  }
  return { last, best, bestEpoch }
}

function toEpoch(r: EpochRow): EpochMetrics {
  return {
    epoch: r.epoch,
    loss: r.loss,
    accuracy: r.accuracy,
    valLoss: r.val_loss,
    valAccuracy: r.val_accuracy,
    ...(r.mae !== null || r.val_mae !== null ? { mae: r.mae, valMae: r.val_mae } : {}),
    learningRate: r.learning_rate,
    seconds: r.seconds,
    samplesPerSecond: r.samples_per_second
  }
}

export class RunStore {
  readonly db: Database.Database
  private readonly dataVersionStmt: Database.Statement
  private readonly totalChangesStmt: Database.Statement

  /**
   * Opens (creating if needed) the database at `file`. `nativeBinding` is better-sqlite3's compiled module,
   * for Electron, where the Node build cannot load.
   */
  constructor(
    readonly file: string,
    opts: { nativeBinding?: string; readonly?: boolean; mustExist?: boolean } = {}
  ) {
    // A command that only reads (`rnnlab runs --db …`) never creates a folder or an empty database.
    if (opts.mustExist && file !== ':memory:' && !existsSync(file))
      throw new Error(`${file}: no run database there (check --db, or train a run first)`)
    if (file !== ':memory:' && !opts.mustExist) mkdirSync(dirname(file), { recursive: true })
    try {
      this.db = new Database(file, {
        nativeBinding: opts.nativeBinding,
        readonly: opts.readonly ?? false,
        fileMustExist: opts.mustExist ?? false
      })
      // WAL lets the CLI and the app read while a training process writes; synchronous=NORMAL in WAL mode
      // never corrupts the file on a crash (at worst the last commit is lost).
      this.db.pragma('journal_mode = WAL')
      this.db.pragma('synchronous = NORMAL')
      this.db.pragma(`busy_timeout = ${busyTimeoutMs}`)
      this.db.pragma('foreign_keys = ON')
      if (!opts.readonly) migrate(this.db, file)
      this.dataVersionStmt = this.db.prepare('PRAGMA data_version').pluck()
      this.totalChangesStmt = this.db.prepare('SELECT total_changes()').pluck()
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e)
      throw new Error(msg.startsWith(file) ? msg : `${file}: cannot open the run database: ${msg}`, { cause: e })
    }
  }

  close(): void {
    if (this.db.open) this.db.close()
  }

  /**
   * Runs `fn` (one write) waiting at most `busyMs` for another process's write lock, so that the event loop is
   * frozen no longer than that; the caller retries a busy error later (asynchronously).
   */
  attempt<T>(fn: () => T, busyMs: number): T {
    this.db.pragma(`busy_timeout = ${Math.max(0, Math.round(busyMs))}`)
    try {
      return fn()
    } finally {
      this.db.pragma(`busy_timeout = ${busyTimeoutMs}`)
    }
  }

  createRun(run: NewRun): RunId {
    const info = this.db
      .prepare(
        `INSERT INTO runs (name, config_json, dataset, seed, status, created_at, param_count, cell, direction,
                           layer_count, epochs_planned)
         VALUES (@name, @config_json, @dataset, @seed, @status, @created_at, @param_count, @cell, @direction,
                 @layer_count, @epochs_planned)`
      )
      .run({
        name: run.name,
        config_json: JSON.stringify(run.config),
        dataset: run.dataset,
        seed: run.seed,
        status: run.status ?? 'queued',
        created_at: now(),
        param_count: run.paramCount,
        cell: run.cell,
        direction: run.direction,
        layer_count: run.layerCount,
        epochs_planned: run.epochsPlanned
      })
    return Number(info.lastInsertRowid)
  }

  markStarted(id: RunId, start: RunStart): void {
    this.mustChange(
      this.db
        .prepare(
          `UPDATE runs SET status = 'running', started_at = @t, engine_version = @engine_version, threads = @threads,
                  cpu = @cpu, pid = @pid, host = @host, error = NULL, ended_at = NULL, stop_requested_at = NULL,
                  progress_json = NULL
           WHERE id = @id AND deleted_at IS NULL`
        )
        .run({
          id,
          t: now(),
          engine_version: start.engineVersion,
          threads: start.threads,
          cpu: start.cpu,
          pid: start.pid,
          host: start.host
        }),
      id
    )
  }

  /**
   * Marks a run queued for a process to take up elsewhere (a sweep trial put on Redis for a worker): no longer ended,
   * not yet started; `owner` is the process that waits for it (if it dies, recoverInterrupted finds the run).
   */
  markQueued(id: RunId, owner: { pid: number; host: string }): void {
    this.mustChange(
      this.db
        .prepare(
          `UPDATE runs SET status = 'queued', pid = @pid, host = @host, error = NULL, ended_at = NULL,
                  stop_requested_at = NULL, progress_json = NULL
           WHERE id = @id AND deleted_at IS NULL`
        )
        .run({ id, pid: owner.pid, host: owner.host }),
      id
    )
  }

  /** Records one finished epoch; a retried epoch (after a resume) replaces the earlier figures. */
  recordEpoch(id: RunId, m: EpochMetrics): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO epoch_metrics
           (run_id, epoch, loss, accuracy, val_loss, val_accuracy, mae, val_mae, learning_rate, seconds,
            samples_per_second)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
      )
      .run(
        id,
        m.epoch,
        m.loss,
        m.accuracy,
        m.valLoss,
        m.valAccuracy,
        m.mae ?? null,
        m.valMae ?? null,
        m.learningRate,
        m.seconds,
        m.samplesPerSecond
      )
  }

  /** Records reported steps: each the mean over the `batches` batches since the previous report. */
  recordBatches(id: RunId, rows: BatchRecord[]): void {
    const insert = this.db.prepare(
      `INSERT OR REPLACE INTO step_metrics (run_id, step, epoch, batch, batches, loss, accuracy, wall_s)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
    )
    this.db.transaction(() => {
      for (const r of rows) {
        if (r.batches === null) throw new Error(`step ${r.step}: the number of batches it averages is missing`)
        insert.run(id, r.step, r.epoch, r.batch, r.batches, r.loss, r.accuracy, r.wallSeconds)
      }
    })()
  }

  setEngineFacts(id: RunId, facts: { engineVersion: string; paramCount: number; threads: number }): void {
    this.db
      .prepare(`UPDATE runs SET engine_version = ?, param_count = ?, threads = ? WHERE id = ?`)
      .run(facts.engineVersion, facts.paramCount, facts.threads, id)
  }

  /**
   * Records a finished epoch in one transaction: its metrics, the checkpoints it wrote and its per-batch figures.
   * A crash leaves either all of it or none of it.
   */
  recordEpochResult(id: RunId, m: EpochMetrics, checkpoints: CheckpointRecord[], batches: BatchRecord[]): void {
    const upsertCheckpoint = this.db.prepare(
      `INSERT OR REPLACE INTO checkpoints (run_id, kind, epoch, path, sha256, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`
    )
    // The host removes the previous checkpoint files once this commit names the new ones, so the commit must
    // survive a power cut, not only a crash: synchronous=FULL syncs the WAL at this commit (NORMAL syncs it only
    // at a WAL checkpoint).
    this.db.pragma('synchronous = FULL')
    try {
      this.db
        .transaction(() => {
          this.recordEpoch(id, m)
          for (const c of checkpoints) upsertCheckpoint.run(id, c.kind, c.epoch, c.path, c.sha256, c.bytes, now())
          this.recordBatches(id, batches)
          faultPoint('metrics-commit', this.file) // the rows written, not committed
        })
        .immediate()
    } finally {
      this.db.pragma('synchronous = NORMAL')
    }
  }

  /** Records checkpoints without an epoch's metrics (a remote trial's, sent at its end). */
  recordCheckpoints(id: RunId, checkpoints: CheckpointRecord[]): void {
    const upsert = this.db.prepare(
      `INSERT OR REPLACE INTO checkpoints (run_id, kind, epoch, path, sha256, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`
    )
    this.db.transaction(() => {
      for (const c of checkpoints) upsert.run(id, c.kind, c.epoch, c.path, c.sha256, c.bytes, now())
    })()
  }

  /**
   * Removes the epochs after `epoch` (and their steps): a remote trial continues on another worker from the checkpoint
   * of `epoch`, so the epochs trained after it by the worker that was lost will be trained again.
   */
  dropEpochsAfter(id: RunId, epoch: number): void {
    this.db.transaction(() => {
      this.db.prepare(`DELETE FROM epoch_metrics WHERE run_id = ? AND epoch > ?`).run(id, epoch)
      this.db.prepare(`DELETE FROM step_metrics WHERE run_id = ? AND epoch > ?`).run(id, epoch)
    })()
  }

  /** Every checkpoint file the database names for a run (deleted runs' too: their data is kept until purged). */
  checkpointPaths(id: RunId): string[] {
    return (this.db.prepare(`SELECT path FROM checkpoints WHERE run_id = ?`).all(id) as { path: string }[]).map(
      (r) => r.path
    )
  }

  /** The highest epoch recorded for a run, 0 when none is. */
  lastRecordedEpoch(id: RunId): number {
    const r = this.db.prepare(`SELECT MAX(epoch) AS e FROM epoch_metrics WHERE run_id = ?`).get(id) as {
      e: number | null
    }
    return r.e ?? 0
  }

  /**
   * Asks the process training a run to stop it (Cancel from another process: the app, `rnnlab serve`, the CLI).
   * The owning process polls for this; see `stopRequested`.
   */
  requestStop(id: RunId): void {
    const info = this.db
      .prepare(
        `UPDATE runs SET stop_requested_at = ? WHERE id = ? AND deleted_at IS NULL AND status IN ('running', 'queued')`
      )
      .run(now(), id)
    if (info.changes === 0) {
      const r = this.row(id)
      throw new Error(`run ${id} is not training (it is ${r.status})`)
    }
  }

  /** Which of these runs were deleted or asked to stop (by any process) since they started. */
  stopRequested(ids: RunId[]): { id: RunId; deleted: boolean }[] {
    if (ids.length === 0) return []
    const rows = this.db
      .prepare(
        `SELECT r.id, r.deleted_at FROM runs r JOIN json_each(?) j ON r.id = j.value
         WHERE r.deleted_at IS NOT NULL OR r.stop_requested_at IS NOT NULL`
      )
      .all(JSON.stringify(ids)) as { id: number; deleted_at: string | null }[]
    return rows.map((r) => ({ id: r.id, deleted: r.deleted_at !== null }))
  }

  /** Every run id in the database with whether it is training in a live process, for the clean-up at start. */
  runFolders(): { id: RunId; training: boolean }[] {
    return (this.db.prepare(`SELECT id, status FROM runs`).all() as { id: number; status: RunStatus }[]).map((r) => ({
      id: r.id,
      training: r.status === 'running' || r.status === 'queued'
    }))
  }

  /** Records an export and its report (a failed parity check is kept too, with ok false). */
  recordExport(runId: RunId, e: { checkpoint: string; path: string; ok: boolean; report: unknown }): number {
    const info = this.db
      .prepare(`INSERT INTO exports (run_id, checkpoint, path, ok, report_json, created_at) VALUES (?, ?, ?, ?, ?, ?)`)
      .run(runId, e.checkpoint, e.path, e.ok ? 1 : 0, JSON.stringify(e.report), now())
    return Number(info.lastInsertRowid)
  }

  /** Keeps a run's prefix-accuracy curve (one a run: a new one replaces the old). */
  savePrefixCurve(c: PrefixCurve): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO prefix_accuracy
           (run_id, checkpoint, epoch, version, time_steps, samples, first_json, last_json, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
      )
      .run(
        c.runId,
        c.checkpoint,
        c.epoch,
        c.version,
        c.timeSteps,
        c.size,
        JSON.stringify(c.first),
        JSON.stringify(c.last),
        c.createdAt
      )
  }

  /** A run's stored prefix-accuracy curve, or null. */
  prefixCurve(runId: RunId): PrefixCurve | null {
    const r = this.db.prepare(`SELECT * FROM prefix_accuracy WHERE run_id = ?`).get(runId) as
      | {
          run_id: number
          checkpoint: 'best' | 'last'
          epoch: number
          version: number
          time_steps: number
          samples: number
          first_json: string
          last_json: string
          created_at: string
        }
      | undefined
    if (!r) return null
    return {
      runId: r.run_id,
      checkpoint: r.checkpoint,
      epoch: r.epoch,
      version: r.version,
      timeSteps: r.time_steps,
      size: r.samples,
      first: JSON.parse(r.first_json) as number[],
      last: JSON.parse(r.last_json) as number[],
      createdAt: r.created_at
    }
  }

  /** A run's exports, newest first, with their reports. */
  listExports(runId: RunId): ExportInfo[] {
    const rows = this.db
      .prepare(
        `SELECT id, checkpoint, path, ok, report_json, created_at FROM exports WHERE run_id = ? ORDER BY id DESC`
      )
      .all(runId) as {
      id: number
      checkpoint: string
      path: string
      ok: number
      report_json: string
      created_at: string
    }[]
    return rows.map((r) => ({
      id: r.id,
      checkpoint: r.checkpoint,
      path: r.path,
      ok: r.ok === 1,
      report: JSON.parse(r.report_json),
      createdAt: r.created_at
    }))
  }

  exportPath(exportId: number): string {
    const row = this.db.prepare('SELECT path FROM exports WHERE id = ?').get(exportId) as { path: string } | undefined
    if (!row) throw new Error(`export ${exportId} not found`)
    return row.path
  }

  /**
   * A run's reported steps in order. A run recorded before per-step means were kept has only running means over
   * each epoch so far (batch_metrics): those come back with `batches` null.
   */
  getBatches(id: RunId): BatchRecord[] {
    this.row(id)
    const steps = this.db
      .prepare(
        `SELECT step, epoch, batch, batches, loss, accuracy, wall_s AS wallSeconds FROM step_metrics
         WHERE run_id = ? ORDER BY step`
      )
      .all(id) as BatchRecord[]
    if (steps.length > 0) return steps
    return this.db
      .prepare(
        `SELECT step, epoch, batch, NULL AS batches, loss, accuracy, wall_s AS wallSeconds FROM batch_metrics
         WHERE run_id = ? ORDER BY step`
      )
      .all(id) as BatchRecord[]
  }

  checkpoint(id: RunId, kind: 'last' | 'best'): CheckpointRecord | null {
    const r = this.db
      .prepare(`SELECT kind, epoch, path, sha256, bytes FROM checkpoints WHERE run_id = ? AND kind = ?`)
      .get(id, kind) as CheckpointRecord | undefined
    return r ?? null
  }

  finishRun(
    id: RunId,
    status: Exclude<RunStatus, 'queued' | 'running'>,
    error: string | null = null,
    stopReason: string | null = null
  ): void {
    this.mustChange(
      this.db
        .prepare(
          `UPDATE runs SET status = @status, error = @error, stop_reason = @stopReason, ended_at = @t, pid = NULL,
             stop_requested_at = NULL,
             progress_json = NULL,
             duration_s = CASE WHEN started_at IS NULL THEN NULL
                               ELSE (julianday(@t) - julianday(started_at)) * 86400.0 END
           WHERE id = @id`
        )
        .run({ id, status, error, stopReason, t: now() }),
      id
    )
  }

  /**
   * Marks as interrupted every run left 'running' by a process that no longer exists on this host
   * (killed, crashed, power lost), deleted runs included (restoring one shows how it ended). Returns the ids it marked.
   */
  recoverInterrupted(
    isAlive: (pid: number) => boolean,
    host: string,
    /** Only runs whose process started and is gone: a run another process created has no pid until it starts. */
    opts: { startedOnly?: boolean } = {}
  ): RunId[] {
    const stale = this.db.prepare(`SELECT id, pid, host FROM runs WHERE status IN ('running', 'queued')`).all() as {
      id: number
      pid: number | null
      host: string | null
    }[]
    const dead = stale.filter((r) => r.host === host && (r.pid === null ? !opts.startedOnly : !isAlive(r.pid)))
    for (const r of dead) this.finishRun(r.id, 'interrupted', 'the training process stopped without finishing the run')
    return dead.map((r) => r.id)
  }

  updateRun(u: RunUpdate): RunSummary {
    const row = this.row(u.id)
    this.db
      .prepare(`UPDATE runs SET name = ?, tags_json = ?, notes = ?, archived = ? WHERE id = ?`)
      .run(
        u.name ?? row.name,
        JSON.stringify(u.tags ?? JSON.parse(row.tags_json)),
        u.notes ?? row.notes,
        (u.archived ?? row.archived === 1) ? 1 : 0,
        u.id
      )
    return this.getSummary(u.id)
  }

  /** Hides a run (it can be restored); its data stays until purged. */
  deleteRun(id: RunId): void {
    this.mustChange(
      this.db.prepare(`UPDATE runs SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL`).run(now(), id),
      id
    )
  }

  restoreRun(id: RunId): void {
    this.mustChange(
      this.db.prepare(`UPDATE runs SET deleted_at = NULL WHERE id = ? AND deleted_at IS NOT NULL`).run(id),
      id
    )
  }

  /** The deleted runs (the Trash), most recently deleted first, with when each was deleted. */
  listTrash(): (RunSummary & { deletedAt: string })[] {
    const rows = this.db
      .prepare(`SELECT * FROM runs WHERE deleted_at IS NOT NULL ORDER BY deleted_at DESC, id DESC`)
      .all() as RunRow[]
    const epochs = this.epochsByRun(rows.map((r) => r.id))
    return rows.map((r) => ({ ...this.summarize(r, epochs.get(r.id) ?? []), deletedAt: r.deleted_at as string }))
  }

  /** The deleted runs deleted before `iso` (an ISO time), for the retention rule. */
  deletedBefore(iso: string): RunId[] {
    return (
      this.db.prepare(`SELECT id FROM runs WHERE deleted_at IS NOT NULL AND deleted_at < ?`).all(iso) as {
        id: number
      }[]
    ).map((r) => r.id)
  }

  /**
   * Removes a deleted run for good: its row, metrics, checkpoints and export records (the files are the caller's).
   * Returns the paths of its exports and checkpoints, for the caller to remove. A run still training is refused.
   */
  /** An epoch's training health (the gradient flow and gate saturation), replacing what that epoch had. */
  recordHealth(id: RunId, health: TrainingHealth): void {
    this.db
      .prepare(`INSERT OR REPLACE INTO training_health (run_id, epoch, version, health_json) VALUES (?, ?, ?, ?)`)
      .run(id, health.epoch, health.version, JSON.stringify(health))
  }

  /** A run's training health, epoch by epoch (the versions this RNN Lab reads). */
  getHealth(id: RunId): TrainingHealth[] {
    const rows = this.db
      .prepare(`SELECT health_json FROM training_health WHERE run_id = ? AND version = 1 ORDER BY epoch`)
      .all(id) as { health_json: string }[]
    return rows.map((r) => JSON.parse(r.health_json) as TrainingHealth)
  }

  purgeRun(id: RunId): { files: string[] } {
    return this.db
      .transaction(() => {
        const r = this.db.prepare(`SELECT status FROM runs WHERE id = ? AND deleted_at IS NOT NULL`).get(id) as
          { status: RunStatus } | undefined
        if (!r) throw new Error(`run ${id} is not in the Trash`)
        if (r.status === 'running' || r.status === 'queued')
          throw new Error(`run ${id} is still training: cancel it before deleting it for good`)
        const files = [
          ...(this.db.prepare(`SELECT path FROM exports WHERE run_id = ?`).all(id) as { path: string }[]),
          ...(this.db.prepare(`SELECT path FROM checkpoints WHERE run_id = ?`).all(id) as { path: string }[])
        ].map((f) => f.path)
        this.db.prepare(`DELETE FROM runs WHERE id = ?`).run(id)
        return { files }
      })
      .immediate()
  }

  listRuns(q: RunQuery = {}): RunSummary[] {
    const where = ['deleted_at IS NULL']
    const params: Record<string, unknown> = {}
    if (!q.includeArchived) where.push('archived = 0')
    if (q.search) {
      where.push(`(name LIKE @search ESCAPE '\\' OR notes LIKE @search ESCAPE '\\')`)
      params.search = `%${q.search.replace(/[\\%_]/g, (c) => '\\' + c)}%`
    }
    const rows = this.db
      .prepare(`SELECT * FROM runs WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT @limit`)
      .all({ ...params, limit: q.limit ?? 10_000 }) as RunRow[]
    const epochs = this.epochsByRun(rows.map((r) => r.id))
    return rows.map((r) => this.summarize(r, epochs.get(r.id) ?? []))
  }

  getSummary(id: RunId): RunSummary {
    const row = this.row(id)
    return this.summarize(row, this.epochs(id))
  }

  getRun(id: RunId): RunDetail {
    const row = this.row(id)
    const epochs = this.epochs(id)
    return {
      ...this.summarize(row, epochs),
      config: JSON.parse(row.config_json),
      seed: row.seed,
      engineVersion: row.engine_version,
      threads: row.threads,
      cpu: row.cpu,
      epochs: epochs.map(toEpoch)
    }
  }

  /** Finds a run by id, or by name (the newest run with that name). */
  /**
   * A run as a command line names it (README, "Naming runs"): `name:TEXT` is the newest run named TEXT; digits are
   * the run of that id or, when there is none, the newest run named so; anything else is the newest run of that name.
   */
  resolve(ref: string): RunId {
    const named = (name: string) =>
      this.db
        .prepare(`SELECT id FROM runs WHERE name = ? AND deleted_at IS NULL ORDER BY id DESC LIMIT 1`)
        .get(name) as { id: number } | undefined
    if (ref.startsWith('name:')) {
      const r = named(ref.slice('name:'.length))
      if (!r) throw new RunNotFoundError(`named ${JSON.stringify(ref.slice('name:'.length))}`)
      return r.id
    }
    if (/^\d+$/.test(ref)) {
      const id = Number(ref)
      const exists = this.db.prepare(`SELECT 1 FROM runs WHERE id = ? AND deleted_at IS NULL`).get(id)
      if (exists) return id
      const r = named(ref)
      if (!r) throw new RunNotFoundError(id)
      return r.id
    }
    const r = named(ref)
    if (!r) throw new RunNotFoundError(JSON.stringify(ref))
    return r.id
  }

  /** The latest progress of a running run, saved by its training process for doors in other processes. */
  setProgress(id: RunId, p: TrainingProgress | null): void {
    this.db
      .prepare(`UPDATE runs SET progress_json = ? WHERE id = ? AND status = 'running'`)
      .run(p === null ? null : JSON.stringify(p), id)
  }

  /** The saved progress of every run training now, in whichever process. */
  runningProgress(): TrainingProgress[] {
    const rows = this.db
      .prepare(
        `SELECT progress_json FROM runs WHERE status = 'running' AND deleted_at IS NULL AND progress_json IS NOT NULL`
      )
      .pluck()
      .all() as string[]
    return rows.map((j) => JSON.parse(j) as TrainingProgress)
  }

  /**
   * SQLite's `PRAGMA data_version`: it changes whenever another connection (another process, or another store in this
   * one) commits; reads no table, so it can be polled often.
   */
  dataVersion(): number {
    return this.dataVersionStmt.get() as number
  }

  /** Rows this connection has written since it opened: what data_version does not count. */
  totalChanges(): number {
    return this.totalChangesStmt.get() as number
  }

  /** The number of the newest change to any run (0 before the first). */
  lastChange(): number {
    return (this.db.prepare('SELECT coalesce(max(seq), 0) FROM run_changes').pluck().get() as number) ?? 0
  }

  /** The runs changed after change number `seq`, oldest change first; each run once, with its newest change. */
  changesSince(seq: number): RunChange[] {
    return this.db
      .prepare('SELECT run_id AS runId, seq FROM run_changes WHERE seq > ? ORDER BY seq')
      .all(seq) as RunChange[]
  }

  /** A run as the list shows it with its saved progress, or null when it was deleted (or never existed). */
  findRun(id: RunId): { summary: RunSummary; progress: TrainingProgress | null } | null {
    const r = this.db.prepare(`SELECT * FROM runs WHERE id = ? AND deleted_at IS NULL`).get(id) as RunRow | undefined
    if (!r) return null
    return {
      summary: this.summarize(r, this.epochs(id)),
      progress: r.progress_json === null ? null : (JSON.parse(r.progress_json) as TrainingProgress)
    }
  }

  /** The epochs of a run after `epoch`, in order. */
  epochsAfter(id: RunId, epoch: number): EpochMetrics[] {
    return (
      this.db
        .prepare(`SELECT * FROM epoch_metrics WHERE run_id = ? AND epoch > ? ORDER BY epoch`)
        .all(id, epoch) as EpochRow[]
    ).map(toEpoch)
  }

  integrityCheck(): string {
    return this.db.pragma('integrity_check', { simple: true }) as string
  }

  private row(id: RunId): RunRow {
    const r = this.db.prepare(`SELECT * FROM runs WHERE id = ? AND deleted_at IS NULL`).get(id) as RunRow | undefined
    if (!r) throw new RunNotFoundError(id)
    return r
  }

  private epochs(id: RunId): EpochRow[] {
    return this.db.prepare(`SELECT * FROM epoch_metrics WHERE run_id = ? ORDER BY epoch`).all(id) as EpochRow[]
  }

  private epochsByRun(ids: number[]): Map<number, EpochRow[]> {
    const byRun = new Map<number, EpochRow[]>()
    if (ids.length === 0) return byRun
    const rows = this.db
      .prepare(`SELECT e.* FROM epoch_metrics e JOIN json_each(?) j ON e.run_id = j.value ORDER BY e.run_id, e.epoch`)
      .all(JSON.stringify(ids)) as EpochRow[]
    for (const r of rows) {
      const list = byRun.get(r.run_id) ?? []
      list.push(r)
      byRun.set(r.run_id, list)
    }
    return byRun
  }

  private summarize(r: RunRow, epochs: EpochRow[]): RunSummary {
    return {
      id: r.id,
      name: r.name,
      status: r.status,
      dataset: r.dataset,
      cell: r.cell,
      direction: r.direction,
      layerCount: r.layer_count,
      paramCount: r.param_count,
      epochsDone: epochs.length,
      epochsPlanned: r.epochs_planned,
      valAccuracy: figures(epochs, 'val_accuracy'),
      valLoss: figures(epochs, 'val_loss'),
      accuracy: figures(epochs, 'accuracy'),
      loss: figures(epochs, 'loss'),
      ...(epochs.some((e) => e.mae !== null || e.val_mae !== null)
        ? { valMae: figures(epochs, 'val_mae'), mae: figures(epochs, 'mae') }
        : {}),
      durationSeconds: r.duration_s,
      tags: JSON.parse(r.tags_json) as string[],
      notes: r.notes,
      archived: r.archived === 1,
      createdAt: r.created_at,
      startedAt: r.started_at,
      endedAt: r.ended_at,
      error: r.error,
      stopReason: r.stop_reason,
      hparams: runHparams(parseConfig(r.config_json)),
      valAccuracyCurve: epochs.map((e) =>
        e.val_accuracy !== null && Number.isFinite(e.val_accuracy) ? e.val_accuracy : null
      )
    }
  }

  private mustChange(info: Database.RunResult, id: RunId): void {
    if (info.changes === 0) throw new RunNotFoundError(id)
  }
}
