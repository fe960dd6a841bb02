// Milliseconds per training step and per inference batch of 64 on the tutorial's model (random data),
// node native/bench/step-time.mjs [cell] [steps] [threads]  (threads: 0 = all cores, the default)
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const { Model } = createRequire(import.meta.url)(join(root, 'native', 'build', 'Release', 'rnnlab_engine.node'))
const cell = process.argv[2] ?? 'lstm'
const steps = Number(process.argv[3] ?? 20)
const threads = Number(process.argv[4] ?? 0)
const layer = { kind: 'recurrent', cell, units: 50, directions: 2 }
const model = new Model({
  input: [28, 28],
  threads,
  layers: [
    { ...layer, returnSequences: true },
    { kind: 'dropout', rate: 0.2 },
    layer,
    { kind: 'dropout', rate: 0.2 },
    { kind: 'dense', units: 10, activation: 'softmax' }
  ]
})
model.init(1)
const n = 64
const x = new Float32Array(n * 784).map((_, i) => (i % 97) / 97)
const y = new Int32Array(n).map((_, i) => i % 10)
model.trainBatch(x, y, n) // warm-up
const times = []
for (let k = 0; k < steps; k++) {
  const t = process.hrtime.bigint()
  model.trainBatch(x, y, n)
  times.push(Number(process.hrtime.bigint() - t) / 1e6)
}
times.sort((a, b) => a - b)
const t = process.hrtime.bigint()
for (let k = 0; k < 5; k++) model.predict(x, n, { batchSize: 64 })
const infer = Number(process.hrtime.bigint() - t) / 1e6 / 5
const median = times[times.length >> 1]
console.log(
  `Bi-${cell}(50) x2 + Dense(10), batch 64, threads ${threads || 'all'}: train ${median.toFixed(1)} ms/step median (${(64000 / median).toFixed(0)} samples/s), ` +
    `inference ${infer.toFixed(1)} ms/batch (${(64000 / infer).toFixed(0)} samples/s)`
)
