// The gate-labelled weights view (main/onnx/weights.ts): a PyTorch export's blocks against the norms the fixture
// script computed from torch's own parameters (its gate order mapped by hand); a run's checkpoint and its ONNX export
// against the engine's weights sliced here by index; files it cannot read; `rnnlab weights`.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { normalizeRunConfig, type RunConfig } from '../../common/config'
import type { WeightBlock, WeightsView } from '../../common/contract'
import { main } from '../../main/cli'
import { loadDataset } from '../../main/datasets'
import { loadEngine, type Weights } from '../../main/engine'
import { engineSpec } from '../../main/engine/spec'
import { attrInt, encodeModel, floatTensor, onnx } from '../../main/onnx/proto'
import { readOnnxWeightsView } from '../../main/onnx/weights'
import { Services } from '../../main/services'
import { tempDir } from '../helpers/tmp'

const fixtures = join(__dirname, '..', 'fixtures', 'onnx-foreign')
interface ExpectedBlock {
  direction?: string
  gate?: string
  block: string
  shape: number[]
  norm: number
  meanAbs: number
  maxAbs: number
}
const expected = JSON.parse(readFileSync(join(fixtures, 'torch-lstm-gru.expected.json'), 'utf8')) as {
  layers: { node: string; op: string; hiddenSize?: number; inputSize?: number; blocks: ExpectedBlock[] }[]
}

function expectBlock(got: WeightBlock, want: ExpectedBlock): void {
  expect(got.block).toBe(want.block)
  expect(got.shape).toEqual(want.shape)
  if (want.direction) expect(got.direction).toBe(want.direction)
  if (want.gate) expect(got.gate).toBe(want.gate)
  // Both sides sum the same float32 values in float64: equal to rounding.
  for (const key of ['norm', 'meanAbs', 'maxAbs'] as const)
    expect(Math.abs(got[key] - want[key]), `${want.block} ${key}`).toBeLessThan(1e-12 * Math.max(1, want[key]))
}

describe('a PyTorch export (torch.onnx.export of nn.LSTM, nn.GRU, nn.Linear)', () => {
  for (const file of ['torch-lstm-gru.onnx', 'torch-lstm-gru-rewired.onnx']) {
    test(`${file}: every gate block equals the norms torch's parameters give`, () => {
      const view = readOnnxWeightsView(join(fixtures, file))
      expect(view.source).toBe('onnx')
      expect(view.producer).toMatch(/^pytorch/)
      expect(view.layers.map((l) => [l.name, l.kind, l.readable])).toEqual([
        ['/lstm/LSTM', 'LSTM', true],
        ['/gru/GRU', 'GRU', true],
        ['/fc/Gemm', 'Dense', true]
      ])
      expected.layers.forEach((want, k) => {
        const got = view.layers[k]
        if (want.hiddenSize) expect(got.hiddenSize).toBe(want.hiddenSize)
        if (want.inputSize) expect(got.inputSize).toBe(want.inputSize)
        expect(got.blocks.map((b) => b.block)).toEqual(want.blocks.map((b) => b.block))
        want.blocks.forEach((b, i) => expectBlock(got.blocks[i], b))
      })
      // 2 directions × 4 gates × 4 blocks; 2 × 3 × 4; W and B
      expect(view.layers.map((l) => l.blocks.length)).toEqual([32, 24, 2])
    })
  }

  test('a node whose weights are computed in the graph is "not readable", with the reason; the rest is read', () => {
    const view = readOnnxWeightsView(join(fixtures, 'torch-lstm-gru-computed.onnx'))
    const [lstm, gru, dense] = view.layers
    expect(lstm.readable).toBe(true)
    expected.layers[0].blocks.forEach((b, i) => expectBlock(lstm.blocks[i], b))
    expect(gru).toMatchObject({ name: '/gru/GRU', readable: false, blocks: [] })
    expect(gru.reason).toMatch(/^B "onnx::GRU_\d+" is computed by the Add node "computed.add"/)
    expect(dense.readable).toBe(true)
  })

  test('one block’s values for the heatmap: rows = units, columns = inputs, in the file’s order', () => {
    const view = readOnnxWeightsView(join(fixtures, 'torch-lstm-gru.onnx'), { layer: 0, block: 4 })
    const block = view.layers[0].blocks[4]
    expect(block).toMatchObject({ block: 'W_o', direction: 'forward', shape: [4, 3] })
    const values = view.values!
    expect(values.tile).toEqual([1, 1])
    expect(values.values.length).toBe(4)
    expect(values.values[0].length).toBe(3)
    const norm = Math.sqrt(values.values.flat().reduce((a, v) => a + v * v, 0))
    expect(norm).toBeCloseTo(block.norm, 12)
    // A bias block is one row.
    const bias = readOnnxWeightsView(join(fixtures, 'torch-lstm-gru.onnx'), { layer: 0, block: 2 })
    expect(bias.layers[0].blocks[2]).toMatchObject({ block: 'Wb_i', shape: [4] })
    expect(bias.values!.values.map((r) => r.length)).toEqual([4])
    expect(() => readOnnxWeightsView(join(fixtures, 'torch-lstm-gru.onnx'), { layer: 0, block: 99 })).toThrow(
      'block: layer 0 has no block 99 (it has 32)'
    )
  })
})

