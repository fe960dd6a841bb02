// The tutorial end to end, as the README runs it: examples/seed-bilstm-mnist.json on the 10,000 real MNIST digits
// (8,000 / 2,000) for 10 epochs reaches >= 94% validation accuracy with the loss falling every epoch for the first
// three; its export predicts the 2,000 held-out digits with the same accuracy in onnxruntime as in the engine.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { readRunConfig } from '../../main/config-file'
import { loadDataset } from '../../main/datasets'
import { exportRun, predictWith } from '../../main/onnx/service'
import { Services } from '../../main/services'
import { tempDir } from '../helpers/tmp'

let dir: ReturnType<typeof tempDir>
let services: Services
beforeAll(() => {
  dir = tempDir()
  services = new Services({ home: dir.path, door: 'cli', version: 'test' })
})
afterAll(() => {
  services.close()
  dir.remove()
})

function accuracy(probabilities: Float32Array, labels: Int32Array): number {
  let right = 0
  for (let i = 0; i < labels.length; i++) {
    let best = 0
    for (let c = 1; c < 10; c++) if (probabilities[i * 10 + c] > probabilities[i * 10 + best]) best = c
    if (best === labels[i]) right++
  }
  return right / labels.length
}

describe('the tutorial', () => {
  it(
    'learns MNIST read row by row to >= 94%, and its ONNX export scores the same on held-out digits',
    { timeout: 600_000 },
    async () => {
      const config = readRunConfig(join(__dirname, '..', '..', 'examples', 'seed-bilstm-mnist.json'))
      const t0 = Date.now()
      const runId = services.training.start(config)
      expect(await services.training.finished(runId)).toBe('completed')
      const run = services.store.getRun(runId)
      console.log(
        `tutorial in ${((Date.now() - t0) / 1000).toFixed(1)} s (${run.engineVersion}):\n` +
          run.epochs
            .map(
              (e) =>
                `  epoch ${e.epoch}: loss ${e.loss!.toFixed(4)} val_loss ${e.valLoss!.toFixed(4)} val_accuracy ${e.valAccuracy!.toFixed(4)} ${e.seconds!.toFixed(1)} s`
            )
            .join('\n')
      )
      expect(run.epochs).toHaveLength(10)
      const loss = run.epochs.map((e) => e.loss!)
      expect(loss[1]).toBeLessThan(loss[0])
      expect(loss[2]).toBeLessThan(loss[1])
      expect(run.valAccuracy.best!).toBeGreaterThanOrEqual(0.94)

      const out = join(dir.path, 'tutorial.onnx')
      const exported = await exportRun({
        store: services.store,
        runId,
        checkpoint: 'best',
        out,
        loadDataset: (spec) => loadDataset(spec, { home: dir.path }),
        inference: services.inference
      })
      expect(exported.ok).toBe(true)
      const data = await loadDataset(config.dataset, { home: dir.path })
      const samples = { x: data.validation.x, n: data.validation.count, T: 28, F: 28 }
      expect(samples.n).toBe(2000)
      const inOnnx = await predictWith({ target: out, engine: 'onnx', inference: services.inference }, samples)
      const inEngine = await predictWith(
        { target: String(runId), store: services.store, engine: 'native', checkpoint: 'best' },
        samples
      )
      const onnxAccuracy = accuracy(inOnnx.data, data.validation.y)
      const engineAccuracy = accuracy(inEngine.data, data.validation.y)
      console.log(
        `held-out accuracy: onnxruntime ${onnxAccuracy}, engine ${engineAccuracy}; best val_accuracy ${run.valAccuracy.best}`
      )
      expect(onnxAccuracy).toBe(engineAccuracy)
      expect(engineAccuracy).toBe(run.valAccuracy.best)
    }
  )
})
