// Loads the native training engine (native/build/Release/rnnlab_engine.node) and types its API.
// The spec and API are documented in native/README.md; the lead's config mapping produces EngineSpec.
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { CellType } from '../../common/cells'
import { findAppRoot as findRoot } from '../paths'

export type CellKind = CellType
export type MergeMode = 'concat' | 'sum' | 'mul' | 'ave'
export type DenseActivation = 'linear' | 'relu' | 'sigmoid' | 'tanh' | 'softmax'

export interface RecurrentLayerSpec {
  kind: 'recurrent'
  cell: CellKind
  units: number
  /** 1, or 2 for bidirectional (index 0 reads forward, 1 backward). Default 1. */
  directions?: 1 | 2
  /** Bidirectional only: both directions use one weight slice (tensors have D = 1). Default false. */
  sharedWeights?: boolean
  /** One direction read back to front; with returnSequences the output is in reading order, as Keras. */
  goBackwards?: boolean
  /** How the two directions' states are combined. Default 'concat'. */
  mergeMode?: MergeMode
  /** All steps (T, units) or only the last one. Default false. */
  returnSequences?: boolean
  /** simple_rnn: 'tanh' | 'relu'; lstm and gru: 'tanh' only. Default 'tanh'. */
  activation?: 'tanh' | 'relu'
  /** lstm and gru: 'sigmoid' only. */
  recurrentActivation?: 'sigmoid'
  /** gru only: Keras reset_after (ONNX linear_before_reset=1). Default true. */
  resetAfter?: boolean
  /** Default true. Without it the bias tensor stays zero and untrained. */
  useBias?: boolean
  /** lstm only: the forget gate's input bias starts at 1 (Keras unit_forget_bias). Default true. */
  unitForgetBias?: boolean
  /** Keras dropout on the cell's inputs, one mask per sequence. Default 0. */
  dropout?: number
  /** Keras recurrent_dropout on the cell's state, one mask per sequence. Default 0. */
  recurrentDropout?: number
}

export interface DropoutLayerSpec {
  kind: 'dropout'
  rate: number
}

export interface DenseLayerSpec {
  kind: 'dense'
  units: number
  /** softmax only on the last layer, with categorical_crossentropy. Default 'linear'. */
  activation?: DenseActivation
  /** Default true. Without it the bias tensor stays zero and untrained. */
  useBias?: boolean
}

/** Keras Embedding: the input's one feature holds token ids 0 … inputDim − 1 (a float, exact below 2^24). */
export interface EmbeddingLayerSpec {
  kind: 'embedding'
  inputDim: number
  outputDim: number
  /** Id 0 is padding: its steps are masked for the layers after (Keras mask_zero). Default false. */
  maskZero?: boolean
}

/** Keras Masking: a step whose every feature equals maskValue (default 0) is masked; the first layer only. */
export interface MaskingLayerSpec {
  kind: 'masking'
  maskValue?: number
}

export type EngineLayerSpec =
  RecurrentLayerSpec | DropoutLayerSpec | DenseLayerSpec | EmbeddingLayerSpec | MaskingLayerSpec

export interface OptimizerSpec {
  type?: 'adam' | 'sgd' | 'rmsprop'
  learningRate?: number
  beta1?: number
  beta2?: number
  epsilon?: number
  momentum?: number
  nesterov?: boolean
  rho?: number
  /** Keras clipnorm: each tensor's gradient norm at most this. 0 = off. */
  clipNorm?: number
  /** Keras global_clipnorm: the norm of all gradients together. 0 = off. */
  globalClipNorm?: number
}

export interface EngineSpec {
  /** [timeSteps, features] */
  input: [number, number]
  layers: EngineLayerSpec[]
  loss?: 'categorical_crossentropy' | 'sparse_categorical_crossentropy' | 'binary_crossentropy' | 'mse' | 'mae'
  optimizer?: OptimizerSpec
  /** Engine threads (the two directions of a bidirectional layer run at once). 0 or absent = all cores. 0..256. */
  threads?: number
}

export interface Tensor {
  dims: number[]
  data: Float32Array
}

/** Named tensors: `layers.<k>.W` [D, G*H, I], `.R` [D, G*H, H], `.B` [D, 2*G*H]; dense `.W` [I, U], `.B` [U]. */
export type Weights = Record<string, Tensor>

