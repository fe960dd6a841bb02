// Small models for the ONNX tests: configs, engine models with random non-zero weights, random inputs.
import { normalizeRunConfig, type RunConfig } from '../../common/config'
import { type EngineModel, loadEngine, type Weights } from '../../main/engine'
import { engineSpec } from '../../main/training/engine-spec'

/** A deterministic uniform stream (mulberry32), so a failing case reproduces. */
export function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function makeConfig(layers: unknown[], input: [number, number], name = 'onnx-test'): RunConfig {
  const last = layers[layers.length - 1] as { type: string; activation?: string }
  const softmax = last.type === 'dense' && last.activation === 'softmax'
  return normalizeRunConfig({
    name,
    dataset: { source: 'mnist-sample' },
    model: { input, layers },
    training: { loss: softmax ? 'categorical_crossentropy' : 'mse', seed: 1 }
  })
}

/** An engine model for the config with every weight (biases too) uniform in [-scale, scale). */
export function randomModel(config: RunConfig, input: [number, number], seed: number, scale = 0.6): { model: EngineModel; weights: Weights } {
  const engine = loadEngine()
  const model = new engine.Model(engineSpec(config, input))
  const rand = random(seed)
  const weights = model.getWeights()
  for (const t of Object.values(weights)) for (let i = 0; i < t.data.length; i++) t.data[i] = (2 * rand() - 1) * scale
  model.setWeights(weights)
  return { model, weights: model.getWeights() }
}

export function randomInput(n: number, T: number, F: number, seed: number): Float32Array {
  const rand = random(seed)
  return Float32Array.from({ length: n * T * F }, () => 2 * rand() - 1)
}
