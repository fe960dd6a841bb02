// The worker's side of an inspection job: reads the run's data, loads the checkpoint into the engine and runs the
// inspection pass (native/src/inspect.h) on one sample, then shapes the reply as the contract gives it; asked for a
// unit's traces, it also runs the pass over the split's first samples (in calls the pass's limits allow) and keeps the
// samples where that unit is most active.
import { datasetClassNames } from '../../common/datasets'
import {
  TRACE_LINES,
  TRACE_SEARCHED,
  type InspectedLayer,
  type RunInspection,
  type TraceRequest,
  type UnitTrace
} from '../../common/contract'
import { count } from '../../common/format'
import type { loadDataset } from '../datasets'
import { loadEngine, type EngineModel, type Inspection } from '../engine'
import { engineSpec } from '../engine/spec'
import type { InspectJob } from './protocol'

/** [T][units] rows of one (sample, direction) block of an [n, D, T, units] array. */
function rows(data: Float32Array, offset: number, T: number, H: number): number[][] {
  return Array.from({ length: T }, (_, t) => Array.from(data.subarray(offset + t * H, offset + (t + 1) * H)))
}

/** The layers of an inspection of one sample, as the contract carries them. */
export function inspectedLayers(inspection: Inspection): InspectedLayer[] {
  const T = inspection.steps
  return inspection.layers.map((l) => ({
    layer: l.layer,
    cell: l.cell,
    units: l.units,
    directions: l.directions.map((direction, d) => {
      const at = d * T * l.units
      return {
        direction,
        h: rows(l.h, at, T, l.units),
        ...(l.c ? { c: rows(l.c, at, T, l.units) } : {}),
        gates: Object.entries(l.gates).map(([name, values]) => ({ name, values: rows(values, at, T, l.units) }))
      }
    })
  }))
}

/** The last data set and model used: the next job on the same run (another sample) reuses them. */
let dataCache: { key: string; data: ReturnType<typeof loadDataset> } | null = null
let modelCache: { key: string; model: EngineModel } | null = null
/** The last layer direction searched for traces: h [n, T, H] of the split's first n samples (another unit reuses it). */
let traceCache: { key: string; n: number; T: number; H: number; h: Float32Array } | null = null

/** Values one inspection pass records per sample (what the pass's limit counts), from a pass on one sample. */
function valuesPerSample(inspection: Inspection): number {
  let n = inspection.output.values.length
  for (const l of inspection.layers)
    n += l.h.length + (l.c?.length ?? 0) + Object.values(l.gates).reduce((a, g) => a + g.length, 0)
  return n
}

/** The pass's limit on the values one call records (native/src/inspect.h INSPECT_MAX_VALUES). */
const INSPECT_MAX_VALUES = 1 << 22

