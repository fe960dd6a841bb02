// `rnnlab inspect` on a tiny trained run: the inspection pass runs in the worker process and answers with every
// state, cell state and gate of one validation sample (--json), or a summary per layer and direction; bad requests
// end with one line naming the option.
import { afterAll, beforeAll, expect, test } from 'vitest'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const bin = join(root, 'bin', 'rnnlab.js')
const home = mkdtempSync(join(tmpdir(), 'rnnlab-inspect-'))
const env = { ...process.env, RNNLAB_HOME: home }
const rnnlab = (...args) => spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8' })
afterAll(() => rmSync(home, { recursive: true, force: true }))

let runId
beforeAll(() => {
  const file = join(home, 'tiny.json')
  writeFileSync(
    file,
    JSON.stringify({
      name: 'tiny',
      dataset: { source: 'mnist-sample', limit: 300, validationSplit: 0.2 },
      model: {
        layers: [
          { type: 'bidirectional', layer: { type: 'lstm', units: 8, returnSequences: true } },
          { type: 'gru', units: 6 },
          { type: 'dense', units: 10, activation: 'softmax' }
        ]
      },
      training: { epochs: 2, batchSize: 32, seed: 1 }
    })
  )
  const trained = rnnlab('train', file)
  expect(trained.status, trained.stderr).toBe(0)
  runId = trained.stdout.trim().split('\n').pop()
}, 120_000)

const close = (a, b) => Math.abs(a - b) < 1e-5

test('--json: every state per step, labelled, and consistent with the cells’ own equations', () => {
  const run = rnnlab('inspect', runId, '--sample', '5', '--json')
  expect(run.status, run.stderr).toBe(0)
  const r = JSON.parse(run.stdout)
  expect(r).toMatchObject({
    checkpoint: 'best',
    split: 'validation',
    sample: 5,
    total: 60,
    timeSteps: 28,
    features: 28
  })
  expect(r.label).toBeTypeOf('number')
  expect(r.layers.map((l) => [l.layer, l.cell, l.units, l.directions.map((d) => d.direction)])).toEqual([
    [0, 'lstm', 8, ['forward', 'backward']],
    [1, 'gru', 6, ['forward']]
  ])
  const [lstm, gru] = r.layers
  for (const d of lstm.directions) {
    expect(d.gates.map((g) => g.name)).toEqual(['i', 'o', 'f', 'c'])
    expect(d.h).toHaveLength(28)
    expect(d.h[0]).toHaveLength(8)
    const gate = Object.fromEntries(d.gates.map((g) => [g.name, g.values]))
    // h_t = o_t · tanh(c_t), and c_t = f_t · c_{t-1} + i_t · c̃_t, the previous step being t-1 forward, t+1 backward
    for (let t = 0; t < 28; t++)
      for (let j = 0; j < 8; j++) {
        expect(close(d.h[t][j], gate.o[t][j] * Math.tanh(d.c[t][j]))).toBe(true)
        const prev = d.direction === 'forward' ? t - 1 : t + 1
        const cPrev = prev >= 0 && prev < 28 ? d.c[prev][j] : 0
        expect(close(d.c[t][j], gate.f[t][j] * cPrev + gate.i[t][j] * gate.c[t][j])).toBe(true)
      }
  }
  // GRU: h_t = (1 - z_t) · h̃_t + z_t · h_{t-1}
  const g = gru.directions[0]
  const gate = Object.fromEntries(g.gates.map((x) => [x.name, x.values]))
  expect(Object.keys(gate)).toEqual(['z', 'r', 'h'])
  for (let t = 0; t < 28; t++)
    for (let j = 0; j < 6; j++)
      expect(close(g.h[t][j], (1 - gate.z[t][j]) * gate.h[t][j] + gate.z[t][j] * (t ? g.h[t - 1][j] : 0))).toBe(true)
  // The head: one row of class probabilities.
  expect(r.output.perStep).toBe(false)
  expect(r.output.values).toHaveLength(1)
  expect(r.output.values[0].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5)
}, 60_000)

