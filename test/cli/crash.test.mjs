// `rnnlab train` killed with SIGKILL (the CLI and its worker together, as a power cut would) at random moments and at
// the worst ones — inside a checkpoint write and inside a metrics commit: the database stays sound, the run is found
// interrupted on the next start with every finished epoch kept, and `train --resume` carries it to the end.
import { afterAll, test } from 'vitest'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { holdAt } from '../helpers/faults.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const bin = join(root, 'bin', 'rnnlab.js')
const Database = createRequire(import.meta.url)('better-sqlite3')
const home = mkdtempSync(join(tmpdir(), 'rnnlab-crash-'))
const db = join(home, 'rnnlab.db')
const configFile = join(home, 'crash.json')
writeFileSync(
  configFile,
  JSON.stringify({
    name: 'crash',
    dataset: { source: 'mnist-sample', limit: 3000 },
    model: {
      layers: [
        { type: 'bidirectional', layer: { type: 'lstm', units: 24 } },
        { type: 'dense', units: 10, activation: 'softmax' }
      ]
    },
    training: { optimizer: 'adam', batchSize: 32, epochs: 8, seed: 3 }
  })
)
afterAll(() => rmSync(home, { recursive: true, force: true }))

// A small seeded generator, so a failure can be replayed.
let seed = 20261127
const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31

/** Starts `rnnlab train --json` in its own process group and collects its JSON events. */
function startTraining(env = {}, args = [configFile]) {
  const child = spawn(process.execPath, [bin, 'train', ...args, '--json'], {
    env: { ...process.env, RNNLAB_HOME: home, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const events = []
  let buffer = ''
  child.stdout.on('data', (c) => {
    buffer += c
    const lines = buffer.split('\n')
    buffer = lines.pop()
    for (const line of lines) if (line.trim()) events.push({ ...JSON.parse(line), at: Date.now() })
  })
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  return { child, events, exited }
}

function killAll(child) {
  try {
    process.kill(-child.pid, 'SIGKILL')
  } catch {
    // already gone
  }
}

function integrity() {
  const d = new Database(db, { readonly: true })
  try {
    return d.pragma('integrity_check', { simple: true })
  } finally {
    d.close()
  }
}

/** What a user sees next: `rnnlab show --json` (its start marks dead runs interrupted). */
function show(runId) {
  const r = spawnSync(process.execPath, [bin, 'show', String(runId), '--json'], {
    env: { ...process.env, RNNLAB_HOME: home },
    encoding: 'utf8'
  })
  assert.equal(r.status, 0, r.stderr)
  return JSON.parse(r.stdout)
}

function checkpointRows(runId) {
  const d = new Database(db, { readonly: true })
  try {
    return d.prepare('SELECT kind, epoch, path, sha256 FROM checkpoints WHERE run_id = ?').all(runId)
  } finally {
    d.close()
  }
}

function assertSound(runId, seenEpochs) {
  assert.equal(integrity(), 'ok')
  const run = show(runId)
  assert.ok(['interrupted', 'completed'].includes(run.status), `run ${runId} is ${run.status}`)
  if (run.status === 'interrupted') assert.match(run.error, /stopped without finishing/)
  const kept = run.epochs.map((e) => e.epoch)
  // Every epoch the CLI reported as finished is in the database, and the epochs kept have no gaps.
  for (const e of seenEpochs) assert.ok(kept.includes(e), `epoch ${e} reported but not kept (kept ${kept})`)
  assert.deepEqual(
    kept,
    kept.map((_, i) => i + 1)
  )
  // Every checkpoint the database names exists with the recorded contents.
  for (const c of checkpointRows(runId)) {
    assert.ok(existsSync(c.path), `${c.path} missing`)
    assert.equal(
      createHash('sha256').update(readFileSync(c.path)).digest('hex'),
      c.sha256,
      `${c.path} differs from its record`
    )
  }
  return run
}

const interrupted = []

test(
  'SIGKILL at 8 random moments never harms the database or loses a finished epoch',
  { timeout: 300_000 },
  async () => {
    // How long one whole run takes on this machine, so that the kills spread over start-up and every epoch.
    const calibration = startTraining()
    const t0 = Date.now()
    assert.equal((await calibration.exited).code, 0)
    const duration = Date.now() - t0
    // And how long one epoch takes (start-up excluded), from the times of its first and last epoch's events.
    const epochAt = calibration.events.filter((e) => e.event === 'epoch').map((e) => e.at)
    const epoch = (epochAt.at(-1) - epochAt[0]) / (epochAt.length - 1)
    for (let i = 0; i < 8; i++) {
      const { child, events, exited } = startTraining()
      if (i % 2 === 0) {
        // Anywhere from start-up (before the run exists) to the last epochs.
        const delay = 100 + random() * duration * 0.95
        await Promise.race([new Promise((r) => setTimeout(r, delay)), exited])
      } else {
        // After a first epoch, within the next five (half of the kills, whatever the machine's speed).
        while (!events.some((e) => e.event === 'epoch')) {
          if (await Promise.race([new Promise((r) => setTimeout(() => r(false), 20)), exited.then(() => true)])) break
        }
        const delay = random() * epoch * 5
        await Promise.race([new Promise((r) => setTimeout(r, delay)), exited])
      }
      killAll(child)
      await exited
      const started = events.find((e) => e.event === 'started')
      if (!started) {
        assert.equal(integrity(), 'ok')
        continue
      }
      const seen = events.filter((e) => e.event === 'epoch').map((e) => e.metrics.epoch)
      const run = assertSound(started.runId, seen)
      if (run.status === 'interrupted' && checkpointRows(started.runId).length > 0) interrupted.push(started.runId)
    }
    assert.ok(interrupted.length >= 3, `only ${interrupted.length} kills landed after a first epoch`)
  }
)

test('SIGKILL inside a checkpoint write leaves the previous checkpoint in force', { timeout: 60_000 }, async () => {
  const { child, events, exited } = startTraining(holdAt('checkpoint'))
  let runId
  await new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      runId = events.find((e) => e.event === 'started')?.runId
      if (runId && existsSync(join(home, 'runs', String(runId), 'holding-checkpoint'))) {
        clearInterval(timer)
        resolve()
      }
    }, 20)
    exited.then(() => reject(new Error('training ended before the checkpoint hold')))
  })
  assert.ok(
    existsSync(join(home, 'runs', String(runId), 'last-1.ckpt.writing')),
    'the new checkpoint is half-way (not yet renamed)'
  )
  killAll(child)
  await exited
  const run = assertSound(runId, [])
  assert.equal(run.status, 'interrupted')
  assert.deepEqual(run.epochs, [])
  assert.deepEqual(checkpointRows(runId), [])
})

