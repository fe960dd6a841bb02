// The parity check built into every export: the exported bytes in onnxruntime against the engine, sample by sample.
//
// Exporters elsewhere break at batch sizes or sequence lengths other than the traced ones, so the check runs
// batches of 1, 7 and 64 and, where the model allows, a shorter sequence (the engine model is built for a fixed
// T, so a second engine model with input [T', F] and the same weights is the reference there).
import type { RunConfig } from '../../common/config'
import type { ParityBatch } from '../../common/contract'
import { type Engine, type EngineModel, loadEngine, type Weights } from '../engine'
import { engineSpec } from '../engine/spec'
import { outputName } from './export'
import { InferenceService } from './inference'
import * as ort from 'onnxruntime-node'

/** On probabilities; other outputs compare relative to their scale (at least 1). */
export const PARITY_TOLERANCE = 1e-5

export interface ParityReport {
  ok: boolean
  maxAbsDiff: number
  meanAbsDiff: number
  argmaxAgreement: number
  tolerance: number
  /** Distinct validation samples used. */
  samples: number
  batches: ParityBatch[]
  onnxruntime: string
  message: string
}

export interface ParityRequest {
  bytes: Uint8Array
  config: RunConfig
  input: [number, number]
  weights: Weights
  /** Validation samples [n, T, F]; fewer than 64 are repeated to fill the large batch. */
  validation: { x: Float32Array; n: number }
  engine?: Engine
  /** A service to run in; by default one made (and closed) for this check. */
  inference?: InferenceService
  batchSizes?: number[]
}

/** T' for the shorter-sequence check, or undefined when the model is too short to have one. */
export function shorterSteps(T: number): number | undefined {
  return T >= 2 ? Math.max(1, T - 5) : undefined
}

export async function checkParity(request: ParityRequest): Promise<ParityReport> {
  const { bytes, config, input, weights, validation } = request
  const [T, F] = input
  const engine = request.engine ?? loadEngine()
  const inference = request.inference ?? new InferenceService({ maxSessions: 1 })
  const softmax = outputName(config) === 'probabilities'
  const batchSizes = request.batchSizes ?? [1, 7, 64]
  const runs: { batchSize: number; timeSteps: number }[] = batchSizes.map((batchSize) => ({ batchSize, timeSteps: T }))
  const short = shorterSteps(T)
  if (short !== undefined) runs.push({ batchSize: 7, timeSteps: short })

  const models = new Map<number, EngineModel>()
  const modelFor = (steps: number): EngineModel => {
    let model = models.get(steps)
    if (!model) {
      model = new engine.Model(engineSpec(config, [steps, F]))
      model.setWeights(weights)
      models.set(steps, model)
    }
    return model
  }

  const batches: ParityBatch[] = []
  let offset = 0
  let used = 0
  try {
    if (validation.n < 1 || validation.x.length !== validation.n * T * F) {
      throw new Error(
        `validation: expected [n, ${T}, ${F}] samples, got ${validation.x.length} values for n = ${validation.n}`
      )
    }
    for (const run of runs) {
      const x = takeSamples(validation.x, validation.n, T, F, offset, run.batchSize, run.timeSteps)
      offset += run.batchSize
      used = Math.min(validation.n, Math.max(used, offset))
      const result: ParityBatch = { ...run, maxAbsDiff: NaN, meanAbsDiff: NaN, argmaxAgreement: NaN, ok: false }
      batches.push(result)
      try {
        const expected = modelFor(run.timeSteps).predict(x, run.batchSize)
        const got = await inference.run(bytes, x, run.batchSize, run.timeSteps, F)
        if (got.data.length !== expected.length) {
          throw new Error(
            `onnxruntime gave ${got.data.length} values [${got.dims.join(', ')}], the engine ${expected.length}`
          )
        }
        const units = got.dims[got.dims.length - 1]
        Object.assign(result, compare(got.data, expected, units))
        const scale = softmax ? 1 : Math.max(1, maxAbs(expected))
        result.ok = Number.isFinite(result.maxAbsDiff) && result.maxAbsDiff <= PARITY_TOLERANCE * scale
      } catch (e) {
        result.error = e instanceof Error ? e.message : String(e)
      }
    }
  } catch (e) {
    return summarize(batches, used, e instanceof Error ? e.message : String(e))
  } finally {
    if (!request.inference) await inference.close()
  }
  return summarize(batches, used)
}

