// The native engine through its Node-API surface: Keras parameter counts, spec errors, determinism,
// weights and checkpoints, training controls.
import { test } from 'vitest'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { engine, smallSpec, smallData, tutorialSpec, weightBytes } from './helpers.mjs'

const { Model } = engine

test('version names the engine', () => {
  assert.match(engine.version(), /^rnnlab-engine \d+\.\d+\.\d+/)
})

test('parameter counts match Keras for the tutorial model and its variants', () => {
  assert.equal(new Model(tutorialSpec('lstm')).paramCount(), 93010)
  assert.equal(new Model(tutorialSpec('gru')).paramCount(), 70610)
  assert.equal(new Model(tutorialSpec('gru', { resetAfter: false })).paramCount(), 70010)
  assert.equal(new Model(tutorialSpec('simple_rnn')).paramCount(), 24010)
  assert.equal(new Model(tutorialSpec('lstm', { sharedWeights: true })).paramCount(), 47010)
  const noDenseBias = tutorialSpec('lstm')
  noDenseBias.layers[4].useBias = false
  assert.equal(new Model(noDenseBias).paramCount(), 93000)
  assert.equal(new Model(tutorialSpec('lstm', { useBias: false })).paramCount(), 93010 - 800)
  const d = new Model(tutorialSpec('lstm')).describe()
  assert.deepEqual(d.tensors.map((t) => [t.name, t.dims, t.trainable]).slice(0, 3), [
    ['layers.0.W', [2, 200, 28], 11200],
    ['layers.0.R', [2, 200, 50], 20000],
    ['layers.0.B', [2, 400], 400]
  ])
  assert.deepEqual(
    d.tensors.slice(3).map((t) => [t.name, t.dims]),
    [
      ['layers.2.W', [2, 200, 100]],
      ['layers.2.R', [2, 200, 50]],
      ['layers.2.B', [2, 400]],
      ['layers.4.W', [100, 10]],
      ['layers.4.B', [10]]
    ]
  )
})

test('initial weights follow Keras: forget bias 1, zero biases, orthogonal recurrent kernels, glorot bounds', () => {
  const m = new Model(tutorialSpec('lstm'))
  m.init(1)
  const w = m.getWeights()
  const B = w['layers.0.B'].data
  for (let d = 0; d < 2; d++)
    for (let k = 0; k < 400; k++) assert.equal(B[d * 400 + k], k >= 100 && k < 150 ? 1 : 0, `B[${d}, ${k}]`)
  const R = w['layers.0.R'].data // [2, 200, 50]: columns orthonormal
  for (const [a, b] of [
    [0, 0],
    [0, 1],
    [7, 31],
    [49, 49]
  ]) {
    let dot = 0
    for (let r = 0; r < 200; r++) dot += R[r * 50 + a] * R[r * 50 + b]
    assert.ok(Math.abs(dot - (a === b ? 1 : 0)) < 1e-5, `R columns ${a}, ${b}: ${dot}`)
  }
  const plain = new Model(tutorialSpec('lstm', { unitForgetBias: false }))
  plain.init(1)
  assert.ok(plain.getWeights()['layers.0.B'].data.every((v) => v === 0))
  const limit = Math.sqrt(6 / (28 + 200))
  const W = w['layers.0.W'].data
  assert.ok(W.every((v) => Math.abs(v) <= limit) && W.some((v) => Math.abs(v) > 0.9 * limit))
})

