// The messages of an inspection job between its host (services.ts, in the app or CLI process) and the worker process
// that runs it (main/worker.ts): the engine's inspection pass never runs in Electron's main process or a renderer.
import type { RunConfig } from '../../common/config'
import type { RunId, RunInspection } from '../../common/contract'

export interface InspectJob {
  runId: RunId
  config: RunConfig
  checkpoint: { kind: 'best' | 'last'; epoch: number; path: string }
  sample: number
  home: string
}

export type InspectHostMessage = { type: 'inspect'; job: InspectJob }
export type InspectWorkerMessage = { type: 'inspected'; result: RunInspection }
