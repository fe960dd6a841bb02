// More trials for a sweep that exists: a grid's extra values give the new grid points only (none a trial has), each
// repeated like the others; a random sweep's N more draws continue its seeded sequence; wrong additions are refused
// naming the parameter.
import { describe, expect, it } from 'vitest'
import { expandSweep, extendSweep, normalizeSweepConfig, type SweepConfig } from '../../common/sweep'

const base = () => ({
  dataset: { source: 'mnist-sample', limit: 200 },
  model: {
    layers: [
      { type: 'lstm', units: 8 },
      { type: 'dense', units: 10, activation: 'softmax' }
    ]
  },
  training: { optimizer: { type: 'adam', learningRate: 0.001 }, epochs: 1, seed: 7 }
})

const existingOf = (sweep: SweepConfig) => expandSweep(sweep).map((t) => ({ params: t.params, repeat: t.repeat }))
const key = (t: { params: unknown; repeat: number }) => JSON.stringify([t.params, t.repeat])

describe('adding trials to a grid sweep', () => {
  const sweep = normalizeSweepConfig({
    name: 'g',
    base: base(),
    repeats: 2,
    parameters: { 'model.layers.0.type': ['lstm', 'gru'], 'model.layers.0.units': [4, 8] }
  })

  it('adds the new grid points only, repeated, numbered after the existing trials', () => {
    const existing = existingOf(sweep)
    expect(existing).toHaveLength(8)
    const { sweep: next, trials } = extendSweep(sweep, existing, {
      values: { 'model.layers.0.units': [8, 16], 'model.layers.0.type': ['simple_rnn'] }
    })
    // 3 cells × 3 sizes = 9 points, 4 of them trained already: 5 new, twice each.
    expect(trials).toHaveLength(10)
    expect(trials.map((t) => t.index)).toEqual([8, 9, 10, 11, 12, 13, 14, 15, 16, 17])
    expect(trials[0].config.name).toBe('g #9')
    const all = [...existing, ...trials].map(key)
    expect(new Set(all).size).toBe(18)
    expect(trials.filter((t) => t.repeat === 0).map((t) => t.params)).toEqual([
      { 'model.layers.0.type': 'lstm', 'model.layers.0.units': 16 },
      { 'model.layers.0.type': 'gru', 'model.layers.0.units': 16 },
      { 'model.layers.0.type': 'simple_rnn', 'model.layers.0.units': 4 },
      { 'model.layers.0.type': 'simple_rnn', 'model.layers.0.units': 8 },
      { 'model.layers.0.type': 'simple_rnn', 'model.layers.0.units': 16 }
    ])
    // A repeat's seed is the next one, and the config is set at the dotted path.
    const rnn16 = trials.filter(
      (t) => t.params['model.layers.0.type'] === 'simple_rnn' && t.params['model.layers.0.units'] === 16
    )
    expect(rnn16.map((t) => [t.repeat, t.seed])).toEqual([
      [0, 7],
      [1, 8]
    ])
    expect(rnn16[0].config.model.layers[0]).toMatchObject({ type: 'simple_rnn', units: 16 })
    // The updated config holds every value, so expanding it gives all 18 trials.
    expect(expandSweep(next)).toHaveLength(18)
  })

  it('refuses an addition that adds nothing, an unknown parameter, or a bad value, naming it', () => {
    const existing = existingOf(sweep)
    expect(() => extendSweep(sweep, existing, { values: { 'model.layers.0.units': [4, 8] } })).toThrow(
      'values: adds no new parameter set: every combination is already a trial of the sweep'
    )
    expect(() => extendSweep(sweep, existing, { values: { 'model.layers.0.unit': [3] } })).toThrow(
      /values\["model\.layers\.0\.unit"\]: not a parameter of sweep "g" \(its parameters: model\.layers\.0\.type, model\.layers\.0\.units\)/
    )
    expect(() => extendSweep(sweep, existing, { values: { 'model.layers.0.type': ['lstmm'] } })).toThrow(
      /parameters\["model\.layers\.0\.type"\]: in trial \d+ \(.*lstmm.*\)/
    )
    expect(() => extendSweep(sweep, existing, { trials: 3 })).toThrow('a grid sweep takes extra values per parameter')
  })

  it('extends a range into a list of values', () => {
    const ranged = normalizeSweepConfig({
      name: 'r',
      base: base(),
      parameters: { 'training.optimizer.learningRate': { range: 'log', min: 0.001, max: 0.1, steps: 3 } }
    })
    const { trials } = extendSweep(ranged, existingOf(ranged), {
      values: { 'training.optimizer.learningRate': [0.01, 0.3] }
    })
    expect(trials.map((t) => t.params['training.optimizer.learningRate'])).toEqual([0.3])
  })
})

describe('adding trials to a random sweep', () => {
  const input = {
    name: 'rand',
    base: base(),
    method: 'random',
    seed: 11,
    trials: 4,
    parameters: {
      'training.optimizer.learningRate': { distribution: 'loguniform', min: 1e-4, max: 1e-1 },
      'model.layers.0.units': { distribution: 'int', min: 4, max: 64, step: 4 }
    }
  }

  it('draws N more points, continuing the seed: the same as a sweep that drew them all at once', () => {
    const sweep = normalizeSweepConfig(input)
    const { sweep: next, trials } = extendSweep(sweep, existingOf(sweep), { trials: 3 })
    expect(trials.map((t) => t.index)).toEqual([4, 5, 6])
    const atOnce = expandSweep(normalizeSweepConfig({ ...input, trials: 7 }))
    expect(trials.map((t) => t.params)).toEqual(atOnce.slice(4).map((t) => t.params))
    expect(next.trials).toBe(7)
    // Added again: the sequence goes on.
    const more = extendSweep(next, [...existingOf(sweep), ...trials], { trials: 2 })
    const nine = expandSweep(normalizeSweepConfig({ ...input, trials: 9 }))
    expect(more.trials.map((t) => t.params)).toEqual(nine.slice(7).map((t) => t.params))
  })

  it('skips a draw whose values a trial already has', () => {
    // Two values only: after both are trials, no draw is new.
    const small = normalizeSweepConfig({
      ...input,
      trials: 20,
      parameters: { 'model.layers.0.units': { distribution: 'choice', values: [4, 8] } }
    })
    const seen = new Set(expandSweep(small).map((t) => JSON.stringify(t.params)))
    expect(seen.size).toBe(2)
    expect(() => extendSweep(small, existingOf(small), { trials: 1 })).toThrow(
      'trials: no new parameter set found: every draw repeats a trial of the sweep'
    )
  })
})
