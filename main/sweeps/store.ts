// Sweeps in the run database: the sweep (its config, status and owner process) and its trials, each a run created
// queued with the sweep, with its trial number and parameter values. A trial's outcome is written once.
import type {
  RunStatus,
  SweepDetail,
  SweepStatus,
  SweepSummary,
  SweepTrial,
  SweepWorker,
  TrialState
} from '../../common/contract'
import { trialStates } from '../../common/contract'
import { modelFacts } from '../../common/model'
import { objectiveGoal, type SweepConfig, type TrialPlan } from '../../common/sweep'
import type { RunStore } from '../runs/store'

export type TrialOutcome = 'completed' | 'pruned' | 'failed' | 'cancelled'

/** What a trial's stop reason starts with when the median rule stopped it. */
export const PRUNED_PREFIX = 'pruned'

interface SweepRow {
  id: number
  name: string
  config_json: string
  method: 'grid' | 'random'
  objective: 'val_accuracy' | 'val_loss'
  status: SweepStatus
  base_dir: string | null
  parallel: number | null
  threads_per_trial: number | null
  created_at: string
  started_at: string | null
  ended_at: string | null
  pid: number | null
  host: string | null
  remote: string | null
}

/** A worker is shown gone when its last heartbeat is older than this. */
export const WORKER_GONE_MS = 15_000

interface WorkerRow {
  name: string
  host: string
  pid: number | null
  state: 'idle' | 'training' | 'busy'
  trial: number | null
  epoch: number | null
  trials_done: number
  first_seen: string
  heartbeat_at: string
  run_id: number | null
}

/** A worker as its heartbeat says, for upsertWorker. */
export interface WorkerSeen {
  name: string
  host: string
  pid: number | null
  state: 'idle' | 'training' | 'busy'
  trial: number | null
  epoch: number | null
  heartbeatAt: string
}

interface TrialRow {
  trial: number
  run_id: number
  params_json: string
  repeat: number
  outcome: TrialOutcome | null
  seed: number | null
  status: RunStatus
  epochs_planned: number | null
  stop_reason: string | null
  error: string | null
  config_json: string
  epochs_done: number
  best_acc: number | null
  best_loss: number | null
  attempts: number
}

export class SweepNotFoundError extends Error {
  constructor(id: number | string) {
    super(`sweep ${id} not found`)
    this.name = 'SweepNotFoundError'
  }
}

const now = () => new Date().toISOString()

/** The outcome a trial's ended run stands for; null while it has not ended (queued, running, interrupted). */
export function outcomeOf(status: RunStatus, stopReason: string | null): TrialOutcome | null {
  switch (status) {
    case 'completed':
      return stopReason?.startsWith(PRUNED_PREFIX) ? 'pruned' : 'completed'
    case 'failed':
    case 'cancelled':
      return status
    default:
      return null
  }
}

export class SweepStore {
  constructor(private readonly runs: RunStore) {}

  private get db() {
    return this.runs.db
  }

  /** Creates the sweep and one queued run per trial, in one transaction. */
  create(sweep: SweepConfig, trials: TrialPlan[], baseDir: string | null): number {
    return this.db.transaction(() => {
      const info = this.db
        .prepare(
          `INSERT INTO sweeps (name, config_json, method, objective, status, base_dir, created_at)
           VALUES (?, ?, ?, ?, 'queued', ?, ?)`
        )
        .run(sweep.name, JSON.stringify(sweep), sweep.method, sweep.objective, baseDir, now())
      const id = Number(info.lastInsertRowid)
      const insert = this.db.prepare(
        `INSERT INTO sweep_trials (sweep_id, trial, run_id, params_json, repeat) VALUES (?, ?, ?, ?, ?)`
      )
      for (const t of trials) {
        const runId = this.runs.createRun({
          name: t.config.name,
          config: t.config,
          dataset: t.config.dataset.source,
          seed: t.seed,
          paramCount: null,
          ...modelFacts(t.config),
          epochsPlanned: t.config.training.epochs
        })
        insert.run(id, t.index + 1, runId, JSON.stringify(t.params), t.repeat)
      }
      return id
    })()
  }