describe('files it cannot read', () => {
  const dir = tempDir('rnnlab-weights-bad-')
  afterAll(() => dir.remove())

  test('weights fed at run time, stored outside the file or of the wrong shape: that node is not readable, why', () => {
    const H = 2
    const I = 3
    const floats = (name: string, dims: number[]) =>
      floatTensor(
        name,
        dims,
        Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => i / 10)
      )
    const lstm = (name: string, inputs: string[]): onnx.INodeProto => ({
      name,
      opType: 'LSTM',
      input: ['X', ...inputs],
      output: [`${name}.Y`],
      attribute: [attrInt('hidden_size', H)]
    })
    const external: onnx.ITensorProto = {
      ...floats('R.external', [1, 4 * H, H]),
      rawData: undefined,
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [{ key: 'location', value: 'weights.bin' }]
    }
    const bytes = encodeModel({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 17 }],
      producerName: 'hand-made',
      graph: {
        name: 'g',
        input: [{ name: 'X' }, { name: 'W.input' }],
        initializer: [
          floats('W', [1, 4 * H, I]),
          floats('R', [1, 4 * H, H]),
          floats('B', [1, 8 * H]),
          floats('W.wrong', [1, 3 * H, I]),
          external
        ],
        node: [
          lstm('fed', ['W.input', 'R', 'B']),
          lstm('external', ['W', 'R.external', 'B']),
          lstm('wrong', ['W.wrong', 'R', 'B']),
          lstm('undefined', ['W', 'R.nowhere', 'B']),
          lstm('fine', ['W', 'R', ''])
        ]
      }
    })
    const path = join(dir.path, 'hand-made.onnx')
    writeFileSync(path, bytes)
    const view = readOnnxWeightsView(path)
    expect(view.layers.map((l) => [l.name, l.reason])).toEqual([
      ['fed', 'W "W.input" is a graph input, fed when the model runs'],
      [
        'external',
        'R: initializer "R.external" stores its data outside the file ("weights.bin"); only self-contained files are read'
      ],
      ['wrong', 'W has shape [1, 6, 3], expected [1, 8, input size] for forward LSTM of 2 units'],
      ['undefined', 'R "R.nowhere" is not defined in the graph'],
      ['fine', null]
    ])
    // No B: the W and R blocks only.
    expect(view.layers[4].blocks.map((b) => b.block)).toEqual(['W_i', 'R_i', 'W_o', 'R_o', 'W_f', 'R_f', 'W_c', 'R_c'])
  })

  test('a truncated file, a text file, an empty file and a missing one: one line naming the file', () => {
    const bytes = readFileSync(join(fixtures, 'torch-lstm-gru.onnx'))
    const cases: [string, Uint8Array | null, RegExp][] = [
      ['truncated.onnx', bytes.subarray(0, 3000), /truncated\.onnx: not a readable ONNX model/],
      ['text.onnx', new TextEncoder().encode('hello, world\n'), /text\.onnx: not a readable ONNX model/],
      ['empty.onnx', new Uint8Array(), /empty\.onnx: the file is empty/],
      ['missing.onnx', null, /missing\.onnx: no such file/]
    ]
    for (const [name, data, message] of cases) {
      const path = join(dir.path, name)
      if (data) writeFileSync(path, data)
      let error: unknown
      try {
        readOnnxWeightsView(path)
      } catch (e) {
        error = e
      }
      expect(error, name).toBeInstanceOf(Error)
      expect((error as Error).message).toMatch(message)
      expect((error as Error).message).not.toContain('\n')
    }
  })
})

// ---------------------------------------------------------------------------------------------------------------
// A run of RNN Lab: checkpoint and export against the engine's own weights

const LSTM_GATES = ['i', 'o', 'f', 'c'] // ONNX's order (shared/facts.md), written out here rather than imported
const GRU_GATES = ['z', 'r', 'h']

