// The Sweeps pages' pure parts: the per-parameter summary, the parallel-coordinates axes, the check of a sweep config
// typed in the page (its errors naming the key, JSON errors their line and column), the line colours and how long
// ago a worker's heartbeat was.
import { describe, expect, it } from 'vitest'
import type { SweepDetail, SweepTrial } from '../../common/contract'
import { normalizeSweepConfig } from '../../common/sweep'
import { jsonErrorOffset, linePlace } from '../../renderer/src/lib/jsonPlace'
import {
  bestTrial,
  checkSweepText,
  heartbeatAge,
  mixColors,
  parameterSummary,
  pcpData,
  pickColor,
  sweepParameters,
  wrapLabel
} from '../../renderer/src/lib/sweeps'
import seedMatrix from '../../examples/sweeps/seed-matrix.json'

const base = {
  dataset: { source: 'mnist-sample', limit: 600 },
  model: {
    layers: [
      { type: 'gru', units: 8 },
      { type: 'dense', units: 10, activation: 'softmax' }
    ]
  },
  training: { epochs: 2 }
}

function trial(n: number, params: Record<string, unknown>, objective: number | null): SweepTrial {
  return {
    trial: n,
    runId: 100 + n,
    params,
    repeat: 0,
    seed: 42,
    state: objective === null ? 'queued' : 'completed',
    epochsDone: objective === null ? 0 : 2,
    epochsPlanned: 2,
    objective,
    stopReason: null,
    error: null,
    attempts: objective === null ? 0 : 1
  }
}

function detail(config: unknown, trials: SweepTrial[], objective: 'val_accuracy' | 'val_loss' = 'val_accuracy') {
  return { config, trialList: trials, objective } as Pick<SweepDetail, 'config' | 'trialList' | 'objective'>
}

describe('per-parameter summary', () => {
  const sweep = normalizeSweepConfig({
    base: { ...base, model: { layers: [{ type: '$cell', units: 8 }, base.model.layers[1]] } },
    parameters: { $cell: ['lstm', 'gru'], 'training.optimizer.learningRate': [0.01, 0.001] }
  })
  const trials = [
    trial(1, { $cell: 'lstm', 'training.optimizer.learningRate': 0.01 }, 0.5),
    trial(2, { $cell: 'lstm', 'training.optimizer.learningRate': 0.001 }, 0.7),
    trial(3, { $cell: 'gru', 'training.optimizer.learningRate': 0.01 }, 0.9),
    trial(4, { $cell: 'gru', 'training.optimizer.learningRate': 0.001 }, null)
  ]

  it('gives each value its trials, and the mean and best over those with an objective', () => {
    const params = sweepParameters(detail(sweep, trials))
    expect(params.map((p) => [p.key, p.kind, p.values])).toEqual([
      ['$cell', 'values', ['lstm', 'gru']],
      ['training.optimizer.learningRate', 'values', [0.01, 0.001]]
    ])
    const s = parameterSummary(trials, params, 'max')
    expect(s[0].values.map((v) => [v.text, v.trials, v.scored, v.mean, v.best, v.bestTrial])).toEqual([
      ['lstm', 2, 2, 0.6, 0.7, 2],
      ['gru', 2, 1, 0.9, 0.9, 3]
    ])
    expect(s[1].values.map((v) => [v.text, v.trials, v.mean, v.best])).toEqual([
      ['0.01', 2, 0.7, 0.9],
      ['0.001', 1 + 1, 0.7, 0.7]
    ])
    // Minimized (val_loss), the best is the lowest.
    expect(parameterSummary(trials, params, 'min')[0].values.map((v) => v.best)).toEqual([0.5, 0.9])
    expect(bestTrial(trials, 'max')?.trial).toBe(3)
    expect(bestTrial(trials, 'min')?.trial).toBe(1)
  })

  it('orders numbers ascending when the config is not there to give the order', () => {
    const list = [trial(1, { x: 64 }, 0.1), trial(2, { x: 8 }, 0.2), trial(3, { x: 32 }, 0.3)]
    const params = sweepParameters(detail(null, list))
    expect(parameterSummary(list, params, 'max')[0].values.map((v) => v.text)).toEqual(['8', '32', '64'])
  })
})

describe('parallel coordinates', () => {
  it('draws lists and alternatives as categories, ranges as numbers (log ones on a log axis), then the objective', () => {
    const sweep = normalizeSweepConfig({
      base,
      method: 'random',
      trials: 3,
      parameters: {
        'training.optimizer.learningRate': { distribution: 'loguniform', min: 0.0001, max: 0.1 },
        'training.batchSize': [32, 64],
        'model.layers.0.units': { range: 'linear', min: 4, max: 12, steps: 3 }
      }
    })
    const trials = [
      trial(1, { 'training.optimizer.learningRate': 0.001, 'training.batchSize': 64, 'model.layers.0.units': 8 }, 0.8),
      trial(2, { 'training.optimizer.learningRate': 0.01, 'training.batchSize': 32, 'model.layers.0.units': 4 }, null),
      trial(3, { 'training.optimizer.learningRate': 0.05, 'training.batchSize': 32, 'model.layers.0.units': 12 }, 0.6)
    ]
    const { trials: drawn, axes } = pcpData(detail(sweep, trials))
    expect(drawn.map((t) => t.trial)).toEqual([1, 3])
    expect(axes.map((a) => [a.key, a.scale, a.categories, a.values])).toEqual([
      ['training.optimizer.learningRate', 'log', [], [0.001, 0.05]],
      ['training.batchSize', 'category', ['32', '64'], [1, 0]],
      ['model.layers.0.units', 'linear', [], [8, 12]],
      ['val_accuracy', 'linear', [], [0.8, 0.6]]
    ])
  })

  it("names the seed matrix's stacks on its category axis, in the config's order", () => {
    const sweep = normalizeSweepConfig(seedMatrix)
    const trials = [trial(1, { $cell: 'gru', 'model.layers': 'bidirectional x2' }, 0.9)]
    const axes = pcpData(detail(sweep, trials)).axes
    expect(axes[0].categories).toEqual(['simple_rnn', 'lstm', 'gru'])
    expect(axes[1].categories).toHaveLength(9)
    expect(axes[1].categories[0]).toBe('forward x1')
    expect(axes.map((a) => a.values)).toEqual([[2], [4], [0.9]])
  })
})

