// Runs analyses in worker processes (the training worker's entry, main/worker.ts), one process per analysis: the
// engine never runs in the app's or the CLI's process, and a cancel ends the process at once.
import type { AnalysisProgress } from '../../common/analysis'
import type { SpawnWorker, WorkerHandle } from '../training/host'
import type { AnalysisJob, AnalysisResult } from './compute'

export class AnalysisCancelledError extends Error {
  constructor(id: string) {
    super(`analysis ${id} was cancelled`)
    this.name = 'AnalysisCancelledError'
  }
}

interface Active {
  handle: WorkerHandle
  cancel: () => void
}

let counter = 0

export class AnalysisHost {
  private readonly active = new Map<string, Active>()

  constructor(
    private readonly spawn: SpawnWorker,
    private readonly onProgress: (p: AnalysisProgress) => void
  ) {}

  /** A fresh id for an analysis whose caller gave none. */
  static newId(): string {
    return `a${process.pid}-${Date.now().toString(36)}-${++counter}`
  }

  isActive(id: string): boolean {
    return this.active.has(id)
  }

  /** Computes `job` in a new worker process; progress is reported under `id`, which `cancel` takes. */
  run(job: AnalysisJob, id: string = AnalysisHost.newId()): Promise<AnalysisResult> {
    if (this.active.has(id)) throw new Error(`analysisId ${id}: an analysis of that id is already running`)
    const runIds = job.models.map((m) => m.runId)
    return new Promise<AnalysisResult>((resolve, reject) => {
      let settled = false
      const finish = (f: () => void) => {
        if (settled) return
        settled = true
        this.active.delete(id)
        f()
      }
      const handle = this.spawn()
      this.active.set(id, {
        handle,
        cancel: () => {
          finish(() => reject(new AnalysisCancelledError(id)))
          handle.stop(true)
        }
      })
      handle.onMessage((m) => {
        if (m.type === 'analysis-progress') {
          if (!settled) this.onProgress({ analysisId: id, kind: job.kind, runIds, done: m.done, total: m.total })
        } else if (m.type === 'analysis-result') {
          finish(() => resolve(m.result))
          handle.stop(false)
        } else if (m.type === 'failed') {
          finish(() => reject(new Error(m.message)))
          handle.stop(false)
        }
      })
      handle.onExit((code, signal) =>
        finish(() =>
          reject(
            new Error(
              `the analysis worker ended (${signal ? `signal ${signal}` : `exit code ${code}`}) before giving its result`
            )
          )
        )
      )
      handle.send({ type: 'analyze', job })
    })
  }

  /** Stops an analysis: its worker is ended at once and its call fails as cancelled. False if none runs by that id. */
  cancel(id: string): boolean {
    const a = this.active.get(id)
    if (!a) return false
    a.cancel()
    return true
  }

  stopAll(): void {
    for (const a of [...this.active.values()]) a.cancel()
  }
}