test('the summary: one row per layer and direction; --checkpoint last', () => {
  const run = rnnlab('inspect', runId, '--sample', '0', '--checkpoint', 'last')
  expect(run.status, run.stderr).toBe(0)
  expect(run.stdout).toMatch(
    /^Run \d+, last checkpoint \(epoch 2\): validation sample 0 of 60, label \d; predicted \d \(/
  )
  expect(run.stdout).toMatch(/\n +0 +LSTM\(8\) +forward .* i \d\.\d\d \(\d+%\/\d+%\) +o .* f .* c̃ /)
  expect(run.stdout).toMatch(/\n +0 +LSTM\(8\) +backward /)
  expect(run.stdout).toMatch(/\n +1 +GRU\(6\) +forward .* z .* r .* h̃ /)
}, 60_000)

test('bad requests end with one line naming what is wrong', () => {
  const cases = [
    [
      ['--sample', '60'],
      1,
      `rnnlab: sample: 60 is past the end of run ${runId}'s validation set (60 samples, 0 to 59)`
    ],
    [['--sample=-1'], 2, 'rnnlab: --sample: expected a sample index (0, 1, 2, …), got -1'],
    [[], 2, 'rnnlab: --sample: give the index of a validation sample (0 is the first)'],
    [['--sample', '1', '--checkpoint', 'worst'], 2, 'rnnlab: --checkpoint: expected best or last, got worst']
  ]
  for (const [args, status, message] of cases) {
    const run = rnnlab('inspect', runId, ...args)
    expect([run.status, run.stderr.trim()]).toEqual([status, message])
  }
  const missing = rnnlab('inspect', '999', '--sample', '0')
  expect([missing.status, missing.stderr.trim()]).toEqual([1, 'rnnlab: run 999 not found'])
}, 60_000)

test('--trace: a unit’s h_t over the samples where it is most active, ranked by mean |h_t|', () => {
  const run = rnnlab('inspect', runId, '--sample', '3', '--trace', '0:backward:2', '--json')
  expect(run.status, run.stderr).toBe(0)
  const r = JSON.parse(run.stdout)
  const t = r.trace
  expect(t).toMatchObject({ layer: 0, direction: 'backward', unit: 2, searched: 60 })
  expect(t.samples.length).toBe(50)
  const T = r.timeSteps
  const mean = (values) => values.reduce((a, v) => a + Math.abs(v), 0) / values.length
  // Most active first; each activity is its trace's mean |h_t|.
  for (let i = 0; i < 50; i++) {
    expect(t.samples[i].values.length).toBe(T)
    expect(close(t.samples[i].activity, mean(t.samples[i].values))).toBe(true)
    if (i > 0) expect(t.samples[i].activity).toBeLessThanOrEqual(t.samples[i - 1].activity)
  }
  expect(new Set(t.samples.map((s) => s.index)).size).toBe(50)
  // This sample's own line is its inspected h_t of that unit.
  const own = r.layers[0].directions[1].h.map((row) => row[2])
  expect(t.current.values.every((v, i) => close(v, own[i]))).toBe(true)
  if (t.current.rank !== null && t.current.rank <= 50) expect(t.samples[t.current.rank - 1].index).toBe(3)
  // The most active sample's line is what inspecting that sample gives; a sample left out is no more active.
  const top = JSON.parse(rnnlab('inspect', runId, '--sample', String(t.samples[0].index), '--json').stdout)
  expect(t.samples[0].values.every((v, i) => close(v, top.layers[0].directions[1].h[i][2]))).toBe(true)
  const outside = [...Array(60).keys()].find((i) => !t.samples.some((s) => s.index === i))
  const left = JSON.parse(rnnlab('inspect', runId, '--sample', String(outside), '--json').stdout)
  expect(mean(left.layers[0].directions[1].h.map((row) => row[2]))).toBeLessThanOrEqual(t.samples[49].activity + 1e-6)

  const text = rnnlab('inspect', runId, '--sample', '3', '--trace', '0:backward:2')
  expect(text.status, text.stderr).toBe(0)
  expect(text.stdout).toMatch(/Unit 2 of layer 0, backward: the 50 most active of the first 60 samples by mean \|h_t\|/)

  const noDirection = rnnlab('inspect', runId, '--sample', '3', '--trace', '1:backward:0')
  expect(noDirection.status).toBe(1)
  expect(noDirection.stderr.trim()).toMatch(/trace\.direction: layer 1 has no backward direction$/)
  const pastUnits = rnnlab('inspect', runId, '--sample', '3', '--trace', '0:forward:8')
  expect(pastUnits.stderr.trim()).toMatch(/trace\.unit: 8 is past layer 0's 8 units \(0 to 7\)$/)
  const bad = rnnlab('inspect', runId, '--sample', '3', '--trace', 'first')
  expect(bad.status).toBe(2)
  expect(bad.stderr.trim()).toBe('rnnlab: --trace: expected LAYER:forward|backward:UNIT (e.g. 0:forward:7), got first')
}, 180_000) // five command lines, each starting a worker that loads the data: about 60 s on a loaded machine
