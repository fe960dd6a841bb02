// `rnnlab sweep` as a person runs it: six trials on mnist-sample, two training processes at once, to the end; then the
// same with the sweep's process killed (SIGKILL) mid-way and the sweep resumed: every trial ends exactly once, the
// trials completed before the kill are kept as they were, and an interrupted trial continues from its checkpoint.
import { afterAll, test } from 'vitest'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const bin = join(root, 'bin', 'rnnlab.js')
const Database = createRequire(import.meta.url)('better-sqlite3')
const home = mkdtempSync(join(tmpdir(), 'rnnlab-sweep-'))
afterAll(() => rmSync(home, { recursive: true, force: true }))

function sweepFile(name, epochs) {
  const file = join(home, `${name}.json`)
  writeFileSync(
    file,
    JSON.stringify({
      name,
      base: {
        dataset: { source: 'mnist-sample', limit: 800 },
        model: {
          layers: [
            { type: 'gru', units: 8 },
            { type: 'dense', units: 10, activation: 'softmax' }
          ]
        },
        training: { optimizer: { type: 'adam', learningRate: 0.01 }, batchSize: 32, epochs, seed: 3 }
      },
      parameters: { 'model.layers.0.type': ['simple_rnn', 'lstm', 'gru'], 'model.layers.0.units': [6, 10] }
    })
  )
  return file
}

/** Starts `rnnlab ...args --json` and collects its JSON events. */
function rnnlab(db, ...args) {
  const child = spawn(process.execPath, [bin, ...args, '--db', db, '--json'], {
    env: { ...process.env, RNNLAB_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
    // A process group of its own, as a terminal gives a command: Ctrl-C reaches it and its training processes.
    detached: true
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
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, stderr })))
  return { child, events, exited }
}

/** `rnnlab ...args --json` for a command that prints one JSON document. */
function rnnlabJson(db, ...args) {
  const r = spawnSync(process.execPath, [bin, ...args, '--db', db, '--json'], {
    env: { ...process.env, RNNLAB_HOME: home },
    encoding: 'utf8'
  })
  assert.equal(r.status, 0, r.stderr)
  return JSON.parse(r.stdout)
}

function query(db, sql, ...params) {
  const d = new Database(db, { readonly: true, fileMustExist: true })
  try {
    return d.prepare(sql).all(...params)
  } finally {
    d.close()
  }
}

const trialsOf = (db) =>
  query(
    db,
    `SELECT t.trial, t.run_id, t.outcome, t.attempts, r.status, r.ended_at, r.threads, r.started_at
     FROM sweep_trials t JOIN runs r ON r.id = t.run_id ORDER BY t.trial`
  )
const epochsOf = (db, runId) => query(db, 'SELECT * FROM epoch_metrics WHERE run_id = ? ORDER BY epoch', runId)

const ended = (e) => e.event === 'trial' && ['completed', 'pruned', 'failed', 'cancelled'].includes(e.state)

test(
  'a 6-trial sweep with --parallel 2 runs two training processes at once and completes',
  { timeout: 300_000 },
  async () => {
    const db = join(home, 'parallel.db')
    const { events, exited } = rnnlab(db, 'sweep', sweepFile('six', 1), '--parallel', '2')
    const { code, stderr } = await exited
    assert.equal(code, 0, stderr)
    assert.deepEqual(events[0], { event: 'started', sweepId: 1, name: 'six', trials: 6 })
    const finished = events.at(-1)
    assert.equal(finished.event, 'finished')
    assert.equal(finished.status, 'completed')
    assert.equal(finished.counts.completed, 6)
    assert.ok(finished.best.value > 0)
    // Each trial ended once, as completed, with its one epoch.
    assert.deepEqual(
      events
        .filter(ended)
        .map((e) => e.trial)
        .sort(),
      [1, 2, 3, 4, 5, 6]
    )
    const trials = trialsOf(db)
    assert.deepEqual(
      trials.map((t) => [t.trial, t.outcome, t.status, t.attempts]),
      [1, 2, 3, 4, 5, 6].map((n) => [n, 'completed', 'completed', 1])
    )
    for (const t of trials) assert.equal(epochsOf(db, t.run_id).length, 1)
    // The engine's threads are divided between the two processes.
    const perTrial = Math.max(1, Math.floor(availableParallelism() / 2))
    assert.deepEqual([...new Set(trials.map((t) => t.threads))], [perTrial])
    // Two trials trained at the same time: the second started before the first ended.
    const [a, b] = trials
    assert.ok(b.started_at < a.ended_at, `trial 2 started ${b.started_at}, trial 1 ended ${a.ended_at}`)
    // What a person sees next.
    const [listed] = rnnlabJson(db, 'sweeps')
    assert.equal(listed.status, 'completed')
    assert.equal(listed.counts.completed, 6)
    assert.equal(listed.best.value, finished.best.value)
  }
)

