// Sweep configs: what a grid or a random sweep expands to (counts, seeds, dotted paths, named alternatives), every
// bad config refused with a message naming its key, and the median rule against a hand-computed example.
import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { cellOf } from '../../common/config'
import {
  expandSweep,
  medianDecision,
  normalizeSweepConfig,
  SweepConfigError,
  type MedianPrunerConfig
} from '../../common/sweep'

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

function trials(sweep: Record<string, unknown>) {
  return expandSweep(normalizeSweepConfig(sweep, 'sweep.json'), {}, 'sweep.json')
}

/** The one-line message a person reads for a bad sweep. */
function refusal(sweep: unknown): string {
  try {
    expandSweep(normalizeSweepConfig(sweep, 'sweep.json'), {}, 'sweep.json')
  } catch (e) {
    expect(e).toBeInstanceOf(SweepConfigError)
    return (e as Error).message
  }
  throw new Error('the sweep was accepted')
}

describe('grid sweeps', () => {
  it('expand to the product of the values, first parameter slowest, values set at their dotted paths', () => {
    const t = trials({
      name: 'lr',
      base: base(),
      parameters: {
        'training.optimizer.learningRate': { range: 'log', min: 0.0001, max: 0.01, steps: 3 },
        'model.layers.0.units': [8, 16]
      }
    })
    expect(t).toHaveLength(6)
    expect(t.map((x) => x.params)).toEqual([
      { 'training.optimizer.learningRate': 0.0001, 'model.layers.0.units': 8 },
      { 'training.optimizer.learningRate': 0.0001, 'model.layers.0.units': 16 },
      { 'training.optimizer.learningRate': 0.001, 'model.layers.0.units': 8 },
      { 'training.optimizer.learningRate': 0.001, 'model.layers.0.units': 16 },
      { 'training.optimizer.learningRate': 0.01, 'model.layers.0.units': 8 },
      { 'training.optimizer.learningRate': 0.01, 'model.layers.0.units': 16 }
    ])
    expect(t[3].config.training.optimizer.learningRate).toBe(0.001)
    expect(t[3].config.model.layers[0]).toMatchObject({ type: 'lstm', units: 16 })
    // The rest of the base is kept, defaults filled as for any run config.
    expect(t[3].config.dataset).toEqual({ source: 'mnist-sample', limit: 200 })
    expect(t[3].config.training.optimizer).toMatchObject({ type: 'adam', beta1: 0.9 })
    expect(t.map((x) => x.config.name)).toEqual(['lr #1', 'lr #2', 'lr #3', 'lr #4', 'lr #5', 'lr #6'])
    expect(t.map((x) => x.index)).toEqual([0, 1, 2, 3, 4, 5])
  })

  it('a linear range includes both ends; int and choice distributions are finite, so a grid takes them', () => {
    const t = trials({
      base: base(),
      parameters: {
        'training.batchSize': { distribution: 'int', min: 16, max: 64, step: 16 },
        'training.optimizer.beta1': { range: 'linear', min: 0.8, max: 0.9, steps: 3 },
        'training.shuffle': { distribution: 'choice', values: [true, false] }
      }
    })
    expect(t).toHaveLength(4 * 3 * 2)
    expect([...new Set(t.map((x) => x.config.training.batchSize))]).toEqual([16, 32, 48, 64])
    expect([...new Set(t.map((x) => x.params['training.optimizer.beta1']))]).toEqual([0.8, 0.85, 0.9])
  })

  it('repeats train each point again with the next seeds, after every point has run once', () => {
    const t = trials({ base: base(), parameters: { 'model.layers.0.units': [4, 8, 12] }, repeats: 3 })
    expect(t).toHaveLength(9)
    expect(t.map((x) => [x.params['model.layers.0.units'], x.repeat, x.seed])).toEqual([
      [4, 0, 7],
      [8, 0, 7],
      [12, 0, 7],
      [4, 1, 8],
      [8, 1, 8],
      [12, 1, 8],
      [4, 2, 9],
      [8, 2, 9],
      [12, 2, 9]
    ])
    expect(t.map((x) => x.config.training.seed)).toEqual(t.map((x) => x.seed))
  })

  it('named alternatives set whole layer stacks, shown by name, and later paths reach into the chosen stack', () => {
    const t = trials({
      base: base(),
      parameters: {
        'model.layers': {
          alternatives: {
            small: [
              { type: 'gru', units: 4 },
              { type: 'dense', units: 10, activation: 'softmax' }
            ],
            deep: [
              { type: 'gru', units: 4, returnSequences: true },
              { type: 'gru', units: 4 },
              { type: 'dense', units: 10, activation: 'softmax' }
            ]
          }
        },
        'model.layers.0.units': [4, 6]
      }
    })
    expect(
      t.map((x) => [x.params['model.layers'], x.config.model.layers.length, cellOf(x.config.model.layers[0])!.units])
    ).toEqual([
      ['small', 2, 4],
      ['small', 2, 6],
      ['deep', 3, 4],
      ['deep', 3, 6]
    ])
  })

  it('the seed matrix preset: 3 cells × (forward, bidirectional, bidirectional shared) × 1–3 layers = 27, none twice', () => {
    const file = join(__dirname, '..', '..', 'examples', 'sweeps', 'seed-matrix.json')
    const sweep = normalizeSweepConfig(JSON.parse(readFileSync(file, 'utf8')), file)
    const t = expandSweep(sweep, {}, file)
    expect(t).toHaveLength(27)
    const cells = t.map((x) => x.config.model.layers.flatMap((l) => (cellOf(l) ? [cellOf(l)!.type] : [])))
    const keys = t.map((x, i) => {
      const rec = x.config.model.layers.filter((l) => cellOf(l))
      const dir = rec[0].type === 'bidirectional' ? (rec[0].sharedWeights ? 'shared' : 'separate') : 'forward'
      expect(new Set(cells[i]).size).toBe(1)
      return `${cells[i][0]} ${dir} ${rec.length}`
    })
    expect(new Set(keys).size).toBe(27)
    // Shared and separate weights apply to bidirectional layers only: forward stacks appear once per cell and depth.
    expect(keys.filter((k) => k.includes('forward'))).toHaveLength(9)
    expect(t.every((x) => x.config.dataset.source === 'mnist-sample')).toBe(true)
    expect(sweep.objective).toBe('val_accuracy')
    expect(sweep.pruner).toEqual({ type: 'median', warmupTrials: 5, warmupEpochs: 1, minTrials: 1 })
  })
})

