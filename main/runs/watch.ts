// Watches the run database for what other processes (the CLI, another window, `rnnlab serve`) and this one write,
// and turns it into the contract's events. Each tick reads SQLite's data_version and this connection's change count
// (no table read); only when one moved are the runs changed since the cursor read, and only those runs are re-read.
import type {
  EpochMetrics,
  RunId,
  RunStatus,
  RunSummary,
  RunsChanged,
  RunStatusChange,
  TrainingProgress
} from '../../common/contract'
import type { RunStore } from './store'

export interface WatchEvents {
  /** Runs whose summary changed (created, renamed, a new epoch, finished…) and runs deleted. */
  changed(c: RunsChanged): void
  /** The following are sent for runs trained by another process only: this process's host sends its own. */
  status(s: RunStatusChange): void
  epoch(runId: RunId, metrics: EpochMetrics): void
  progress(p: TrainingProgress): void
}

interface Known {
  summary: string
  status: RunStatus
  epochs: number
  progress: string | null
}

/** Ticks between two looks for runs whose process died (2 s at the default 250 ms a tick). */
const REAP_EVERY = 8

export class RunWatcher {
  private cursor: number
  private dataVersion: number
  private totalChanges: number
  private readonly known = new Map<RunId, Known>()
  private timer: NodeJS.Timeout | null = null
  private ticks = 0

  constructor(
    private readonly store: RunStore,
    private readonly events: WatchEvents,
    /** Whether this process trains the run (its host reports it as it goes). */
    private readonly isLocal: (runId: RunId) => boolean,
    /**
     * Marks as interrupted the runs whose training process on this machine is gone (killed, crashed): called every
     * REAP_EVERY ticks, so that an open window sees such a run end (and offers Resume) without a restart.
     */
    private readonly reapDead: () => void = () => undefined
  ) {
    this.cursor = store.lastChange()
    this.dataVersion = store.dataVersion()
    this.totalChanges = store.totalChanges()
  }

  /** Polls every `intervalMs` until stopped; the timer does not keep the process alive. */
  start(intervalMs = 250): void {
    if (this.timer) return
    this.timer = setInterval(() => {
      try {
        if (++this.ticks % REAP_EVERY === 0) this.reapDead()
        this.poll()
      } catch {
        // The database is busy or closing: the next tick reads the same changes, the cursor has not moved.
      }
    }, intervalMs)
    this.timer.unref()
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  }

  /** What this process's host already said of its own run, so that it is not said twice. */
  noteStatus(runId: RunId, status: RunStatus): void {
    this.knownOf(runId).status = status
  }

  noteEpoch(runId: RunId, epoch: number): void {
    const k = this.knownOf(runId)
    k.epochs = Math.max(k.epochs, epoch)
  }

  private knownOf(runId: RunId): Known {
    let k = this.known.get(runId)
    if (!k) this.known.set(runId, (k = { summary: '', status: 'running', epochs: 0, progress: null }))
    return k
  }

  /** Reads what changed since the last call and sends it; returns the number of runs re-read. */
  poll(): number {
    const version = this.store.dataVersion()
    const total = this.store.totalChanges()
    if (version === this.dataVersion && total === this.totalChanges) return 0
    this.dataVersion = version
    this.totalChanges = total
    const changes = this.store.changesSince(this.cursor)
    if (changes.length === 0) return 0
    const runs: RunSummary[] = []
    const removed: RunId[] = []
    for (const { runId, seq } of changes) {
      this.cursor = Math.max(this.cursor, seq)
      const found = this.store.findRun(runId)
      const before = this.known.get(runId)
      if (!found) {
        this.known.delete(runId)
        removed.push(runId)
        continue
      }
      const { summary, progress } = found
      const now: Known = {
        summary: JSON.stringify(summary),
        status: summary.status,
        epochs: summary.epochsDone,
        progress: progress === null ? null : JSON.stringify(progress)
      }
      this.known.set(runId, now)
      if (now.summary !== before?.summary) runs.push(summary)
      if (this.isLocal(runId)) continue
      if (now.epochs > (before?.epochs ?? 0))
        for (const m of this.store.epochsAfter(runId, before?.epochs ?? 0)) this.events.epoch(runId, m)
      if (progress && summary.status === 'running' && now.progress !== before?.progress) this.events.progress(progress)
      if (now.status !== before?.status) this.events.status({ runId, status: summary.status, error: summary.error })
    }
    if (runs.length > 0 || removed.length > 0) this.events.changed({ runs, removed })
    return changes.length
  }
}
