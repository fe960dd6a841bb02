// The messages of an inspection job between its host (services.ts, in the app or CLI process) and the worker process
// that runs it (main/worker.ts): the engine's inspection pass never runs in Electron's main process or a renderer.
// One worker answers the jobs of a while, in order, each reply naming its job's id.
import type { RunConfig } from '../../common/config'
import type { RunId, RunInspection, TraceRequest } from '../../common/contract'

export interface InspectJob {
  runId: RunId
  config: RunConfig
  checkpoint: { kind: 'best' | 'last'; epoch: number; path: string; sha256: string }
  sample: number
  home: string
  trace?: TraceRequest
}

export type InspectHostMessage = { type: 'inspect'; id: number; job: InspectJob }
export type InspectWorkerMessage =
  { type: 'inspected'; id: number; result: RunInspection } | { type: 'inspectFailed'; id: number; message: string }