describe('random sweeps', () => {
  const sweep = {
    base: base(),
    method: 'random',
    trials: 12,
    seed: 5,
    parameters: {
      'training.optimizer.learningRate': { distribution: 'loguniform', min: 0.0001, max: 0.1 },
      'training.optimizer.beta1': { distribution: 'uniform', min: 0.8, max: 0.95 },
      'model.layers.0.units': { distribution: 'int', min: 4, max: 12, step: 4 },
      'model.layers.0.type': { distribution: 'choice', values: ['lstm', 'gru'] }
    }
  }

  it('draw `trials` points from the distributions, the same ones for the same seed, others for another', () => {
    const a = trials(sweep)
    expect(a).toHaveLength(12)
    expect(trials(sweep).map((x) => x.params)).toEqual(a.map((x) => x.params))
    expect(trials({ ...sweep, seed: 6 }).map((x) => x.params)).not.toEqual(a.map((x) => x.params))
    for (const t of a) {
      const lr = t.config.training.optimizer.learningRate
      expect(lr).toBeGreaterThanOrEqual(0.0001)
      expect(lr).toBeLessThanOrEqual(0.1)
      expect([4, 8, 12]).toContain(cellOf(t.config.model.layers[0])!.units)
      expect(['lstm', 'gru']).toContain(t.config.model.layers[0].type)
    }
    // A log-uniform draw spreads over the decades, not mostly in the top one.
    const decades = new Set(a.map((t) => Math.floor(Math.log10(t.config.training.optimizer.learningRate))))
    expect(decades.size).toBeGreaterThanOrEqual(2)
  })

  it('repeats multiply the draws, each repeat with the next seed', () => {
    const t = trials({ ...sweep, trials: 4, repeats: 2 })
    expect(t).toHaveLength(8)
    expect(t.slice(4).map((x) => x.params)).toEqual(t.slice(0, 4).map((x) => x.params))
    expect(t.map((x) => x.seed)).toEqual([7, 7, 7, 7, 8, 8, 8, 8])
  })
})

