// The API contract between the UI and main: every call and every pushed event, named and typed once.
// The Electron preload, the IPC registration, the browser server and its WebSocket client are all built from
// the tables below, so a channel name is written here and nowhere else.
import {
  ContractError,
  optional,
  readArray,
  readBoolean,
  readInteger,
  readObject,
  readString,
  readStringArray,
  readUnknown
} from './validate'
import { LIMITS, NAME_MAX_LENGTH } from './config/limits'
import { fileErrorMessage, isFileSystemError } from './file-errors'
import { findControlCharacter } from './format'
import { show } from './fields'
import { normalizeDatasetSpec, type DatasetPreview, type DatasetSpec } from './datasets'
import type { ModelSummary } from './model'
import type { RunHparams } from './hparams'
import type { AblationReport, AnalysisProgress, ConfusionReport, PrefixCurve, RunDiff } from './analysis'

export type { RunHparams } from './hparams'
export type { AblationReport, AnalysisProgress, ConfusionReport, PrefixCurve, RunDiff } from './analysis'

export type RunId = number
export type RunStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled' | 'interrupted'
export const runStatuses: readonly RunStatus[] = [
  'queued',
  'running',
  'completed',
  'failed',
  'cancelled',
  'interrupted'
]

/** One metric's figures over a run: the last value, the best value and the (1-based) epoch of the best. */
export interface MetricFigures {
  last: number | null
  best: number | null
  bestEpoch: number | null
}

export interface RunSummary {
  id: RunId
  name: string
  status: RunStatus
  dataset: string
  /** The recurrent cells used, e.g. "lstm" or "gru+lstm". */
  cell: string | null
  /** "forward", "backward", "bidirectional" or a mix such as "bidirectional+forward". */
  direction: string | null
  layerCount: number
  paramCount: number | null
  epochsDone: number
  epochsPlanned: number | null
  valAccuracy: MetricFigures
  valLoss: MetricFigures
  accuracy: MetricFigures
  loss: MetricFigures
  durationSeconds: number | null
  tags: string[]
  notes: string
  archived: boolean
  createdAt: string
  startedAt: string | null
  endedAt: string | null
  error: string | null
  /** Why a completed run ended before its planned epochs (early stopping), if it did. */
  stopReason: string | null
  /** Hyperparameters read from its config (learning rate, batch, units, dropout…), for columns and the filter. */
  hparams: RunHparams
  /** Validation accuracy of each finished epoch (null where it has none), for the table's sparkline. */
  valAccuracyCurve: (number | null)[]
  /** Regression runs (loss mse or mae): the mean absolute error, shown instead of accuracy. Absent before RNN Lab kept it. */
  valMae?: MetricFigures
  mae?: MetricFigures
}

export interface EpochMetrics {
  epoch: number
  loss: number | null
  accuracy: number | null
  valLoss: number | null
  valAccuracy: number | null
  /** Regression runs (mse, mae): the mean absolute error (Keras's `mae` metric); absent or null otherwise. */
  mae?: number | null
  valMae?: number | null
  learningRate: number | null
  seconds: number | null
  samplesPerSecond: number | null
}

/**
 * One reported step of a run (up to ~10 a second while it trained): the loss and accuracy of its training batches
 * since the previous report, `batches` of them ending at `batch` of `epoch` (global `step`), never reaching into the
 * previous epoch. A run recorded before RNN Lab kept these has `batches` null: its figures are running means over the
 * epoch so far.
 */
export interface BatchMetrics {
  step: number
  epoch: number
  batch: number
  batches: number | null
  loss: number
  accuracy: number | null
  wallSeconds: number
}

export interface RunDetail extends RunSummary {
  config: unknown
  seed: number | null
  engineVersion: string | null
  threads: number | null
  cpu: string | null
  epochs: EpochMetrics[]
  /** The sweep this run is a trial of (absent for a run of its own). */
  sweep?: { id: number; name: string; trial: number; trials: number }
}

export interface RunQuery {
  /** Full-text search in names and notes. */
  search?: string
  includeArchived?: boolean
  limit?: number
}

/** A deleted run in the Trash: restorable until it is purged, by hand or by the retention rule at `purgeAt`. */
export interface TrashedRun extends RunSummary {
  deletedAt: string
  purgeAt: string
  /** What its folder (checkpoints) holds on disk. */
  bytes: number
}

export interface Trash {
  runs: TrashedRun[]
  /** Days a deleted run stays in the Trash before it is purged. */
  retentionDays: number
}

/** What a purge removed: the runs, and the bytes of their files. */
export interface PurgeReport {
  purged: RunId[]
  bytes: number
}

export interface RunUpdate {
  id: RunId
  name?: string
  tags?: string[]
  notes?: string
  archived?: boolean
}

export interface EngineInfo {
  available: boolean
  version: string | null
  /** Why the engine cannot be used, when it cannot. */
  reason: string | null
}

export interface AppInfo {
  version: string
  home: string
  dbPath: string
  door: 'electron' | 'browser' | 'cli'
  engine: EngineInfo
}

export interface TrainingProgress {
  runId: RunId
  epoch: number
  epochs: number
  batch: number
  batches: number
  /** Running means over the epoch so far, as Keras's progress bar shows them. */
  loss: number
  accuracy: number | null
  /** The global step ((epoch − 1) × batches + batch) and the means over the batches since the previous report. */
  step: number
  stepLoss: number
  stepAccuracy: number | null
  stepBatches: number
  samplesPerSecond: number
  etaSeconds: number | null
}

export interface RunStatusChange {
  runId: RunId
  status: RunStatus
  error: string | null
}