/** Norm, mean |v| and max |v| of rows [from, from + rows) of a row-major matrix with `cols` columns. */
function sliceStats(data: Float32Array, offset: number, count: number) {
  let sq = 0
  let abs = 0
  let max = 0
  for (let k = offset; k < offset + count; k++) {
    sq += data[k] * data[k]
    abs += Math.abs(data[k])
    max = Math.max(max, Math.abs(data[k]))
  }
  return { norm: Math.sqrt(sq), meanAbs: abs / count, maxAbs: max }
}

/**
 * The blocks a recurrent tensor set should give, computed by index from the engine's [D, G·H, I] layout; each
 * direction named with the stored direction it reads (a shared layer stores one).
 */
function engineBlocks(weights: Weights, k: number, gates: string[], H: number, directions: [string, number][]) {
  const W = weights[`layers.${k}.W`]
  const R = weights[`layers.${k}.R`]
  const B = weights[`layers.${k}.B`]
  const G = gates.length
  const I = W.dims[2]
  return directions.flatMap(([direction, d]) =>
    gates.flatMap((gate, g) => [
      { block: `W_${gate}`, direction, shape: [H, I], ...sliceStats(W.data, (d * G + g) * H * I, H * I) },
      { block: `R_${gate}`, direction, shape: [H, H], ...sliceStats(R.data, (d * G + g) * H * H, H * H) },
      { block: `Wb_${gate}`, direction, shape: [H], ...sliceStats(B.data, d * 2 * G * H + g * H, H) },
      { block: `Rb_${gate}`, direction, shape: [H], ...sliceStats(B.data, d * 2 * G * H + (G + g) * H, H) }
    ])
  )
}

