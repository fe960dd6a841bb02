// The run database fails under a training run: another process holds its write lock for 3, 12 and 25 s (as another
// RNN Lab, a backup tool or a sqlite3 shell can), or the disk fills up. `rnnlab train` never dies with a raw SQLite
// error: within the host's bound (30 s per write) the run completes with every epoch recorded; a persistent error ends
// it failed with the reason in one line, the epochs recorded before kept, no checkpoint file left that the database
// does not name, and `train --resume` carries it to the end.
import { afterAll, test } from 'vitest'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync
} from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { failAt, holdAt } from '../helpers/faults.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const bin = join(root, 'bin', 'rnnlab.js')
const locker = join(root, 'test', 'helpers', 'db-locker.cjs')
const Database = createRequire(import.meta.url)('better-sqlite3')
const scratch = mkdtempSync(join(tmpdir(), 'rnnlab-dbfault-'))
const mounts = []
afterAll(() => {
  for (const m of mounts) {
    spawnSync('umount', [m])
    rmSync(m, { recursive: true, force: true })
  }
  rmSync(scratch, { recursive: true, force: true })
})

const config = {
  name: 'db-fault',
  dataset: { source: 'mnist-sample', limit: 1000 },
  model: {
    layers: [
      { type: 'gru', units: 12 },
      { type: 'dense', units: 10, activation: 'softmax' }
    ]
  },
  training: { optimizer: 'adam', batchSize: 32, epochs: 3, seed: 5 }
}

/** A home folder of its own with the config in it. */
function newHome(base = scratch) {
  const home = mkdtempSync(join(base, 'home-'))
  writeFileSync(join(home, 'config.json'), JSON.stringify(config))
  return home
}

/** Polls `check` every 20 ms until it returns a value (not a fixed sleep); fails after `ms`. */
async function until(what, check, ms = 90_000) {
  const t0 = Date.now()
  for (;;) {
    const v = check()
    if (v) return v
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** `rnnlab train --json` with its JSON events collected. */
function train(home, env = {}, args = [join(home, 'config.json')]) {
  const child = spawn(process.execPath, [bin, 'train', ...args, '--json'], {
    env: { ...process.env, RNNLAB_HOME: home, RNNLAB_NO_REBUILD: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const events = []
  let buffer = ''
  let stderr = ''
  child.stdout.on('data', (c) => {
    buffer += c
    const lines = buffer.split('\n')
    buffer = lines.pop()
    for (const line of lines) if (line.trim()) events.push(JSON.parse(line))
  })
  child.stderr.on('data', (c) => (stderr += c))
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr })))
  return { child, events, exited }
}

/** Another process holding the database's write lock for `ms`; resolves once it holds it, with its exit. */
async function holdLock(db, ms) {
  const child = spawn(process.execPath, [locker, db, String(ms)], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (c) => (out += c))
  const exited = new Promise((resolve) => child.once('exit', resolve))
  await until('the lock', () => out.includes('locked'))
  return { exited }
}

function rows(db, sql, ...params) {
  const d = new Database(db, { readonly: true })
  try {
    return d.prepare(sql).all(...params)
  } finally {
    d.close()
  }
}

/**
 * What a user checks afterwards: the run's status and epochs, every checkpoint the database names there with its
 * recorded sha256, and nothing else in the run's folder (no unfinished write, no checkpoint nobody names).
 */
function assertNothingOrphaned(home, runId) {
  const db = join(home, 'rnnlab.db')
  const named = rows(db, 'SELECT path, sha256 FROM checkpoints WHERE run_id = ?', runId)
  for (const c of named) {
    assert.ok(existsSync(c.path), `${c.path} is named but missing`)
    assert.equal(createHash('sha256').update(readFileSync(c.path)).digest('hex'), c.sha256, `${c.path} differs`)
  }
  const dir = join(home, 'runs', String(runId))
  const files = existsSync(dir) ? readdirSync(dir).map((f) => join(dir, f)) : []
  assert.deepEqual(files.sort(), named.map((c) => c.path).sort(), 'files in the run folder = files the database names')
  const d = new Database(db, { readonly: true })
  try {
    assert.equal(d.pragma('integrity_check', { simple: true }), 'ok')
  } finally {
    d.close()
  }
}

function show(home, runId) {
  const r = spawnSync(process.execPath, [bin, 'show', String(runId), '--json'], {
    env: { ...process.env, RNNLAB_HOME: home, RNNLAB_NO_REBUILD: '1' },
    encoding: 'utf8'
  })
  assert.equal(r.status, 0, r.stderr)
  return JSON.parse(r.stdout)
}

/** Trains with the database locked by another process for `ms` from the first epoch's end on. */
async function trainLockedFor(ms) {
  const home = newHome()
  const release = join(home, 'release')
  const { events, exited } = train(home, holdAt('checkpoint', release))
  // The worker waits inside its first checkpoint write while the lock is taken: the epoch's record meets it.
  const runId = await until('the run', () => events.find((e) => e.event === 'started')?.runId)
  await until('the first checkpoint', () => existsSync(join(home, 'runs', String(runId), 'holding-checkpoint')))
  const lock = await holdLock(join(home, 'rnnlab.db'), ms)
  writeFileSync(release, '')
  const { code, stderr } = await exited
  await lock.exited
  rmSync(join(home, 'runs', String(runId), 'holding-checkpoint'))
  rmSync(release)
  return { home, runId, events, code, stderr }
}

for (const seconds of [12, 25]) {
  test(
    `a write lock held ${seconds} s by another process: the run waits and completes with every epoch`,
    // About 10 s + the hold on a quiet machine; the limit is a safety net for a loaded one, not a measurement.
    { timeout: 60_000 + 2 * seconds * 1000 },
    async () => {
      const { home, runId, events, code, stderr } = await trainLockedFor(seconds * 1000)
      assert.equal(code, 0, stderr)
      assert.doesNotMatch(stderr, /SqliteError|at .*\.js:\d+/)
      const notes = events.filter((e) => e.event === 'note').map((e) => e.text)
      assert.ok(
        notes.some((n) => /is locked by another process; waiting up to 30 s to record epoch 1$/.test(n)),
        `the lock met the record of epoch 1: ${notes}`
      )
      assert.ok(notes.some((n) => /free again/.test(n)))
      const run = show(home, runId)
      assert.equal(run.status, 'completed')
      assert.equal(run.error, null)
      assert.deepEqual(
        run.epochs.map((e) => e.epoch),
        [1, 2, 3]
      )
      assert.deepEqual(
        events.filter((e) => e.event === 'epoch').map((e) => e.metrics.epoch),
        [1, 2, 3]
      )
      assertNothingOrphaned(home, runId)
    }
  )
}

/** Fills the file system holding `dir` until a write fails; returns the filler's path. */
function fill(dir) {
  const filler = join(dir, 'filler')
  const chunk = Buffer.alloc(64 * 1024, 1)
  const fd = openSync(filler, 'w')
  try {
    for (let size = chunk.length; size >= 1; size = Math.floor(size / 2)) {
      for (;;) {
        try {
          writeSync(fd, chunk, 0, size)
        } catch (e) {
          if (e.code !== 'ENOSPC') throw e
          break
        }
      }
    }
  } finally {
    closeSync(fd)
  }
  return filler
}

/** A small tmpfs (we may be root); null where mounting is not allowed. */
function smallDisk() {
  const dir = mkdtempSync(join(tmpdir(), 'rnnlab-tmpfs-'))
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', dir], { encoding: 'utf8' })
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true })
    return null
  }
  mounts.push(dir)
  return dir
}