export interface Stats {
  loss: number
  /** NaN for mse and mae */
  accuracy: number
  /** The mean absolute error (Keras's `mae` metric) for mse and mae; NaN for the classification losses */
  mae: number
  samples: number
  batches: number
  cancelled: boolean
  /** trainEpoch only */
  seconds?: number
}

export interface Progress {
  batch: number
  batches: number
  samples: number
  loss: number
  accuracy: number
  /** Running mean absolute error (mse and mae); NaN otherwise */
  mae: number
  seconds: number
  samplesPerSec: number
}

export interface TrainOptions {
  batchSize?: number
  shuffle?: boolean
  /** Shuffle seed for this epoch; without it the model's own stream (seeded by init) is used. */
  seed?: number
  /** Called after the first batch, then at most every progressIntervalMs, and after the last; return false to stop. */
  onProgress?: (p: Progress) => boolean | void
  progressIntervalMs?: number
  /** Set element 0 to non-zero (Atomics.store, from another thread) to stop after the current batch. */
  cancelFlag?: Int32Array
}

export interface Description {
  tensors: { name: string; dims: number[]; size: number; trainable: number }[]
  paramCount: number
  totalValues: number
  outputSteps: number
  outputFeatures: number
  iterations: number
  /** threads the model runs on (spec.threads, or all cores) */
  threads: number
  /** instruction-set path of the fast kernels: 'avx512' | 'avx2' | 'portable' (RNNLAB_ISA forces one) */
  isa: string
}

export interface EngineInfo {
  /** the path in use: the widest this CPU supports, or RNNLAB_ISA=avx512|avx2|portable if set and supported */
  isa: string
  supportedIsas: string[]
  hardwareThreads: number
}

/** One recurrent layer as the inspection pass recorded it (native/src/inspect.h). */
export interface InspectedLayer {
  /** Index in the model's layers. */
  layer: number
  cell: CellKind
  units: number
  /** One entry per direction, in the order of the arrays' D axis. */
  directions: ('forward' | 'backward')[]
  /** [n, D, T, units]: h_t of every direction, in input time order (h[t] is the state after reading x[t]). */
  h: Float32Array
  /** LSTM only: the cell state c_t, [n, D, T, units]. */
  c?: Float32Array
  /**
   * The activated gates by name, in ONNX's order (common/cells.ts `gates`): LSTM i, o, f, c (the candidate c̃); GRU
   * z, r, h (the candidate h̃); none for SimpleRNN. Each [n, D, T, units].
   */
  gates: Record<string, Float32Array>
}

export interface Inspection {
  samples: number
  steps: number
  /**
   * A model with a mask: each sample's real steps (the padding after them). At a padded step h (and c) hold the state
   * as it was (zero for a backward direction) and the gates are recorded as 0.
   */
  lengths?: Int32Array
  layers: InspectedLayer[]
  /** The model's output: [n, steps, units] (steps = T when the head is per step, else 1); probabilities for softmax. */
  output: { layer: number; perStep: boolean; steps: number; units: number; values: Float32Array }
}

export interface GradientFlow {
  /** Training samples the means are over (0: no step since the last call). */
  samples: number
  layers: { layer: number; directions: ('forward' | 'backward')[]; /** [D][T] */ norms: number[][] }[]
}

/**
 * Direction ablation for one evaluate/predict call: bidirectional layer `layer` (index in the layers) without one
 * direction. Merge concat: that direction's half of the layer's output is zeroed; sum, ave and mul: it is left out of
 * the merge, so the output is the other direction's state alone (for ave too, not half of it).
 */
export interface Ablate {
  layer: number
  direction: 'forward' | 'backward'
}

/**
 * Float32 values of a file read through a memory map (`engine.mapFloat32`): the model's methods take it wherever they
 * take x, and read the pages each batch needs (dropping them again, so a file larger than memory trains with a bounded
 * resident set). It mirrors the read side of a Float32Array: `subarray` is a view on the same map, `slice` a copy.
 */
export interface MappedFloat32 {
  readonly length: number
  readonly path: string
  subarray(begin?: number, end?: number): MappedFloat32
  slice(begin?: number, end?: number): Float32Array
  /** The index of the first NaN or ±Infinity, or −1 (reads the whole map). */
  firstNonFinite(): number
  /** How many times the map's pages were dropped from memory so far (all its views together). */
  releases(): number
}