function unitTrace(
  model: EngineModel,
  modelKey: string,
  split: { x: Float32Array; y: Int32Array; count: number },
  perStepLabels: boolean,
  T: number,
  F: number,
  sample: number,
  one: Inspection,
  request: TraceRequest
): UnitTrace {
  const layer = one.layers.find((l) => l.layer === request.layer)
  if (!layer)
    throw new Error(
      `trace.layer: layer ${request.layer} is not a recurrent layer of the model (its recurrent layers: ${one.layers.map((l) => l.layer).join(', ')})`
    )
  const d = layer.directions.indexOf(request.direction)
  if (d < 0) throw new Error(`trace.direction: layer ${request.layer} has no ${request.direction} direction`)
  const H = layer.units
  if (request.unit >= H)
    throw new Error(`trace.unit: ${request.unit} is past layer ${request.layer}'s ${H} units (0 to ${H - 1})`)
  const D = layer.directions.length
  const n = Math.min(TRACE_SEARCHED, split.count)
  const key = JSON.stringify([modelKey, request.layer, d, n])
  if (traceCache?.key !== key) {
    traceCache = null
    const h = new Float32Array(n * T * H)
    const chunk = Math.max(1, Math.min(n, Math.floor(INSPECT_MAX_VALUES / valuesPerSample(one))))
    for (let start = 0; start < n; start += chunk) {
      const m = Math.min(chunk, n - start)
      const r = model.inspect(split.x.subarray(start * T * F, (start + m) * T * F), m)
      const l = r.layers.find((x) => x.layer === request.layer)!
      for (let b = 0; b < m; b++) h.set(l.h.subarray((b * D + d) * T * H, (b * D + d + 1) * T * H), (start + b) * T * H)
    }
    traceCache = { key, n, T, H, h }
  }
  const { h } = traceCache
  const unit = request.unit
  const traceOf = (b: number) => Array.from({ length: T }, (_, t) => h[(b * T + t) * H + unit])
  const activity = Array.from({ length: n }, (_, b) => {
    let sum = 0
    for (let t = 0; t < T; t++) sum += Math.abs(h[(b * T + t) * H + unit])
    return sum / T
  })
  const ranked = activity.map((a, b) => ({ b, a })).sort((p, q) => q.a - p.a || p.b - q.b)
  const own = layer.h.subarray(d * T * H, (d + 1) * T * H)
  const current = Array.from({ length: T }, (_, t) => own[t * H + unit])
  const rankAt = ranked.findIndex((r) => r.b === sample)
  return {
    ...request,
    searched: n,
    samples: ranked.slice(0, TRACE_LINES).map(({ b, a }) => ({
      index: b,
      label: perStepLabels ? null : split.y[b],
      activity: a,
      values: traceOf(b)
    })),
    current: {
      index: sample,
      activity: current.reduce((s, v) => s + Math.abs(v), 0) / T,
      rank: rankAt < 0 ? null : rankAt + 1,
      values: current
    }
  }
}

export async function runInspectJob(
  job: InspectJob,
  services: { loadDataset: typeof loadDataset }
): Promise<RunInspection> {
  const { config, sample } = job
  const dataKey = JSON.stringify([config.dataset, job.home])
  if (dataCache?.key !== dataKey)
    dataCache = { key: dataKey, data: services.loadDataset(config.dataset, { home: job.home }) }
  const cached = dataCache
  const data = await cached.data.catch((e: unknown) => {
    if (dataCache === cached) dataCache = null
    throw e
  })
  const split = data.validation.count > 0 ? data.validation : data.train
  const splitName = data.validation.count > 0 ? 'validation' : 'train'
  if (sample >= split.count)
    throw new Error(
      `sample: ${sample} is past the end of run ${job.runId}'s ${splitName} set (${count(split.count)} samples, 0 to ${split.count - 1})`
    )
  const T = data.timeSteps
  const F = data.features
  const spec = engineSpec(config, [T, F])
  const modelKey = JSON.stringify([spec, job.checkpoint.path, job.checkpoint.sha256])
  if (modelCache?.key !== modelKey) {
    modelCache = null
    const model = new (loadEngine().Model)(spec)
    model.loadCheckpoint(job.checkpoint.path)
    modelCache = { key: modelKey, model }
  }
  const model = modelCache.model
  const x = split.x.slice(sample * T * F, (sample + 1) * T * F)
  const started = performance.now()
  const inspection = model.inspect(x, 1)
  const seconds = (performance.now() - started) / 1000
  const { output } = inspection
  const label = data.labelsPerStep ? Array.from(split.y.subarray(sample * T, (sample + 1) * T)) : split.y[sample]
  return {
    runId: job.runId,
    checkpoint: job.checkpoint.kind,
    epoch: job.checkpoint.epoch,
    split: splitName,
    sample,
    total: split.count,
    timeSteps: T,
    features: F,
    label: label ?? null,
    classNames: data.classNames ?? datasetClassNames(config.dataset) ?? null,
    layers: inspectedLayers(inspection),
    output: {
      layer: output.layer,
      perStep: output.perStep,
      values: rows(output.values, 0, output.steps, output.units)
    },
    seconds,
    ...(job.trace
      ? {
          trace: unitTrace(model, modelKey, split, data.labelsPerStep, T, F, sample, inspection, job.trace)
        }
      : {})
  }
}