/**
 * Runs written by any process on the database since the last such event: their summaries as the list shows them
 * (new, renamed, a new epoch, finished…), and the ids of runs deleted.
 */
export interface RunsChanged {
  runs: RunSummary[]
  removed: RunId[]
}

export interface RunComparison {
  runs: RunDetail[]
  /** Config keys (dotted paths) whose values differ between the runs, with each run's value. */
  differences: { path: string; values: unknown[] }[]
  /** Ids asked for that name no run (deleted since a comparison was bookmarked); the others are compared. */
  missing: RunId[]
}

/** A config's model as Keras's summary shows it; the text is the same table the CLI prints. */
export interface ModelSummaryReply {
  input: [number, number]
  summary: ModelSummary
  text: string
}

export interface ExportRequest {
  runId: RunId
  /** Absent: the best checkpoint, or the last when the run has no best (it had no validation set). */
  checkpoint?: 'best' | 'last'
}

/** One batch of an export's parity check: onnxruntime against the engine at one batch size and sequence length. */
export interface ParityBatch {
  batchSize: number
  timeSteps: number
  maxAbsDiff: number
  meanAbsDiff: number
  /** Share of rows (samples, or samples × steps) whose argmax agrees. */
  argmaxAgreement: number
  ok: boolean
  error?: string
}

/** An export and its parity check: the file run in onnxruntime against the engine on validation samples. */
export interface ExportReport {
  runId: RunId
  path: string
  ok: boolean
  message: string
  checkpoint: 'best' | 'last'
  epoch: number
  maxAbsDiff: number
  meanAbsDiff: number
  argmaxAgreement: number
  bytes: number
  sha256: string
  tolerance: number
  /** Distinct validation samples used. */
  samples: number
  batches: ParityBatch[]
  /** The onnxruntime version that ran the file. */
  onnxruntime: string
  opset: number
  irVersion: number
  /** The model's input [timeSteps, features]. */
  input: [number, number]
  /** The name of the model's output. */
  output: string
}

export interface CheckpointInfo {
  kind: 'last' | 'best'
  epoch: number
  path: string
  sha256: string
  bytes: number
}

export interface ExportInfo {
  id: number
  checkpoint: string
  path: string
  ok: boolean
  report: ExportReport
  createdAt: string
}

/** What a run left on disk: its checkpoints and its exports with their parity reports. */
export interface RunArtifacts {
  checkpoints: CheckpointInfo[]
  exports: ExportInfo[]
}

/** An exported file's bytes, for the page to save (a download in a browser, a save dialog in Electron). */
export interface ExportFile {
  fileName: string
  base64: string
}

/** A time-series run's forecasts of its validation windows (the best checkpoint, else the last), in the data's units. */
export interface RunForecast {
  source: string
  targetColumns: string[]
  horizon: number
  targetsPerStep: boolean
  sequenceLength: number
  /** Each validation window: its first row, the first target column over its rows, the forecast and what happened. */
  windows: { start: number; history: number[]; forecast: number[]; actual: number[]; persistence: number[] }[]
  mae: number
  persistenceMae: number
}

/** Labelled samples of a run's validation set (its training set when it has none), for trying a model. */
export interface RunSamples {
  split: 'validation' | 'train'
  total: number
  timeSteps: number
  features: number
  classNames: string[] | null
  samples: { index: number; label: number | number[]; x: number[][] }[]
}

/** Inspect one sample of a run's validation set (its training set when it has none) with a checkpoint's weights. */
export interface InspectRequest {
  id: RunId
  /** The sample's index in that set, from 0. */
  sample: number
  /** Default 'best', falling back to 'last' when the run kept no best (no validation set). */
  checkpoint?: 'best' | 'last'
  /** Also the traces of one unit over the samples where it is most active (RunInspection.trace). */
  trace?: TraceRequest
}

/** A unit of a recurrent layer's direction, whose h_t to trace (LSTMVis's "match", in its simplest form). */
export interface TraceRequest {
  /** Index in the config's model.layers (a recurrent layer). */
  layer: number
  direction: 'forward' | 'backward'
  unit: number
}

/** The samples searched for a unit's traces: the split's first ones, at most this many. */
export const TRACE_SEARCHED = 256
/** Traces given: the samples where the unit is most active. */
export const TRACE_LINES = 50

/**
 * One unit's h_t over t for the samples of the split where it is most active: the first min(TRACE_SEARCHED, total)
 * samples ranked by the mean over t of |h_t[unit]|, the TRACE_LINES highest kept, most active first.
 */
export interface UnitTrace extends TraceRequest {
  /** Samples searched (the split's first ones). */
  searched: number
  samples: { index: number; label: number | null; activity: number; values: number[] }[]
  /** The inspected sample's own trace, and its rank by activity among those searched (1: the most active; null when
   * it is not among them). */
  current: { index: number; activity: number; rank: number | null; values: number[] }
}

/** One direction of a recurrent layer, every array [T][units] in input time order (forward and backward alike). */
export interface InspectedDirection {
  direction: 'forward' | 'backward'
  /** h_t: the state after reading step t. */
  h: number[][]
  /** LSTM only: the cell state c_t. */
  c?: number[][]
  /**
   * The activated gates in ONNX's order, named as common/cells.ts names them: LSTM i, o, f, c (c is the candidate
   * c̃), GRU z, r, h (h is the candidate h̃); none for SimpleRNN.
   */
  gates: { name: string; values: number[][] }[]
}

export interface InspectedLayer {
  /** Index in the config's model.layers. */
  layer: number
  cell: string
  units: number
  directions: InspectedDirection[]
}

