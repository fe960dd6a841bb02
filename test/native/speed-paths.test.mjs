// The fast paths through the addon: RNNLAB_ISA forces each instruction-set path (checked in a child process each),
// all paths train the same model to the same weights within float tolerance, the `threads` spec option, and
// bit-identical training for a given thread count.
import { test } from 'vitest'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { engine, root, smallSpec, tutorialSpec, weightBytes } from './helpers.mjs'

// trains a few batches in a child process with RNNLAB_ISA set; prints the path used and the weights
const child = `
  const { engine, smallSpec, smallData } = await import(${JSON.stringify(root + '/test/native/helpers.mjs')})
  const m = new engine.Model({ ...smallSpec(), threads: 2 })
  m.init(3)
  const d = smallData(96, 5)
  m.trainEpoch(d.x, d.y, d.n, { batchSize: 32, shuffle: true, seed: 1 })
  const w = m.getWeights()
  console.log(JSON.stringify({ isa: engine.engineInfo().isa, described: m.describe().isa,
    weights: Object.fromEntries(Object.entries(w).map(([k, v]) => [k, Array.from(v.data)])) }))
`

function trainWith(isa) {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', child], {
    encoding: 'utf8',
    env: { ...process.env, RNNLAB_ISA: isa }
  })
  assert.equal(r.status, 0, r.stderr)
  return JSON.parse(r.stdout)
}

test('RNNLAB_ISA forces each supported path, and every path learns the same weights', () => {
  const info = engine.engineInfo()
  assert.ok(info.supportedIsas.includes('portable'))
  assert.ok(['avx512', 'avx2', 'portable'].includes(info.isa))
  assert.ok(info.hardwareThreads >= 1)
  const runs = info.supportedIsas.map((isa) => ({ isa, ...trainWith(isa) }))
  for (const r of runs) assert.equal(r.described, r.isa)
  assert.deepEqual(
    runs.map((r) => r.isa),
    info.supportedIsas
  )
  const base = runs.find((r) => r.isa === 'portable').weights
  for (const r of runs) {
    for (const [name, data] of Object.entries(base)) {
      const scale = Math.max(...data.map(Math.abs), 1e-6)
      const diff = Math.max(...data.map((v, k) => Math.abs(v - r.weights[name][k])))
      assert.ok(diff / scale < 1e-4, `${r.isa} ${name}: ${diff / scale}`)
    }
  }
})

test('threads: default all cores, settable, validated', () => {
  const m = new engine.Model(smallSpec())
  assert.equal(m.describe().threads, engine.engineInfo().hardwareThreads)
  assert.equal(new engine.Model({ ...smallSpec(), threads: 1 }).describe().threads, 1)
  assert.equal(new engine.Model({ ...smallSpec(), threads: 3 }).describe().threads, 3)
  assert.throws(
    () => new engine.Model({ ...smallSpec(), threads: -1 }),
    (e) => e.field === 'threads'
  )
  assert.throws(
    () => new engine.Model({ ...smallSpec(), threads: 1.5 }),
    (e) => e.field === 'threads'
  )
})

test('training is bit-identical across runs and across 1 and 2 threads (tutorial model)', () => {
  const spec = tutorialSpec()
  const n = 64
  const x = new Float32Array(n * 784).map((_, i) => ((i * 7919) % 997) / 997 - 0.5)
  const y = new Int32Array(n).map((_, i) => i % 10)
  const train = (threads) => {
    const m = new engine.Model({ ...spec, threads })
    m.init(11)
    for (let k = 0; k < 3; k++) m.trainBatch(x, y, n)
    return weightBytes(m)
  }
  const one = train(1)
  assert.equal(train(1), one)
  assert.equal(train(2), one)
  assert.equal(train(2), train(2))
})
