// The fast paths through the addon: RNNLAB_ISA forces each instruction-set path (checked in a child process each),
// all paths train the same model to the same weights within float tolerance, the `threads` spec option, and
// training bit-identical for 1, 2, 3, 4 and 8 threads (more than this machine's cores included), for every cell and
// direction mode.
import { test } from 'vitest'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { engine, random, root, smallSpec, tutorialSpec, weightBytes } from './helpers.mjs'
import { CELL_VARIANTS } from '../helpers/matrix'

const THREADS = [1, 2, 3, 4, 8]

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

test('training is bit-identical across runs and across 1, 2, 3, 4 and 8 threads (tutorial model)', () => {
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
  for (const threads of THREADS.slice(1)) assert.equal(train(threads), one, `${threads} threads`)
  assert.equal(train(2), train(2))
})

test('a large per-step head splits over threads with the same bits (1, 2, 3, 4 and 8 threads)', () => {
  // 64 sequences of 28 steps through a dense head of 100 -> 20 units per step: 3.6 million multiply-adds, split
  const n = 64
  const T = 28
  const r = random(9)
  const x = new Float32Array(n * T * 28).map(() => r() - 0.5)
  const y = new Int32Array(n * T).map((_, i) => i % 10)
  const spec = {
    input: [T, 28],
    layers: [
      { kind: 'recurrent', cell: 'lstm', units: 50, directions: 2, returnSequences: true },
      { kind: 'dense', units: 20, activation: 'tanh' },
      { kind: 'dense', units: 10, activation: 'softmax' }
    ]
  }
  const train = (threads) => {
    const m = new engine.Model({ ...spec, threads })
    m.init(3)
    for (let k = 0; k < 2; k++) m.trainBatch(x, y, n)
    return weightBytes(m)
  }
  const one = train(1)
  for (const threads of THREADS.slice(1)) assert.equal(train(threads), one, `${threads} threads`)
})

// the engine's layer for each way a recurrent layer runs
const MODES = {
  forward: {},
  goBackwards: { goBackwards: true },
  'bidirectional concat': { directions: 2 },
  'shared mul': { directions: 2, sharedWeights: true, mergeMode: 'mul' }
}

test('every cell and direction mode trains to the same bits on 1, 2, 3, 4 and 8 threads', () => {
  // a batch of 53: several row chunks of the recurrent loop, the last one partial; stacked, so a layer's input gradient is
  // computed too; in-cell dropout on
  const n = 53
  const T = 7
  const r = random(5)
  const x = new Float32Array(n * T * 5).map(() => r() * 2 - 1)
  const y = new Int32Array(n).map((_, i) => i % 3)
  for (const variant of CELL_VARIANTS) {
    const { type, ...options } = variant.cell
    for (const [mode, fields] of Object.entries(MODES)) {
      const spec = {
        input: [T, 5],
        layers: [
          {
            kind: 'recurrent',
            cell: type,
            ...options,
            units: 19,
            returnSequences: true,
            ...fields,
            dropout: 0.1,
            recurrentDropout: 0.1
          },
          { kind: 'recurrent', cell: type, ...options, units: 6, ...fields },
          { kind: 'dense', units: 3, activation: 'softmax' }
        ]
      }
      const train = (threads) => {
        const m = new engine.Model({ ...spec, threads })
        m.init(7)
        for (let k = 0; k < 3; k++) m.trainBatch(x, y, n)
        return weightBytes(m)
      }
      const one = train(1)
      for (const threads of THREADS.slice(1))
        assert.equal(train(threads), one, `${variant.title} ${mode}: ${threads} threads differ from 1`)
    }
  }
})
