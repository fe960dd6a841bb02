// Every numeric range of the run config (common/config/limits.ts) against the native engine: the config check takes
// both ends of each range and refuses what lies beyond, naming the field; the engine accepts both ends, and where its
// own limit is the range's end, refuses what lies beyond it too. So a config that passes the check never fails at
// Start with the engine's wording (the probe's `learningRate: 1e30`).
import { describe, expect, it } from 'vitest'
import { LIMITS, normalizeRunConfig, type LimitName, type RunConfig } from '../../common/config'
import { normalizeDatasetSpec } from '../../common/datasets'
import type { Range } from '../../common/fields'
import { loadEngine, type EngineSpec } from '../../main/engine'
import { engineSpec } from '../../main/engine/spec'

const engine = loadEngine()

function base(): Record<string, unknown> {
  return {
    name: 'limits',
    dataset: { source: 'mnist-sample', limit: 100 },
    model: {
      input: [4, 3],
      layers: [
        { type: 'lstm', units: 4, dropout: 0, recurrentDropout: 0, returnSequences: true },
        { type: 'dropout', rate: 0.1 },
        { type: 'gru', units: 3 },
        { type: 'dense', units: 10, activation: 'softmax' }
      ]
    },
    training: {
      optimizer: { type: 'adam', learningRate: 0.01 },
      batchSize: 8,
      epochs: 1,
      seed: 1,
      earlyStopping: { patience: 1 },
      reduceLrOnPlateau: { patience: 1 }
    }
  }
}

/** Sets `a.b[2].c` in a plain object. */
function setPath(root: unknown, path: string, value: unknown): void {
  const keys = path.split(/\.|\[(\d+)\]/).filter((k) => k !== undefined && k !== '')
  let o = root as Record<string, unknown>
  for (const key of keys.slice(0, -1)) o = o[key] as Record<string, unknown>
  o[keys[keys.length - 1]] = value
}

interface Place {
  /** Where the value sits in a run config (or a dataset spec for numClasses). */
  path: string
  /** The optimizer this field belongs to, when not adam. */
  optimizer?: 'sgd' | 'rmsprop'
  /** Where the engine spec holds it, when the engine checks it in its spec. */
  spec?: string
  /** The engine's check, when not in its spec: throws if the engine refuses v. */
  engine?: (v: number, config: RunConfig) => void
  /** The engine's limit is the range's upper end: it refuses what lies above, naming this. */
  engineAbove?: string
  /** Why the engine never sees the field. */
  hostOnly?: string
}

/** A small model to run the engine's calls on (batch size, seed, learning rate). */
function smallModel(config: RunConfig) {
  const m = new engine.Model(engineSpec({ ...config, model: normalizeRunConfig(base()).model }, [4, 3]))
  return m
}

const x = new Float32Array(2 * 4 * 3).fill(0.5)
const y = new Int32Array([1, 2])

const places: Record<LimitName, Place[]> = {
  units: [
    { path: 'model.layers[0].units', spec: 'layers[0].units', engineAbove: 'layers[0].units' },
    { path: 'model.layers[2].units', spec: 'layers[2].units' }
  ],
  timeSteps: [{ path: 'model.input[0]', spec: 'input[0]', engineAbove: 'input[0]' }],
  features: [{ path: 'model.input[1]', spec: 'input[1]', engineAbove: 'input[1]' }],
  numClasses: [{ path: 'dataset.numClasses', spec: 'layers[3].units', engineAbove: 'layers[3].units' }],
  batchSize: [
    {
      path: 'training.batchSize',
      engine: (v, c) => void smallModel(c).trainEpoch(x, y, 2, { batchSize: v }),
      engineAbove: 'batchSize'
    }
  ],
  epochs: [{ path: 'training.epochs', hostOnly: 'the training loop counts epochs; the engine trains one at a time' }],
  threads: [{ path: 'training.threads', spec: 'threads', engineAbove: 'threads' }],
  seed: [
    {
      path: 'training.seed',
      engine: (v, c) => {
        const m = smallModel(c)
        m.init(v)
        m.trainEpoch(x, y, 2, { batchSize: 2, seed: v })
      }
    }
  ],
  fraction: [
    { path: 'model.layers[0].dropout', spec: 'layers[0].dropout', engineAbove: 'layers[0].dropout' },
    { path: 'model.layers[0].recurrentDropout', spec: 'layers[0].recurrentDropout' },
    { path: 'model.layers[1].rate', spec: 'layers[1].rate', engineAbove: 'layers[1].rate' },
    { path: 'training.optimizer.beta1', spec: 'optimizer.beta1', engineAbove: 'optimizer.beta1' },
    { path: 'training.optimizer.beta2', spec: 'optimizer.beta2' },
    { path: 'training.optimizer.momentum', optimizer: 'sgd', spec: 'optimizer.momentum' },
    { path: 'training.optimizer.rho', optimizer: 'rmsprop', spec: 'optimizer.rho', engineAbove: 'optimizer.rho' },
    { path: 'training.optimizer.momentum', optimizer: 'rmsprop', spec: 'optimizer.momentum' }
  ],
  learningRate: [
    {
      path: 'training.optimizer.learningRate',
      spec: 'optimizer.learningRate',
      engineAbove: 'optimizer.learningRate'
    },
    { path: 'training.optimizer.learningRate', optimizer: 'sgd', spec: 'optimizer.learningRate' },
    { path: 'training.optimizer.learningRate', optimizer: 'rmsprop', spec: 'optimizer.learningRate' }
  ],
  positive: [
    { path: 'training.optimizer.epsilon', spec: 'optimizer.epsilon' },
    { path: 'training.optimizer.clipNorm', spec: 'optimizer.clipNorm' }
  ],
  nonNegative: [{ path: 'training.earlyStopping.minDelta', hostOnly: 'early stopping is decided between epochs' }],
  minLearningRate: [
    {
      path: 'training.reduceLrOnPlateau.minLr',
      // The schedule never lowers the rate below minLr (nor to 0): a positive minLr is a rate the engine takes.
      engine: (v, c) => {
        if (v > 0) smallModel(c).setLearningRate(v)
      }
    }
  ],
  factor: [{ path: 'training.reduceLrOnPlateau.factor', hostOnly: 'the schedule multiplies the rate between epochs' }],
  epochCount: [
    { path: 'training.earlyStopping.patience', hostOnly: 'counted between epochs' },
    { path: 'training.reduceLrOnPlateau.cooldown', hostOnly: 'counted between epochs' }
  ]
}