/** What the engine's inspection pass recorded for one sample (computed in a worker process, never in main). */
export interface RunInspection {
  runId: RunId
  checkpoint: 'best' | 'last'
  epoch: number
  split: 'validation' | 'train'
  sample: number
  /** Samples in that split. */
  total: number
  timeSteps: number
  features: number
  label: number | number[] | null
  classNames: string[] | null
  layers: InspectedLayer[]
  /** The model's output: [steps][units] (one step unless the head is per step); probabilities for softmax. */
  output: { layer: number; perStep: boolean; values: number[][] }
  /** The engine's time for the pass, in seconds (the worker's start and data loading not counted). */
  seconds: number
  /** When the request asked for one: a unit's traces over the samples where it is most active. */
  trace?: UnitTrace
}

/**
 * Which weights to show: a run's checkpoint (default: the best, else the last), one of its exported files, or any
 * .onnx file the page may read. `select` asks for one block's values (indices into `layers` and its `blocks`).
 */
export interface WeightsRequest {
  runId?: RunId
  checkpoint?: 'best' | 'last'
  exportId?: number
  path?: string
  select?: { layer: number; block: number }
}

/** One named block of a layer's weights, with its statistics. */
export interface WeightBlock {
  /** Recurrent: `W_<gate>` [H, I], `R_<gate>` [H, H], `Wb_<gate>` / `Rb_<gate>` [H] (input / recurrent bias). Else W, B, E. */
  block: string
  /** The gate (ONNX's names: LSTM i o f c, GRU z r h, RNN h); null for a plain block. */
  gate: string | null
  /** 'shared': a bidirectional layer whose two directions use one copy. null for a plain block. */
  direction: 'forward' | 'backward' | 'shared' | null
  shape: number[]
  /** Frobenius norm. */
  norm: number
  meanAbs: number
  maxAbs: number
  /** The tensor the block is cut from (a checkpoint's `layers.0.W`, an ONNX initializer's name). */
  tensor: string
}

export interface WeightLayer {
  /** `layer <k>` (the config's index) for a run; the node's name for an ONNX file. */
  name: string
  /** LSTM, GRU, RNN (ONNX's operators), Dense, Embedding, or Tensor (anything else a checkpoint holds). */
  kind: string
  label: string
  directions: string[]
  hiddenSize: number | null
  inputSize: number | null
  /** false: an ONNX node whose weights are not constants in the file; `reason` says why, and blocks is empty. */
  readable: boolean
  reason: string | null
  blocks: WeightBlock[]
}

/** One block's values for a heatmap: rows × columns (a bias is one row), each cell the mean of a tile of `tile`. */
export interface WeightValues {
  layer: number
  block: number
  /** [rows, columns] of the block averaged into one cell ([1, 1] unless a side is over 128). */
  tile: [number, number]
  values: number[][]
}

/** The gate-labelled view of a model's weights. */
export interface WeightsView {
  source: 'checkpoint' | 'onnx'
  /** The checkpoint or .onnx file read. */
  file: string
  fileName: string
  runId: RunId | null
  checkpoint: 'best' | 'last' | null
  epoch: number | null
  /** The file's producer (`pytorch 1.13.0`, `RNN Lab`). */
  producer: string | null
  layers: WeightLayer[]
  values: WeightValues | null
}

/**
 * A training epoch's health (version 1), kept with the run: the gradient flow through time, the mean over the
 * epoch's training samples of ‖∂l/∂h_t‖ (l: a sample's own loss) per recurrent layer, direction and step; and the
 * saturation of each sigmoid gate on validation samples, the share of its activations below 0.1 and above 0.9
 * (Karpathy et al. 2015), per layer and direction.
 */
export interface TrainingHealth {
  version: 1
  epoch: number
  gradientFlow: {
    samples: number
    layers: { layer: number; directions: { direction: 'forward' | 'backward'; norms: number[] }[] }[]
  }
  /** null without a validation set (or gates: a SimpleRNN has none). */
  saturation: {
    samples: number
    layers: {
      layer: number
      directions: { direction: 'forward' | 'backward'; gates: { name: string; low: number; high: number }[] }[]
    }[]
  } | null
}

/** A new run from a config, or (`resume`) an earlier run continued from its last checkpoint. */
export interface TrainingStartRequest {
  config: unknown
  resume?: RunId
  /** Engine threads; the engine picks when absent. */
  threads?: number
  /** The folder that relative dataset paths in the config start from (the CLI gives the config file's folder). */
  baseDir?: string
  /** An ONNX file this product exported, whose weights start the new run (checked against the config). */
  initFrom?: string
}

export interface PredictRequest {
  runId?: RunId
  modelPath?: string
  /** Samples as [batch][timeSteps][features]. */
  input: number[][][]
}

export interface Prediction {
  /** One row per sample ([batch][units]), or per sample and step for sequence outputs flattened to [batch][T*units]. */
  probabilities: number[][]
  dims: number[]
  classNames: string[] | null
  source: string
}

/** Raw text through a text run's tokenizer (its `tokenizer.json`) and model. */
export interface PredictTextRequest {
  runId: RunId
  /** One sample each (at most 256, each at most 10,000 characters). */
  texts: string[]
}

export interface TextPredictionSample {
  text: string
  /** The tokens the model read, as tokenized (after NFC, lowercasing); a token outside the vocabulary keeps its text. */
  tokens: string[]
  /** Whether each token is outside the vocabulary (read as `[UNK]`). */
  unknown: boolean[]
  /** Classification: [classes]; tagging: one row per token [tokens][classes]. */
  probabilities: number[] | number[][]
  /** Classification: the class id; tagging: one per token. */
  predicted: number | number[]
  /** Word segmentation: the text with a space after each token tagged `end`. */
  segmented?: string
}

