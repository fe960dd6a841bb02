// The training worker process's entry: hands the training loop the services it uses (datasets, ONNX weights), as
// services.ts does for the main process, and connects it to the host that started the process.
import { explainEngineError } from '../common/config'
import { errorMessage } from '../common/contract'
import { loadDataset } from './datasets'
import { runInspectJob } from './inspect/worker'
import { loadInitWeights } from './onnx/service'
import type { HostMessage, WorkerMessage } from './training/protocol'
import { train } from './training/worker'
import { runAnalysis } from './analysis/compute'

interface Port {
  send(message: WorkerMessage): void
  onMessage(listener: (message: HostMessage) => void): void
}

/** The channel to the host: Electron's parentPort in a utility process, Node's IPC channel in a child process. */
function hostPort(): Port {
  const parentPort = (
    process as unknown as {
      parentPort?: { postMessage(m: unknown): void; on(e: 'message', l: (e: { data: unknown }) => void): void }
    }
  ).parentPort
  if (parentPort) {
    return {
      send: (m) => parentPort.postMessage(m),
      onMessage: (l) => parentPort.on('message', (e) => l(e.data as HostMessage))
    }
  }
  if (!process.send) throw new Error('the training worker must be started by RNN Lab (no IPC channel)')
  // A host that dies (killed, crashed) takes its worker with it: nobody would record the results.
  process.on('disconnect', () => process.exit(0))
  return {
    // A host gone mid-send (killed): nobody can record anything, so the worker ends quietly, not with EPIPE.
    send: (m) => void process.send!(m, undefined, {}, (e) => e && process.exit(0)),
    onMessage: (l) => process.on('message', (m) => l(m as HostMessage))
  }
}

function main(): void {
  const port = hostPort()
  // Ctrl-C in a terminal reaches the whole process group: the host decides what it means (cancel a run, leave a sweep
  // resumable) and ends this process itself; dying here first would make the run look crashed.
  process.on('SIGINT', () => {})
  port.onMessage((message) => {
    if (message.type === 'analyze') {
      // Progress is sent between the engine's passes; the yield lets the message leave before the next pass.
      const progress = (done: number, total: number) => {
        port.send({ type: 'analysis-progress', done, total })
        return new Promise<void>((resolve) => setImmediate(resolve))
      }
      runAnalysis(message.job, { loadDataset, progress }).then(
        (result) => port.send({ type: 'analysis-result', result }),
        (e) => port.send({ type: 'failed', message: errorMessage(e) })
      )
      return
    }
    if (message.type === 'inspect') {
      const { id } = message
      runInspectJob(message.job, { loadDataset }).then(
        (result) => port.send({ type: 'inspected', id, result }),
        (e) => port.send({ type: 'inspectFailed', id, message: errorMessage(e) })
      )
      return
    }
    if (message.type !== 'start') return
    // When the work ends the host closes the channel, and this process ends with it.
    train(message.job, (m) => port.send(m), { loadDataset, loadInitWeights }).catch((e) =>
      // The engine's own wording of a model/labels mismatch, in the words the builder uses.
      port.send({ type: 'failed', message: explainEngineError(errorMessage(e), message.job.config) })
    )
  })
}

// Only as the entry of a worker process started by the host (not when a test imports this module).
if (process.env.RNNLAB_TRAINING_WORKER === '1') main()