/** The values at both ends of a range that belong to it: the ends, or the nearest numbers inside an open end. */
function inside(r: Range): number[] {
  const low = r.minExclusive ? (r.min === 0 ? Number.MIN_VALUE : r.min * (1 + Number.EPSILON)) : r.min
  const high = r.maxExclusive ? r.max * (1 - Number.EPSILON) : r.max
  return [low, high]
}

/** Numbers just outside each end (none past an end that is the largest number). */
function outside(r: Range): number[] {
  const low = r.minExclusive ? r.min : r.integer ? r.min - 1 : r.min === 0 ? -Number.MIN_VALUE : r.min * (1 - 1e-9)
  const out = [low]
  if (r.max !== Number.MAX_VALUE) out.push(r.maxExclusive ? r.max : r.integer ? r.max + 1 : r.max * (1 + 1e-9))
  return out
}

function configWith(place: Place, v: number): unknown {
  const c = base()
  const optimizer = (c.training as Record<string, unknown>).optimizer as Record<string, unknown>
  if (place.optimizer) (c.training as Record<string, unknown>).optimizer = { type: place.optimizer, learningRate: 0.01 }
  else optimizer.type = 'adam'
  if (place.path === 'dataset.numClasses') {
    // The head has one unit a class.
    c.dataset = { source: 'mnist-sample', limit: 100 }
    setPath(c, 'model.layers[3].units', v)
    return c
  }
  setPath(c, place.path, v)
  return c
}

function specOf(config: RunConfig): EngineSpec {
  return engineSpec(config, config.model.input ?? [4, 3])
}

describe('the config check and the engine agree on every numeric range', () => {
  it('every range has its places listed here', () => {
    expect(Object.keys(places).sort()).toEqual(Object.keys(LIMITS).sort())
    for (const list of Object.values(places)) expect(list.length).toBeGreaterThan(0)
  })

  for (const [name, range] of Object.entries(LIMITS) as [LimitName, Range][]) {
    for (const place of places[name]) {
      const label = `${name}: ${place.path}${place.optimizer ? ` (${place.optimizer})` : ''}`

      it(`${label}: the check takes both ends and refuses beyond them, naming the field`, () => {
        for (const v of inside(range)) {
          if (place.path === 'dataset.numClasses') {
            expect(
              normalizeDatasetSpec({ source: 'csv', train: 'a.csv', timeSteps: 1, features: 1, numClasses: v })
            ).toMatchObject({ numClasses: v })
            continue
          }
          const config = normalizeRunConfig(configWith(place, v))
          expect(JSON.stringify(config)).toContain(String(v))
        }
        for (const v of outside(range)) {
          if (place.path === 'dataset.numClasses') {
            expect(() =>
              normalizeDatasetSpec({ source: 'csv', train: 'a.csv', timeSteps: 1, features: 1, numClasses: v })
            ).toThrow(/numClasses: /)
            continue
          }
          expect(() => normalizeRunConfig(configWith(place, v)), `${place.path} = ${v}`).toThrow(
            new RegExp(`^${place.path.replace(/[.[\]]/g, '\\$&')}: must be `)
          )
        }
      })

      if (place.hostOnly) {
        it(`${label}: the engine never sees it (${place.hostOnly})`, () => {
          expect(place.spec ?? place.engine).toBeUndefined()
        })
        continue
      }

      it(`${label}: the engine accepts both ends${place.engineAbove ? ' and refuses above' : ''}`, () => {
        for (const v of inside(range)) {
          const config = normalizeRunConfig(configWith(place, v))
          if (place.spec) {
            const spec = specOf(config)
            expect(JSON.stringify(spec), `${place.spec} in the spec`).toContain(String(v))
            expect(() => engine.checkSpec(spec), `${place.spec} = ${v}`).not.toThrow()
          }
          if (place.engine) expect(() => place.engine!(v, config), `${place.path} = ${v}`).not.toThrow()
        }
        if (!place.engineAbove) return
        const above = outside(range)[1]
        const config = normalizeRunConfig(configWith(place, inside(range)[1]))
        if (place.spec) {
          const spec = specOf(config)
          setPath(spec, place.spec, above)
          expect(() => engine.checkSpec(spec)).toThrow(place.engineAbove)
        } else {
          expect(() => place.engine!(above, config)).toThrow(place.engineAbove)
        }
      })
    }
  }

  it('the probe: learningRate 1e30 is refused by the check, naming the field and the range', () => {
    const c = base()
    setPath(c, 'training.optimizer.learningRate', 1e30)
    expect(() => normalizeRunConfig(c, 'lr.json')).toThrow(
      'lr.json: training.optimizer.learningRate: must be below 1000, got 1e+30'
    )
  })
})