export interface TextPrediction {
  /** `sample`: a class per text; `token`: a tag per token. */
  labels: 'sample' | 'token'
  level: 'char' | 'word'
  classNames: string[] | null
  source: string
  engine: 'onnx' | 'native'
  samples: TextPredictionSample[]
}

export type SweepStatus = 'queued' | 'running' | 'completed' | 'cancelled' | 'interrupted'
/** A trial's state: its outcome once it ended (exactly once), else its run's status. */
export type TrialState = 'queued' | 'running' | 'interrupted' | 'completed' | 'pruned' | 'failed' | 'cancelled'
export const trialStates: readonly TrialState[] = [
  'queued',
  'running',
  'interrupted',
  'completed',
  'pruned',
  'failed',
  'cancelled'
]

export interface SweepTrial {
  /** 1-based, in the order trials run. */
  trial: number
  runId: RunId
  /** Each parameter's value in this trial (a named alternative shows its name). */
  params: Record<string, unknown>
  repeat: number
  seed: number | null
  state: TrialState
  epochsDone: number
  epochsPlanned: number | null
  /** The objective's best value over the trial's epochs so far. */
  objective: number | null
  stopReason: string | null
  error: string | null
  /** How many times its run was started: 1, plus one per resume or per worker that took it over. */
  attempts: number
}

export interface SweepSummary {
  id: number
  name: string
  status: SweepStatus
  method: 'grid' | 'random'
  objective: 'val_accuracy' | 'val_loss'
  goal: 'max' | 'min'
  trials: number
  counts: Record<TrialState, number>
  /** The best trial so far by the objective (completed or pruned trials, and running ones' finished epochs). */
  best: { trial: number; runId: RunId; value: number; params: Record<string, unknown> } | null
  parallel: number | null
  threadsPerTrial: number | null
  createdAt: string
  startedAt: string | null
  endedAt: string | null
  /** The process that runs it (while running). */
  pid: number | null
  host: string | null
  /** Run through Redis by workers on other machines: the Redis address, password hidden; null when run here. */
  remote: string | null
}

/**
 * A worker seen by a sweep run through Redis. state: training one of this sweep's trials, idle, busy with another
 * sweep's trial, or gone (no heartbeat for 15 s: stopped, killed, or out of reach).
 */
export interface SweepWorker {
  /** host:pid, unique per worker process. */
  name: string
  host: string
  pid: number | null
  state: 'idle' | 'training' | 'busy' | 'gone'
  /** This sweep's trial it trains now (null when not training one of them), and the trial's run and last epoch. */
  trial: number | null
  runId: RunId | null
  epoch: number | null
  /** How many of this sweep's trials it finished. */
  trialsDone: number
  firstSeen: string
  lastHeartbeat: string
}

export interface SweepDetail extends SweepSummary {
  /** The sweep config as given (checked). */
  config: unknown
  trialList: SweepTrial[]
}

export interface SweepCreateRequest {
  config: unknown
  /** Trials trained at once (default: cores ÷ 2, at least 1). */
  parallel?: number
  /** Engine threads per trial (default: cores ÷ parallel, at least 1). */
  threadsPerTrial?: number
  /** Where relative dataset paths in the base config start (the CLI gives the sweep file's folder). */
  baseDir?: string
  /**
   * Run the trials on workers through Redis (redis://[user:pass@]host:port[/db], rediss:// for TLS) instead of here;
   * parallel and threadsPerTrial are then the workers' own.
   */
  redis?: string
  /** Remote trials: checkpoints sent back every epoch (the default; a lost worker costs at most an epoch) or at the end. */
  checkpoints?: 'epoch' | 'end'
}

/**
 * More trials for a sweep: a grid takes extra values per parameter (`values`: {"training.optimizer.learningRate":
 * [0.003]}; named alternatives as {"name": value}), a random sweep N more draws (`trials`). A sweep that had ended is
 * resumed here (through Redis with `redis`); one that a live process runs is picked up by that process.
 */
export interface SweepAddRequest {
  id: number
  values?: Record<string, unknown>
  trials?: number
  parallel?: number
  threadsPerTrial?: number
  redis?: string
  checkpoints?: 'epoch' | 'end'
}

export interface SweepAddReply {
  /** The new trials' numbers. */
  trials: number[]
  /** Whether this call started running the sweep again (it had ended, or no process ran it). */
  resumed: boolean
  /** The process that runs the new trials. */
  owner: { pid: number; host: string | null } | null
}