describe('bad sweep configs', () => {
  const ok = { base: base(), parameters: { 'model.layers.0.units': [4, 8] } }

  const cases: [unknown, string][] = [
    [{ ...ok, parameter: {} }, 'sweep.json: parameter: unknown key (did you mean "parameters"?)'],
    [{ parameters: ok.parameters }, 'sweep.json: base: missing: give the run config every trial starts from'],
    [{ base: base() }, 'sweep.json: parameters: missing: give at least one parameter to vary'],
    [{ ...ok, method: 'grids' }, 'sweep.json: method: unknown method "grids" (did you mean "grid"?)'],
    [{ ...ok, method: 'random' }, 'sweep.json: trials: missing: method "random" needs a trial count, e.g. 20'],
    [{ ...ok, trials: 5 }, 'sweep.json: trials: only for method "random" (a grid runs every combination)'],
    [
      { ...ok, objective: 'accuracy' },
      'sweep.json: objective: unknown objective "accuracy"; expected one of val_accuracy, val_loss'
    ],
    [{ ...ok, repeats: 0 }, 'sweep.json: repeats: must be an integer from 1 to 1000, got 0'],
    [
      { ...ok, pruner: { type: 'median', warmupEpoch: 1 } },
      'sweep.json: pruner.warmupEpoch: unknown key (did you mean "warmupEpochs"?)'
    ],
    [
      { ...ok, parameters: { 'modle.layers.0.units': [4] } },
      'sweep.json: parameters["modle.layers.0.units"]: a path starts at a run config key (name, dataset, model, training); did you mean "model"?'
    ],
    [
      { ...ok, parameters: { 'model.layers.0.units': [] } },
      'sweep.json: parameters["model.layers.0.units"]: give at least one value'
    ],
    [
      { ...ok, parameters: { 'model.layers.0.units': 8 } },
      'sweep.json: parameters["model.layers.0.units"]: expected a list of values, or an object with one of values, alternatives, range, distribution; got 8'
    ],
    [
      {
        ...ok,
        parameters: { 'training.optimizer.learningRate': { distribution: 'loguniform', min: 0.001, max: 0.1 } }
      },
      'sweep.json: parameters["training.optimizer.learningRate"].distribution: a loguniform distribution needs method "random"; for a grid give values or a range'
    ],
    [
      { ...ok, parameters: { 'training.optimizer.learningRate': { range: 'log', min: 0, max: 0.1, steps: 3 } } },
      'sweep.json: parameters["training.optimizer.learningRate"].min: a log scale needs min above 0, got 0'
    ],
    [
      { ...ok, parameters: { 'training.optimizer.learningRate': { range: 'linear', min: 0.1, max: 0.01, steps: 3 } } },
      'sweep.json: parameters["training.optimizer.learningRate"].max: must be at least min (0.1), got 0.01'
    ],
    [
      { ...ok, parameters: { $cell: ['lstm'] } },
      'sweep.json: parameters["$cell"]: not used: write "$cell" where its value goes, e.g. "type": "$cell"'
    ],
    [
      { ...ok, base: { ...base(), model: { layers: [{ type: '$cel', units: 4 }] } } },
      'sweep.json: base.model.layers[0].type: "$cel" is not a parameter of this sweep (declare it in parameters)'
    ]
  ]
  it.each(cases.map(([sweep, message]) => [message, sweep]))('refuses with: %s', (message, sweep) => {
    expect(refusal(sweep)).toBe(message)
  })

  it("refuses a trial's bad run config, naming the parameter that set it and the trial", () => {
    expect(refusal({ ...ok, parameters: { 'training.optimizer.learningrate': [0.1] } })).toBe(
      'sweep.json: parameters["training.optimizer.learningrate"]: in trial 1 (training.optimizer.learningrate=0.1), training.optimizer.learningrate: unknown key (did you mean "learningRate"?)'
    )
    expect(refusal({ ...ok, parameters: { 'model.layers.0.units': [4, -1] } })).toBe(
      'sweep.json: parameters["model.layers.0.units"]: in trial 2 (model.layers.0.units=-1), model.layers[0].units: must be a positive integer, got -1'
    )
    expect(refusal({ ...ok, parameters: { 'model.layers.3.units': [4] } })).toBe(
      'sweep.json: parameters["model.layers.3.units"]: model.layers has 2 items in this trial, so there is no index 3'
    )
    expect(
      refusal({
        base: { ...base(), training: { optimizer: 'adam' } },
        parameters: { 'training.optimizer.learningRate': [0.1] }
      })
    ).toBe(
      'sweep.json: parameters["training.optimizer.learningRate"]: training.optimizer is "adam" in this trial, not an object (write it as {"type": "adam"})'
    )
    // A misspelt key in a parameter's path (the base has no such key) is the parameter's fault.
    expect(refusal({ ...ok, parameters: { 'training.optimizr.type': ['adam', 'rmsprop'] } })).toBe(
      'sweep.json: parameters["training.optimizr.type"]: in trial 1 (training.optimizr.type=adam), training.optimizr: unknown key (did you mean "optimizer"?)'
    )
    // A base key at fault is named in the base.
    expect(refusal({ ...ok, base: { ...base(), training: { epochs: 0 } } })).toBe(
      'sweep.json: base.training.epochs: must be a positive integer, got 0 (in trial 1 (model.layers.0.units=4))'
    )
  })

  it('refuses a grid whose parameter changes nothing (two trials would train the same config)', () => {
    expect(
      refusal({
        base: base(),
        parameters: {
          'model.layers.0': {
            alternatives: {
              forward: { type: 'lstm', units: 4 },
              bidirectional: { type: 'bidirectional', sharedWeights: '$shared', layer: { type: 'lstm', units: 4 } }
            }
          },
          // Shared weights only mean something for a bidirectional layer: forward would be trained twice.
          $shared: [false, true]
        }
      })
    ).toBe(
      'sweep.json: parameters: trials 1 (model.layers.0=forward, $shared=false) and 2 (model.layers.0=forward, $shared=true) would train the same run config: a parameter changes nothing there'
    )
  })

  it('refuses a grid larger than a sweep holds', () => {
    const many = Array.from({ length: 101 }, (_, i) => i + 1)
    expect(refusal({ base: base(), parameters: { 'model.layers.0.units': many, 'training.batchSize': many } })).toBe(
      'sweep.json: parameters: 10,201 trials; a sweep holds at most 10,000'
    )
  })
})

