// One inspection call on the tutorial's model (2 × BiLSTM(50) over 28 × 28, dense 10), median of 5 after a warm-up:
// the engine's pass for 1 and 64 samples (random weights and data: the time does not depend on them), and with a run,
// the whole `runs:inspect` call (worker process start, data loading, checkpoint, pass) through the services.
// node native/bench/inspect.mjs [runId]   (a run of the tutorial's config in $RNNLAB_HOME's database, for the second)
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const require = createRequire(import.meta.url)
const { Model } = require(join(root, 'native', 'build', 'Release', 'rnnlab_engine.node'))
const layer = { kind: 'recurrent', cell: 'lstm', units: 50, directions: 2 }
const model = new Model({
  input: [28, 28],
  layers: [
    { ...layer, returnSequences: true },
    { kind: 'dropout', rate: 0.2 },
    layer,
    { kind: 'dropout', rate: 0.2 },
    { kind: 'dense', units: 10, activation: 'softmax' }
  ]
})
model.init(1)
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]
for (const n of [1, 64]) {
  const x = new Float32Array(n * 784).map((_, i) => (i % 97) / 97)
  model.inspect(x, n)
  const times = []
  for (let k = 0; k < 5; k++) {
    const t0 = performance.now()
    model.inspect(x, n)
    times.push(performance.now() - t0)
  }
  console.log(`engine inspect, ${n} sample${n > 1 ? 's' : ''}: ${median(times).toFixed(2)} ms (median of 5)`)
}
const runId = process.argv[2]
if (runId !== undefined) {
  const { main } = require(join(root, 'out', 'main', 'cli.js'))
  const times = []
  for (let k = 0; k < 5; k++) {
    const t0 = performance.now()
    let seconds = 0
    await main(['inspect', runId, '--sample', String(k), '--json'], {
      out: (s) => (seconds = JSON.parse(s).seconds),
      err: (s) => console.error(s)
    })
    times.push(performance.now() - t0)
    if (k === 0) console.log(`  (the pass inside the worker: ${(seconds * 1000).toFixed(2)} ms)`)
  }
  console.log(`rnnlab inspect ${runId} (worker start, data, checkpoint, pass): ${median(times).toFixed(0)} ms (median of 5)`)
}