/** The calls the UI can make. Every call takes one argument (or none) and answers asynchronously. */
export interface Calls {
  'app:info': () => AppInfo
  'runs:list': (query: RunQuery) => RunSummary[]
  'runs:get': (arg: { id: RunId }) => RunDetail
  'runs:batches': (arg: { id: RunId }) => BatchMetrics[]
  'runs:update': (update: RunUpdate) => RunSummary
  'runs:delete': (arg: { id: RunId }) => void
  'runs:restore': (arg: { id: RunId }) => void
  'runs:trash': () => Trash
  'runs:purge': (arg: { ids: RunId[] }) => PurgeReport
  'runs:compare': (arg: { ids: RunId[] }) => RunComparison
  /** Per epoch (the default), or per reported step. */
  'runs:metricsCsv': (arg: { ids: RunId[]; per?: 'epoch' | 'step' }) => string
  'models:summary': (arg: { config: unknown }) => ModelSummaryReply
  'datasets:preview': (arg: { dataset: DatasetSpec }) => DatasetPreview
  'training:start': (request: TrainingStartRequest) => { runId: RunId }
  'training:cancel': (arg: { runId: RunId }) => void
  'training:active': () => TrainingProgress[]
  'runs:artifacts': (arg: { id: RunId }) => RunArtifacts
  'runs:samples': (arg: { id: RunId; offset: number; count: number }) => RunSamples
  /** A time-series run's forecasts over its validation windows, in the data's units, beside the last-value baseline. */
  'runs:forecast': (arg: { id: RunId }) => RunForecast
  /** The inspection pass on one sample: every recurrent layer's states, cell states and gates per step. */
  'runs:inspect': (request: InspectRequest) => RunInspection
  /** Each finished epoch's training health: the gradient flow through time and the gates' saturation. */
  'runs:health': (arg: { id: RunId }) => TrainingHealth[]
  /** A model's weights cut per layer, direction and gate into named blocks with their norms (and one block's values). */
  'weights:read': (request: WeightsRequest) => WeightsView
  'export:onnx': (request: ExportRequest) => ExportReport
  'export:file': (arg: { exportId: number }) => ExportFile
  'inference:predict': (request: PredictRequest) => Prediction
  /** A text run on raw text: its tokenizer, then its model (classification or per-token tags). */
  'inference:predictText': (request: PredictTextRequest) => TextPrediction
  'sweeps:list': () => SweepSummary[]
  'sweeps:get': (arg: { id: number }) => SweepDetail
  'sweeps:create': (request: SweepCreateRequest) => { sweepId: number }
  'sweeps:cancel': (arg: { id: number }) => void
  'sweeps:resume': (arg: {
    id: number
    parallel?: number
    threadsPerTrial?: number
    redis?: string
    checkpoints?: 'epoch' | 'end'
  }) => void
  'sweeps:addTrials': (request: SweepAddRequest) => SweepAddReply
  /** The workers a sweep run through Redis has seen (empty for a sweep run here). */
  'sweeps:workers': (arg: { id: number }) => SweepWorker[]
  /**
   * Analyses of a checkpoint (default: the best, else the last) on the validation split, computed in a worker
   * process; `analysisId` names it for analysis:cancel and the analysis:progress events.
   */
  'analysis:confusion': (arg: AnalysisRequest) => ConfusionReport
  'analysis:diff': (arg: { a: RunId; b: RunId; checkpoint?: 'best' | 'last'; analysisId?: string }) => RunDiff
  /** The run's stored prefix-accuracy curve, computed (and stored) first when it has none or `recompute`. */
  'analysis:prefix': (arg: { runId: RunId; recompute?: boolean; analysisId?: string }) => PrefixCurve
  /** The stored prefix curves of runs (null for a run without one), computing nothing. */
  'analysis:prefixStored': (arg: { ids: RunId[] }) => (PrefixCurve | null)[]
  /**
   * Direction ablation of a checkpoint: validation accuracy and loss intact, then without each bidirectional layer's
   * forward, then backward, direction. Computed on demand (not stored).
   */
  'analysis:ablation': (arg: AnalysisRequest) => AblationReport
  'analysis:cancel': (arg: { analysisId: string }) => void
  /** The desktop app's open dialog: the file (or folder) chosen becomes readable by the other calls; null: cancelled. */
  'files:choose': (arg: { folder?: boolean }) => { path: string | null }
}

export interface AnalysisRequest {
  runId: RunId
  checkpoint?: 'best' | 'last'
  analysisId?: string
}

export interface TrainingEpoch {
  runId: RunId
  metrics: EpochMetrics
}

/** A line for a person about a run's progress: loading data, building the model, stopping early. */
export interface TrainingNote {
  runId: RunId
  text: string
}

/** The events main pushes to every open window. */
export interface Events {
  'training:progress': TrainingProgress
  'training:epoch': TrainingEpoch
  'training:note': TrainingNote
  'runs:status': RunStatusChange
  'runs:changed': RunsChanged
  'analysis:progress': AnalysisProgress
}

export type CallName = keyof Calls
export type EventName = keyof Events
export type CallArg<K extends CallName> = Parameters<Calls[K]> extends [infer A] ? A : undefined
export type CallResult<K extends CallName> = ReturnType<Calls[K]>

interface CallSpec<K extends CallName> {
  /** The method name on `window.api` (and on the browser client). */
  method: string
  /** Checks an argument that crossed a process or network boundary; throws ContractError naming the field. */
  validate: (arg: unknown) => CallArg<K>
}

function readCheckpointsEvery(v: unknown, field: string): 'epoch' | 'end' {
  if (v !== 'epoch' && v !== 'end')
    throw new ContractError(field, `expected "epoch" or "end", got ${JSON.stringify(v)}`)
  return v
}

const runIdArg = (arg: unknown) => {
  const o = readObject(arg, 'argument')
  return { id: readInteger(o.id, 'id', 1) }
}
/** The most runs one comparison or metrics export takes: each is read whole, on main's event loop. */
export const maxRunIds = 1000
const runIdsArg = (arg: unknown) => {
  const o = readObject(arg, 'argument')
  const ids = readArray(o.ids, 'ids', maxRunIds).map((v, i) => readInteger(v, `ids[${i}]`, 1))
  if (ids.length === 0) throw new ContractError('ids', 'give at least one run id')
  // A run named twice is read once.
  return { ids: [...new Set(ids)] }
}
const readCheckpoint = (v: unknown): 'best' | 'last' | undefined => {
  if (v === undefined || v === null) return undefined
  if (v !== 'best' && v !== 'last') throw new ContractError('checkpoint', `expected "best" or "last", got ${show(v)}`)
  return v
}
const readAnalysisId = (o: Record<string, unknown>) =>
  optional(o.analysisId, (v) => readString(v, 'analysisId', 1, 100))
