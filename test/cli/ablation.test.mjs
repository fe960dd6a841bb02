// `rnnlab ablation`: a small trained model with two bidirectional layers (concat per step, then sum) gives the intact
// row (the checkpoint's recorded validation accuracy and loss) and 2 rows a bidirectional layer; a model without one
// gives the intact row alone; as text and as --json.
import { afterAll, beforeAll, test } from 'vitest'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const bin = join(root, 'bin', 'rnnlab.js')
const home = mkdtempSync(join(tmpdir(), 'rnnlab-ablation-'))
const env = { ...process.env, RNNLAB_HOME: home }
const rnnlab = (...args) => spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8' })
const json = (r) => {
  assert.equal(r.status, 0, r.stderr)
  return JSON.parse(r.stdout)
}
afterAll(() => rmSync(home, { recursive: true, force: true }))

function train(name, layers) {
  const file = join(home, `${name}.json`)
  writeFileSync(
    file,
    JSON.stringify({
      name,
      dataset: { source: 'mnist-sample', limit: 300 },
      model: { layers: [...layers, { type: 'dense', units: 10, activation: 'softmax' }] },
      training: { batchSize: 32, epochs: 2, seed: 3 }
    })
  )
  const r = rnnlab('train', file)
  assert.equal(r.status, 0, r.stderr)
  return r.stdout.trim()
}

let bi, plain
beforeAll(() => {
  bi = train('cli-bi', [
    { type: 'bidirectional', mergeMode: 'concat', layer: { type: 'lstm', units: 8, returnSequences: true } },
    { type: 'dropout', rate: 0.1 },
    { type: 'bidirectional', mergeMode: 'sum', layer: { type: 'gru', units: 8 } }
  ])
  plain = train('cli-plain', [{ type: 'lstm', units: 8 }])
}, 120_000)

test(
  'ablation: the intact row is the recorded val accuracy; 2 rows a bidirectional layer',
  { timeout: 180_000 },
  () => {
    const shown = json(rnnlab('show', bi, '--json'))
    const report = json(rnnlab('ablation', bi, '--checkpoint', 'last', '--json'))
    assert.equal(report.checkpoint, 'last')
    assert.equal(report.size, 60)
    const recorded = shown.epochs.find((e) => e.epoch === report.epoch)
    assert.equal(report.rows.length, 1 + 2 * 2)
    const [intact, ...ablated] = report.rows
    assert.deepEqual([intact.layer, intact.direction, intact.delta], [null, null, 0])
    assert.ok(Math.abs(intact.accuracy - recorded.valAccuracy) < 1e-9, `${intact.accuracy} vs ${recorded.valAccuracy}`)
    assert.ok(
      Math.abs(intact.loss - recorded.valLoss) < 1e-4 * recorded.valLoss,
      `${intact.loss} vs ${recorded.valLoss}`
    )
    assert.equal(report.recordedAccuracy, recorded.valAccuracy)
    assert.deepEqual(
      ablated.map((r) => [r.layer, r.direction, r.mergeMode, r.cell, r.units]),
      [
        [0, 'forward', 'concat', 'lstm', 8],
        [0, 'backward', 'concat', 'lstm', 8],
        [2, 'forward', 'sum', 'gru', 8],
        [2, 'backward', 'sum', 'gru', 8]
      ]
    )
    for (const r of ablated) {
      assert.ok(r.accuracy >= 0 && r.accuracy <= 1)
      // accuracy is a count of the 60 samples; Δ is against the intact row
      assert.ok(Math.abs(r.accuracy * 60 - Math.round(r.accuracy * 60)) < 1e-9)
      assert.ok(Math.abs(r.delta - (r.accuracy - intact.accuracy)) < 1e-12)
      // removing a direction changes what the model computes
      assert.notEqual(r.loss, intact.loss)
    }

    const text = rnnlab('ablation', `name:cli-bi`, '--checkpoint', 'last')
    assert.equal(text.status, 0, text.stderr)
    const lines = text.stdout.trim().split('\n')
    assert.match(lines[0], new RegExp(`^Run ${bi} \\(last checkpoint, epoch \\d\\), 60 validation samples`))
    assert.match(lines[1], /LAYER\s+MERGE\s+REMOVED\s+VAL ACCURACY\s+VAL LOSS\s+Δ VS INTACT/)
    assert.match(lines[2], /^─+/)
    assert.equal(lines.length, 3 + 5)
    assert.match(lines[3], /^intact model\s+none\s+\d+\.\d\d%/)
    assert.match(
      lines[4],
      /^0 \(bidirectional lstm 8\)\s+concat\s+forward\s+\d+\.\d\d%\s+\d\.\d{4}\s+[+−±]\d+\.\d\d pts$/
    )
    assert.match(lines[7], /^2 \(bidirectional gru 8\)\s+sum\s+backward/)
  }
)

test(
  'ablation: a model without a bidirectional layer has the intact row alone; bad arguments are named',
  { timeout: 120_000 },
  () => {
    const report = json(rnnlab('ablation', plain, '--json'))
    assert.equal(report.rows.length, 1)
    assert.equal(report.rows[0].layer, null)
    const text = rnnlab('ablation', plain)
    assert.equal(text.status, 0, text.stderr)
    assert.match(text.stdout, /The model has no bidirectional layer: there is no direction to remove\./)
    const bad = rnnlab('ablation', plain, '--checkpoint', 'first')
    assert.equal(bad.status, 2)
    assert.equal(bad.stderr.trim(), 'rnnlab: --checkpoint: expected best or last, got first')
    const usage = rnnlab('ablation')
    assert.equal(usage.status, 2)
    assert.match(usage.stderr, /usage: rnnlab ablation <run>/)
  }
)