/** Samples x [n, T, F]: in memory, or memory-mapped. */
export type InputX = Float32Array | MappedFloat32

/** Labels: Int32Array of class ids [n] or [n, T]; targets: Float32Array [n, (T,) units] (mse, or one-hot). */
export type Targets = Int32Array | Float32Array

export interface EngineModel {
  init(seed: number): void
  paramCount(): number
  describe(): Description
  trainBatch(x: InputX, y: Targets, n: number): Stats
  trainEpoch(x: InputX, y: Targets, n: number, options?: TrainOptions): Stats
  evaluate(x: InputX, y: Targets, n: number, options?: { batchSize?: number; ablate?: Ablate }): Stats
  /** [n, outputSteps, outputFeatures]; probabilities for a softmax head */
  predict(x: InputX, n: number, options?: { batchSize?: number; ablate?: Ablate }): Float32Array
  /**
   * The inspection pass over x [n, T, F]: the model's own inference forward, recording every recurrent layer's states
   * and gates. At most 256 samples and 4,194,304 values recorded per call; past that it throws, naming the limit.
   */
  inspect(x: InputX, n: number): Inspection
  /**
   * The gradient flow through time since the last call, then starts again: per recurrent layer, direction and step
   * t, the mean over the training samples of ‖∂l/∂h_t‖ (l: a sample's own loss; through the output and later steps).
   */
  gradientFlow(): GradientFlow
  /** Whether training steps record the gradient flow (on by default; it costs a pass over the states' gradients). */
  setGradientFlow(on: boolean): void
  getWeights(): Weights
  setWeights(weights: Weights): void
  saveCheckpoint(path: string): void
  loadCheckpoint(path: string): void
  /** The optimizer's current learning rate. */
  learningRate(): number
  /** Changes the learning rate for the next steps (schedules such as reduce-on-plateau). */
  setLearningRate(lr: number): void
  /**
   * Bytes the engine holds now: weights, gradients, optimizer state, and the activations, workspaces and batch copies
   * of the largest batch so far (common/model.ts's estimateTrainingMemory predicts it after a training step).
   */
  memoryBytes(): number
}

export interface Engine {
  version(): string
  engineInfo(): EngineInfo
  /** best GFLOP/s of the engine's own fp32 product of two n x n matrices, timed for `seconds`; with `threads`, that many
   *  such products at once on as many threads (the peak on that many cores) */
  benchGemm(n?: number, seconds?: number, threads?: number): number
  Model: new (spec: EngineSpec) => EngineModel
  /**
   * `length` float32 values (little-endian) of the file at `path` from `byteOffset` on (a multiple of 4), memory-mapped;
   * throws naming the path when the file cannot be mapped or is shorter.
   */
  mapFloat32(path: string, byteOffset: number, length: number): MappedFloat32
  /** Checks a spec as `new Model(spec)` does (same errors), allocating nothing. */
  checkSpec(spec: EngineSpec): void
}

function moduleDir(): string {
  return dirname(fileURLToPath(import.meta.url))
}

/** The app root, found from this module's folder (bundled or not). */
export function findAppRoot(from: string = moduleDir()): string {
  return findRoot(from)
}

/** Path of the addon: $RNNLAB_ENGINE if set, else native/build/Release under the app root (unpacked from asar). */
export function enginePath(root: string = findAppRoot()): string {
  if (process.env.RNNLAB_ENGINE) return process.env.RNNLAB_ENGINE
  const path = join(root, 'native', 'build', 'Release', 'rnnlab_engine.node')
  return path.replace(`app.asar${sep}`, `app.asar.unpacked${sep}`)
}

const loaded = new Map<string, Engine>()

/** Loads the addon (once per path); throws an Error naming the path and the build command when it is missing. */
export function loadEngine(path: string = enginePath()): Engine {
  let engine = loaded.get(path)
  if (!engine) {
    if (!existsSync(path)) throw new Error(`${path}: native engine not built (run: npm run build:native)`)
    engine = createRequire(import.meta.url)(path) as Engine
    loaded.set(path, engine)
  }
  return engine
}
