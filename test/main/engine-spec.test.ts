// The engine spec refuses exactly what the native engine cannot run (common/cells.ts's engineActivations and engine
// values, checked against the engine itself), and passes on what it can: LSTM unitForgetBias false and a dense layer
// without bias train as Keras does (forget bias from 0; the dense bias stays 0, untrained and uncounted).
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CELL_TYPES, CELLS, RECURRENT_ACTIVATIONS, cellHasOption, engineRefusals } from '../../common/cells'
import { normalizeRunConfig, type LayerInput, type RunConfig } from '../../common/config'
import { summarize } from '../../common/model'
import { loadEngine } from '../../main/engine'
import { EngineSpecError, engineSpec } from '../../main/engine/spec'
import { Services } from '../../main/services'
import { tempDir } from '../helpers/tmp'

const engine = loadEngine()
const T = 6
const F = 3

function config(
  layers: LayerInput[],
  loss: 'categorical_crossentropy' | 'mse' = 'categorical_crossentropy'
): RunConfig {
  return normalizeRunConfig({
    name: 'spec',
    dataset: { source: 'mnist-sample', limit: 600 },
    model: { layers },
    training: { optimizer: { type: 'adam', learningRate: 0.01 }, batchSize: 32, epochs: 3, seed: 5, loss }
  })
}

/** Data the engine learns from quickly: the class is the sign of the first feature's sum over the steps. */
function signTask(n: number, seed: number): { x: Float32Array; y: Int32Array } {
  let s = seed
  const next = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1
  const x = new Float32Array(n * T * F).map(() => next())
  const y = new Int32Array(n).map((_, i) => {
    let sum = 0
    for (let t = 0; t < T; t++) sum += x[(i * T + t) * F]
    return sum > 0 ? 1 : 0
  })
  return { x, y }
}

describe('what the engine runs, as common/cells.ts says', () => {
  for (const type of CELL_TYPES) {
    const recurrentActivations = cellHasOption(type, 'recurrentActivation') ? RECURRENT_ACTIVATIONS : [undefined]
    for (const activation of RECURRENT_ACTIVATIONS)
      for (const recurrentActivation of recurrentActivations) {
        const label = `${type} activation ${activation}${recurrentActivation ? `, recurrentActivation ${recurrentActivation}` : ''}`
        it(`${label}: the spec and the engine agree`, () => {
          const cell = { type, units: 3, activation, ...(recurrentActivation ? { recurrentActivation } : {}) }
          const c = config([cell as LayerInput, { type: 'dense', units: 2, activation: 'softmax' }])
          const refusals = engineRefusals(c.model.layers[0] as Parameters<typeof engineRefusals>[0])
          const runs =
            (CELLS[type].engineActivations as readonly string[]).includes(activation) &&
            (recurrentActivation === undefined || recurrentActivation === 'sigmoid')
          expect(refusals.length === 0).toBe(runs)
          if (runs) {
            expect(() => new engine.Model(engineSpec(c, [T, F]))).not.toThrow()
            return
          }
          const { field, detail } = refusals[0]
          expect(() => engineSpec(c, [T, F])).toThrow(new EngineSpecError(`model.layers[0].${field}`, detail))
          // The engine itself refuses the same field, given the spec the refusal kept from it.
          const plain = config([{ type, units: 3 } as LayerInput, { type: 'dense', units: 2, activation: 'softmax' }])
          const spec = engineSpec(plain, [T, F])
          Object.assign(spec.layers[0], { [field]: field === 'activation' ? activation : recurrentActivation })
          expect(() => new engine.Model(spec)).toThrow(`layers[0].${field}`)
        })
      }
  }
})