const configArg = (arg: unknown) => ({ config: readUnknown(readObject(arg, 'argument').config, 'config') })
const noArg = (arg: unknown): undefined => {
  if (arg !== undefined && arg !== null) throw new ContractError('argument', 'this call takes no argument')
  return undefined
}

export const calls = {
  'app:info': { method: 'getAppInfo', validate: noArg },
  'runs:list': {
    method: 'listRuns',
    validate: (arg) => {
      const o = arg === undefined || arg === null ? {} : readObject(arg, 'query')
      return {
        search: optional(o.search, (v) => readString(v, 'query.search', 0, 500)),
        includeArchived: optional(o.includeArchived, (v) => readBoolean(v, 'query.includeArchived')),
        limit: optional(o.limit, (v) => readInteger(v, 'query.limit', 1, 100_000))
      }
    }
  },
  'runs:get': { method: 'getRun', validate: runIdArg },
  'runs:batches': { method: 'getRunBatches', validate: runIdArg },
  'runs:update': {
    method: 'updateRun',
    validate: (arg) => {
      const o = readObject(arg, 'update')
      return {
        id: readInteger(o.id, 'update.id', 1),
        name: optional(o.name, (v) => readName(v, 'update.name')),
        tags: optional(o.tags, (v) => readStringArray(v, 'update.tags', 50, 64)),
        notes: optional(o.notes, (v) => readString(v, 'update.notes', 0, 100_000)),
        archived: optional(o.archived, (v) => readBoolean(v, 'update.archived'))
      }
    }
  },
  'runs:delete': { method: 'deleteRun', validate: runIdArg },
  'runs:restore': { method: 'restoreRun', validate: runIdArg },
  'runs:trash': { method: 'listTrash', validate: noArg },
  'runs:purge': { method: 'purgeRuns', validate: runIdsArg },
  'runs:compare': { method: 'compareRuns', validate: runIdsArg },
  'runs:metricsCsv': {
    method: 'metricsCsv',
    validate: (arg) => {
      const per = readObject(arg, 'argument').per ?? undefined
      if (per !== undefined && per !== 'epoch' && per !== 'step')
        throw new ContractError('per', `expected "epoch" or "step", got ${JSON.stringify(per)}`)
      return { ...runIdsArg(arg), per }
    }
  },
  'models:summary': { method: 'summarizeModel', validate: configArg },
  'datasets:preview': {
    method: 'previewDataset',
    validate: (arg) => ({ dataset: normalizeDatasetSpec(readObject(arg, 'argument').dataset, 'dataset') })
  },
  'training:start': {
    method: 'startTraining',
    validate: (arg) => {
      const o = readObject(arg, 'argument')
      return {
        config: readUnknown(o.config, 'config'),
        resume: optional(o.resume, (v) => readInteger(v, 'resume', 1)),
        threads: optional(o.threads, (v) => readInteger(v, 'threads', 1, LIMITS.threads.max)),
        baseDir: optional(o.baseDir, (v) => readString(v, 'baseDir', 1, 4096)),
        initFrom: optional(o.initFrom, (v) => readString(v, 'initFrom', 1, 4096))
      }
    }
  },
  'training:cancel': {
    method: 'cancelTraining',
    validate: (arg) => ({ runId: readInteger(readObject(arg, 'argument').runId, 'runId', 1) })
  },
  'training:active': { method: 'activeTraining', validate: noArg },
  'runs:artifacts': { method: 'getRunArtifacts', validate: runIdArg },
  'runs:samples': {
    method: 'getRunSamples',
    validate: (arg) => {
      const o = readObject(arg, 'argument')
      return {
        id: readInteger(o.id, 'id', 1),
        offset: readInteger(o.offset ?? 0, 'offset', 0),
        count: readInteger(o.count ?? 16, 'count', 1, 256)
      }
    }
  },
  'runs:forecast': { method: 'getRunForecast', validate: runIdArg },
  'runs:inspect': {
    method: 'inspectRun',
    validate: (arg) => {
      const o = readObject(arg, 'request')
      const checkpoint = o.checkpoint ?? undefined
      if (checkpoint !== undefined && checkpoint !== 'best' && checkpoint !== 'last')
        throw new ContractError('request.checkpoint', `expected "best" or "last", got ${JSON.stringify(checkpoint)}`)
      return {
        id: readInteger(o.id, 'request.id', 1),
        sample: readInteger(o.sample, 'request.sample', 0),
        checkpoint,
        trace: optional(o.trace ?? undefined, (v) => {
          const t = readObject(v, 'request.trace')
          if (t.direction !== 'forward' && t.direction !== 'backward')
            throw new ContractError(
              'request.trace.direction',
              `expected "forward" or "backward", got ${JSON.stringify(t.direction)}`
            )
          return {
            layer: readInteger(t.layer, 'request.trace.layer', 0),
            direction: t.direction,
            unit: readInteger(t.unit, 'request.trace.unit', 0)
          }
        })
      }
    }
  },
  'runs:health': { method: 'getRunHealth', validate: runIdArg },
  'weights:read': {
    method: 'readWeights',
    validate: (arg) => {
      const o = readObject(arg, 'request')
      const request: WeightsRequest = {
        runId: optional(o.runId, (v) => readInteger(v, 'request.runId', 1)),
        checkpoint: readCheckpoint(o.checkpoint),
        exportId: optional(o.exportId, (v) => readInteger(v, 'request.exportId', 1)),
        path: optional(o.path, (v) => readString(v, 'request.path', 1, 4096)),
        select: optional(o.select, (v) => {
          const s = readObject(v, 'request.select')
          return {
            layer: readInteger(s.layer, 'request.select.layer', 0),
            block: readInteger(s.block, 'request.select.block', 0)
          }
        })
      }
      const given = [request.runId, request.exportId, request.path].filter((v) => v !== undefined).length
      if (given !== 1) throw new ContractError('request', 'give exactly one of runId, exportId or path')
      if (request.checkpoint !== undefined && request.runId === undefined)
        throw new ContractError('request.checkpoint', 'only with runId')
      return request
    }
  },
  'export:file': {
    method: 'getExportFile',
    validate: (arg) => ({ exportId: readInteger(readObject(arg, 'argument').exportId, 'exportId', 1) })
  },
  'export:onnx': {
    method: 'exportOnnx',
    validate: (arg) => {
      const o = readObject(arg, 'request')
      const checkpoint = o.checkpoint ?? undefined
      if (checkpoint !== undefined && checkpoint !== 'best' && checkpoint !== 'last') {
        throw new ContractError('request.checkpoint', `expected "best" or "last", got ${JSON.stringify(checkpoint)}`)
      }
      // The file goes into the run's folder in the lab home; a page never names where the app writes.
      if (o.out !== undefined)
        throw new ContractError(
          'request.out',
          "not accepted: exports are written to the run's folder (use Save for a copy)"
        )
      return { runId: readInteger(o.runId, 'request.runId', 1), checkpoint }
    }
  },
  'inference:predict': {
    method: 'predict',
    validate: (arg) => {
      const o = readObject(arg, 'request')
      const input = readArray(o.input, 'request.input', 4096).map((sample, i) =>
        readArray(sample, `request.input[${i}]`, 100_000).map((step, t) =>
          readArray(step, `request.input[${i}][${t}]`, 100_000).map((v, f) => {
            if (typeof v !== 'number' || !Number.isFinite(v)) {
              throw new ContractError(`request.input[${i}][${t}][${f}]`, 'expected a finite number')
            }
            return v
          })
        )
      )
      const request: PredictRequest = {
        runId: optional(o.runId, (v) => readInteger(v, 'request.runId', 1)),
        modelPath: optional(o.modelPath, (v) => readString(v, 'request.modelPath', 1, 4096)),
        input
      }
      if ((request.runId === undefined) === (request.modelPath === undefined)) {
        throw new ContractError('request', 'give exactly one of runId or modelPath')
      }
      return request
    }
  },
  'inference:predictText': {
    method: 'predictText',
    validate: (arg) => {
      const o = readObject(arg, 'request')
      const texts = readArray(o.texts, 'request.texts', 256).map((t, i) =>
        readString(t, `request.texts[${i}]`, 0, 10_000)
      )
      if (texts.length === 0) throw new ContractError('request.texts', 'give at least one text')
      return { runId: readInteger(o.runId, 'request.runId', 1), texts }
    }
  },
  'sweeps:list': { method: 'listSweeps', validate: noArg },
  'sweeps:get': { method: 'getSweep', validate: runIdArg },
  'sweeps:create': {
    method: 'createSweep',
    validate: (arg) => {
      const o = readObject(arg, 'request')
      return {
        config: readUnknown(o.config, 'request.config'),
        parallel: optional(o.parallel, (v) => readInteger(v, 'request.parallel', 1, 256)),
        threadsPerTrial: optional(o.threadsPerTrial, (v) => readInteger(v, 'request.threadsPerTrial', 1, 1024)),
        baseDir: optional(o.baseDir, (v) => readString(v, 'request.baseDir', 1, 4096)),
        redis: optional(o.redis, (v) => readString(v, 'request.redis', 1, 4096)),
        checkpoints: optional(o.checkpoints, (v) => readCheckpointsEvery(v, 'request.checkpoints'))
      }
    }
  },
  'sweeps:cancel': { method: 'cancelSweep', validate: runIdArg },
  'sweeps:resume': {
    method: 'resumeSweep',
    validate: (arg) => {
      const o = readObject(arg, 'argument')
      return {
        id: readInteger(o.id, 'id', 1),
        parallel: optional(o.parallel, (v) => readInteger(v, 'parallel', 1, 256)),
        threadsPerTrial: optional(o.threadsPerTrial, (v) => readInteger(v, 'threadsPerTrial', 1, 1024)),
        redis: optional(o.redis, (v) => readString(v, 'redis', 1, 4096)),
        checkpoints: optional(o.checkpoints, (v) => readCheckpointsEvery(v, 'checkpoints'))
      }
    }
  },
  'sweeps:addTrials': {
    method: 'addSweepTrials',
    validate: (arg) => {
      const o = readObject(arg, 'request')
      const values = optional(o.values, (v) => readObject(v, 'request.values'))
      const trials = optional(o.trials, (v) => readInteger(v, 'request.trials', 1, 10_000))
      if ((values === undefined) === (trials === undefined))
        throw new ContractError('request', 'give exactly one of values (a grid sweep) or trials (a random sweep)')
      return {
        id: readInteger(o.id, 'request.id', 1),
        values,
        trials,
        parallel: optional(o.parallel, (v) => readInteger(v, 'request.parallel', 1, 256)),
        threadsPerTrial: optional(o.threadsPerTrial, (v) => readInteger(v, 'request.threadsPerTrial', 1, 1024)),
        redis: optional(o.redis, (v) => readString(v, 'request.redis', 1, 4096)),
        checkpoints: optional(o.checkpoints, (v) => readCheckpointsEvery(v, 'request.checkpoints'))
      }
    }
  },
  'sweeps:workers': { method: 'sweepWorkers', validate: runIdArg },
  'analysis:confusion': {
    method: 'analyzeConfusion',
    validate: (arg) => {
      const o = readObject(arg, 'argument')
      return {
        runId: readInteger(o.runId, 'runId', 1),
        checkpoint: readCheckpoint(o.checkpoint),
        analysisId: readAnalysisId(o)
      }
    }
  },
  'analysis:diff': {
    method: 'analyzeDiff',
    validate: (arg) => {
      const o = readObject(arg, 'argument')
      return {
        a: readInteger(o.a, 'a', 1),
        b: readInteger(o.b, 'b', 1),
        checkpoint: readCheckpoint(o.checkpoint),
        analysisId: readAnalysisId(o)
      }
    }
  },
  'analysis:prefix': {
    method: 'analyzePrefix',
    validate: (arg) => {
      const o = readObject(arg, 'argument')
      return {
        runId: readInteger(o.runId, 'runId', 1),
        recompute: optional(o.recompute, (v) => readBoolean(v, 'recompute')),
        analysisId: readAnalysisId(o)
      }
    }
  },
  'analysis:prefixStored': { method: 'storedPrefixCurves', validate: runIdsArg },
  'analysis:ablation': {
    method: 'analyzeAblation',
    validate: (arg) => {
      const o = readObject(arg, 'argument')
      return {
        runId: readInteger(o.runId, 'runId', 1),
        checkpoint: readCheckpoint(o.checkpoint),
        analysisId: readAnalysisId(o)
      }
    }
  },
  'analysis:cancel': {
    method: 'cancelAnalysis',
    validate: (arg) => ({ analysisId: readString(readObject(arg, 'argument').analysisId, 'analysisId', 1, 100) })
  },
  'files:choose': {
    method: 'chooseFile',
    validate: (arg) => {
      const o = arg === undefined || arg === null ? {} : readObject(arg, 'argument')
      return { folder: optional(o.folder, (v) => readBoolean(v, 'folder')) }
    }
  }
} as const satisfies { [K in CallName]: CallSpec<K> }

