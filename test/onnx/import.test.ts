// Import refuses what does not match (first mismatch named); malformed and hostile files are refused, never crash.
import { writeFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { listProblems } from '../../main/onnx/check'
import { exportOnnx } from '../../main/onnx/export'
import { readOnnxMetadata, readOnnxWeights } from '../../main/onnx/import'
import { InferenceService } from '../../main/onnx/inference'
import { decodeModel, encodeModel, floatTensor, onnx } from '../../main/onnx/proto'
import { tempDir } from '../helpers/tmp'
import { makeConfig, randomInput, randomModel } from './helpers'

const T = 6
const F = 3
const input: [number, number] = [T, F]

function tutorialLike(
  overrides: { units2?: number; cell?: string; mergeMode?: string; shared?: boolean; dense?: number } = {}
) {
  return makeConfig(
    [
      { type: 'bidirectional', mergeMode: 'concat', layer: { type: 'lstm', units: 4, returnSequences: true } },
      { type: 'dropout', rate: 0.2 },
      {
        type: 'bidirectional',
        mergeMode: overrides.mergeMode ?? 'sum',
        sharedWeights: overrides.shared ?? false,
        layer: { type: overrides.cell ?? 'lstm', units: overrides.units2 ?? 3 }
      },
      { type: 'dropout', rate: 0.2 },
      { type: 'dense', units: overrides.dense ?? 5, activation: 'softmax' }
    ],
    input
  )
}

const config = tutorialLike()
const { weights } = randomModel(config, input, 3)
const bytes = exportOnnx({
  config,
  input,
  weights,
  metadata: { runId: 42, classNames: ['a', 'b', 'c', 'd', 'e'], preprocessing: 'pixel/255' }
})

/** A decoded copy of the good file to break. */
function mutate(change: (m: onnx.ModelProto) => void): Uint8Array {
  const m = decodeModel(bytes, 'model.onnx')
  change(m)
  return encodeModel(m)
}

describe('a config that does not match is refused with the first mismatch', () => {
  const cases: [string, ReturnType<typeof makeConfig>, string][] = [
    ['hidden size', tutorialLike({ units2: 5 }), 'model.onnx: layer 2 (LSTM) hidden_size 3, the config says 5'],
    [
      'cell type',
      tutorialLike({ cell: 'gru' }),
      'model.onnx: layer 2 (GRU) is a LSTM node in the file, the config says GRU'
    ],
    [
      'merge mode',
      tutorialLike({ mergeMode: 'ave' }),
      'model.onnx: layer 2 (LSTM) merge mode sum, the config says ave'
    ],
    ['dense units', tutorialLike({ dense: 6 }), 'model.onnx: layer 4 (Dense) units 5, the config says 6'],
    [
      'shared weights',
      tutorialLike({ shared: true }),
      "model.onnx: layer 2 (LSTM) W: the two directions' weights differ, the config says sharedWeights"
    ],
    [
      'direction',
      makeConfig(
        [
          { type: 'lstm', units: 4, returnSequences: true },
          { type: 'lstm', units: 3 },
          { type: 'dense', units: 5, activation: 'softmax' }
        ],
        input
      ),
      'model.onnx: layer 0 (LSTM) direction bidirectional, the config says forward'
    ],
    [
      'return sequences',
      makeConfig(
        [
          { type: 'bidirectional', layer: { type: 'lstm', units: 4 } },
          { type: 'dense', units: 5, activation: 'softmax' }
        ],
        input
      ),
      'model.onnx: layer 0 (LSTM) returns every step in the file, the config says returnSequences false'
    ],
    [
      'fewer layers',
      makeConfig(
        [
          { type: 'bidirectional', layer: { type: 'lstm', units: 4, returnSequences: true } },
          { type: 'bidirectional', mergeMode: 'sum', layer: { type: 'lstm', units: 3 } },
          { type: 'dense', units: 5 },
          { type: 'dense', units: 5, activation: 'softmax' }
        ],
        input
      ),
      'model.onnx: layer 2 (Dense) activation softmax, the config says linear'
    ]
  ]
  test.each(cases)('%s', (_, other, message) => {
    expect(() => readOnnxWeights(bytes, other, input)).toThrow(message)
  })
  test('input features', () => {
    expect(() => readOnnxWeights(bytes, config, [T, 4])).toThrow('model.onnx: input has 3 features, the config says 4')
  })
  test('a matching config gets the weights back exactly', () => {
    const back = readOnnxWeights(bytes, config, input)
    expect(Object.keys(back).sort()).toEqual(Object.keys(weights).sort())
    for (const [name, t] of Object.entries(weights)) {
      expect(back[name].dims).toEqual(t.dims)
      expect(back[name].data).toEqual(t.data)
    }
  })
  test('metadata describes the file', () => {
    const meta = readOnnxMetadata(bytes)
    expect(meta).toMatchObject({
      producer: 'RNN Lab',
      runId: '42',
      classNames: ['a', 'b', 'c', 'd', 'e'],
      inputShape: [T, F],
      inputLayout: '[batch, time, features]',
      preprocessing: 'pixel/255'
    })
    expect(meta.config).toEqual(JSON.parse(JSON.stringify(config)))
  })
})

describe('malformed and hostile files are refused with a clear error', () => {
  const hostile: [string, () => Uint8Array, RegExp][] = [
    ['empty', () => new Uint8Array(0), /model\.onnx: the file is empty/],
    ['truncated', () => bytes.slice(0, Math.floor(bytes.length / 2)), /model\.onnx: (not a readable ONNX model|.*)/],
    ['garbage', () => Uint8Array.from({ length: 4000 }, (_, i) => (i * 7919) % 251), /model\.onnx: /],
    [
      'external data',
      () =>
        mutate((m) => {
          const w = m.graph!.initializer!.find((t) => t.name === 'layers.0.W')!
          w.rawData = new Uint8Array(0)
          w.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL
          w.externalData = [onnx.StringStringEntryProto.create({ key: 'location', value: '../../etc/passwd' })]
        }),
      /initializer "layers\.0\.W" stores its data outside the file \("\.\.\/\.\.\/etc\/passwd"\)/
    ],
    [
      'absurd shape',
      () =>
        mutate((m) => {
          m.graph!.initializer!.find((t) => t.name === 'layers.0.R')!.dims = [2 ** 40, 2 ** 40, 3]
        }),
      /initializer "layers\.0\.R" has an absurd shape \[1099511627776, 1099511627776, 3\]/
    ],
    [
      'data shorter than its dims',
      () =>
        mutate((m) => {
          const t = m.graph!.initializer!.find((t) => t.name === 'layers.4.W')!
          t.dims = [6, 6]
        }),
      /initializer "layers\.4\.W" declares \[6, 6\] \(36 values\) but holds 15/
    ],
    [
      'a missing node',
      () =>
        mutate((m) => {
          m.graph!.node = m.graph!.node!.filter((n) => n.opType !== 'LSTM' || n.name !== 'layers.0')
        }),
      /reads "layers\.0\.Y" before anything defines it/
    ],
    [
      'hidden_size against W',
      () =>
        mutate((m) => {
          m.graph!.node!.find((n) => n.opType === 'LSTM')!.attribute!.find((a) => a.name === 'hidden_size')!.i = 7
        }),
      /W has shape \[2, 16, 3\]; hidden_size 7, bidirectional needs \[2, 28, I\]/
    ],
    [
      'layout 1',
      () =>
        mutate((m) => {
          m.graph!.node!.find((n) => n.opType === 'LSTM')!.attribute!.push(
            onnx.AttributeProto.create({ name: 'layout', type: 2, i: 1 })
          )
        }),
      /layout 1; onnxruntime runs recurrent nodes on CPU with layout 0 only/
    ],
    [
      'opset 18',
      () =>
        mutate((m) => {
          m.opsetImport = [onnx.OperatorSetIdProto.create({ domain: '', version: 18 })]
        }),
      /ai\.onnx opset 18; expected 14 to 17/
    ],
    [
      'IR version 9',
      () =>
        mutate((m) => {
          m.irVersion = 9
        }),
      /IR version 9; expected 7 to 8/
    ],
    [
      'another producer',
      () =>
        mutate((m) => {
          m.producerName = 'pytorch'
        }),
      /written by "pytorch", not RNN Lab/
    ]
  ]
  test.each(hostile)('%s', (_, make, message) => {
    expect(() => readOnnxWeights(make(), config, input)).toThrow(message)
  })

  const dir = tempDir('rnnlab-onnx-hostile-')
  const inference = new InferenceService({ intraOpNumThreads: 1 })
  afterAll(async () => {
    await inference.close()
    dir.remove()
  })
  test.each(hostile.slice(0, 7))('the inference service refuses it too: %s', async (name, make, message) => {
    const path = join(dir.path, `${name.replace(/\W+/g, '-')}.onnx`)
    writeFileSync(path, make())
    await expect(inference.predict(path, randomInput(2, T, F, 1), 2, T, F)).rejects.toThrow(
      name === 'truncated' || name === 'garbage' || name === 'empty' ? /\.onnx: / : message
    )
  })
})

describe('the inference service', () => {
  const inference = new InferenceService({ intraOpNumThreads: 1, maxSessions: 2 })
  const dir = tempDir('rnnlab-onnx-inference-')
  afterAll(async () => {
    await inference.close()
    dir.remove()
  })
  const x = randomInput(3, T, F, 9)

  test('checks the input against the model', async () => {
    await expect(inference.predict(bytes, x, 3, T, 4)).rejects.toThrow(
      'model.onnx: the input is [3, 6, 4]; the model takes [batch, time, 3]'
    )
    await expect(inference.predict(bytes, x.subarray(1), 3, T, F)).rejects.toThrow(
      'model.onnx: the input holds 53 values, not 3 × 6 × 3'
    )
    const probs = await inference.predict(bytes, x, 3, T, F)
    expect(probs).toHaveLength(15)
    for (let i = 0; i < 3; i++) expect(probs.subarray(5 * i, 5 * i + 5).reduce((a, b) => a + b)).toBeCloseTo(1, 5)
  })

  test('refuses a model without one float input [batch, T, F]', async () => {
    const two = encodeModel({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 17 }],
      graph: {
        name: 'two-inputs',
        node: [{ opType: 'Add', input: ['a', 'b'], output: ['c'] }],
        input: ['a', 'b'].map((name) => ({
          name,
          type: {
            tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'batch' }, { dimValue: 6 }, { dimValue: 3 }] } }
          }
        })),
        output: [{ name: 'c', type: { tensorType: { elemType: 1 } } }]
      }
    })
    await expect(inference.predict(two, x, 3, T, F)).rejects.toThrow(
      'the model has 2 inputs (a, b); RNN Lab runs models with one float input [batch, time, features]'
    )
    const flat = encodeModel({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 17 }],
      graph: {
        name: 'flat',
        node: [{ opType: 'Relu', input: ['a'], output: ['c'] }],
        input: [
          {
            name: 'a',
            type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'batch' }, { dimValue: 18 }] } } }
          }
        ],
        output: [{ name: 'c', type: { tensorType: { elemType: 1 } } }]
      }
    })
    await expect(inference.predict(flat, x, 3, T, F)).rejects.toThrow(
      'the input a has shape [batch, 18]; expected [batch, time, features]'
    )
  })

  test('a rewritten file gets a new session; a closed service refuses work', async () => {
    const path = join(dir.path, 'model.onnx')
    writeFileSync(path, bytes)
    const first = await inference.predict(path, x, 3, T, F)
    const other = randomModel(config, input, 77).weights
    writeFileSync(path, exportOnnx({ config, input, weights: other, metadata: { runId: 43 } }))
    const second = await inference.predict(path, x, 3, T, F)
    expect(second).not.toEqual(first)
    const service = new InferenceService()
    await service.predict(bytes, x, 3, T, F)
    await service.close()
    await expect(service.predict(bytes, x, 3, T, F)).rejects.toThrow('the inference service is closed')
  })
})

