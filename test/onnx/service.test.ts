// exportRun and predictWith over a real run database: the tutorial's model (small) trained briefly on real digits,
// exported with its parity report stored, and run from .npy files in onnxruntime and in the engine.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { normalizeRunConfig, type RunConfig } from '../../common/config'
import type { DatasetSpec } from '../../common/datasets'
import { loadDataset, type LoadedDataset } from '../../main/datasets'
import { dataFile } from '../../main/datasets/errors'
import { readNpy } from '../../main/datasets/npy'
import { loadEngine } from '../../main/engine'
import { readOnnxMetadata } from '../../main/onnx/import'
import { InferenceService, type Prediction } from '../../main/onnx/inference'
import { encodeNpy } from '../../main/onnx/npy'
import { formatParityReport } from '../../main/onnx/parity'
import { exportRun, loadInitWeights, predictNpy, predictWith } from '../../main/onnx/service'
import { RunStore } from '../../main/runs/store'
import { engineSpec } from '../../main/engine/spec'
import { tempDir } from '../helpers/tmp'

const home = tempDir('rnnlab-onnx-service-')
const inference = new InferenceService({ intraOpNumThreads: 1 })
let store: RunStore
let data: LoadedDataset
let config: RunConfig
let runId: number
/** The datasets service as services.ts passes it to exportRun. */
const loadData = (spec: DatasetSpec) => loadDataset(spec, { home: home.path })

beforeAll(async () => {
  store = new RunStore(join(home.path, 'rnnlab.db'))
  config = normalizeRunConfig({
    name: 'tiny-bilstm-mnist',
    dataset: { source: 'mnist-sample', limit: 1500 },
    model: {
      layers: [
        { type: 'bidirectional', mergeMode: 'concat', layer: { type: 'lstm', units: 8, returnSequences: true } },
        { type: 'dropout', rate: 0.2 },
        { type: 'bidirectional', layer: { type: 'lstm', units: 8 } },
        { type: 'dropout', rate: 0.2 },
        { type: 'dense', units: 10, activation: 'softmax' }
      ]
    },
    training: { optimizer: { type: 'adam', learningRate: 0.01 }, batchSize: 64, epochs: 1, seed: 42 }
  })
  data = await loadDataset(config.dataset, { home: home.path })
  const model = new (loadEngine().Model)(engineSpec(config, [28, 28]))
  model.init(42)
  const stats = model.trainEpoch(data.train.x, data.train.y, data.train.count, { batchSize: 64, seed: 1 })
  runId = store.createRun({
    name: config.name,
    config,
    dataset: 'mnist-sample',
    seed: 42,
    paramCount: model.paramCount(),
    cell: 'lstm',
    direction: 'bidirectional',
    layerCount: 5,
    epochsPlanned: 1
  })
  mkdirSync(join(home.path, 'runs', String(runId)), { recursive: true })
  const path = join(home.path, 'runs', String(runId), 'best-1.ckpt')
  model.saveCheckpoint(path)
  store.recordEpochResult(
    runId,
    {
      epoch: 1,
      loss: stats.loss,
      accuracy: stats.accuracy,
      valLoss: null,
      valAccuracy: null,
      learningRate: 0.01,
      seconds: stats.seconds ?? null,
      samplesPerSecond: null
    },
    [
      { kind: 'best', epoch: 1, path, sha256: '', bytes: 0 },
      { kind: 'last', epoch: 1, path, sha256: '', bytes: 0 }
    ],
    []
  )
  store.finishRun(runId, 'completed')
}, 60_000)

afterAll(async () => {
  await inference.close()
  store.close()
  home.remove()
})

function accuracy(p: Prediction | { data: Float32Array }, labels: Int32Array): number {
  let right = 0
  for (let i = 0; i < labels.length; i++) {
    const row = p.data.subarray(10 * i, 10 * i + 10)
    if (row.indexOf(Math.max(...row)) === labels[i]) right++
  }
  return right / labels.length
}