export const events = {
  'training:progress': { method: 'onTrainingProgress' },
  'training:epoch': { method: 'onTrainingEpoch' },
  'training:note': { method: 'onTrainingNote' },
  'runs:status': { method: 'onRunStatus' },
  'runs:changed': { method: 'onRunsChanged' },
  'analysis:progress': { method: 'onAnalysisProgress' }
} as const satisfies { [K in EventName]: { method: string } }

/** Events by the name main uses for them: the method name the page subscribes with (`onTrainingProgress`). */
export type EventKey = (typeof events)[EventName]['method']
export type EventPayloads = { [K in EventName as (typeof events)[K]['method']]: Events[K] }

export const callNames = Object.keys(calls) as CallName[]
export const eventNames = Object.keys(events) as EventName[]

export function isCallName(name: unknown): name is CallName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(calls, name)
}

/** What a door sends back for a call: the value, or an error message meant for a person. */
export type Reply<T = unknown> = { ok: true; value: T } | { ok: false; error: string }

/** The object the renderer uses (`window.api` in Electron, the WebSocket client in a browser). */
export type Api = {
  [K in CallName as (typeof calls)[K]['method']]: CallArg<K> extends undefined
    ? () => Promise<CallResult<K>>
    : (arg: CallArg<K>) => Promise<CallResult<K>>
} & {
  [K in EventName as (typeof events)[K]['method']]: (listener: (payload: Events[K]) => void) => () => void
}

