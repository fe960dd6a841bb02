// Small models for the ONNX tests: configs, engine models with random non-zero weights, random inputs.
import { normalizeRunConfig, type RunConfig } from '../../common/config'
import { type EngineModel, loadEngine, type Weights } from '../../main/engine'
import { engineSpec } from '../../main/engine/spec'
import { random } from '../helpers/random'

export { random }

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
export function randomModel(
  config: RunConfig,
  input: [number, number],
  seed: number,
  scale = 0.6
): { model: EngineModel; weights: Weights } {
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