  /**
   * Adds trials to a sweep (its config becomes `sweep`, which holds them), numbered after its last one, each a queued
   * run. A sweep that had ended (or that no process runs) becomes interrupted, to be resumed; returns whether a live
   * process owns it (it picks the new trials up itself).
   */
  addTrials(
    id: number,
    sweep: SweepConfig,
    trials: TrialPlan[],
    ownerAlive: (pid: number, host: string | null) => boolean
  ): { first: number; last: number; owned: boolean } {
    return this.db
      .transaction(() => {
        const row = this.row(id)
        const { n } = this.db.prepare(`SELECT COUNT(*) AS n FROM sweep_trials WHERE sweep_id = ?`).get(id) as {
          n: number
        }
        const insert = this.db.prepare(
          `INSERT INTO sweep_trials (sweep_id, trial, run_id, params_json, repeat) VALUES (?, ?, ?, ?, ?)`
        )
        trials.forEach((t, i) => {
          const runId = this.runs.createRun({
            name: `${sweep.name} #${n + i + 1}`,
            config: { ...t.config, name: `${sweep.name} #${n + i + 1}` },
            dataset: t.config.dataset.source,
            seed: t.seed,
            paramCount: null,
            ...modelFacts(t.config),
            epochsPlanned: t.config.training.epochs
          })
          insert.run(id, n + i + 1, runId, JSON.stringify(t.params), t.repeat)
        })
        const owned = row.status === 'running' && row.pid !== null && ownerAlive(row.pid, row.host)
        this.db
          .prepare(
            `UPDATE sweeps SET config_json = ?,
             status = CASE WHEN ? THEN status ELSE 'interrupted' END,
             pid = CASE WHEN ? THEN pid ELSE NULL END, ended_at = CASE WHEN ? THEN ended_at ELSE NULL END
           WHERE id = ?`
          )
          .run(JSON.stringify(sweep), owned ? 1 : 0, owned ? 1 : 0, owned ? 1 : 0, id)
        return { first: n + 1, last: n + trials.length, owned }
      })
      .immediate()
  }

  /**
   * Ends a sweep as completed unless it holds trials its owner does not know (added meanwhile by another process):
   * then nothing changes and false is returned.
   */
  finishCompleted(id: number, known: number): boolean {
    return this.db
      .transaction(() => {
        const { n } = this.db.prepare(`SELECT COUNT(*) AS n FROM sweep_trials WHERE sweep_id = ?`).get(id) as {
          n: number
        }
        if (n > known) return false
        this.finish(id, 'completed')
        return true
      })
      .immediate()
  }

  /**
   * Makes this process the sweep's owner: refused when it has ended, or when another live process runs it.
   * `isAlive` tells whether a process of this host still exists.
   */
  claim(
    id: number,
    owner: { pid: number; host: string; parallel: number; threadsPerTrial: number },
    isAlive: (pid: number) => boolean
  ): void {
    const row = this.row(id)
    if (row.status === 'completed' || row.status === 'cancelled') {
      throw new Error(
        `sweep ${id} has ${row.status === 'completed' ? 'completed' : 'been cancelled'}; nothing to resume`
      )
    }
    if (row.status === 'running' && row.pid !== null && (row.host !== owner.host || isAlive(row.pid))) {
      throw new Error(`sweep ${id} is running in process ${row.pid} on ${row.host ?? 'another machine'}`)
    }
    const info = this.db
      .prepare(
        `UPDATE sweeps SET status = 'running', pid = @pid, host = @host, parallel = @parallel,
                threads_per_trial = @threads, started_at = COALESCE(started_at, @t), ended_at = NULL
         WHERE id = @id AND status = @status AND pid IS @oldPid`
      )
      .run({
        id,
        pid: owner.pid,
        host: owner.host,
        parallel: owner.parallel,
        threads: owner.threadsPerTrial,
        t: now(),
        status: row.status,
        oldPid: row.pid
      })
    if (info.changes === 0) throw new Error(`sweep ${id} was taken by another process just now`)
  }

  /** Ends the sweep (its owner's pid cleared); a sweep cancelled meanwhile stays cancelled. */
  finish(id: number, status: 'completed' | 'cancelled' | 'interrupted'): void {
    this.db
      .prepare(
        `UPDATE sweeps SET status = CASE WHEN status = 'cancelled' THEN status ELSE @status END,
                ended_at = COALESCE(CASE WHEN status = 'cancelled' THEN ended_at END, @t), pid = NULL
         WHERE id = @id`
      )
      .run({ status, t: now(), id })
  }

  /** Marks the sweep cancelled (its owner, if any, sees it and stops). Returns false when it had already ended. */
  markCancelled(id: number): boolean {
    this.row(id)
    const info = this.db
      .prepare(
        `UPDATE sweeps SET status = 'cancelled', ended_at = ? WHERE id = ? AND status IN ('queued','running','interrupted')`
      )
      .run(now(), id)
    return info.changes > 0
  }

  /** Marks the sweep as run through Redis (the address with its password hidden), or here (null). */
  setRemote(id: number, remote: string | null): void {
    this.db.prepare(`UPDATE sweeps SET remote = ? WHERE id = ?`).run(remote, id)
  }

