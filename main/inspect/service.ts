// The runs:inspect call and `rnnlab inspect`: the inspection pass on one sample of a run, run in a worker process (the
// one training uses, started the same way: a Node child process, or Electron's utility process), so that the engine
// never runs in Electron's main process or a renderer, and a native fault ends that process only. The worker stays
// for a while after a job, keeping the run's data and model loaded: stepping through samples costs the pass only.
import { normalizeRunConfig } from '../../common/config'
import { errorMessage, type InspectRequest, type RunInspection } from '../../common/contract'
import type { RunStore } from '../runs/store'
import type { SpawnWorker, WorkerHandle } from '../training/host'

/** How long an idle inspection worker is kept. */
export const inspectWorkerIdleMs = 60_000

interface Pending {
  resolve: (r: RunInspection) => void
  reject: (e: Error) => void
  runId: number
}

export class InspectionService {
  private worker: { handle: WorkerHandle; pending: Map<number, Pending> } | null = null
  private nextId = 1
  private idle: ReturnType<typeof setTimeout> | null = null

  constructor(
    private readonly store: RunStore,
    private readonly spawn: SpawnWorker,
    private readonly home: string
  ) {}

  async inspect(request: InspectRequest): Promise<RunInspection> {
    const { store } = this
    const runId = request.id
    const config = normalizeRunConfig(store.getRun(runId).config, `run ${runId} config`)
    const kind = request.checkpoint ?? (store.checkpoint(runId, 'best') ? 'best' : 'last')
    const checkpoint = store.checkpoint(runId, kind)
    if (!checkpoint)
      throw new Error(
        request.checkpoint === 'best' && store.checkpoint(runId, 'last')
          ? `run ${runId} has no best checkpoint (it had no validation set); use --checkpoint last`
          : `run ${runId} has no ${kind} checkpoint (no epoch has finished)`
      )
    const worker = this.start()
    const id = this.nextId++
    if (this.idle) clearTimeout(this.idle)
    this.idle = null
    return new Promise<RunInspection>((resolve, reject) => {
      worker.pending.set(id, { resolve, reject, runId })
      try {
        worker.handle.send({
          type: 'inspect',
          id,
          job: {
            runId,
            config,
            checkpoint: { kind, epoch: checkpoint.epoch, path: checkpoint.path, sha256: checkpoint.sha256 },
            sample: request.sample,
            home: this.home,
            ...(request.trace ? { trace: request.trace } : {})
          }
        })
      } catch (e) {
        worker.pending.delete(id)
        reject(new Error(`run ${runId}: cannot reach the inspection worker: ${errorMessage(e)}`))
      }
    }).finally(() => this.settled())
  }

  /** Ends the worker (the services are closing); jobs still waiting fail. */
  close(): void {
    if (this.idle) clearTimeout(this.idle)
    this.idle = null
    const worker = this.worker
    this.worker = null
    if (!worker) return
    worker.handle.stop(false)
    for (const p of worker.pending.values()) p.reject(new Error(`run ${p.runId}: the inspection was stopped`))
  }

  private start(): { handle: WorkerHandle; pending: Map<number, Pending> } {
    if (this.worker) return this.worker
    const handle = this.spawn()
    const worker = { handle, pending: new Map<number, Pending>() }
    handle.onMessage((m) => {
      if (m.type !== 'inspected' && m.type !== 'inspectFailed') return
      const p = worker.pending.get(m.id)
      if (!p) return
      worker.pending.delete(m.id)
      if (m.type === 'inspected') p.resolve(m.result)
      else p.reject(new Error(m.message))
    })
    handle.onExit((code, signal) => {
      if (this.worker === worker) this.worker = null
      for (const p of worker.pending.values())
        p.reject(
          new Error(`run ${p.runId}: the inspection worker ended (${signal ?? `exit code ${code}`}) before it answered`)
        )
      worker.pending.clear()
    })
    this.worker = worker
    return worker
  }

  /** A job ended: with none waiting, the worker goes after a while (at once for a one-shot command: see unref). */
  private settled(): void {
    if (!this.worker || this.worker.pending.size > 0) return
    if (this.idle) clearTimeout(this.idle)
    this.idle = setTimeout(() => this.close(), inspectWorkerIdleMs)
    this.idle.unref()
  }
}
