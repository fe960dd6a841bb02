// True per-step metrics: a run trained by a real worker stores, for each reported step, the mean loss and accuracy of
// the batches since the previous report — checked against the engine's own batch losses, replayed batch by batch —
// and exports them as CSV.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { normalizeRunConfig } from '../../common/config'
import { dispatch } from '../../common/contract'
import { loadDataset } from '../../main/datasets'
import { loadEngine } from '../../main/engine'
import { engineSpec } from '../../main/engine/spec'
import { stepColumns } from '../../main/runs/csv'
import { Services } from '../../main/services'
import { StepWindow } from '../../main/training/worker'
import { tempDir } from '../helpers/tmp'
import { main } from '../../main/cli'

let dir: ReturnType<typeof tempDir>
let services: Services
beforeEach(() => {
  dir = tempDir()
  services = new Services({ home: dir.path, door: 'cli', version: 'test' })
})
afterEach(() => {
  services.close()
  dir.remove()
})

// In order (no shuffle) and on one thread, so that replaying it batch by batch gives the same numbers.
const config = normalizeRunConfig({
  name: 'steps',
  dataset: { source: 'mnist-sample', limit: 700 },
  model: {
    layers: [
      { type: 'gru', units: 10 },
      { type: 'dense', units: 10, activation: 'softmax' }
    ]
  },
  training: { optimizer: { type: 'adam', learningRate: 0.01 }, batchSize: 32, epochs: 2, shuffle: false, seed: 11 }
})

describe('per-step metrics', () => {
  it('stores for each reported step the mean of the engine’s batch losses since the previous report', async () => {
    const runId = services.training.start(config, { threads: 1 })
    expect(await services.training.finished(runId)).toBe('completed')
    const steps = services.store.getBatches(runId)
    const run = services.store.getRun(runId)

    // The engine's own losses of each batch: the same model, data and order, one trainBatch call a batch.
    const data = await loadDataset(config.dataset, { home: dir.path })
    const engine = loadEngine()
    const model = new engine.Model(engineSpec(config, [data.timeSteps, data.features], 1))
    model.init(config.training.seed)
    model.setLearningRate(config.training.optimizer.learningRate)
    const B = config.training.batchSize
    const n = data.train.count
    const perEpoch = Math.ceil(n / B)
    const F = data.timeSteps * data.features
    const batchLoss: { loss: number; accuracy: number; size: number }[][] = []
    for (let e = 1; e <= 2; e++) {
      const list = []
      for (let start = 0; start < n; start += B) {
        const size = Math.min(B, n - start)
        const st = model.trainBatch(
          data.train.x.subarray(start * F, (start + size) * F),
          data.train.y.subarray(start, start + size),
          size
        )
        list.push({ loss: st.loss, accuracy: st.accuracy, size })
      }
      batchLoss.push(list)
      model.evaluate(data.validation.x, data.validation.y, data.validation.count, { batchSize: 256 })
    }

    // The windows tile each epoch: they start after the previous report and never reach into the previous epoch.
    for (const e of [1, 2]) {
      const rows = steps.filter((s) => s.epoch === e)
      expect(rows.length).toBeGreaterThanOrEqual(2) // the first batch always reports, and the last
      expect(rows[0].batches).toBe(rows[0].batch)
      expect(rows.at(-1)!.batch).toBe(perEpoch)
      for (let i = 1; i < rows.length; i++) expect(rows[i].batch - rows[i].batches!).toBe(rows[i - 1].batch)
    }
    for (const s of steps) {
      expect(s.step).toBe((s.epoch - 1) * perEpoch + s.batch)
      const window = batchLoss[s.epoch - 1].slice(s.batch - s.batches!, s.batch)
      const samples = window.reduce((a, b) => a + b.size, 0)
      const loss = window.reduce((a, b) => a + b.loss * b.size, 0) / samples
      const accuracy = window.reduce((a, b) => a + b.accuracy * b.size, 0) / samples
      expect(Math.abs(s.loss - loss)).toBeLessThan(1e-9 * Math.max(1, loss))
      expect(Math.abs(s.accuracy! - accuracy)).toBeLessThan(1e-9)
    }
    // The epoch means are kept as they were, and are the sample-weighted means of their steps.
    for (const e of run.epochs) {
      const all = batchLoss[e.epoch - 1]
      const mean = all.reduce((a, b) => a + b.loss * b.size, 0) / n
      expect(Math.abs(e.loss! - mean)).toBeLessThan(1e-9)
    }
    // Not a running mean: the last step of epoch 1 is well below epoch 1's mean on a model that learns.
    const lastOfEpoch1 = steps.filter((s) => s.epoch === 1).at(-1)!
    if (lastOfEpoch1.batches! < perEpoch / 2) expect(lastOfEpoch1.loss).toBeLessThan(run.epochs[0].loss!)

    // The per-step CSV: its columns, one row a step, the same numbers.
    const reply = await dispatch(services.handlers, 'runs:metricsCsv', { ids: [runId], per: 'step' })
    expect(reply.ok).toBe(true)
    const lines = (reply as { value: string }).value.trimEnd().split('\n')
    expect(lines[0]).toBe('run_id,run_name,step,epoch,batch,batches,loss,accuracy,wall_seconds')
    expect(lines[0].split(',')).toEqual([...stepColumns])
    expect(lines).toHaveLength(steps.length + 1)
    const first = lines[1].split(',')
    expect(first.slice(0, 6).map(Number)).toEqual([runId, NaN, steps[0].step, 1, steps[0].batch, steps[0].batches])
    expect(Number(first[6])).toBe(steps[0].loss)
    expect(await dispatch(services.handlers, 'runs:metricsCsv', { ids: [runId], per: 'batch' })).toEqual({
      ok: false,
      error: 'per: expected "epoch" or "step", got "batch"'
    })

    // The CLI flag on the existing metrics export prints the same CSV.
    const out: string[] = []
    const code = await main(['metrics', String(runId), '--csv', '--steps', '--db', services.dbPath], {
      out: (s) => out.push(s),
      err: (s) => out.push(s)
    })
    expect(code).toBe(0)
    expect(out.join('\n').split('\n')).toEqual(lines)
  })

  it('turns running means into the means of each window, exactly', () => {
    // Batch losses 4, 2, 6 (sizes 2, 2, 1) as the engine reports them: running means over the epoch so far.
    const w = new StepWindow()
    expect(w.take({ batch: 1, samples: 2, loss: 4, accuracy: 0.5 })).toEqual({ loss: 4, accuracy: 0.5, batches: 1 })
    // Reported at batch 3 only: the mean of batches 2 and 3, weighted by their samples, (2·2 + 6·1) / 3.
    const third = w.take({ batch: 3, samples: 5, loss: (8 + 4 + 6) / 5, accuracy: (1 + 2 + 0) / 5 })
    expect(third.batches).toBe(2)
    expect(third.loss).toBeCloseTo(10 / 3, 12)
    expect(third.accuracy).toBeCloseTo(2 / 3, 12)
    w.reset()
    expect(w.take({ batch: 1, samples: 2, loss: 1, accuracy: NaN })).toEqual({ loss: 1, accuracy: null, batches: 1 })
  })
})