  /** Records what a worker's heartbeat said (the owner polls them while it runs the sweep through Redis). */
  upsertWorker(id: number, w: WorkerSeen): void {
    this.db
      .prepare(
        `INSERT INTO sweep_workers (sweep_id, name, host, pid, state, trial, epoch, first_seen, heartbeat_at)
         VALUES (@id, @name, @host, @pid, @state, @trial, @epoch, @t, @at)
         ON CONFLICT (sweep_id, name) DO UPDATE SET host = @host, pid = @pid, state = @state, trial = @trial,
           epoch = @epoch, heartbeat_at = @at`
      )
      .run({ id, ...w, t: w.heartbeatAt, at: w.heartbeatAt })
  }

  /** Counts a trial of the sweep that the worker finished. */
  countWorkerTrial(id: number, name: string): void {
    this.db
      .prepare(`UPDATE sweep_workers SET trials_done = trials_done + 1 WHERE sweep_id = ? AND name = ?`)
      .run(id, name)
  }

  /**
   * The workers the sweep's owner saw, in the order it first saw them; one without a heartbeat for WORKER_GONE_MS is
   * gone; once no process runs the sweep, none trains one of its trials.
   */
  workers(id: number, nowMs = Date.now()): SweepWorker[] {
    // A sweep no process runs has no trial in training: what its workers were doing at the last look is over.
    const running = this.row(id).status === 'running'
    const rows = this.db
      .prepare(
        `SELECT w.*, t.run_id FROM sweep_workers w
         LEFT JOIN sweep_trials t ON t.sweep_id = w.sweep_id AND t.trial = w.trial
         WHERE w.sweep_id = ? ORDER BY w.first_seen, w.name`
      )
      .all(id) as WorkerRow[]
    return rows.map((r) => {
      const gone = nowMs - Date.parse(r.heartbeat_at) > WORKER_GONE_MS
      const current = !gone && running
      return {
        name: r.name,
        host: r.host,
        pid: r.pid,
        state: gone ? 'gone' : running || r.state !== 'training' ? r.state : 'idle',
        trial: current ? r.trial : null,
        runId: current ? r.run_id : null,
        epoch: current ? r.epoch : null,
        trialsDone: r.trials_done,
        firstSeen: r.first_seen,
        lastHeartbeat: r.heartbeat_at
      }
    })
  }

  /** The sweep a run is a trial of, with its trial number and the sweep's trial count; null for a run of its own. */
  ofRun(runId: number): { id: number; name: string; trial: number; trials: number } | null {
    const r = this.db
      .prepare(
        `SELECT s.id, s.name, t.trial, (SELECT COUNT(*) FROM sweep_trials c WHERE c.sweep_id = s.id) AS trials
         FROM sweep_trials t JOIN sweeps s ON s.id = t.sweep_id WHERE t.run_id = ?`
      )
      .get(runId) as { id: number; name: string; trial: number; trials: number } | undefined
    return r ?? null
  }

