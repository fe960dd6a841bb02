// The runs:inspect call and `rnnlab inspect`: the inspection pass on one sample of a run, run in a worker process of
// its own (the one training uses, started the same way: a Node child process, or Electron's utility process), so that
// the engine never runs in Electron's main process or a renderer, and a native fault ends that process only.
import { normalizeRunConfig } from '../../common/config'
import { errorMessage, type InspectRequest, type RunInspection } from '../../common/contract'
import type { RunStore } from '../runs/store'
import type { SpawnWorker } from '../training/host'

export interface InspectOptions {
  store: RunStore
  spawn: SpawnWorker
  home: string
}

export async function inspectRun(options: InspectOptions, request: InspectRequest): Promise<RunInspection> {
  const { store } = options
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
  const handle = options.spawn()
  return new Promise<RunInspection>((resolve, reject) => {
    let settled = false
    const finish = (fn: () => void) => {
      if (settled) return
      settled = true
      handle.stop(false)
      fn()
    }
    handle.onMessage((m) => {
      if (m.type === 'inspected') finish(() => resolve(m.result))
      else if (m.type === 'failed') finish(() => reject(new Error(m.message)))
    })
    handle.onExit((code, signal) =>
      finish(() =>
        reject(
          new Error(`run ${runId}: the inspection worker ended (${signal ?? `exit code ${code}`}) before it answered`)
        )
      )
    )
    try {
      handle.send({
        type: 'inspect',
        job: {
          runId,
          config,
          checkpoint: { kind, epoch: checkpoint.epoch, path: checkpoint.path },
          sample: request.sample,
          home: options.home
        }
      })
    } catch (e) {
      finish(() => reject(new Error(`run ${runId}: cannot start the inspection worker: ${errorMessage(e)}`)))
    }
  })
}