describe('a run of RNN Lab: its checkpoint and its ONNX export', () => {
  const home = tempDir('rnnlab-weights-run-')
  let services: Services
  let config: RunConfig
  let runId: number
  let weights: Weights

  beforeAll(async () => {
    services = new Services({ home: home.path, door: 'cli', version: '9.9.9' })
    config = normalizeRunConfig({
      name: 'weights-view',
      dataset: { source: 'mnist-sample', limit: 300 },
      model: {
        layers: [
          { type: 'bidirectional', layer: { type: 'lstm', units: 6, returnSequences: true } },
          { type: 'bidirectional', sharedWeights: true, mergeMode: 'sum', layer: { type: 'gru', units: 5 } },
          { type: 'dropout', rate: 0.1 },
          { type: 'dense', units: 10, activation: 'softmax' }
        ]
      },
      training: { optimizer: { type: 'adam', learningRate: 0.01 }, batchSize: 32, epochs: 1, seed: 7 }
    })
    const data = await loadDataset(config.dataset, { home: home.path })
    const model = new (loadEngine().Model)(engineSpec(config, [28, 28]))
    model.init(7)
    const stats = model.trainEpoch(data.train.x, data.train.y, data.train.count, { batchSize: 32, seed: 1 })
    const store = services.store
    runId = store.createRun({
      name: config.name,
      config,
      dataset: 'mnist-sample',
      seed: 7,
      paramCount: model.paramCount(),
      cell: 'lstm',
      direction: 'bidirectional',
      layerCount: 4,
      epochsPlanned: 1
    })
    mkdirSync(join(home.path, 'runs', String(runId)), { recursive: true })
    const path = join(home.path, 'runs', String(runId), 'best-1.ckpt')
    model.saveCheckpoint(path)
    store.recordEpochResult(
      runId,
      {
        epoch: 1,
        loss: stats.loss,
        accuracy: stats.accuracy,
        valLoss: null,
        valAccuracy: null,
        learningRate: 0.01,
        seconds: stats.seconds ?? null,
        samplesPerSecond: null
      },
      [
        { kind: 'best', epoch: 1, path, sha256: '', bytes: 0 },
        { kind: 'last', epoch: 1, path, sha256: '', bytes: 0 }
      ],
      []
    )
    store.finishRun(runId, 'completed')
    // The engine's weights as its own checkpoint loader reads them back, in a fresh model.
    const check = new (loadEngine().Model)(engineSpec(config, [28, 28]))
    check.loadCheckpoint(path)
    weights = check.getWeights()
  }, 120_000)

  afterAll(() => {
    services.close()
    home.remove()
  })

  function expectEngineBlocks(view: WeightsView, sharedAs: [string, number][]): void {
    const [lstm, gru, dense] = view.layers
    expect(view.layers.map((l) => l.kind)).toEqual(['LSTM', 'GRU', 'Dense'])
    const want = [
      ...engineBlocks(weights, 0, LSTM_GATES, 6, [
        ['forward', 0],
        ['backward', 1]
      ]),
      ...engineBlocks(weights, 1, GRU_GATES, 5, sharedAs),
      { block: 'W', direction: null, shape: [5, 10], ...sliceStats(weights['layers.3.W'].data, 0, 50) },
      { block: 'B', direction: null, shape: [10], ...sliceStats(weights['layers.3.B'].data, 0, 10) }
    ]
    const got = [...lstm.blocks, ...gru.blocks, ...dense.blocks]
    expect(got.map((b) => `${b.direction}:${b.block}`)).toEqual(want.map((b) => `${b.direction}:${b.block}`))
    want.forEach((w, i) => {
      expect(got[i].shape, w.block).toEqual(w.shape)
      for (const key of ['norm', 'meanAbs', 'maxAbs'] as const)
        expect(Math.abs(got[i][key] - w[key]), `${w.block} ${key}`).toBeLessThan(1e-12 * Math.max(1, w[key]))
    })
    expect(lstm.blocks.find((b) => b.block === 'W_f' && b.direction === 'backward')!.norm).toBeGreaterThan(0)
  }

  test('the checkpoint: every gate block equals the engine weights’ slice (shared GRU directions as one)', () => {
    const view = services.readWeights({ runId })
    expect(view).toMatchObject({ source: 'checkpoint', runId, checkpoint: 'best', epoch: 1, producer: 'RNN Lab' })
    expect(view.layers.map((l) => l.label)).toEqual([
      'Bidirectional(LSTM(6), concat)',
      'Bidirectional(GRU(5), sum, shared)',
      'Dense(10, softmax)'
    ])
    expectEngineBlocks(view, [['shared', 0]])
    // The engine's dense W is [inputs, units]: the heatmap's rows are the inputs.
    const selected = services.readWeights({ runId, checkpoint: 'last', select: { layer: 2, block: 0 } })
    expect(selected.values!.values.flat()).toEqual(Array.from(weights['layers.3.W'].data))
  })

  test('its ONNX export reads as the same blocks (shared directions written twice)', async () => {
    await services.exportOnnxTo({ runId, checkpoint: 'best' })
    const [exported] = services.store.listExports(runId)
    const view = services.readWeights({ exportId: exported.id })
    expect(view).toMatchObject({ source: 'onnx', producer: expect.stringMatching(/^RNN Lab/) })
    expect(view.layers.map((l) => l.name)).toEqual(['layers.0', 'layers.1', 'layers.3.matmul'])
    expectEngineBlocks(view, [
      ['forward', 0],
      ['backward', 0]
    ])
  }, 120_000)

  test('a run without the checkpoint asked for: the reason in one line', () => {
    expect(() => services.readWeights({ runId: runId + 100 })).toThrow(/run \d+/)
  })

  test('rnnlab weights <run> and <file.onnx>: a table per block; --json the view', async () => {
    const out: string[] = []
    const err: string[] = []
    const io = { out: (s: string) => out.push(s), err: (s: string) => err.push(s) }
    process.env.RNNLAB_HOME = home.path
    try {
      expect(await main(['weights', String(runId), '--checkpoint', 'last'], io)).toBe(0)
      const text = out.join('\n')
      expect(text).toContain(`Run ${runId}, last checkpoint (epoch 1)`)
      expect(text).toMatch(/layer 0\s+Bidirectional\(LSTM\(6\), concat\)\s+backward\s+f\s+W_f\s+\[6, 28\]\s+\d+\.\d{4}/)
      expect(text).toMatch(/layer 1\s+Bidirectional\(GRU\(5\), sum, shared\)\s+shared\s+z\s+R_z\s+\[5, 5\]/)
      out.length = 0
      const file = join(fixtures, 'torch-lstm-gru-computed.onnx')
      expect(await main(['weights', file, '--json'], io)).toBe(0)
      const view = JSON.parse(out.join('')) as WeightsView
      expect(view.layers[1].readable).toBe(false)
      out.length = 0
      expect(await main(['weights', file], io)).toBe(0)
      expect(out.join('\n')).toContain('/gru/GRU: not readable: B "onnx::GRU_')
      expect(await main(['weights', file, '--checkpoint', 'best'], io)).toBe(2)
      expect(await main(['weights', join(home.path, 'nothing.onnx')], io)).toBe(1)
      expect(err.at(-1)).toMatch(/^rnnlab: .*nothing\.onnx: no such file/)
    } finally {
      delete process.env.RNNLAB_HOME
    }
  })
})