  /** How many trials the sweep holds. */
  trialCount(id: number): number {
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM sweep_trials WHERE sweep_id = ?`).get(id) as { n: number }).n
  }

  /** The trial's run id. */
  runIdOf(id: number, trial: number): number {
    const r = this.db.prepare(`SELECT run_id FROM sweep_trials WHERE sweep_id = ? AND trial = ?`).get(id, trial) as
      { run_id: number } | undefined
    if (!r) throw new Error(`sweep ${id} has no trial ${trial}`)
    return r.run_id
  }

  status(id: number): SweepStatus {
    return this.row(id).status
  }

  /** Writes a trial's outcome unless it has one: a trial ends exactly once. Returns whether this call ended it. */
  setOutcome(id: number, trial: number, outcome: TrialOutcome): boolean {
    const info = this.db
      .prepare(`UPDATE sweep_trials SET outcome = ?, ended_at = ? WHERE sweep_id = ? AND trial = ? AND outcome IS NULL`)
      .run(outcome, now(), id, trial)
    return info.changes > 0
  }

  /** Counts a start of the trial's run (a first start, or a resume after an interruption). */
  countAttempt(id: number, trial: number): void {
    this.db.prepare(`UPDATE sweep_trials SET attempts = attempts + 1 WHERE sweep_id = ? AND trial = ?`).run(id, trial)
  }

  /**
   * Sweeps left 'running' by a process of this host that no longer exists become interrupted (their trials' runs
   * are marked interrupted by the run store's own recovery). Returns their ids.
   */
  recoverInterrupted(isAlive: (pid: number) => boolean, host: string): number[] {
    const rows = this.db.prepare(`SELECT id, pid, host FROM sweeps WHERE status = 'running'`).all() as {
      id: number
      pid: number | null
      host: string | null
    }[]
    const dead = rows.filter((r) => r.host === host && (r.pid === null || !isAlive(r.pid)))
    for (const r of dead)
      this.db
        .prepare(`UPDATE sweeps SET status = 'interrupted', pid = NULL WHERE id = ? AND status = 'running'`)
        .run(r.id)
    return dead.map((r) => r.id)
  }

  /**
   * The newest sweep with exactly this config that has not ended: re-running a sweep file continues it (or, when
   * another live process runs it, is refused by claim() naming that process).
   */
  findUnfinished(sweep: SweepConfig): number | null {
    const r = this.db
      .prepare(
        `SELECT id FROM sweeps WHERE config_json = ? AND status IN ('queued','running','interrupted') ORDER BY id DESC LIMIT 1`
      )
      .get(JSON.stringify(sweep)) as { id: number } | undefined
    return r?.id ?? null
  }

  config(id: number): { sweep: SweepConfig; baseDir: string | null } {
    const row = this.row(id)
    return { sweep: JSON.parse(row.config_json) as SweepConfig, baseDir: row.base_dir }
  }

  list(): SweepSummary[] {
    const rows = this.db.prepare(`SELECT * FROM sweeps ORDER BY id DESC`).all() as SweepRow[]
    return rows.map((r) => this.summarize(r, this.trialRows(r.id)))
  }

  get(id: number): SweepDetail {
    const row = this.row(id)
    const trials = this.trialRows(id)
    return {
      ...this.summarize(row, trials),
      config: JSON.parse(row.config_json),
      trialList: trials.map((t) => toTrial(t, row.objective))
    }
  }

  /** The trials with what the owner needs to run them: run id and status, config, outcome. */
  trials(id: number): SweepTrial[] {
    const row = this.row(id)
    return this.trialRows(id).map((t) => toTrial(t, row.objective))
  }

  private row(id: number): SweepRow {
    const r = this.db.prepare(`SELECT * FROM sweeps WHERE id = ?`).get(id) as SweepRow | undefined
    if (!r) throw new SweepNotFoundError(id)
    return r
  }

  private trialRows(id: number): TrialRow[] {
    return this.db
      .prepare(
        `SELECT t.trial, t.run_id, t.params_json, t.repeat, t.outcome, t.attempts, r.seed, r.status, r.epochs_planned,
                r.stop_reason, r.error, r.config_json,
                (SELECT COUNT(*) FROM epoch_metrics e WHERE e.run_id = t.run_id) AS epochs_done,
                (SELECT MAX(val_accuracy) FROM epoch_metrics e WHERE e.run_id = t.run_id) AS best_acc,
                (SELECT MIN(val_loss) FROM epoch_metrics e WHERE e.run_id = t.run_id) AS best_loss
         FROM sweep_trials t JOIN runs r ON r.id = t.run_id
         WHERE t.sweep_id = ? ORDER BY t.trial`
      )
      .all(id) as TrialRow[]
  }

  private summarize(r: SweepRow, trials: TrialRow[]): SweepSummary {
    const goal = objectiveGoal(r.objective)
    const counts = Object.fromEntries(trialStates.map((s) => [s, 0])) as Record<TrialState, number>
    let best: SweepSummary['best'] = null
    for (const row of trials) {
      const t = toTrial(row, r.objective)
      counts[t.state]++
      if (t.objective === null) continue
      if (best === null || (goal === 'max' ? t.objective > best.value : t.objective < best.value))
        best = { trial: t.trial, runId: t.runId, value: t.objective, params: t.params }
    }
    return {
      id: r.id,
      name: r.name,
      status: r.status,
      method: r.method,
      objective: r.objective,
      goal,
      trials: trials.length,
      counts,
      best,
      parallel: r.parallel,
      threadsPerTrial: r.threads_per_trial,
      createdAt: r.created_at,
      startedAt: r.started_at,
      endedAt: r.ended_at,
      pid: r.pid,
      host: r.host,
      remote: r.remote
    }
  }
}

function toTrial(t: TrialRow, objective: 'val_accuracy' | 'val_loss'): SweepTrial {
  // A run that ended while its owner died before writing the outcome shows what it ended as (resume writes it).
  const state: TrialState =
    t.outcome ??
    outcomeOf(t.status, t.stop_reason) ??
    (t.status === 'queued' || t.status === 'running' ? t.status : 'interrupted')
  return {
    trial: t.trial,
    runId: t.run_id,
    params: JSON.parse(t.params_json) as Record<string, unknown>,
    repeat: t.repeat,
    seed: t.seed,
    state,
    epochsDone: t.epochs_done,
    epochsPlanned: t.epochs_planned,
    objective: objective === 'val_accuracy' ? t.best_acc : t.best_loss,
    stopReason: t.stop_reason,
    error: t.error,
    attempts: t.attempts
  }
}