test('the validator finds nothing wrong with a good export', () => {
  expect(listProblems(decodeModel(bytes, 'model.onnx'))).toEqual([])
  // A tensor written with floatTensor round-trips through the checks.
  expect(
    listProblems({
      irVersion: 8,
      opsetImport: [{ version: 17 }],
      graph: {
        initializer: [floatTensor('w', [2], new Float32Array(2))],
        input: [{ name: 'x' }],
        output: [{ name: 'w' }]
      }
    })
  ).toEqual([])
})

test('fuzz: cut and flipped bytes give an OnnxFileError or the weights, never another exception', async () => {
  const { OnnxFileError } = await import('../../main/onnx/proto')
  let state = 12345
  const next = (m: number) => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0
    return state % m
  }
  const kinds = new Map<string, number>()
  for (let round = 0; round < 400; round++) {
    const broken = bytes.slice(0, round % 2 === 0 ? next(bytes.length) : bytes.length)
    for (let flips = 1 + next(4); flips > 0 && broken.length > 0; flips--) broken[next(broken.length)] = next(256)
    try {
      readOnnxWeights(broken, config, input)
      kinds.set('read', (kinds.get('read') ?? 0) + 1)
    } catch (e) {
      if (!(e instanceof OnnxFileError)) throw new Error(`round ${round}: ${(e as Error).stack}`, { cause: e })
      kinds.set('refused', (kinds.get('refused') ?? 0) + 1)
    }
  }
  expect(kinds.get('refused')).toBeGreaterThan(100)
})