describe('LSTM unitForgetBias false', () => {
  it('starts the forget gate bias at 0 (Keras bias zeros), and 1 with the default', () => {
    for (const unitForgetBias of [true, false]) {
      const c = config([
        { type: 'bidirectional', layer: { type: 'lstm', units: 4, unitForgetBias } },
        { type: 'dense', units: 2, activation: 'softmax' }
      ])
      const spec = engineSpec(c, [T, F])
      expect(spec.layers[0]).toMatchObject({ kind: 'recurrent', cell: 'lstm', unitForgetBias })
      const m = new engine.Model(spec)
      m.init(3)
      const B = m.getWeights()['layers.0.B'].data // [2, 2*4H], gates i, o, f, c: the forget gate's input bias
      for (let d = 0; d < 2; d++)
        for (let k = 0; k < 32; k++) {
          const forget = k >= 8 && k < 12
          expect(B[d * 32 + k], `B[${d}, ${k}]`).toBe(forget && unitForgetBias ? 1 : 0)
        }
      // Keras counts 4H(I + H + 1) per direction either way.
      expect(m.paramCount()).toBe(summarize(c.model, [T, F]).totalParams)
    }
  })

  it('trains: the loss falls and the forget bias moves', () => {
    const c = config([
      { type: 'lstm', units: 8, unitForgetBias: false },
      { type: 'dense', units: 2, activation: 'softmax' }
    ])
    const m = new engine.Model(engineSpec(c, [T, F]))
    m.init(1)
    const { x, y } = signTask(256, 1)
    const before = m.evaluate(x, y, 256).loss
    for (let e = 0; e < 5; e++) m.trainEpoch(x, y, 256, { batchSize: 32, seed: e })
    expect(m.evaluate(x, y, 256).loss).toBeLessThan(before * 0.8)
    const forget = Array.from(m.getWeights()['layers.0.B'].data.subarray(16, 24))
    expect(forget.some((v) => v !== 0)).toBe(true)
  })
})

describe('a dense layer without bias', () => {
  const layers = (useBias: boolean): LayerInput[] => [
    { type: 'gru', units: 5 },
    { type: 'dense', units: 4, activation: 'tanh', useBias },
    { type: 'dense', units: 2, activation: 'softmax', useBias }
  ]

  it('counts units × inputs params as Keras does, and the engine agrees', () => {
    const withBias = config(layers(true))
    const without = config(layers(false))
    const keras = summarize(without.model, [T, F])
    expect(keras.rows[1].params).toBe(5 * 4)
    expect(keras.rows[2].params).toBe(4 * 2)
    expect(summarize(withBias.model, [T, F]).totalParams - keras.totalParams).toBe(4 + 2)
    const spec = engineSpec(without, [T, F])
    expect(spec.layers[1]).toEqual({ kind: 'dense', units: 4, activation: 'tanh', useBias: false })
    const m = new engine.Model(spec)
    expect(m.paramCount()).toBe(keras.totalParams)
    for (const name of ['layers.1.B', 'layers.2.B'])
      expect(m.describe().tensors.find((t) => t.name === name)!.trainable).toBe(0)
  })

  it('trains with its bias held at 0 while the kernel learns', () => {
    const m = new engine.Model(engineSpec(config(layers(false)), [T, F]))
    m.init(2)
    const { x, y } = signTask(256, 2)
    const kernel = Float32Array.from(m.getWeights()['layers.2.W'].data)
    const before = m.evaluate(x, y, 256).loss
    for (let e = 0; e < 5; e++) m.trainEpoch(x, y, 256, { batchSize: 32, seed: e })
    expect(m.evaluate(x, y, 256).loss).toBeLessThan(before * 0.8)
    const w = m.getWeights()
    for (const name of ['layers.1.B', 'layers.2.B']) expect(Array.from(w[name].data).every((v) => v === 0)).toBe(true)
    expect(Array.from(w['layers.2.W'].data)).not.toEqual(Array.from(kernel))
  })
})

describe('runs through the training host', () => {
  let dir: ReturnType<typeof tempDir>
  let services: Services
  beforeEach(() => {
    dir = tempDir()
    services = new Services({ home: dir.path, door: 'cli', version: 'test' })
  })
  afterEach(() => {
    services.close()
    dir.remove()
  })

  it.each([
    ['LSTM unitForgetBias false', { type: 'lstm', units: 12, unitForgetBias: false }, true],
    ['a dense softmax head without bias', { type: 'lstm', units: 12 }, false]
  ] as const)('%s: starts, completes and learns', async (_, cell, headBias) => {
    const c = config([cell as LayerInput, { type: 'dense', units: 10, activation: 'softmax', useBias: headBias }])
    const runId = services.training.start(c)
    expect(await services.training.finished(runId)).toBe('completed')
    const run = services.store.getRun(runId)
    expect(run.error).toBeNull()
    expect(run.paramCount).toBe(summarize(c.model, [28, 28]).totalParams)
    expect(run.epochs).toHaveLength(3)
    expect(run.epochs[2].loss!).toBeLessThan(run.epochs[0].loss!)
  })
})
