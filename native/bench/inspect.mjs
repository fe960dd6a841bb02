// One inspection call on the tutorial's model (2 × BiLSTM(50) over 28 × 28, dense 10), median of 5 after a warm-up:
// the engine's pass for 1 and 64 samples (random weights and data: the time does not depend on them), and with a run,
// the runs:inspect call through the services: the first (worker start, data, checkpoint, pass) and the next samples.
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
  // The services of the built app (npm run build), as the CLI and the app use them.
  const { readdirSync } = await import('node:fs')
  const chunks = join(root, 'out', 'main', 'chunks')
  const { Services } = require(
    join(
      chunks,
      readdirSync(chunks).find((f) => f.startsWith('services-'))
    )
  )
  const home = process.env.RNNLAB_HOME ?? join(process.env.HOME, '.rnnlab')
  const services = new Services({ home, door: 'cli', version: 'bench', mustExist: true })
  const id = services.store.resolve(runId)
  const call = async (sample) => {
    const t0 = performance.now()
    const r = await services.handlers.inspectRun({ id, sample })
    return { ms: performance.now() - t0, pass: r.seconds * 1000 }
  }
  const first = await call(0)
  console.log(`runs:inspect, first call (worker start, data, checkpoint, pass): ${first.ms.toFixed(0)} ms`)
  const next = []
  for (let k = 1; k <= 5; k++) next.push(await call(k))
  console.log(
    `runs:inspect, next samples (the worker kept): ${median(next.map((c) => c.ms)).toFixed(1)} ms, of which the ` +
      `engine's pass ${median(next.map((c) => c.pass)).toFixed(2)} ms (medians of 5)`
  )
  services.close()
}