test('a bad spec throws an Error naming the field', () => {
  const base = () => ({
    input: [4, 2],
    layers: [
      { kind: 'recurrent', cell: 'lstm', units: 3 },
      { kind: 'dense', units: 2, activation: 'softmax' }
    ]
  })
  const cases = [
    [
      (s) => {
        s.layers[0].units = 0
      },
      'layers[0].units'
    ],
    [
      (s) => {
        s.layers[0].cell = 'transformer'
      },
      'layers[0].cell'
    ],
    [
      (s) => {
        s.layers[0].dropout = 1
      },
      'layers[0].dropout'
    ],
    [
      (s) => {
        s.layers[0].recurrentDropout = -0.1
      },
      'layers[0].recurrentDropout'
    ],
    [
      (s) => {
        s.layers[0].units = 'ten'
      },
      'layers[0].units'
    ],
    [
      (s) => {
        s.layers[0].mergeMode = 'max'
      },
      'layers[0].mergeMode'
    ],
    [
      (s) => {
        s.layers[0].sharedWeights = true
      },
      'layers[0].sharedWeights'
    ],
    [
      (s) => {
        s.layers[0].activation = 'relu'
      },
      'layers[0].activation'
    ],
    [
      (s) => {
        s.layers[0].unitz = 3
      },
      'layers[0].unitz'
    ],
    [
      (s) => {
        s.layers[0].cell = 'gru'
        s.layers[0].unitForgetBias = false
      },
      'layers[0].unitForgetBias'
    ],
    [
      (s) => {
        s.layers[1].activation = 'swish'
      },
      'layers[1].activation'
    ],
    [
      (s) => {
        s.layers.unshift({ kind: 'dense', units: 4 })
        s.layers.splice(1, 0, { kind: 'recurrent', cell: 'gru', units: 3 })
      },
      'layers[2]'
    ],
    [
      (s) => {
        s.layers[1].activation = 'linear'
      },
      'loss'
    ],
    [
      (s) => {
        s.input = [0, 2]
      },
      'input[0]'
    ],
    [
      (s) => {
        s.layers = []
      },
      'layers'
    ],
    [
      (s) => {
        s.optimizer = { type: 'adagrad' }
      },
      'optimizer.type'
    ],
    [
      (s) => {
        s.optimizer = { learningRate: -1 }
      },
      'optimizer.learningRate'
    ],
    [
      (s) => {
        s.layers.splice(1, 0, { kind: 'dropout', rate: 1.5 })
      },
      'layers[1].rate'
    ]
  ]
  for (const [change, field] of cases) {
    const spec = base()
    change(spec)
    assert.throws(
      () => new Model(spec),
      (err) => {
        assert.ok(err instanceof Error)
        assert.equal(err.field, field, `${JSON.stringify(spec)}: ${err.message}`)
        assert.ok(err.message.startsWith(field + ':'), err.message)
        return true
      }
    )
  }
  assert.throws(() => new Model(), /spec is required/)
  assert.throws(() => new Model(42), /spec: must be an object/)
})

test('bad data arguments throw named errors, not crashes', () => {
  const m = new Model(smallSpec())
  const { x, y } = smallData(8, 1)
  assert.throws(() => m.trainBatch(x.subarray(1), y, 8), /^TypeError: x: expected n\*T\*F/)
  assert.throws(() => m.trainBatch(x, new Int32Array(7), 8), /y: expected 8 labels/)
  assert.throws(() => m.trainBatch(x, new Int32Array(8).fill(3), 8), /y\[0\]: label 3 is outside 0..2/)
  assert.throws(() => m.trainBatch(Array.from(x), y, 8), /x: must be a Float32Array/)
  assert.throws(() => m.trainEpoch(x, y, 8, { batchSize: 0 }), /options.batchSize/)
  assert.throws(() => m.init(-1), /seed/)
})

test('same spec and seed give identical weight bits, a different seed does not', () => {
  const { x, y, n } = smallData(96, 2)
  const train = (seed) => {
    const m = new Model(smallSpec())
    m.init(seed)
    for (let e = 0; e < 2; e++) m.trainEpoch(x, y, n, { batchSize: 16, shuffle: true })
    return weightBytes(m)
  }
  const a = train(5)
  assert.equal(train(5), a)
  assert.notEqual(train(6), a)
})

test('getWeights copies; setWeights round-trips and rejects wrong shapes', () => {
  const a = new Model(smallSpec())
  a.init(1)
  const w = a.getWeights()
  w['layers.0.W'].data[0] = 123
  assert.notEqual(a.getWeights()['layers.0.W'].data[0], 123)
  const b = new Model(smallSpec())
  b.init(2)
  b.setWeights(a.getWeights())
  assert.equal(weightBytes(b), weightBytes(a))
  assert.throws(() => b.setWeights({ 'layers.0.W': { data: new Float32Array(3) } }), /layers.0.W.data: expected/)
  assert.throws(() => b.setWeights({ 'layers.9.W': { data: new Float32Array(3) } }), /no such tensor/)
  assert.throws(() => b.setWeights({ 'layers.0.W': { dims: [1, 2, 3], data: w['layers.0.W'].data } }), /dims/)
  assert.equal(weightBytes(b), weightBytes(a), 'a rejected setWeights changes nothing')
})

