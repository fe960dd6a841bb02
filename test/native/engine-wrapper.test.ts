// main/engine loads the built addon from the app root, unbundled, and its types fit the addon.
import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { enginePath, findAppRoot, loadEngine, type EngineSpec } from '../../main/engine/index'

describe('main/engine', () => {
  it('finds the app root and the addon', () => {
    const root = findAppRoot()
    expect(root).toBe(join(__dirname, '..', '..'))
    expect(enginePath(root)).toBe(join(root, 'native', 'build', 'Release', 'rnnlab_engine.node'))
  })

  it('loads the engine and builds a model from a typed spec', () => {
    const engine = loadEngine()
    expect(engine.version()).toMatch(/^rnnlab-engine/)
    const spec: EngineSpec = {
      input: [28, 28],
      layers: [
        { kind: 'recurrent', cell: 'lstm', units: 50, directions: 2, returnSequences: true },
        { kind: 'dropout', rate: 0.2 },
        { kind: 'recurrent', cell: 'lstm', units: 50, directions: 2 },
        { kind: 'dropout', rate: 0.2 },
        { kind: 'dense', units: 10, activation: 'softmax' }
      ],
      loss: 'categorical_crossentropy',
      optimizer: { type: 'adam', learningRate: 0.001 }
    }
    const model = new engine.Model(spec)
    expect(model.paramCount()).toBe(93010)
    expect(Object.keys(model.getWeights())).toEqual([
      'layers.0.W',
      'layers.0.R',
      'layers.0.B',
      'layers.2.W',
      'layers.2.R',
      'layers.2.B',
      'layers.4.W',
      'layers.4.B'
    ])
  })

  it('names the missing file when the addon is absent', () => {
    expect(() => loadEngine('/nonexistent/rnnlab_engine.node')).toThrow(
      '/nonexistent/rnnlab_engine.node: native engine not built'
    )
  })
})
