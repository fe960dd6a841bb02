// Messages between the training host (in the app or CLI process) and the training worker process.
import type { RunConfig } from '../../common/config'
import type { EpochMetrics, RunId, TrainingHealth } from '../../common/contract'
import type { AnalysisJob, AnalysisResult } from '../analysis/compute'
import type { InspectHostMessage, InspectWorkerMessage } from '../inspect/protocol'

export interface TrainingJob {
  runId: RunId
  config: RunConfig
  home: string
  /** The run's folder: checkpoints live here. */
  runDir: string
  /** Where relative data paths in the config are resolved (the config file's folder). */
  baseDir?: string
  threads?: number
  /** Start from the weights of an ONNX file this product exported (same architecture). */
  initFrom?: string
  /** Continue from this checkpoint, whose epoch is the last one finished; history is the epochs recorded so far. */
  resume?: { checkpoint: string; epoch: number; history: EpochMetrics[] }
}

/** Train a run, (analyze) compute an analysis of trained runs (main/analysis), or inspect (main/inspect). */
export type HostMessage =
  { type: 'start'; job: TrainingJob } | { type: 'analyze'; job: AnalysisJob } | InspectHostMessage

export interface CheckpointWritten {
  kind: 'last' | 'best'
  epoch: number
  path: string
  sha256: string
  bytes: number
}

export type WorkerMessage =
  | { type: 'status'; phase: string }
  | {
      type: 'ready'
      engineVersion: string
      threads: number
      paramCount: number
      input: [number, number]
      trainCount: number
      validationCount: number
      batches: number
      startEpoch: number
    }
  | {
      type: 'progress'
      epoch: number
      batch: number
      batches: number
      /** Running means over the epoch so far (what the progress line shows, as Keras's does). */
      loss: number
      accuracy: number | null
      /** Means over the batches since the previous report (stepBatches of them, this one included). */
      stepLoss: number
      stepAccuracy: number | null
      stepBatches: number
      samplesPerSecond: number
      seconds: number
    }
  | { type: 'epoch'; metrics: EpochMetrics; checkpoints: CheckpointWritten[]; health?: TrainingHealth }
  | { type: 'done'; reason: string | null }
  | { type: 'failed'; message: string }
  | { type: 'analysis-progress'; done: number; total: number }
  | { type: 'analysis-result'; result: AnalysisResult }
  | InspectWorkerMessage