test('checkpoint round trip restores weights and optimizer state; broken files are rejected', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rnnlab-ckpt-'))
  try {
    const { x, y, n } = smallData(64, 3)
    const a = new Model(smallSpec())
    a.init(9)
    a.trainEpoch(x, y, n, { batchSize: 16 })
    const file = join(dir, 'a.ckpt')
    a.saveCheckpoint(file)
    const b = new Model(smallSpec())
    b.init(1)
    b.loadCheckpoint(file)
    assert.equal(weightBytes(b), weightBytes(a))
    assert.equal(b.describe().iterations, a.describe().iterations)
    // the next epoch continues identically (Adam moments, step count and random streams restored)
    a.trainEpoch(x, y, n, { batchSize: 16 })
    b.trainEpoch(x, y, n, { batchSize: 16 })
    assert.equal(weightBytes(b), weightBytes(a))

    const bytes = readFileSync(file)
    const truncated = join(dir, 'truncated.ckpt')
    writeFileSync(truncated, bytes.subarray(0, bytes.length - 100))
    const before = weightBytes(b)
    assert.throws(() => b.loadCheckpoint(truncated), /truncated\.ckpt: checkpoint is truncated or corrupted/)
    const flipped = Buffer.from(bytes)
    flipped[200] ^= 1
    writeFileSync(join(dir, 'flipped.ckpt'), flipped)
    assert.throws(() => b.loadCheckpoint(join(dir, 'flipped.ckpt')), /checksum/)
    writeFileSync(join(dir, 'junk.ckpt'), 'hello')
    assert.throws(() => b.loadCheckpoint(join(dir, 'junk.ckpt')), /not an RNN Lab checkpoint/)
    writeFileSync(join(dir, 'empty.ckpt'), '')
    assert.throws(() => b.loadCheckpoint(join(dir, 'empty.ckpt')), /not an RNN Lab checkpoint/)
    assert.throws(() => b.loadCheckpoint(join(dir, 'missing.ckpt')), /cannot open/)
    const other = new Model(smallSpec({ units: 6 }))
    assert.throws(
      () => other.loadCheckpoint(file),
      /layers.0.W \[2, 20, 2\] does not match the model's layers.0.W \[2, 24, 2\]/
    )
    assert.equal(weightBytes(b), before, 'a rejected checkpoint changes nothing')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('predict gives softmax rows per sample, evaluate agrees with predict', () => {
  const { x, y, n } = smallData(40, 4)
  const m = new Model(smallSpec())
  m.init(3)
  const p = m.predict(x, n, { batchSize: 7 })
  assert.equal(p.length, n * 3)
  let correct = 0
  let loss = 0
  for (let i = 0; i < n; i++) {
    const row = p.subarray(i * 3, i * 3 + 3)
    assert.ok(Math.abs(row[0] + row[1] + row[2] - 1) < 1e-5)
    correct += row.indexOf(Math.max(...row)) === y[i] ? 1 : 0
    loss -= Math.log(row[y[i]])
  }
  const r = m.evaluate(x, y, n, { batchSize: 16 })
  assert.ok(Math.abs(r.accuracy - correct / n) < 1e-9)
  assert.ok(Math.abs(r.loss - loss / n) < 1e-5)
  assert.deepEqual(
    Array.from(m.predict(x, n, { batchSize: 40 })),
    Array.from(p),
    'batch size does not change predictions'
  )
})

test('trainEpoch reports progress, throttled, and stops when onProgress returns false', () => {
  const { x, y, n } = smallData(256, 5)
  const m = new Model(smallSpec())
  m.init(1)
  const seen = []
  const all = m.trainEpoch(x, y, n, {
    batchSize: 8,
    progressIntervalMs: 0,
    onProgress: (p) => {
      seen.push(p)
    }
  })
  assert.equal(seen.length, 32)
  assert.deepEqual(Object.keys(seen[0]).sort(), [
    'accuracy',
    'batch',
    'batches',
    'loss',
    'mae',
    'samples',
    'samplesPerSec',
    'seconds'
  ])
  assert.equal(seen.at(-1).batch, 32)
  assert.equal(all.batches, 32)
  assert.equal(all.cancelled, false)
  const throttled = []
  m.trainEpoch(x, y, n, {
    batchSize: 8,
    progressIntervalMs: 60_000,
    onProgress: (p) => {
      throttled.push(p.batch)
    }
  })
  assert.deepEqual(throttled, [1, 32], 'the first and the last batch only, within one interval')
  const stopped = m.trainEpoch(x, y, n, { batchSize: 8, progressIntervalMs: 0, onProgress: (p) => p.batch < 3 })
  assert.equal(stopped.cancelled, true)
  assert.equal(stopped.batches, 3)
  const flag = new Int32Array(new SharedArrayBuffer(4))
  Atomics.store(flag, 0, 1)
  const flagged = m.trainEpoch(x, y, n, { batchSize: 8, cancelFlag: flag })
  assert.deepEqual([flagged.cancelled, flagged.batches], [true, 1], 'a set cancel flag stops after the first batch')
  assert.throws(() => m.trainEpoch(x, y, n, { cancelFlag: [1] }), /options.cancelFlag/)
  assert.throws(
    () =>
      m.trainEpoch(x, y, n, {
        batchSize: 8,
        onProgress: () => {
          throw new Error('from the callback')
        }
      }),
    /from the callback/
  )
  assert.ok(Number.isFinite(m.evaluate(x, y, n).loss), 'the model is still usable after a throwing callback')
})

test('one-hot Float32Array targets give the same cross-entropy and training as integer labels', () => {
  const { x, y, n } = smallData(48, 8)
  const oneHot = new Float32Array(n * 3)
  y.forEach((label, i) => {
    oneHot[i * 3 + label] = 1
  })
  const a = new Model(smallSpec())
  const b = new Model(smallSpec())
  a.init(5)
  b.init(5)
  assert.deepEqual(a.evaluate(x, y, n), b.evaluate(x, oneHot, n))
  a.trainEpoch(x, y, n, { batchSize: 16 })
  b.trainEpoch(x, oneHot, n, { batchSize: 16 })
  const wa = a.getWeights()['layers.3.W'].data
  const wb = b.getWeights()['layers.3.W'].data
  assert.ok(wa.every((v, i) => Math.abs(v - wb[i]) < 1e-6))
})

test('every optimizer and mse with float targets lower the loss', () => {
  const { x, y, n } = smallData(200, 6)
  for (const optimizer of [
    { type: 'adam', learningRate: 0.01 },
    { type: 'sgd', learningRate: 0.1, momentum: 0.9, nesterov: true },
    { type: 'sgd', learningRate: 0.3 },
    { type: 'rmsprop', learningRate: 0.005 },
    { type: 'adam', learningRate: 0.01, clipNorm: 0.1 },
    { type: 'adam', learningRate: 0.01, globalClipNorm: 0.1 }
  ]) {
    const m = new Model(smallSpec({}, optimizer))
    m.init(2)
    const first = m.evaluate(x, y, n).loss
    for (let e = 0; e < 8; e++) m.trainEpoch(x, y, n, { batchSize: 20 })
    const last = m.evaluate(x, y, n).loss
    assert.ok(last < first * 0.8, `${JSON.stringify(optimizer)}: loss ${first} -> ${last}`)
  }
  const spec = {
    input: [6, 2],
    layers: [
      { kind: 'recurrent', cell: 'simple_rnn', units: 6, directions: 2, mergeMode: 'sum' },
      { kind: 'dense', units: 1 }
    ],
    loss: 'mse',
    optimizer: { type: 'adam', learningRate: 0.02 }
  }
  const m = new Model(spec)
  m.init(4)
  const target = new Float32Array(n).map((_, i) => x[i * 12] - x[i * 12 + 10])
  const first = m.evaluate(x, target, n).loss
  for (let e = 0; e < 15; e++) m.trainEpoch(x, target, n, { batchSize: 20 })
  const r = m.evaluate(x, target, n)
  assert.ok(r.loss < first * 0.2, `mse ${first} -> ${r.loss}`)
  assert.ok(Number.isNaN(r.accuracy))
  assert.throws(() => m.trainBatch(x, y, n), /mse needs Float32Array targets/)
})
