// The ONNX services the CLI and the app call: export a run (with its parity check, recorded in the database) and predict.
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { fileErrorMessage } from '../../common/file-errors'
import { basename, resolve } from 'node:path'
import { normalizeRunConfig, type RunConfig } from '../../common/config'
import { datasetClassNames, type DatasetSpec } from '../../common/datasets'
import type { ExportReport, RunId } from '../../common/contract'
import { inferInputShape, resolveModel } from '../../common/model'
import type { LoadedDataset } from '../datasets'
import { type Engine, type EngineModel, loadEngine, type Weights } from '../engine'
import type { RunStore } from '../runs/store'
import { engineSpec } from '../engine/spec'
import { exportOnnx, outputName } from './export'
import { readNormalization } from '../datasets/timeseries'
import { readOnnxMetadata, readOnnxWeights } from './import'
import { describeNonFinite, InferenceService } from './inference'
import { readInputNpy, writeFileAtomic, writeNpy } from './npy'
import { checkParity } from './parity'
import { firstNonFinite, IR_VERSION, OPSET } from './proto'

export type CheckpointKind = 'best' | 'last'

/** Validation samples given by the caller, row-major [n, T, F]. */
export interface Samples {
  x: Float32Array
  n: number
  T: number
  F: number
}

export interface ExportRunOptions {
  store: RunStore
  runId: RunId
  /** Default 'best', falling back to 'last' when the run has no best checkpoint (no validation). */
  checkpoint?: CheckpointKind
  /** Where the .onnx file goes (written atomically). */
  out: string
  /** The datasets service (passed in by services.ts), for the parity check's samples when `validation` is absent. */
  loadDataset: (spec: DatasetSpec) => Promise<LoadedDataset>
  /** Samples for the parity check; by default the first `maxSamples` of the run's validation set (else training set). */
  validation?: Samples
  maxSamples?: number
  engine?: Engine
  inference?: InferenceService
}

export interface ExportRunResult {
  /** The exports row. */
  id: number
  path: string
  ok: boolean
  report: ExportReport
}

/** What the MNIST family's loaders do to raw pixels, written into the file so that other runtimes can do the same. */
export function preprocessingOf(config: RunConfig): string {
  switch (config.dataset.source) {
    case 'mnist-sample':
    case 'mnist':
    case 'fashion-mnist':
      return 'pixel/255'
    case 'idx':
      return 'pixel/255 when the IDX data is unsigned bytes, else none'
    case 'timeseries':
      return 'z-score each feature column, and the outputs back, with rnnlab.normalization'
    default:
      return 'none'
  }
}

/**
 * Exports a run's checkpoint to ONNX, checks the file against the engine and records the export (ok or not) in
 * the database. Throws only when there is nothing to export (no run, no checkpoint, a config the exporter refuses).
 */
export async function exportRun(options: ExportRunOptions): Promise<ExportRunResult> {
  const { store, runId } = options
  const config = runConfig(store, runId)
  let kind: CheckpointKind = options.checkpoint ?? 'best'
  let checkpoint = store.checkpoint(runId, kind)
  if (!checkpoint && options.checkpoint === undefined) {
    kind = 'last'
    checkpoint = store.checkpoint(runId, kind)
  }
  if (!checkpoint) throw new Error(`run ${runId} has no ${kind} checkpoint (it ended before its first epoch finished)`)

  // A time-series run keeps its normalisation, and the CSV it read (its config's path may be relative to a folder
  // the run database does not know): the export carries the one and checks parity on the other.
  const normalization =
    config.dataset.source === 'timeseries' ? readNormalization(checkpoint.path, `run ${runId}`) : undefined
  const dataset =
    config.dataset.source === 'timeseries' && normalization?.file
      ? { ...config.dataset, train: normalization.file }
      : config.dataset
  let validation = options.validation
  let classNames = datasetClassNames(config.dataset)
  if (!validation) {
    const data = await options.loadDataset(dataset)
    const split = data.validation.count > 0 ? data.validation : data.train
    const n = Math.min(split.count, options.maxSamples ?? 128)
    const T = data.timeSteps
    const F = data.features
    validation = { x: split.x.slice(0, n * T * F), n, T, F }
    classNames = data.classNames ?? classNames
  }
  const input: [number, number] = [validation.T, validation.F]
  const declared = inferInputShape(config)
  if (declared && (declared[0] !== input[0] || declared[1] !== input[1])) {
    throw new Error(`validation: samples are [${input}] but the run's model takes [${declared}]`)
  }

  const engine = options.engine ?? loadEngine()
  const model = new engine.Model(engineSpec(config, input))
  model.loadCheckpoint(checkpoint.path)
  const weights = model.getWeights()
  const bytes = exportOnnx({
    config,
    input,
    weights,
    metadata: {
      runId,
      classNames,
      preprocessing: preprocessingOf(config),
      checkpoint: kind,
      epoch: checkpoint.epoch,
      ...(normalization ? { normalization: JSON.stringify(normalization) } : {})
    }
  })
  const path = resolve(options.out)
  writeFileAtomic(path, bytes)

  const parity = await checkParity({
    bytes,
    config,
    input,
    weights,
    validation: { x: validation.x, n: validation.n },
    engine,
    inference: options.inference
  })
  const report: ExportReport = {
    ...parity,
    runId,
    checkpoint: kind,
    epoch: checkpoint.epoch,
    path,
    bytes: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    opset: OPSET,
    irVersion: IR_VERSION,
    input,
    output: outputName(config)
  }
  const id = store.recordExport(runId, { checkpoint: kind, path, ok: parity.ok, report })
  return { id, path, ok: parity.ok, report }
}