describe('the sweep config typed in the page', () => {
  it('describes a good one: its trials, how they are picked, the objective and the pruner', () => {
    const c = checkSweepText(JSON.stringify(seedMatrix), 'seed-matrix.json')
    expect(c.ok && c.trials).toBe(27)
    expect(c.ok && c.description).toBe(
      '27 trials: grid over $cell (3) × model.layers (9); objective val_accuracy (max); median pruner after 5 trials and 1 epochs'
    )
  })

  it('names the key at fault', () => {
    const bad = checkSweepText(JSON.stringify({ base, parameters: { 'training.batchSize': [32] }, methd: 'grid' }))
    expect(bad).toEqual({
      ok: false,
      error: 'sweep.json: methd: unknown key (did you mean "method"?)',
      path: 'methd'
    })
    const trialBad = checkSweepText(JSON.stringify({ base, parameters: { 'model.layers.0.units': [8, 0] } }))
    expect(!trialBad.ok && trialBad.path).toBe('parameters["model.layers.0.units"]')
    expect(!trialBad.ok && trialBad.error).toMatch(/in trial 2 \(model\.layers\.0\.units=0\)/)
  })

  it('gives the line and column of a JSON error', () => {
    const c = checkSweepText('{ "name": "x",\n  "base": }')
    expect(!c.ok && c.error).toMatch(/^sweep\.json: not valid JSON: line 2 column 11: /)
    expect(checkSweepText('  ')).toEqual({
      ok: false,
      error: 'Paste a sweep config, load a file or pick the preset.',
      path: null
    })
  })

  it('finds where JSON goes wrong, or null when it is valid', () => {
    for (const good of ['{}', '[1, -2.5e3, "a\\n\\u00e9", true, false, null]', ' {"a": {"b": []}} '])
      expect(jsonErrorOffset(good)).toBeNull()
    expect(jsonErrorOffset('{"a": 1,}')).toBe(8)
    expect(jsonErrorOffset('{"a" 1}')).toBe(5)
    expect(jsonErrorOffset('[01]')).toBe(2)
    expect(jsonErrorOffset('{"a": tru}')).toBe(6)
    expect(jsonErrorOffset('{"a": "b')).toBe(8)
    expect(jsonErrorOffset('{} x')).toBe(3)
    expect(linePlace('ab\ncd', 4)).toBe('line 2 column 2')
  })
})

describe('axis names', () => {
  it('break after their dots into lines of about 16 characters', () => {
    expect(wrapLabel('training.optimizer.learningRate')).toEqual(['training.', 'optimizer.', 'learningRate'])
    expect(wrapLabel('model.layers')).toEqual(['model.layers'])
    expect(wrapLabel('$cell')).toEqual(['$cell'])
  })
})

describe('line colours', () => {
  it('mixes two hex colours', () => {
    expect(mixColors('#000000', '#ffffff', 0.5)).toBe('#808080')
    expect(mixColors('#f00', '#00f', 0)).toBe('#ff0000')
    expect(mixColors('#f00', '#00f', 2)).toBe('#0000ff')
    expect(mixColors('red', '#00f', 0.5)).toBe('red')
  })

  it('gives picked trials the compare colours other than green (the best) and blue (the other lines)', () => {
    const colors = Array.from({ length: 7 }, (_, i) => pickColor(i))
    expect(new Set(colors).size).toBe(7)
    expect(colors).not.toContain('#2a9d5b')
    expect(colors).not.toContain('#2f6fde')
    expect(pickColor(7)).toBe(colors[0])
  })
})

describe("a worker's last heartbeat", () => {
  it('reads as seconds, minutes or hours ago; a time ahead of this clock (clocks apart) as just now', () => {
    const at = '2026-12-02T14:00:00.000Z'
    const t = Date.parse(at)
    expect(heartbeatAge(at, t + 3_400)).toBe('3 s ago')
    expect(heartbeatAge(at, t + 59_999)).toBe('59 s ago')
    expect(heartbeatAge(at, t + 150_000)).toBe('2 min ago')
    expect(heartbeatAge(at, t + 5 * 3_600_000 + 1)).toBe('5 h ago')
    expect(heartbeatAge(at, t + 400)).toBe('just now')
    expect(heartbeatAge(at, t - 2_000)).toBe('just now')
    expect(heartbeatAge('not a time', t)).toBe('—')
    expect(heartbeatAge(at, t + 3 * 86_400_000)).not.toMatch(/ago/)
  })
})