/** The services behind the contract: one handler per call, under the same method name as on `window.api`. */
export type Handlers = {
  [K in CallName as (typeof calls)[K]['method']]: (arg: CallArg<K>) => CallResult<K> | Promise<CallResult<K>>
}

/** The longest error message a reply carries: a message may quote what the sender sent. */
export const maxErrorLength = 2000

/** Runs a validated call against the handlers and wraps the outcome as a Reply, never throwing. */
export async function dispatch(handlers: Handlers, name: unknown, rawArg: unknown): Promise<Reply> {
  try {
    if (!isCallName(name)) {
      return { ok: false, error: `unknown call ${typeof name === 'string' ? show(name) : `of type ${typeof name}`}` }
    }
    const arg = calls[name].validate(rawArg)
    const handler = (handlers as unknown as Record<string, (a: unknown) => unknown>)[calls[name].method]
    return { ok: true, value: await handler(arg) }
  } catch (e) {
    const message = errorMessage(e)
    return { ok: false, error: message.length > maxErrorLength ? `${message.slice(0, maxErrorLength)}…` : message }
  }
}

/** The one-line message of an error, for showing to a person (no stack traces); never throws. */
export function errorMessage(e: unknown): string {
  try {
    // Node's raw `ENOENT: no such file or directory, open '…'`, if one slipped through: the path and the reason.
    if (isFileSystemError(e) && e.message.startsWith(`${e.code}:`)) return fileErrorMessage(e)
    if (e instanceof Error) return e.message.split('\n')[0]
    return String(e)
  } catch {
    return 'an error without a message'
  }
}

export { ContractError }

/** A run's new name: one line, as a config's `name` (common/config/normalize.ts readRunName). */
function readName(v: unknown, field: string): string {
  const name = readString(v, field, 1, NAME_MAX_LENGTH)
  const control = findControlCharacter(name)
  if (control) throw new ContractError(field, `must be one line of text without control characters (${control})`)
  return name
}