describe('the median rule', () => {
  const pruner: MedianPrunerConfig = { type: 'median', warmupTrials: 3, warmupEpochs: 1, minTrials: 1 }
  // val_accuracy per epoch of four completed trials; trial D stopped early after 2 epochs.
  const completed = [
    [0.5, 0.7, 0.6, 0.8], // A: best so far 0.5, 0.7, 0.7, 0.8
    [0.6, 0.65, 0.75, 0.7], // B: 0.6, 0.65, 0.75, 0.75
    [0.4, 0.5, 0.55, 0.9], // C: 0.4, 0.5, 0.55, 0.9
    [0.7, 0.72] // D: 0.7, 0.72
  ]

  it('stops a trial whose best so far is below the median of the earlier trials at that epoch (max)', () => {
    // Epoch 2: best-so-far of A, B, C, D = 0.7, 0.65, 0.5, 0.72 → median (0.65 + 0.7) / 2 = 0.675.
    expect(medianDecision(pruner, 'max', [0.6, 0.66], 2, completed)).toEqual({
      prune: true,
      best: 0.66,
      median: 0.675,
      compared: 4
    })
    // Its best so far (0.68) is above the median: kept.
    expect(medianDecision(pruner, 'max', [0.68, 0.6], 2, completed)).toMatchObject({ prune: false, median: 0.675 })
    // Epoch 3: D did not reach it; A, B, C = 0.7, 0.75, 0.55 → median 0.7. Best so far 0.69 < 0.7: stopped.
    expect(medianDecision(pruner, 'max', [0.6, 0.66, 0.69], 3, completed)).toEqual({
      prune: true,
      best: 0.69,
      median: 0.7,
      compared: 3
    })
    // Equal to the median is not worse.
    expect(medianDecision(pruner, 'max', [0.6, 0.7, 0.65], 3, completed).prune).toBe(false)
  })

  it('for a loss, worse means higher', () => {
    const losses = [
      [1.0, 0.8],
      [1.2, 0.9],
      [0.9, 0.95]
    ]
    // Epoch 2 best-so-far: 0.8, 0.9, 0.9 → median 0.9.
    expect(medianDecision(pruner, 'min', [1.1, 0.95], 2, losses)).toMatchObject({ prune: true, median: 0.9 })
    expect(medianDecision(pruner, 'min', [1.1, 0.85], 2, losses)).toMatchObject({ prune: false, median: 0.9 })
  })

  it('waits for the warm-up trials, the warm-up epochs and enough trials at the epoch', () => {
    const bad = [0.1, 0.1, 0.1, 0.1]
    expect(medianDecision(pruner, 'max', bad, 2, completed.slice(0, 2)).prune).toBe(false) // 2 < 3 trials
    expect(medianDecision(pruner, 'max', bad, 1, completed).prune).toBe(false) // epoch 1 is warm-up
    expect(medianDecision({ ...pruner, warmupEpochs: 0 }, 'max', bad, 1, completed).prune).toBe(true)
    expect(medianDecision({ ...pruner, minTrials: 4 }, 'max', bad, 3, completed)).toMatchObject({
      prune: false,
      compared: 3
    })
    expect(medianDecision({ ...pruner, warmupTrials: 0 }, 'max', bad, 2, []).prune).toBe(false) // none to compare
  })
})