test('SIGKILL inside a metrics commit loses only that epoch', { timeout: 60_000 }, async () => {
  const marker = `${db}.holding-metrics-commit`
  rmSync(marker, { force: true })
  const { child, events, exited } = startTraining(holdAt('metrics-commit'))
  await new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      if (existsSync(marker)) {
        clearInterval(timer)
        resolve()
      }
    }, 20)
    exited.then(() => reject(new Error('training ended before the commit hold')))
  })
  killAll(child)
  await exited
  rmSync(marker, { force: true })
  const runId = events.find((e) => e.event === 'started').runId
  const run = assertSound(runId, [])
  assert.equal(run.status, 'interrupted')
  assert.deepEqual(run.epochs, [], 'the epoch being committed is not half there')
})

test(
  'train --resume continues an interrupted run from its last checkpoint to the end',
  { timeout: 120_000 },
  async () => {
    assert.ok(interrupted.length > 0)
    // A kill can land after the last epoch is recorded and before the run is marked completed: prefer a run with
    // epochs left to train; one with none left must complete without training any epoch again.
    const runId = interrupted.find((id) => show(id).epochs.length < 8) ?? interrupted[0]
    const before = show(runId)
    const { events, exited } = startTraining({}, ['--resume', String(runId)])
    const { code } = await exited
    assert.equal(code, 0, JSON.stringify(events.at(-1)))
    const after = show(runId)
    assert.equal(after.status, 'completed')
    assert.deepEqual(
      after.epochs.map((e) => e.epoch),
      [1, 2, 3, 4, 5, 6, 7, 8]
    )
    assert.deepEqual(after.epochs.slice(0, before.epochs.length), before.epochs)
    const resumedEpochs = events.filter((e) => e.event === 'epoch').map((e) => e.metrics.epoch)
    if (before.epochs.length < 8)
      assert.equal(resumedEpochs[0], before.epochs.length + 1, 'training went on from the epoch after the checkpoint')
    else assert.deepEqual(resumedEpochs, [], 'every epoch was recorded already: none is trained again')
    assert.equal(integrity(), 'ok')
  }
)
