// Training in a worker thread: the hosting thread's event loop stays responsive, progress arrives as messages,
// and a shared cancel flag stops the epoch within one batch.
import { test } from 'vitest'
import assert from 'node:assert/strict'
import { Worker } from 'node:worker_threads'

const workerSource = `
const { parentPort, workerData } = require('node:worker_threads')
const { Model } = require(workerData.addon)
const { spec, n, flag } = workerData
const model = new Model(spec)
model.init(1)
const x = new Float32Array(n * spec.input[0] * spec.input[1]).map((_, i) => Math.sin(i * 0.37))
const y = new Int32Array(n).map((_, i) => i % 10)
const stats = model.trainEpoch(x, y, n, { batchSize: 64, cancelFlag: flag, progressIntervalMs: 100,
  onProgress: (p) => parentPort.postMessage({ progress: p, at: Date.now() }) })
parentPort.postMessage({ done: stats, at: Date.now() })
`

test('a worker thread trains while the main event loop stays responsive, and the cancel flag stops it', async () => {
  const { root } = await import('./helpers.mjs')
  const flag = new Int32Array(new SharedArrayBuffer(4))
  const spec = {
    input: [28, 28],
    layers: [
      { kind: 'recurrent', cell: 'lstm', units: 32, directions: 2 },
      { kind: 'dense', units: 10, activation: 'softmax' }
    ]
  }
  const worker = new Worker(workerSource, {
    eval: true,
    workerData: { addon: `${root}/native/build/Release/rnnlab_engine.node`, spec, n: 64 * 200, flag }
  })
  let maxLag = 0
  let last = Date.now()
  const ticker = setInterval(() => {
    const now = Date.now()
    maxLag = Math.max(maxLag, now - last - 10)
    last = now
  }, 10)
  const progress = []
  let cancelledAt = 0
  const done = await new Promise((resolve, reject) => {
    worker.on('error', reject)
    worker.on('message', (m) => {
      if (m.progress) {
        progress.push(m.progress)
        if (progress.length === 3) {
          cancelledAt = Date.now()
          Atomics.store(flag, 0, 1)
        }
      }
      if (m.done) resolve(m)
    })
  })
  clearInterval(ticker)
  await worker.terminate()
  const perBatch = (progress[2].seconds * 1000) / progress[2].batch
  console.log(
    `max event-loop lag ${maxLag} ms; ${progress.length} progress messages; ${perBatch.toFixed(1)} ms per batch; stopped ${done.at - cancelledAt} ms after the flag`
  )
  assert.equal(done.done.cancelled, true)
  assert.ok(done.done.batches < 200)
  assert.ok(done.at - cancelledAt < 2 * perBatch + 100, 'stopped within about one batch')
  assert.ok(maxLag < 50, `event loop lag ${maxLag} ms`)
  for (let k = 1; k < progress.length; k++)
    assert.ok(progress[k].seconds - progress[k - 1].seconds >= 0.09, 'progress at most ~10 times a second')
})
