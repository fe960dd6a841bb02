// ONNX export of the embedding layer (Gather on the token ids) and of a binary sigmoid head: onnxruntime against the
// engine at batch 1/7/64 and a shorter sequence, and the weights read back bit for bit.
import { afterAll, expect, test } from 'vitest'
import { normalizeRunConfig } from '../../common/config'
import { loadEngine } from '../../main/engine'
import { engineSpec } from '../../main/engine/spec'
import { listProblems } from '../../main/onnx/check'
import { buildOnnxModel, exportOnnx } from '../../main/onnx/export'
import { readOnnxWeights } from '../../main/onnx/import'
import { InferenceService } from '../../main/onnx/inference'
import { checkParity, PARITY_TOLERANCE } from '../../main/onnx/parity'
import { random, randomModel } from './helpers'

const inference = new InferenceService({ intraOpNumThreads: 1, maxSessions: 2 })
afterAll(() => inference.close())

const T = 9
const V = 30
const input: [number, number] = [T, 1]

function ids(n: number, seed: number): Float32Array {
  const r = random(seed)
  // right-padded like the text sources: a length from 1 to T, then 0
  const x = new Float32Array(n * T)
  for (let i = 0; i < n; i++) {
    const len = 1 + Math.floor(r() * T)
    for (let t = 0; t < len; t++) x[i * T + t] = 1 + Math.floor(r() * (V - 1))
  }
  return x
}

test.each([
  ['sparse_categorical_crossentropy', 'lstm', { type: 'dense', units: 3, activation: 'softmax' }],
  ['binary_crossentropy', 'gru', { type: 'dense', units: 1, activation: 'sigmoid' }]
])('embedding → bidirectional %s head (%s) matches onnxruntime', async (loss, cell, head) => {
  const config = normalizeRunConfig({
    name: `embedding-${cell}`,
    dataset: { source: 'names' },
    model: {
      input,
      layers: [
        { type: 'embedding', inputDim: V, outputDim: 6 },
        { type: 'bidirectional', layer: { type: cell, units: 5 } },
        head
      ]
    },
    training: { loss, seed: 1 }
  })
  const { model, weights } = randomModel(config, input, 5)
  const bytes = exportOnnx({ config, input, weights, metadata: { runId: 1, classNames: ['a', 'b'] } })
  const proto = buildOnnxModel({ config, input, weights })
  expect(listProblems(proto)).toEqual([])
  expect(proto.graph!.node!.map((n) => n.opType)).toContain('Gather')
  const n = 9
  const x = ids(n, 11)
  const report = await checkParity({ bytes, config, input, weights, validation: { x, n }, inference })
  expect(report.message).toMatch(/^parity ok/)
  expect(report.maxAbsDiff).toBeLessThanOrEqual(PARITY_TOLERANCE)
  const fresh = new (loadEngine().Model)(engineSpec(config, input))
  fresh.setWeights(readOnnxWeights(bytes, config, input))
  expect(fresh.predict(x, n)).toEqual(model.predict(x, n))
  if (loss === 'binary_crossentropy') {
    const p = model.predict(x, n)
    expect(Math.min(...p)).toBeGreaterThan(0)
    expect(Math.max(...p)).toBeLessThan(1)
  }
})