// ---------------------------------------------------------------------------------------------------------------
// Prediction

export type PredictEngine = 'onnx' | 'native'

export interface PredictOptions {
  /** An .onnx file, or a run (id or name) in `store`. */
  target: string
  /** Runs are looked up here; not needed for an .onnx file. */
  store?: RunStore
  engine?: PredictEngine
  /** For a run; default 'best', else 'last'. */
  checkpoint?: CheckpointKind
  addon?: Engine
  inference?: InferenceService
}

export interface PredictResult {
  /** [n, units] or [n, T, units], flat. */
  data: Float32Array
  dims: number[]
  engine: PredictEngine
  /** What ran: the file path, or `run 12 (best checkpoint)`. */
  source: string
  classNames?: string[]
}

/** Predicts x [n, T, F] with an ONNX file or a run's checkpoint, in onnxruntime or in the native engine. */
export async function predictWith(options: PredictOptions, samples: Samples): Promise<PredictResult> {
  const result = await predictUnchecked(options, samples)
  // NaN weights (a checkpoint, a file) or an overflow give NaN or Infinity: no class can be read from that.
  const bad = firstNonFinite(result.data)
  if (bad >= 0) {
    throw new Error(
      `${result.source}: the output ${describeNonFinite(result.data, bad, result.dims, 'unit')}; the model's weights or the input are out of range, so no prediction is given`
    )
  }
  return result
}

