// Sweeps through the services with real training processes on real MNIST digits: the median rule stops a trial that
// falls behind (marked pruned), cancel ends every trial once, and a sweep whose process stops stays resumable.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { normalizeSweepConfig } from '../../common/sweep'
import { Services } from '../../main/services'
import { tempDir } from '../helpers/tmp'

let dir: ReturnType<typeof tempDir>
let services: Services
const open = () => new Services({ home: dir.path, dbPath: join(dir.path, 'lab.db'), door: 'cli', version: 'test' })
beforeEach(() => {
  dir = tempDir()
  services = open()
})
afterEach(() => {
  services.close()
  dir.remove()
})

function sweepConfig(parameters: Record<string, unknown>, extra: Record<string, unknown> = {}, epochs = 3) {
  return {
    name: 'tiny',
    base: {
      dataset: { source: 'mnist-sample', limit: 600 },
      model: {
        layers: [
          { type: 'gru', units: 8 },
          { type: 'dense', units: 10, activation: 'softmax' }
        ]
      },
      training: { optimizer: { type: 'adam', learningRate: 0.01 }, batchSize: 32, epochs, seed: 5 }
    },
    parameters,
    ...extra
  }
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 120_000
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('sweeps', { timeout: 240_000 }, () => {
  it('the median rule stops a trial whose best so far is below the completed trials’ median', async () => {
    const id = services.sweeps.create(
      sweepConfig(
        { 'training.optimizer.learningRate': [0.01, 0.00001] },
        { pruner: { type: 'median', warmupTrials: 1, warmupEpochs: 1 } },
        12
      ),
      { parallel: 1, threadsPerTrial: 1 }
    )
    expect(await services.sweeps.finished(id)).toBe('completed')
    const sweep = services.sweepStore.get(id)
    const [good, slow] = sweep.trialList
    expect(good).toMatchObject({ state: 'completed', epochsDone: 12 })
    // Epoch 1 is warm-up; at epoch 2 the slow trial's best is held to the good trial's best so far, and stopped. The
    // stop reaches its process while it trains on: a quick machine may finish an epoch or two more meanwhile.
    expect(slow.state).toBe('pruned')
    expect(slow.epochsDone).toBeGreaterThanOrEqual(2)
    expect(slow.epochsDone).toBeLessThan(12)
    expect(slow.stopReason).toMatch(
      /^pruned by the median rule at epoch 2: best val_accuracy 0\.\d{4} is worse than the median 0\.\d{4} of 1 completed trial$/
    )
    expect(services.store.getSummary(slow.runId).status).toBe('completed')
    expect(sweep.counts).toMatchObject({ completed: 1, pruned: 1 })
    expect(sweep.best).toMatchObject({ trial: 1, runId: good.runId })
  })

  it('trials added by another process while the sweep runs are picked up by its owner and run before it ends', async () => {
    const id = services.sweeps.create(sweepConfig({ 'model.layers.0.units': [4, 6] }, {}, 2), {
      parallel: 1,
      threadsPerTrial: 1
    })
    await until(() => services.sweepStore.get(id).counts.running === 1, 'the first trial to start')
    // Another process on the same database (the CLI's `rnnlab sweep add`, a browser's page through `rnnlab serve`).
    const other = open()
    try {
      const reply = await other.handlers.addSweepTrials({ id, values: { 'model.layers.0.units': [6, 8] } })
      expect(reply).toEqual({ trials: [3], resumed: false, owner: { pid: process.pid, host: expect.any(String) } })
    } finally {
      other.close()
    }
    expect(await services.sweeps.finished(id)).toBe('completed')
    const sweep = services.sweepStore.get(id)
    expect(sweep.trialList.map((t) => [t.trial, t.params['model.layers.0.units'], t.state, t.attempts])).toEqual([
      [1, 4, 'completed', 1],
      [2, 6, 'completed', 1],
      [3, 8, 'completed', 1]
    ])
    const run = await services.handlers.getRun({ id: sweep.trialList[2].runId })
    expect((run.config as { model: { layers: unknown[] } }).model.layers[0]).toMatchObject({ units: 8 })
    // The run knows the sweep it is a trial of.
    expect(run.sweep).toEqual({ id, name: 'tiny', trial: 3, trials: 3 })
  })

  it('cancel stops the running trial and the queued ones, each ended once as cancelled', async () => {
    const id = services.sweeps.create(sweepConfig({ 'model.layers.0.units': [4, 6, 8] }), {
      parallel: 1,
      threadsPerTrial: 1
    })
    await until(() => services.sweepStore.get(id).counts.running === 1, 'the first trial to start')
    await services.handlers.cancelSweep({ id })
    expect(await services.sweeps.finished(id)).toBe('cancelled')
    const sweep = services.sweepStore.get(id)
    expect(sweep.status).toBe('cancelled')
    expect(sweep.trialList.map((t) => t.state)).toEqual(['cancelled', 'cancelled', 'cancelled'])
    for (const t of sweep.trialList) expect(services.store.getSummary(t.runId).status).toBe('cancelled')
    expect(() => services.sweeps.resume(id)).toThrow(`sweep ${id} has been cancelled; nothing to resume`)
  })

  it('a sweep whose process stops is interrupted, found again from its config, and resumed to the end', async () => {
    // The first trial is long enough not to finish between its first epoch and the stop, even on a quick machine.
    const config = sweepConfig({ 'training.epochs': [60, 3] })
    const id = services.sweeps.create(config, { parallel: 1, threadsPerTrial: 1 })
    await until(() => services.sweepStore.get(id).trialList[0].epochsDone >= 1, 'a first epoch')
    services.close() // the app quits: the trial is interrupted, not cancelled
    services = open()
    const stopped = services.sweepStore.get(id)
    expect(stopped.status).toBe('interrupted')
    expect(stopped.trialList.map((t) => t.state)).toEqual(['interrupted', 'queued'])
    // Running the same sweep file again finds it.
    expect(services.sweepStore.findUnfinished(normalizeSweepConfig(config))).toBe(id)
    await services.handlers.resumeSweep({ id, parallel: 1, threadsPerTrial: 1 })
    expect(await services.sweeps.finished(id)).toBe('completed')
    const done = services.sweepStore.get(id)
    expect(done.trialList.map((t) => [t.state, t.epochsDone])).toEqual([
      ['completed', 60],
      ['completed', 3]
    ])
    const attempts = services.store.db
      .prepare('SELECT attempts FROM sweep_trials WHERE sweep_id = ? ORDER BY trial')
      .all(id) as { attempts: number }[]
    expect(attempts.map((a) => a.attempts)).toEqual([2, 1])
  })
})
