// `rnnlab sweep add`: more trials for a sweep that has finished. A grid takes extra values per parameter (the new
// grid points only, none repeating a trial's parameter set), a random sweep N more draws; the finished sweep resumes,
// runs the new trials to the end, and keeps the ones it had.
import { afterAll, test } from 'vitest'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const bin = join(root, 'bin', 'rnnlab.js')
const Database = createRequire(import.meta.url)('better-sqlite3')
const home = mkdtempSync(join(tmpdir(), 'rnnlab-sweep-add-'))
afterAll(() => rmSync(home, { recursive: true, force: true }))

const base = {
  dataset: { source: 'mnist-sample', limit: 300 },
  model: {
    layers: [
      { type: 'gru', units: 6 },
      { type: 'dense', units: 10, activation: 'softmax' }
    ]
  },
  training: { optimizer: { type: 'adam', learningRate: 0.01 }, batchSize: 32, epochs: 1, seed: 3 }
}

function file(name, content) {
  const path = join(home, name)
  writeFileSync(path, JSON.stringify(content))
  return path
}

/** `rnnlab ...args --json`: its exit code, JSON lines and stderr. */
function rnnlab(db, ...args) {
  const r = spawnSync(process.execPath, [bin, ...args, '--db', db, '--json'], {
    env: { ...process.env, RNNLAB_HOME: home },
    encoding: 'utf8',
    timeout: 240_000
  })
  const lines = r.stdout
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l))
  return { code: r.status, events: lines, stderr: r.stderr }
}

function trialsOf(db) {
  const d = new Database(db, { readonly: true, fileMustExist: true })
  try {
    return d
      .prepare(
        `SELECT t.trial, t.params_json, t.repeat, t.outcome, t.attempts, r.status, r.name,
                (SELECT COUNT(*) FROM epoch_metrics e WHERE e.run_id = t.run_id) AS epochs
         FROM sweep_trials t JOIN runs r ON r.id = t.run_id ORDER BY t.trial`
      )
      .all()
  } finally {
    d.close()
  }
}

test(
  'adds grid points to a finished sweep: the new ones only, run to the end, the old ones kept',
  { timeout: 600_000 },
  () => {
    const db = join(home, 'grid.db')
    const sweep = file('grid.json', {
      name: 'grid',
      base,
      parameters: { 'model.layers.0.type': ['gru'], 'model.layers.0.units': [6, 10] }
    })
    let r = rnnlab(db, 'sweep', sweep, '--parallel', '1', '--threads-per-trial', '1')
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.events.at(-1).status, 'completed')
    const before = trialsOf(db)
    assert.equal(before.length, 2)

    // lstm × {6, 10, 14} and gru × 14 are new; 10 is already a value, gru × {6, 10} already trials.
    const values = file('more.json', { 'model.layers.0.type': ['lstm'], 'model.layers.0.units': [10, 14] })
    r = rnnlab(db, 'sweep', 'add', '1', values, '--parallel', '2', '--threads-per-trial', '1')
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(r.events[0], { event: 'added', sweepId: 1, trials: [3, 4, 5, 6], resumed: true })
    const finished = r.events.at(-1)
    assert.equal(finished.event, 'finished')
    assert.equal(finished.status, 'completed')
    assert.equal(finished.counts.completed, 6)

    const after = trialsOf(db)
    assert.equal(after.length, 6)
    // The first two are as they were: one start, one epoch.
    assert.deepEqual(after.slice(0, 2), before)
    for (const t of after) {
      assert.equal(t.outcome, 'completed')
      assert.equal(t.epochs, 1)
      assert.equal(t.attempts, 1)
    }
    assert.deepEqual(
      after.map((t) => t.name),
      ['grid #1', 'grid #2', 'grid #3', 'grid #4', 'grid #5', 'grid #6']
    )
    const sets = after.map((t) => t.params_json)
    assert.equal(new Set(sets).size, 6, `a parameter set twice: ${sets.join(' ')}`)
    assert.deepEqual(
      sets.slice(2).map((s) => JSON.parse(s)),
      [
        { 'model.layers.0.type': 'gru', 'model.layers.0.units': 14 },
        { 'model.layers.0.type': 'lstm', 'model.layers.0.units': 6 },
        { 'model.layers.0.type': 'lstm', 'model.layers.0.units': 10 },
        { 'model.layers.0.type': 'lstm', 'model.layers.0.units': 14 }
      ]
    )
    const show = spawnSync(process.execPath, [bin, 'sweep', 'show', '1', '--db', db, '--json'], {
      env: { ...process.env, RNNLAB_HOME: home },
      encoding: 'utf8'
    })
    assert.equal(show.status, 0, show.stderr)
    const detail = JSON.parse(show.stdout)
    assert.equal(detail.status, 'completed')
    assert.equal(detail.trials, 6)
    assert.deepEqual(detail.config.parameters[1].values, { kind: 'values', values: [6, 10, 14] })

    // The same values again add nothing: refused, naming why; nothing changes.
    r = rnnlab(db, 'sweep', 'add', '1', values)
    assert.equal(r.code, 1)
    assert.match(r.stderr, /values: adds no new parameter set: every combination is already a trial of the sweep/)
    assert.equal(trialsOf(db).length, 6)
    // A grid takes values, not a count.
    r = rnnlab(db, 'sweep', 'add', '1', '--trials', '2')
    assert.equal(r.code, 1)
    assert.match(r.stderr, /a grid sweep takes extra values per parameter/)
  }
)

test('adds draws to a finished random sweep, continuing its seed', { timeout: 600_000 }, () => {
  const db = join(home, 'random.db')
  const sweep = file('random.json', {
    name: 'rand',
    base,
    method: 'random',
    trials: 2,
    seed: 5,
    parameters: {
      'training.optimizer.learningRate': { distribution: 'loguniform', min: 0.001, max: 0.05 },
      'model.layers.0.units': { distribution: 'int', min: 4, max: 12, step: 2 }
    }
  })
  let r = rnnlab(db, 'sweep', sweep, '--parallel', '2', '--threads-per-trial', '1')
  assert.equal(r.code, 0, r.stderr)
  r = rnnlab(db, 'sweep', 'add', '1', '--trials', '2', '--parallel', '2', '--threads-per-trial', '1')
  assert.equal(r.code, 0, r.stderr)
  assert.deepEqual(r.events[0], { event: 'added', sweepId: 1, trials: [3, 4], resumed: true })
  assert.equal(r.events.at(-1).status, 'completed')
  assert.equal(r.events.at(-1).counts.completed, 4)
  const trials = trialsOf(db)
  assert.equal(trials.length, 4)
  assert.equal(new Set(trials.map((t) => t.params_json)).size, 4)
  for (const t of trials) assert.equal(t.outcome, 'completed')
})

test('sweep add: usage errors are one line', () => {
  const db = join(home, 'usage.db')
  let r = rnnlab(db, 'sweep', 'add', '1')
  assert.equal(r.code, 2)
  assert.match(r.stderr, /takes a values file .* or --trials N/)
  r = rnnlab(db, 'sweep', 'add', '7', '--trials', '2')
  assert.equal(r.code, 1)
  assert.match(r.stderr, /sweep 7 not found/)
})