async function assertFailedThenResumes(home, runId, code, stderr, reason, kept = [1]) {
  assert.equal(code, 1, stderr)
  assert.doesNotMatch(stderr, /SqliteError|Error:|at .*\.js:\d+/)
  const run = show(home, runId)
  assert.equal(run.status, 'failed')
  assert.match(run.error, reason)
  assert.equal(run.error.split('\n').length, 1)
  assert.ok(kept.includes(run.epochs.length), `kept ${run.epochs.length} epochs`)
  assert.deepEqual(
    run.epochs.map((e) => e.epoch),
    run.epochs.map((_, i) => i + 1),
    'the epochs recorded before are kept'
  )
  assertNothingOrphaned(home, runId)
  const resumed = train(home, {}, ['--resume', String(runId)])
  const after = await resumed.exited
  assert.equal(after.code, 0, after.stderr)
  const done = show(home, runId)
  assert.equal(done.status, 'completed')
  assert.deepEqual(
    done.epochs.map((e) => e.epoch),
    [1, 2, 3]
  )
  assert.deepEqual(done.epochs[0], run.epochs[0])
  assertNothingOrphaned(home, runId)
}

test(
  'a full disk during training: the run ends failed, the first epoch kept, nothing orphaned; resume finishes it',
  { timeout: 120_000 },
  async () => {
    const disk = smallDisk()
    if (disk) {
      // A real full disk: a tmpfs filled up while the worker waits inside epoch 2's checkpoint write.
      const home = newHome(disk)
      const release = join(home, 'release')
      // Epoch 1 writes last-1 and best-1 (the first epoch is the best so far): the third checkpoint write is epoch 2's.
      const { events, exited } = train(home, holdAt('checkpoint', release, 2))
      const runId = await until('the run', () => events.find((e) => e.event === 'started')?.runId)
      await until('the checkpoint of epoch 2', () =>
        existsSync(join(home, 'runs', String(runId), 'holding-checkpoint'))
      )
      // The CLI reports an epoch once it is recorded; on a busy machine that can come after the worker has moved on.
      await until('epoch 1 recorded', () => events.some((e) => e.event === 'epoch' && e.metrics.epoch === 1))
      // What comes next (epoch 2's best copy, its record, or epoch 3's checkpoint) meets a full disk.
      const filler = fill(disk)
      writeFileSync(release, '')
      const { code, stderr } = await exited
      rmSync(filler)
      rmSync(release, { force: true })
      rmSync(join(home, 'runs', String(runId), 'holding-checkpoint'), { force: true })
      await assertFailedThenResumes(home, runId, code, stderr, /the disk (holding the run database .*)?is full/, [1, 2])
    } else {
      // No mount allowed here: the checkpoint write of epoch 2 fails as a full disk makes it fail.
      const home = newHome()
      const { events, exited } = train(home, failAt('checkpoint', 'ENOSPC', 1))
      const { code, stderr } = await exited
      const runId = events.find((e) => e.event === 'started').runId
      await assertFailedThenResumes(
        home,
        runId,
        code,
        stderr,
        /cannot save the checkpoint of epoch 2: the disk is full/
      )
    }
  }
)

test(
  'the database disk full when an epoch is recorded: failed with the reason, resume finishes it',
  { timeout: 120_000 },
  async () => {
    const home = newHome()
    // The second epoch's commit fails as SQLite fails on a full disk (SQLITE_FULL).
    const { events, exited } = train(home, failAt('metrics-commit', 'SQLITE_FULL', 1))
    const { code, stderr } = await exited
    const runId = events.find((e) => e.event === 'started').runId
    await assertFailedThenResumes(
      home,
      runId,
      code,
      stderr,
      /^could not record epoch 2: the disk holding the run database .*rnnlab\.db is full; epoch 1 is kept and the run can be resumed$/
    )
  }
)
