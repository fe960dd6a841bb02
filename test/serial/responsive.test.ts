// While the engine trains, the host's event loop stays free: training runs in its own process.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { normalizeRunConfig } from '../../common/config'
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

describe('event loop while training', () => {
  it('lags under 50 ms over a 10 s run, and cancel stops it within a batch', { timeout: 60_000 }, async () => {
    const config = normalizeRunConfig({
      name: 'ten-seconds',
      dataset: { source: 'mnist-sample' },
      model: {
        layers: [
          { type: 'bidirectional', layer: { type: 'lstm', units: 32 } },
          { type: 'dense', units: 10, activation: 'softmax' }
        ]
      },
      training: { optimizer: 'adam', batchSize: 64, epochs: 100 }
    })
    let batchesSeen = 0
    let lastBatch: { epoch: number; batch: number } | null = null
    const off = services.on('onTrainingProgress', (p) => {
      batchesSeen++
      lastBatch = { epoch: p.epoch, batch: p.batch }
    })
    const runId = services.training.start(config)
    await new Promise((resolve) => setTimeout(resolve, 1500)) // data loading and start-up
    // A shared machine can deschedule this process for a while whatever it does; a host that blocked its loop
    // would lag in every window, so up to three 10 s windows are measured and the best one must stay under 50 ms.
    const windows: { maxMs: number; p99Ms: number }[] = []
    for (let i = 0; i < 3; i++) {
      const histogram = monitorEventLoopDelay({ resolution: 5 })
      histogram.enable()
      await new Promise((resolve) => setTimeout(resolve, 10_000))
      histogram.disable()
      windows.push({ maxMs: histogram.max / 1e6, p99Ms: histogram.percentile(99) / 1e6 })
      if (windows.at(-1)!.maxMs < 50) break
    }
    const t0 = Date.now()
    services.training.cancel(runId)
    expect(await services.training.finished(runId)).toBe('cancelled')
    const stopMs = Date.now() - t0
    off()
    const best = Math.min(...windows.map((w) => w.maxMs))
    console.log(
      `event loop over 10 s windows of training: ${windows.map((w) => `max ${w.maxMs.toFixed(1)} ms / p99 ${w.p99Ms.toFixed(1)} ms`).join('; ')}; ` +
        `${batchesSeen} progress reports, last ${JSON.stringify(lastBatch)}; cancel took ${stopMs} ms`
    )
    expect(batchesSeen).toBeGreaterThan(20)
    expect(best).toBeLessThan(50)
    // One batch of this model takes ~50 ms here; ending the worker is immediate.
    expect(stopMs).toBeLessThan(1000)
  })
})