describe('exportRun', () => {
  test('writes the file, checks parity on the validation set and records the export', async () => {
    const out = join(home.path, 'exports', 'model.onnx')
    const result = await exportRun({ store, runId, out, loadDataset: loadData, inference })
    expect(result.ok).toBe(true)
    expect(result.path).toBe(out)
    expect(existsSync(out)).toBe(true)
    const { report } = result
    console.log(formatParityReport(report))
    expect(report.maxAbsDiff).toBeLessThanOrEqual(1e-5)
    expect(report.argmaxAgreement).toBe(1)
    expect(report.samples).toBe(79)
    expect(report.batches.map((b) => [b.batchSize, b.timeSteps])).toEqual([
      [1, 28],
      [7, 28],
      [64, 28],
      [7, 23]
    ])
    expect(report).toMatchObject({
      runId,
      checkpoint: 'best',
      epoch: 1,
      opset: 17,
      irVersion: 8,
      input: [28, 28],
      output: 'probabilities'
    })
    const rows = store.listExports(runId)
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({ id: result.id, ok: true, checkpoint: 'best', path: out })
    expect(rows[0].report.sha256).toBe(report.sha256)
    const meta = readOnnxMetadata(readFileSync(out))
    expect(meta).toMatchObject({
      runId: String(runId),
      classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
      preprocessing: 'pixel/255',
      inputShape: [28, 28]
    })
  })

  test('an export whose check fails is stored with ok = 0 and says why', async () => {
    // A runtime that answers a little off stands in for a broken exporter.
    class Skewed extends InferenceService {
      override async run(
        model: string | Uint8Array,
        x: Float32Array,
        n: number,
        T: number,
        F: number
      ): Promise<Prediction> {
        const p = await super.run(model, x, n, T, F)
        const data = p.data.slice()
        data[data.length - 1] += 1e-3
        return { ...p, data }
      }
    }
    const skewed = new Skewed()
    const n = 20
    const validation = { x: data.validation.x.slice(0, n * 28 * 28), n, T: 28, F: 28 }
    const result = await exportRun({
      store,
      runId,
      checkpoint: 'last',
      out: join(home.path, 'bad.onnx'),
      loadDataset: loadData,
      validation,
      inference: skewed
    })
    await skewed.close()
    expect(result.ok).toBe(false)
    expect(result.report.message).toMatch(/^parity check failed: batch 1 at T=28: max \|Δ\| 1\.00e-3 exceeds 0\.00001/)
    const row = store.db.prepare('SELECT ok, report_json FROM exports WHERE id = ?').get(result.id) as {
      ok: number
      report_json: string
    }
    expect(row.ok).toBe(0)
    expect(JSON.parse(row.report_json).message).toBe(result.report.message)
  })

  test('a run without the checkpoint asked for is refused', async () => {
    const other = store.createRun({
      name: 'empty',
      config,
      dataset: 'mnist-sample',
      seed: 1,
      paramCount: null,
      cell: null,
      direction: null,
      layerCount: 5,
      epochsPlanned: 1
    })
    await expect(
      exportRun({ store, runId: other, out: join(home.path, 'x.onnx'), loadDataset: loadData })
    ).rejects.toThrow(`run ${other} has no last checkpoint`)
  })
})

