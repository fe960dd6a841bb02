// Training through the host and a real worker process running the native engine on real MNIST digits:
// records, checkpoints, progress, cancel, a NaN stop, a crashed worker, resume.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { normalizeRunConfig, type RunConfig } from '../../common/config'
import type { TrainingProgress } from '../../common/contract'
import { Services } from '../../main/services'
import { tempDir } from '../helpers/tmp'

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

function tinyConfig(over: { epochs?: number; limit?: number; learningRate?: number; units?: number } = {}): RunConfig {
  return normalizeRunConfig({
    name: 'tiny-bigru',
    dataset: { source: 'mnist-sample', limit: over.limit ?? 1000 },
    model: {
      layers: [
        { type: 'bidirectional', layer: { type: 'gru', units: over.units ?? 12 } },
        { type: 'dense', units: 10, activation: 'softmax' }
      ]
    },
    training: {
      optimizer: { type: 'adam', learningRate: over.learningRate ?? 0.005 },
      batchSize: 32,
      epochs: over.epochs ?? 3,
      seed: 7
    }
  })
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex')
}

describe('training host', () => {
  it('trains in a worker process and keeps every epoch, checkpoint and progress report', async () => {
    const progress: TrainingProgress[] = []
    services.on('onTrainingProgress', (p) => progress.push(p))
    const runId = services.training.start(tinyConfig())
    expect(services.store.getSummary(runId).status).toBe('running')
    const status = await services.training.finished(runId)
    const run = services.store.getRun(runId)
    expect(run.error).toBeNull()
    expect(status).toBe('completed')
    expect(run.epochs.map((e) => e.epoch)).toEqual([1, 2, 3])
    expect(run.paramCount).toBe(2 * (3 * 12 * (28 + 12) + 2 * 3 * 12) + (24 * 10 + 10))
    expect(run.engineVersion).toMatch(/\S/)
    // Learning happened: loss fell and validation accuracy is well above chance.
    expect(run.epochs[2].loss!).toBeLessThan(run.epochs[0].loss!)
    expect(run.valAccuracy.best!).toBeGreaterThan(0.3)
    for (const kind of ['last', 'best'] as const) {
      const c = services.store.checkpoint(runId, kind)!
      expect(existsSync(c.path)).toBe(true)
      expect(sha256(c.path)).toBe(c.sha256)
    }
    expect(services.store.checkpoint(runId, 'last')!.epoch).toBe(3)
    expect(progress.length).toBeGreaterThan(3)
    expect(progress.at(-1)).toMatchObject({ runId, epoch: 3, batch: 25, batches: 25 })
    // At most ~10 reports a second per run, plus the last batch of each epoch, which always reports.
    for (const e of run.epochs) {
      const reports = progress.filter((p) => p.epoch === e.epoch).length
      expect(reports).toBeLessThanOrEqual(Math.ceil(e.seconds! / 0.1) + 2)
    }
    const batchRows = services.store.db
      .prepare('SELECT COUNT(*) AS n FROM step_metrics WHERE run_id = ?')
      .get(runId) as { n: number }
    expect(batchRows.n).toBe(progress.length)
  })

  it('cancels within a batch and keeps what was saved', async () => {
    const runId = services.training.start(tinyConfig({ epochs: 50, limit: 4000, units: 32 }))
    await new Promise<void>((resolve) => {
      const off = services.on('onTrainingEpoch', (e) => {
        if (e.runId === runId) {
          off()
          resolve()
        }
      })
    })
    const t0 = Date.now()
    const recordedAtCancel = services.store.getRun(runId).epochs.length
    services.training.cancel(runId)
    expect(await services.training.finished(runId)).toBe('cancelled')
    console.log(`cancel took ${Date.now() - t0} ms`)
    const run = services.store.getRun(runId)
    expect(run.status).toBe('cancelled')
    expect(run.epochs.length).toBeGreaterThanOrEqual(1)
    // Within the epoch in progress, not at its end nor later (the time is printed: load decides it, not the app).
    expect(run.epochs.length).toBeLessThanOrEqual(recordedAtCancel + 1)
    expect(run.epochs.length).toBeLessThan(50)
    expect(services.store.integrityCheck()).toBe('ok')
  })

  it('stops a run whose loss is not finite, naming the epoch and batch', async () => {
    const config = normalizeRunConfig({
      name: 'exploding',
      // Unbounded relu states under a huge step overflow within a few batches (deterministic: seed 42).
      dataset: { source: 'mnist-sample', limit: 1000 },
      model: {
        layers: [
          { type: 'simple_rnn', units: 16, activation: 'relu' },
          { type: 'dense', units: 10, activation: 'softmax' }
        ]
      },
      training: { optimizer: { type: 'sgd', learningRate: 900 }, batchSize: 32, epochs: 3, seed: 42 }
    })
    const runId = services.training.start(config)
    expect(await services.training.finished(runId)).toBe('failed')
    expect(services.store.getRun(runId).error).toMatch(
      /^the loss became (NaN|Infinity|-Infinity) at epoch \d+, batch \d+/
    )
  })

  it('fails the run with a message when the worker dies, and resumes it from its last checkpoint', async () => {
    const pids: number[] = []
    const spawn = (services as unknown as { training: { spawn: () => { pid: number } } }).training.spawn
    ;(services as unknown as { training: { spawn: () => unknown } }).training.spawn = () => {
      const h = spawn()
      pids.push(h.pid)
      return h
    }
    const runId = services.training.start(tinyConfig({ epochs: 4 }))
    await new Promise<void>((resolve) => {
      const off = services.on('onTrainingEpoch', (e) => {
        if (e.runId === runId && e.metrics.epoch === 2) {
          off()
          process.kill(pids[0], 'SIGKILL')
          resolve()
        }
      })
    })
    expect(await services.training.finished(runId)).toBe('failed')
    const failed = services.store.getRun(runId)
    expect(failed.error).toBe('the training process ended unexpectedly (signal SIGKILL)')
    const kept = failed.epochs.length
    expect(kept).toBeGreaterThanOrEqual(2)

    services.training.resume(runId)
    expect(await services.training.finished(runId)).toBe('completed')
    const resumed = services.store.getRun(runId)
    expect(resumed.epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4])
    expect(resumed.epochs.slice(0, kept)).toEqual(failed.epochs)
  })

  it('stops early when the monitored figure stops improving, and says why', async () => {
    const config = tinyConfig({ epochs: 6 })
    // Loss falls every epoch, so "loss must rise" (mode max) fails at once: patience 1 ends the run after epoch 3.
    config.training.earlyStopping = { monitor: 'loss', mode: 'max', patience: 1, minDelta: 0, restoreBestWeights: true }
    const runId = services.training.start(config)
    expect(await services.training.finished(runId)).toBe('completed')
    const run = services.store.getRun(runId)
    expect(run.epochs.map((e) => e.epoch)).toEqual([1, 2, 3])
    expect(run.stopReason).toBe('early stopping: loss did not improve for 2 epochs')
    expect(services.store.checkpoint(runId, 'best')!.epoch).toBe(1)
  })

  it('reduces the learning rate on a plateau, as Keras does, and records it per epoch', async () => {
    const config = tinyConfig({ epochs: 5 })
    // Loss falls every epoch, so "loss must rise" (mode max) is a plateau from epoch 2 on: patience 1, cooldown 2.
    config.training.reduceLrOnPlateau = {
      monitor: 'loss',
      mode: 'max',
      factor: 0.5,
      patience: 1,
      minDelta: 0,
      cooldown: 2,
      minLr: 0.001
    }
    const notes: string[] = []
    services.on('onTrainingNote', (n) => notes.push(n.text))
    const runId = services.training.start(config)
    expect(await services.training.finished(runId)).toBe('completed')
    // epoch 1 best; 2 waits → reduce; 3 in cooldown; 4 waits → reduce; 5 in cooldown (Keras's counting)
    expect(services.store.getRun(runId).epochs.map((e) => e.learningRate)).toEqual([
      0.005, 0.005, 0.0025, 0.0025, 0.00125
    ])
    expect(notes.filter((n) => n.startsWith('reducing the learning rate'))).toHaveLength(2)
  })

  it('refuses what the engine cannot run before creating a run', () => {
    const config = tinyConfig()
    const first = config.model.layers[0]
    if (first.type !== 'bidirectional') throw new Error('the tiny config starts with a bidirectional layer')
    first.layer.activation = 'sigmoid'
    expect(() => services.training.start(config)).toThrow(
      'model.layers[0].layer.activation: the engine runs tanh here, not sigmoid'
    )
    expect(services.store.listRuns()).toEqual([])
  })

  it('fails cleanly on data it cannot read, naming the file', async () => {
    const config = tinyConfig()
    config.dataset = { source: 'npy', train: { x: '/nonexistent/x.npy', y: '/nonexistent/y.npy' } }
    const runId = services.training.start(config)
    expect(await services.training.finished(runId)).toBe('failed')
    expect(services.store.getRun(runId).error).toContain('/nonexistent/x.npy')
  })
  it("refuses a model that does not fit the data in the builder's words, not the engine's", async () => {
    // What the spec tells (MNIST has 10 classes): refused before a run is created, so no run is left to "Run again".
    const head = tinyConfig({ epochs: 1, limit: 200 })
    head.model.layers[1] = { ...head.model.layers[1], units: 5 } as RunConfig['model']['layers'][number]
    expect(() => services.training.start(head)).toThrow(
      'Layer 2 (Dense): The data has 10 classes, but this head gives 5 outputs: set Units to 10, one per class.'
    )
    // Only a dense layer: the engine would say "y: expected 1344 labels (n*T), got 48".
    const dense = normalizeRunConfig({
      name: 'only-dense',
      dataset: { source: 'mnist-sample', limit: 200 },
      model: { layers: [{ type: 'dense', units: 10, activation: 'softmax' }] },
      training: { epochs: 1 }
    })
    expect(() => services.training.start(dense)).toThrow(
      'The model needs at least one recurrent layer (LSTM, GRU or SimpleRNN) to read the sequence: ' +
        'add one before the dense head.'
    )
    expect(services.store.listRuns()).toEqual([])

    // What only the files tell (one label per step): the worker refuses once it has read them, in the same words.
    const fixtures = join(__dirname, '..', 'fixtures', 'datasets', 'good')
    const perStep = normalizeRunConfig({
      name: 'per-step-labels',
      dataset: { source: 'npy', train: { x: join(fixtures, 'x.npy'), y: join(fixtures, 'y-steps.npy') } },
      model: {
        layers: [
          { type: 'lstm', units: 4 },
          { type: 'dense', units: 3, activation: 'softmax' }
        ]
      },
      training: { epochs: 1, batchSize: 2 }
    })
    const id = services.training.start(perStep)
    expect(await services.training.finished(id)).toBe('failed')
    expect(services.store.getRun(id).error).toBe(
      'Layer 1 (LSTM): The data has one label per step, but this layer hands on only its last step, so the model ' +
        'gives one output per sample: turn on Return sequences.'
    )
  })
})