test.each(['worker', 'inline'] as const)(
  '%s: sessions evicted while others run still finish their runs',
  async (thread) => {
    const service = new InferenceService({ intraOpNumThreads: 1, maxSessions: 1, thread })
    const models = [3, 4, 5].map((seed) =>
      exportOnnx({ config, input, weights: randomModel(config, input, seed).weights })
    )
    const x = randomInput(16, T, F, 4)
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => service.predict(models[i % 3], x, 16, T, F)))
    expect(results[0]).toEqual(results[3])
    expect(results[0]).not.toEqual(results[1])
    await service.close()
  }
)

// Whether the main thread is free is read from its event-loop utilization over the prediction (the share of the
// time its loop was busy rather than waiting), not from a clock: the inline control, whose loop onnxruntime blocks,
// shows that the measure tells the two apart.
test.each([
  ['a long prediction leaves the event loop free (sessions run in a worker thread)', 'worker'],
  ['the control: a long prediction run inline blocks the event loop', 'inline']
] as const)('%s', async (_, thread) => {
  const big = makeConfig(
    [
      { type: 'bidirectional', layer: { type: 'lstm', units: 32, returnSequences: true } },
      { type: 'bidirectional', layer: { type: 'lstm', units: 32 } },
      { type: 'dense', units: 10, activation: 'softmax' }
    ],
    [28, 28]
  )
  const model = exportOnnx({ config: big, input: [28, 28], weights: randomModel(big, [28, 28], 5).weights })
  const service = new InferenceService({ intraOpNumThreads: 1, thread })
  const n = 1024
  const x = randomInput(n, 28, 28, 5)
  await service.predict(model, x.subarray(0, 784), 1, 28, 28) // the session is open before the measure starts
  let ticks = 0
  const timer = setInterval(() => ticks++, 1)
  const before = performance.eventLoopUtilization()
  const out = await service.predict(model, x, n, 28, 28)
  const busy = performance.eventLoopUtilization(before).utilization
  clearInterval(timer)
  await service.close()
  expect(out.length).toBe(n * 10)
  if (thread === 'worker') {
    expect(busy).toBeLessThan(0.5)
    expect(ticks).toBeGreaterThan(0)
  } else {
    expect(busy).toBeGreaterThan(0.5)
  }
})

test('the parity check of a file onnxruntime cannot use fails with the reason, without throwing', async () => {
  const { checkParity } = await import('../../main/onnx/parity')
  const report = await checkParity({
    bytes: bytes.slice(0, 200),
    config,
    input,
    weights,
    validation: { x: randomInput(4, T, F, 2), n: 4 }
  })
  expect(report.ok).toBe(false)
  expect(report.message).toMatch(/^parity check failed: batch 1 at T=6: model\.onnx: /)
  expect(report.batches.every((b) => !b.ok && b.error)).toBe(true)
})
