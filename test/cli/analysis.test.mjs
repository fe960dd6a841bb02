// The analyses from a terminal: confusion matrix, prefix accuracy and the diff of two runs, as text and as --json.
import { afterAll, beforeAll, test } from 'vitest'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const bin = join(root, 'bin', 'rnnlab.js')
const home = mkdtempSync(join(tmpdir(), 'rnnlab-analysis-'))
const env = { ...process.env, RNNLAB_HOME: home }
const rnnlab = (...args) => spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8' })
const json = (r) => {
  assert.equal(r.status, 0, r.stderr)
  return JSON.parse(r.stdout)
}
afterAll(() => rmSync(home, { recursive: true, force: true }))

function train(name, limit, seed) {
  const file = join(home, `${name}.json`)
  writeFileSync(
    file,
    JSON.stringify({
      name,
      dataset: { source: 'mnist-sample', limit },
      model: {
        layers: [
          { type: 'simple_rnn', units: 12 },
          { type: 'dense', units: 10, activation: 'softmax' }
        ]
      },
      training: { batchSize: 32, epochs: 2, seed }
    })
  )
  const r = rnnlab('train', file)
  assert.equal(r.status, 0, r.stderr)
  return r.stdout.trim()
}

let a, b, other
beforeAll(() => {
  a = train('cli-a', 300, 1)
  b = train('cli-b', 300, 2)
  other = train('cli-other', 400, 1)
}, 120_000)

test(
  'confusion: the matrix sums to the validation size, its diagonal to the recorded accuracy',
  { timeout: 60_000 },
  () => {
    const shown = json(rnnlab('show', a, '--json'))
    const report = json(rnnlab('confusion', a, '--checkpoint', 'last', '--json'))
    assert.equal(report.size, 60)
    assert.equal(report.checkpoint, 'last')
    assert.equal(
      report.matrix.flat().reduce((x, y) => x + y, 0),
      60
    )
    const diagonal = report.matrix.reduce((x, row, i) => x + row[i], 0)
    const recorded = shown.epochs.find((e) => e.epoch === report.epoch).valAccuracy
    assert.equal(diagonal, Math.round(recorded * 60))
    assert.equal(report.errors.length, 60 - diagonal)

    const text = rnnlab('confusion', `name:cli-a`)
    assert.equal(text.status, 0, text.stderr)
    assert.match(
      text.stdout,
      new RegExp(`Run ${a} \\(best checkpoint, epoch \\d\\): ${diagonal} of 60 validation samples right`)
    )
    assert.match(text.stdout, /TRUE \\ PREDICTED/)
    assert.match(text.stdout, new RegExp(`Misclassified: ${60 - diagonal}`))

    const bad = rnnlab('confusion', a, '--checkpoint', 'first')
    assert.equal(bad.status, 2)
    assert.equal(bad.stderr.trim(), 'rnnlab: --checkpoint: expected best or last, got first')
    const unknown = rnnlab('confusion', a, '--checkpoints', 'best')
    assert.equal(unknown.status, 2)
    assert.match(unknown.stderr, /unknown option --checkpoints \(did you mean --checkpoint\?\)/)
  }
)

test('prefix: k = T is the validation accuracy; the curve is kept with the run', { timeout: 60_000 }, () => {
  const shown = json(rnnlab('show', a, '--json'))
  const curve = json(rnnlab('prefix', a, '--json'))
  assert.equal(curve.timeSteps, 28)
  assert.equal(curve.first.length, 28)
  assert.equal(curve.last.length, 28)
  const recorded = shown.epochs.find((e) => e.epoch === curve.epoch).valAccuracy
  assert.ok(Math.abs(curve.first[27] - recorded) < 1e-6, `${curve.first[27]} against ${recorded}`)
  assert.equal(curve.last[27], curve.first[27])
  const text = rnnlab('prefix', a)
  assert.equal(text.status, 0, text.stderr)
  // Read from the run, not computed again.
  assert.match(text.stdout, /accuracy given only the first k or the last k of 28 steps/)
  assert.equal(text.stdout.trim().split('\n').length, 1 + 2 + 28)
  assert.deepEqual(json(rnnlab('prefix', a, '--json')), curve)
  assert.notEqual(json(rnnlab('prefix', a, '--recompute', '--json')).createdAt, curve.createdAt)
})

test('diff: the samples each run alone gets right; runs on other data are refused', { timeout: 60_000 }, () => {
  const d = json(rnnlab('diff', a, b, '--json'))
  assert.equal(d.size, 60)
  assert.equal(d.onlyA.length - d.onlyB.length, Math.round((d.a.accuracy - d.b.accuracy) * 60))
  for (const s of d.onlyA) assert.ok(s.a === s.label && s.b !== s.label)
  for (const s of d.onlyB) assert.ok(s.b === s.label && s.a !== s.label)
  // The changed cells move as many samples out of some cells as into others.
  assert.equal(
    d.changedCells.reduce((x, c) => x + c.b - c.a, 0),
    0
  )
  const text = rnnlab('diff', a, b)
  assert.equal(text.status, 0, text.stderr)
  assert.match(text.stdout, new RegExp(`Right in run ${a}, wrong in run ${b}: ${d.onlyA.length}`))

  const refused = rnnlab('diff', a, other)
  assert.equal(refused.status, 1)
  assert.equal(refused.stderr.trim().split('\n').length, 1)
  assert.match(refused.stderr, new RegExp(`runs ${a} and ${other} do not share their validation data`))
  const usage = rnnlab('diff', a)
  assert.equal(usage.status, 2)
  assert.match(usage.stderr, /usage: rnnlab diff <runA> <runB>/)
})
