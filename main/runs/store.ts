// The run store: every run, its per-epoch and per-batch metrics, checkpoints and exports, in one SQLite file.
import Database from 'better-sqlite3'
import { mkdirSync } from 'node:fs'
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
  RunUpdate
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

/** Per-batch figures as the contract names them. */
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
  deleted_at: string | null
}

interface EpochRow {
  run_id: number
  epoch: number
  loss: number | null
  accuracy: number | null
  val_loss: number | null
  val_accuracy: number | null
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

function figures(epochs: EpochRow[], metric: 'loss' | 'accuracy' | 'val_loss' | 'val_accuracy'): MetricFigures {
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
    learningRate: r.learning_rate,
    seconds: r.seconds,
    samplesPerSecond: r.samples_per_second
  }
}

export class RunStore {
  readonly db: Database.Database

  /**
   * Opens (creating if needed) the database at `file`. `nativeBinding` is better-sqlite3's compiled module,
   * for Electron, where the Node build cannot load.
   */
  constructor(
    readonly file: string,
    opts: { nativeBinding?: string; readonly?: boolean } = {}
  ) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true })
    try {
      this.db = new Database(file, { nativeBinding: opts.nativeBinding, readonly: opts.readonly ?? false })
      // WAL lets the CLI and the app read while a training process writes; synchronous=NORMAL in WAL mode
      // never corrupts the file on a crash (at worst the last commit is lost).
      this.db.pragma('journal_mode = WAL')
      this.db.pragma('synchronous = NORMAL')
      this.db.pragma('busy_timeout = 10000')
      this.db.pragma('foreign_keys = ON')
      if (!opts.readonly) migrate(this.db, file)
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e)
      throw new Error(msg.startsWith(file) ? msg : `${file}: cannot open the run database: ${msg}`, { cause: e })
    }
  }

  close(): void {
    if (this.db.open) this.db.close()
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
                  cpu = @cpu, pid = @pid, host = @host, error = NULL, ended_at = NULL
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

  /** Records one finished epoch; a retried epoch (after a resume) replaces the earlier figures. */
  recordEpoch(id: RunId, m: EpochMetrics): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO epoch_metrics
           (run_id, epoch, loss, accuracy, val_loss, val_accuracy, learning_rate, seconds, samples_per_second)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
      )
      .run(id, m.epoch, m.loss, m.accuracy, m.valLoss, m.valAccuracy, m.learningRate, m.seconds, m.samplesPerSecond)
  }

  recordBatches(id: RunId, rows: BatchRecord[]): void {
    const insert = this.db.prepare(
      `INSERT OR REPLACE INTO batch_metrics (run_id, step, epoch, batch, loss, accuracy, wall_s) VALUES (?, ?, ?, ?, ?, ?, ?)`
    )
    this.db.transaction(() => {
      for (const r of rows) insert.run(id, r.step, r.epoch, r.batch, r.loss, r.accuracy, r.wallSeconds)
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
    this.db
      .transaction(() => {
        this.recordEpoch(id, m)
        for (const c of checkpoints) upsertCheckpoint.run(id, c.kind, c.epoch, c.path, c.sha256, c.bytes, now())
        this.recordBatches(id, batches)
        faultPoint('metrics-commit', this.file) // the rows written, not committed
      })
      .immediate()
  }

  /** Records an export and its report (a failed parity check is kept too, with ok false). */
  recordExport(runId: RunId, e: { checkpoint: string; path: string; ok: boolean; report: unknown }): number {
    const info = this.db
      .prepare(`INSERT INTO exports (run_id, checkpoint, path, ok, report_json, created_at) VALUES (?, ?, ?, ?, ?, ?)`)
      .run(runId, e.checkpoint, e.path, e.ok ? 1 : 0, JSON.stringify(e.report), now())
    return Number(info.lastInsertRowid)
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

  getBatches(id: RunId): BatchRecord[] {
    this.row(id)
    return this.db
      .prepare(
        `SELECT step, epoch, batch, loss, accuracy, wall_s AS wallSeconds FROM batch_metrics WHERE run_id = ? ORDER BY step`
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
   * (killed, crashed, power lost). Returns the ids it marked.
   */
  recoverInterrupted(isAlive: (pid: number) => boolean, host: string): RunId[] {
    const stale = this.db
      .prepare(`SELECT id, pid, host FROM runs WHERE status IN ('running', 'queued') AND deleted_at IS NULL`)
      .all() as { id: number; pid: number | null; host: string | null }[]
    const dead = stale.filter((r) => r.host === host && (r.pid === null || !isAlive(r.pid)))
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
  resolve(ref: string): RunId {
    if (/^\d+$/.test(ref)) {
      this.row(Number(ref))
      return Number(ref)
    }
    const r = this.db
      .prepare(`SELECT id FROM runs WHERE name = ? AND deleted_at IS NULL ORDER BY id DESC LIMIT 1`)
      .get(ref) as { id: number } | undefined
    if (!r) throw new RunNotFoundError(JSON.stringify(ref))
    return r.id
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