function summarize(batches: ParityBatch[], samples: number, failure?: string): ParityReport {
  const finite = batches.filter((b) => Number.isFinite(b.maxAbsDiff))
  const maxAbsDiff = finite.length ? Math.max(...finite.map((b) => b.maxAbsDiff)) : NaN
  const meanAbsDiff = finite.length ? finite.reduce((s, b) => s + b.meanAbsDiff, 0) / finite.length : NaN
  const argmaxAgreement = finite.length ? Math.min(...finite.map((b) => b.argmaxAgreement)) : NaN
  const ok = failure === undefined && batches.length > 0 && batches.every((b) => b.ok)
  const where = (b: ParityBatch) => `batch ${b.batchSize} at T=${b.timeSteps}`
  const bad = batches.find((b) => !b.ok)
  const message = failure
    ? `parity check failed: ${failure}`
    : ok
      ? `parity ok: max |Δ| ${maxAbsDiff.toExponential(2)}, mean ${meanAbsDiff.toExponential(2)} over ${batches.map(where).join(', ')}; argmax agreement ${(100 * argmaxAgreement).toFixed(1)}%`
      : bad?.error
        ? `parity check failed: ${where(bad)}: ${bad.error}`
        : `parity check failed: ${where(bad!)}: max |Δ| ${bad!.maxAbsDiff.toExponential(2)} exceeds ${PARITY_TOLERANCE}`
  return {
    ok,
    maxAbsDiff,
    meanAbsDiff,
    argmaxAgreement,
    tolerance: PARITY_TOLERANCE,
    samples,
    batches,
    onnxruntime: ort.env.versions.node ?? '',
    message
  }
}

/** Max and mean absolute difference, and argmax agreement over rows of `units` values. */
export function compare(
  a: Float32Array,
  b: Float32Array,
  units: number
): { maxAbsDiff: number; meanAbsDiff: number; argmaxAgreement: number } {
  let max = 0
  let sum = 0
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i])
    // NaN never compares greater: make it the maximum so that it fails the check.
    if (!(d <= max)) max = Number.isNaN(d) ? NaN : d
    sum += d
    if (Number.isNaN(max)) break
  }
  const rows = Math.max(1, a.length / units)
  let agree = 0
  for (let r = 0; r < rows; r++) if (argmax(a, r * units, units) === argmax(b, r * units, units)) agree++
  return { maxAbsDiff: max, meanAbsDiff: sum / Math.max(1, a.length), argmaxAgreement: agree / rows }
}

function argmax(v: Float32Array, start: number, length: number): number {
  let best = 0
  for (let i = 1; i < length; i++) if (v[start + i] > v[start + best]) best = i
  return best
}

function maxAbs(v: Float32Array): number {
  let m = 0
  for (const x of v) m = Math.max(m, Math.abs(x))
  return m
}

/** `count` samples from row `offset` on (wrapping round), each cut to its first `steps` steps. */
function takeSamples(
  x: Float32Array,
  n: number,
  T: number,
  F: number,
  offset: number,
  count: number,
  steps: number
): Float32Array {
  const out = new Float32Array(count * steps * F)
  for (let i = 0; i < count; i++) {
    const row = (offset + i) % n
    out.set(x.subarray(row * T * F, row * T * F + steps * F), i * steps * F)
  }
  return out
}

/** The report as the CLI prints it: one line per batch, then the verdict. */
export function formatParityReport(report: ParityReport): string {
  const e = (v: number) => (Number.isFinite(v) ? v.toExponential(2) : String(v))
  const rows = report.batches.map(
    (b) =>
      `  batch ${String(b.batchSize).padStart(3)}  T=${String(b.timeSteps).padEnd(4)} max |Δ| ${e(b.maxAbsDiff).padEnd(9)} mean |Δ| ${e(b.meanAbsDiff).padEnd(9)} argmax ${Number.isFinite(b.argmaxAgreement) ? (100 * b.argmaxAgreement).toFixed(1) + '%' : '-'}${b.ok ? '' : '  FAILED' + (b.error ? `: ${b.error}` : '')}`
  )
  return [
    `parity against the engine (onnxruntime ${report.onnxruntime}, ${report.samples} samples, tolerance ${report.tolerance}):`,
    ...rows,
    report.message
  ].join('\n')
}