test(
  'kill -9 of the sweep process mid-way, then resume: every trial ends exactly once, completed ones kept',
  { timeout: 600_000 },
  async () => {
    const db = join(home, 'killed.db')
    const file = sweepFile('killed', 3)
    const first = rnnlab(db, 'sweep', file, '--parallel', '2')
    // Kill once two trials completed and a running one has finished an epoch (so it has a checkpoint to resume from).
    let midway = null
    const deadline = Date.now() + 400_000
    while (!midway) {
      assert.ok(Date.now() < deadline, 'the sweep never reached the middle')
      const exitedEarly = await Promise.race([first.exited, new Promise((r) => setTimeout(() => r(null), 25))])
      assert.equal(exitedEarly, null, 'the sweep ended before it could be killed mid-way')
      let trials
      try {
        trials = trialsOf(db)
      } catch {
        continue // not created yet
      }
      const done = trials.filter((t) => t.outcome === 'completed')
      const inProgress = trials.filter((t) => t.status === 'running' && epochsOf(db, t.run_id).length >= 1)
      if (done.length >= 2 && inProgress.length >= 1) midway = { done, inProgress }
    }
    first.child.kill('SIGKILL')
    await first.exited
    const before = trialsOf(db)
    const keptRuns = before.filter((t) => t.outcome === 'completed')
    const keptEpochs = new Map(keptRuns.map((t) => [t.run_id, epochsOf(db, t.run_id)]))
    const resumable = midway.inProgress.map((t) => ({ ...t, epochs: epochsOf(db, t.run_id) }))
    assert.ok(
      before.some((t) => t.outcome === null),
      'some trials were left to do'
    )

    // The next start finds the sweep interrupted (its process is gone), and its running trials too.
    const detail = rnnlabJson(db, 'sweep', 'show', '1')
    assert.equal(detail.status, 'interrupted')
    for (const t of resumable) assert.equal(detail.trialList.find((x) => x.runId === t.run_id).state, 'interrupted')

    const second = rnnlab(db, 'sweep', 'resume', '1', '--parallel', '2')
    const { code, stderr } = await second.exited
    assert.equal(code, 0, stderr)
    assert.equal(second.events.at(-1).status, 'completed')

    const after = trialsOf(db)
    assert.deepEqual(
      after.map((t) => [t.trial, t.outcome]),
      [1, 2, 3, 4, 5, 6].map((n) => [n, 'completed'])
    )
    // Every trial ended exactly once over the two processes, and has each of its 3 epochs exactly once.
    const endings = [...first.events, ...second.events].filter(ended).map((e) => e.trial)
    assert.deepEqual(endings.sort(), [1, 2, 3, 4, 5, 6])
    for (const t of after)
      assert.deepEqual(
        epochsOf(db, t.run_id).map((e) => e.epoch),
        [1, 2, 3]
      )
    // The trials completed before the kill were not run again: same runs, same end, same figures.
    for (const k of keptRuns) {
      const t = after.find((x) => x.run_id === k.run_id)
      assert.equal(t.ended_at, k.ended_at)
      assert.equal(t.attempts, 1)
      assert.deepEqual(epochsOf(db, k.run_id), keptEpochs.get(k.run_id))
    }
    // An interrupted trial went on from its last checkpoint: its finished epochs are the ones recorded before the kill.
    for (const r of resumable) {
      assert.equal(after.find((x) => x.run_id === r.run_id).attempts, 2)
      assert.deepEqual(epochsOf(db, r.run_id).slice(0, r.epochs.length), r.epochs)
    }
    const integrity = query(db, 'PRAGMA integrity_check')[0].integrity_check
    assert.equal(integrity, 'ok')
  }
)

test(
  'Ctrl-C (SIGINT to the whole process group) leaves the sweep interrupted, no trial failed',
  { timeout: 300_000 },
  async () => {
    const db = join(home, 'ctrl-c.db')
    const run = rnnlab(db, 'sweep', sweepFile('ctrl-c', 2), '--parallel', '2')
    const deadline = Date.now() + 200_000
    while (run.events.filter((e) => e.event === 'trial' && e.state === 'running').length < 2) {
      assert.ok(Date.now() < deadline, 'two trials never started')
      await new Promise((r) => setTimeout(r, 25))
    }
    process.kill(-run.child.pid, 'SIGINT')
    const { code } = await run.exited
    assert.equal(code, 130)
    assert.equal(run.events.at(-1).status, 'interrupted')
    const detail = rnnlabJson(db, 'sweep', 'show', '1')
    assert.equal(detail.status, 'interrupted')
    assert.equal(detail.counts.failed, 0)
    assert.ok(
      detail.trialList.every((t) => t.state === 'interrupted' || t.state === 'queued' || t.state === 'completed')
    )
    assert.ok(detail.counts.interrupted >= 1)
  }
)