describe('predict', () => {
  const n = 300
  const xPath = () => join(home.path, 'x.npy')
  beforeAll(() => writeFileSync(xPath(), encodeNpy(data.validation.x.subarray(0, n * 28 * 28), [n, 28, 28])))

  test('the exported model predicts the held-out digits with the engine’s accuracy', async () => {
    const labels = data.validation.y.subarray(0, n)
    const model = join(home.path, 'exports', 'model.onnx')
    const viaOnnx = await predictNpy({ target: model, input: xPath(), out: join(home.path, 'probs.npy'), inference })
    const viaEngine = await predictWith(
      { target: String(runId), store, engine: 'native' },
      { x: data.validation.x.subarray(0, n * 784), n, T: 28, F: 28 }
    )
    expect(viaOnnx.dims).toEqual([n, 10])
    expect(viaEngine.dims).toEqual([n, 10])
    const a = accuracy(viaOnnx, labels)
    console.log(`accuracy on ${n} held-out digits: onnxruntime ${a}, engine ${accuracy(viaEngine, labels)}`)
    expect(a).toBe(accuracy(viaEngine, labels))
    expect(a).toBeGreaterThan(0.3)
    // probs.npy holds what was returned.
    const written = await readNpy(dataFile(viaOnnx.out!), (k) => new Float32Array(k))
    expect(written.shape).toEqual([n, 10])
    expect(written.data).toEqual(viaOnnx.data)
  })

  test('a file in the engine, a run in onnxruntime: the same numbers', async () => {
    const samples = { x: data.validation.x.subarray(0, 20 * 784), n: 20, T: 28, F: 28 }
    const model = join(home.path, 'exports', 'model.onnx')
    const fileNative = await predictWith({ target: model, engine: 'native' }, samples)
    const runOnnx = await predictWith({ target: 'tiny-bilstm-mnist', store, engine: 'onnx', inference }, samples)
    const runNative = await predictWith({ target: String(runId), store, engine: 'native' }, samples)
    expect(fileNative.data).toEqual(runNative.data)
    for (let i = 0; i < runOnnx.data.length; i++)
      expect(Math.abs(runOnnx.data[i] - runNative.data[i])).toBeLessThanOrEqual(1e-5)
    expect(runOnnx.source).toBe(`run ${runId} (best checkpoint, epoch 1)`)
  })

  test('an input of the wrong width is refused, naming it', async () => {
    const path = join(home.path, 'narrow.npy')
    writeFileSync(path, encodeNpy(new Float32Array(2 * 28 * 27), [2, 28, 27]))
    await expect(
      predictNpy({ target: join(home.path, 'exports', 'model.onnx'), input: path, inference })
    ).rejects.toThrow('model.onnx: the input is [2, 28, 27]; the model takes [batch, time, 28]')
    await expect(predictNpy({ target: String(runId), store, input: path, engine: 'native' })).rejects.toThrow(
      `input: 27 features per step; run ${runId} takes 28`
    )
    const flat = join(home.path, 'flat.npy')
    writeFileSync(flat, encodeNpy(new Float32Array(6), [2, 3]))
    await expect(predictNpy({ target: String(runId), store, input: flat })).rejects.toThrow(
      'flat.npy: expected 3 dimensions [N, T, F], got [2, 3]'
    )
  })
})

test('--init-from: an exported file starts a new run of the same architecture; another architecture is refused', async () => {
  const model = join(home.path, 'exports', 'model.onnx')
  const weights = loadInitWeights(model, config, [28, 28])
  const fresh = new (loadEngine().Model)(engineSpec(config, [28, 28]))
  fresh.init(7)
  fresh.setWeights(weights)
  const samples = { x: data.validation.x.subarray(0, 5 * 784), n: 5, T: 28, F: 28 }
  const fromRun = await predictWith({ target: String(runId), store, engine: 'native' }, samples)
  expect(fresh.predict(samples.x, 5)).toEqual(fromRun.data)
  const wider = normalizeRunConfig({
    ...config,
    model: {
      layers: [
        { type: 'bidirectional', layer: { type: 'lstm', units: 9, returnSequences: true } },
        ...config.model.layers.slice(1)
      ]
    }
  })
  expect(() => loadInitWeights(model, wider, [28, 28])).toThrow(
    'model.onnx: layer 0 (LSTM) hidden_size 8, the config says 9'
  )
  expect(() => loadInitWeights(join(home.path, 'missing.onnx'), config, [28, 28])).toThrow('missing.onnx: no such file')
})