async function predictUnchecked(options: PredictOptions, samples: Samples): Promise<PredictResult> {
  const engineKind = options.engine ?? 'onnx'
  const { x, n, T, F } = samples
  const bad = firstNonFinite(x)
  if (bad >= 0)
    throw new Error(`input: ${describeNonFinite(x, bad, [n, T, F], 'feature')}; inputs must be finite numbers`)
  if (options.target.toLowerCase().endsWith('.onnx') || existsSync(options.target)) {
    const path = resolve(options.target)
    const file = basename(path)
    let bytes: Uint8Array
    try {
      bytes = readFileSync(path)
    } catch (e) {
      throw new Error(fileErrorMessage(e, options.target), { cause: e })
    }
    const meta = engineKind === 'native' ? readOnnxMetadata(bytes, file) : safeMetadata(bytes, file)
    if (engineKind === 'onnx') {
      const inference = options.inference ?? new InferenceService()
      try {
        const out = await inference.run(path, x, n, T, F)
        return { ...out, engine: 'onnx', source: path, classNames: meta?.classNames }
      } finally {
        if (!options.inference) await inference.close()
      }
    }
    if (!meta?.config)
      throw new Error(`${file}: not an RNN Lab export (no config in its metadata); run it with --engine onnx`)
    const config = normalizeRunConfig(meta.config, `${file} (metadata)`)
    checkFeatures(F, meta.inputShape?.[1] ?? inferInputShape(config)?.[1], file)
    // The weights do not depend on T, so the engine model is built for the samples' length.
    const weights = readOnnxWeights(bytes, config, [T, F], file)
    const model = engineModel(options.addon, config, [T, F])
    model.setWeights(weights)
    return { ...enginePredict(model, config, x, n, T, F), engine: 'native', source: path, classNames: meta.classNames }
  }

  if (!options.store) throw new Error(`${options.target}: no such file, and no run database to look it up as a run`)
  const runId = options.store.resolve(options.target)
  const config = runConfig(options.store, runId)
  const kind = options.checkpoint ?? (options.store.checkpoint(runId, 'best') ? 'best' : 'last')
  const checkpoint = options.store.checkpoint(runId, kind)
  if (!checkpoint) throw new Error(`run ${runId} has no ${kind} checkpoint`)
  const declared = inferInputShape(config)
  checkFeatures(F, declared?.[1], `run ${runId}`)
  const model = engineModel(options.addon, config, [T, F])
  model.loadCheckpoint(checkpoint.path)
  const source = `run ${runId} (${kind} checkpoint, epoch ${checkpoint.epoch})`
  const classNames = datasetClassNames(config.dataset)
  if (engineKind === 'native')
    return { ...enginePredict(model, config, x, n, T, F), engine: 'native', source, classNames }
  const bytes = exportOnnx({ config, input: [T, F], weights: model.getWeights(), metadata: { runId } })
  const inference = options.inference ?? new InferenceService()
  try {
    return { ...(await inference.run(bytes, x, n, T, F)), engine: 'onnx', source, classNames }
  } finally {
    if (!options.inference) await inference.close()
  }
}

/** `rnnlab predict <model.onnx | run> --input x.npy [--out probs.npy] [--engine onnx|native]`. */
export async function predictNpy(
  options: PredictOptions & { input: string; out?: string }
): Promise<PredictResult & { out?: string }> {
  const samples = await readInputNpy(options.input)
  const bad = firstNonFinite(samples.x)
  if (bad >= 0) {
    const { x, n, T, F } = samples
    throw new Error(
      `${options.input}: ${describeNonFinite(x, bad, [n, T, F], 'feature')}; inputs must be finite numbers`
    )
  }
  const result = await predictWith(options, samples)
  if (options.out === undefined) return result
  const out = resolve(options.out)
  writeNpy(out, result.data, result.dims)
  return { ...result, out }
}

/**
 * `--init-from model.onnx`: the weights of a file this product exported, for a new run whose config has the same
 * architecture at input [T, F]; set them on the engine model after init(). Mismatches are refused by name.
 */
export function loadInitWeights(path: string, config: RunConfig, input: [number, number]): Weights {
  let bytes: Uint8Array
  try {
    bytes = readFileSync(path)
  } catch (e) {
    throw new Error(fileErrorMessage(e, path), {
      cause: e
    })
  }
  return readOnnxWeights(bytes, config, input, basename(path))
}

function runConfig(store: RunStore, runId: RunId): RunConfig {
  const run = store.getRun(runId)
  return normalizeRunConfig(run.config, `run ${runId} config`)
}

function engineModel(addon: Engine | undefined, config: RunConfig, input: [number, number]): EngineModel {
  return new (addon ?? loadEngine()).Model(engineSpec(config, input))
}

function enginePredict(
  model: EngineModel,
  config: RunConfig,
  x: Float32Array,
  n: number,
  T: number,
  F: number
): { data: Float32Array; dims: number[] } {
  // The engine's flat [n, steps, units] is [n, units] when the model ends on a last step, as the ONNX output is.
  const shape = resolveModel(config.model, [T, F]).outputShape
  const dims = shape.length === 3 ? [n, shape[1] as number, shape[2] as number] : [n, shape[1] as number]
  return { data: model.predict(x, n), dims }
}

function checkFeatures(F: number, expected: number | undefined, what: string): void {
  if (expected !== undefined && F !== expected)
    throw new Error(`input: ${F} features per step; ${what} takes ${expected}`)
}

function safeMetadata(bytes: Uint8Array, file: string): ReturnType<typeof readOnnxMetadata> | undefined {
  try {
    return readOnnxMetadata(bytes, file)
  } catch {
    // The runtime's own loading gives the better message for a file that is not ours.
    return undefined
  }
}
