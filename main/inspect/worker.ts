// The worker's side of an inspection job: reads the run's data, loads the checkpoint into the engine and runs the
// inspection pass (native/src/inspect.h) on one sample, then shapes the reply as the contract gives it.
import { datasetClassNames } from '../../common/datasets'
import type { InspectedLayer, RunInspection } from '../../common/contract'
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
    seconds
  }
}
