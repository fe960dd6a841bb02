// A sweep through a real Redis (redis-server started here, with a password), as a person runs it on several machines:
// `rnnlab sweep file --redis URL` on the owner, `rnnlab worker --redis URL` three times (separate processes, each with
// its own lab folder, as separate machines would have). One worker is killed (SIGKILL) in the middle of a trial: BullMQ
// finds the job stalled and another worker continues the trial from the last checkpoint the owner received. Every
// trial ends with all its epochs, recorded once, in the owner's database; a message from the dead worker's attempt is
// ignored; a forged job is refused by a worker; a wrong password is one clear line and creates no sweep.
import { afterAll, beforeAll, test } from 'vitest'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startRedis } from '../helpers/redis.mjs'

const require = createRequire(import.meta.url)
const { Queue, QueueEvents } = require('bullmq')
const { Redis } = require('ioredis')
const Database = require('better-sqlite3')

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const bin = join(root, 'bin', 'rnnlab.js')
const dir = mkdtempSync(join(tmpdir(), 'rnnlab-remote-sweep-'))
const ownerHome = join(dir, 'owner')
const db = join(dir, 'owner.db')
const password = 'rnnlab-remote-secret'
const EPOCHS = 20
let redis
const workers = []

const wait = (ms) => new Promise((r) => setTimeout(r, ms))
async function until(what, check, timeoutMs) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await check()
    if (v) return v
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`)
    await wait(50)
  }
}

function startWorker(i) {
  const home = join(dir, `worker-${i}`)
  mkdirSync(home, { recursive: true })
  // --stalled-after 2: a trial whose worker stopped renewing its lock for 2 s goes to another worker.
  const child = spawn(
    process.execPath,
    [bin, 'worker', '--redis', redis.url, '--threads', '1', '--stalled-after', '2'],
    { env: { ...process.env, RNNLAB_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] }
  )
  const w = { child, pid: child.pid, log: '', exited: null }
  child.stderr.on('data', (c) => (w.log += c))
  child.stdout.on('data', (c) => (w.log += c))
  w.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  return w
}

/** The job this worker holds now (its log names it started and not yet done), with its trial. */
function jobInHand(w) {
  const started = [...w.log.matchAll(/job (\S+): sweep \d+ trial (\d+)/g)].map((m) => ({ jobId: m[1], trial: +m[2] }))
  return started.find((j) => !new RegExp(`job ${j.jobId}: (done|stopped)`).test(w.log)) ?? null
}

beforeAll(async () => {
  redis = await startRedis({ password })
  for (let i = 0; i < 3; i++) workers.push(startWorker(i))
  await until('three workers ready', () => workers.every((w) => /worker ready/.test(w.log)), 120_000)
  for (const w of workers) assert.ok(!w.log.includes(password), 'the password is never printed')
}, 180_000)

afterAll(async () => {
  for (const w of workers) w.child.kill('SIGTERM')
  await Promise.all(workers.map((w) => w.exited))
  await redis?.stop()
  rmSync(dir, { recursive: true, force: true })
})

function sweepFile() {
  const file = join(dir, 'remote.json')
  writeFileSync(
    file,
    JSON.stringify({
      name: 'remote',
      base: {
        dataset: { source: 'mnist-sample', limit: 600 },
        model: {
          layers: [
            { type: 'gru', units: 8 },
            { type: 'dense', units: 10, activation: 'softmax' }
          ]
        },
        training: { optimizer: { type: 'adam' }, batchSize: 8, epochs: EPOCHS, seed: 5 }
      },
      parameters: { 'model.layers.0.units': [4, 6, 8], 'training.optimizer.learningRate': [0.01, 0.005, 0.02] }
    })
  )
  return file
}

test(
  'nine trials on three workers, one killed mid-trial: its trial continues elsewhere from a checkpoint, every trial is recorded once',
  { timeout: 600_000 },
  async () => {
    const owner = spawn(process.execPath, [bin, 'sweep', sweepFile(), '--redis', redis.url, '--db', db, '--json'], {
      env: { ...process.env, RNNLAB_HOME: ownerHome },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    const events = []
    let out = ''
    let err = ''
    owner.stdout.on('data', (c) => {
      out += c
      const lines = out.split('\n')
      out = lines.pop()
      for (const line of lines) if (line.trim()) events.push(JSON.parse(line))
    })
    owner.stderr.on('data', (c) => (err += c))
    const ownerExited = new Promise((resolve) => owner.once('exit', (code) => resolve(code)))
    await until('the sweep to start', () => events.some((e) => e.event === 'started'), 60_000)
    assert.equal(events.find((e) => e.event === 'started').remote, `redis://:***@127.0.0.1:${redis.port}`)

    // The owner's database, read as the desktop would while the CLI owns the sweep.
    const reader = new Database(db, { readonly: true, fileMustExist: true })
    const epochsOf = (trial) =>
      reader
        .prepare(
          `SELECT e.epoch, e.loss, e.val_accuracy FROM epoch_metrics e JOIN sweep_trials t ON t.run_id = e.run_id
           WHERE t.trial = ? ORDER BY e.epoch`
        )
        .all(trial)

    // A worker in the middle of a trial the owner has recorded two epochs of (a checkpoint among them) is killed.
    const { victim, job, kept } = await until(
      'a worker two epochs into a trial',
      () => {
        for (const w of workers) {
          const j = jobInHand(w)
          if (!j) continue
          const epochs = epochsOf(j.trial)
          if (epochs.length >= 2 && epochs.length < EPOCHS / 2) return { victim: w, job: j, kept: epochs }
        }
        return null
      },
      300_000
    )
    victim.child.kill('SIGKILL')
    await victim.exited

    // Another worker takes the trial over (BullMQ's second start of the job) from a checkpoint the owner received.
    const takeover = await until(
      'the trial to be taken over',
      () => events.find((e) => e.event === 'attempt' && e.trial === job.trial && e.start === 2),
      120_000
    )
    assert.notEqual(takeover.worker.split(':').pop(), String(victim.pid))
    assert.ok(takeover.fromEpoch >= 1, `continued from epoch ${takeover.fromEpoch}`)

    // A late message of the dead worker's start (its attempt, start 1) is ignored: it must not be recorded.
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null })
    const trials = new Queue('rnnlab-trials', { connection })
    const data = (await trials.getJob(job.jobId))?.data
    assert.ok(data, 'the job is in the queue')
    const late = new Queue(data.replyTo, { connection })
    const bogus = { epoch: 1, loss: 999, accuracy: 0, valLoss: 999, valAccuracy: 0 }
    await late.add('epoch', {
      type: 'epoch',
      jobId: job.jobId,
      attempt: data.attempt,
      start: 1,
      worker: `dead:${victim.pid}`,
      metrics: { ...bogus, learningRate: null, seconds: 1, samplesPerSecond: 1 },
      checkpoints: []
    })
    await late.close()
    await trials.close()
    connection.disconnect()

    assert.equal(await ownerExited, 0, err)
    const finished = events.find((e) => e.event === 'finished')
    assert.equal(finished.status, 'completed')
    assert.equal(finished.counts.completed, 9)
    assert.ok(finished.redis.ignored >= 1, 'the late message was counted as ignored')
    assert.equal(finished.redis.attempts, 10, 'nine first starts and one takeover')
    assert.ok(finished.redis.inputBytes > 0 && finished.redis.bytesPerTrial > 0)
    // The figures a person reads in the summary (for the record, not asserted beyond the above).
    console.log(
      `remote sweep: ${finished.counts.completed} trials, ${finished.redis.attempts} starts, ` +
        `${finished.redis.ignored} messages ignored, ${Math.round(finished.redis.bytesPerTrial / 1024)} KiB of Redis traffic a trial`
    )

    // Every trial: all its epochs, once each, in the owner's database; the killed trial kept the epochs up to the
    // checkpoint it continued from (not trained again), and counts two starts.
    const rows = reader
      .prepare(
        `SELECT t.trial, t.attempts, t.outcome, r.status,
                (SELECT COUNT(*) FROM epoch_metrics e WHERE e.run_id = r.id) AS epochs,
                (SELECT COUNT(DISTINCT epoch) FROM epoch_metrics e WHERE e.run_id = r.id) AS distinct_epochs,
                (SELECT MAX(epoch) FROM epoch_metrics e WHERE e.run_id = r.id) AS last_epoch,
                (SELECT COUNT(*) FROM checkpoints c WHERE c.run_id = r.id AND c.kind = 'last' AND c.epoch = ${EPOCHS}) AS last_ckpt
         FROM sweep_trials t JOIN runs r ON r.id = t.run_id ORDER BY t.trial`
      )
      .all()
    assert.equal(rows.length, 9)
    for (const r of rows) {
      assert.deepEqual(
        [r.outcome, r.status, r.epochs, r.distinct_epochs, r.last_epoch, r.last_ckpt],
        ['completed', 'completed', EPOCHS, EPOCHS, EPOCHS, 1],
        `trial ${r.trial}`
      )
      assert.equal(r.attempts, r.trial === job.trial ? 2 : 1, `trial ${r.trial}'s starts`)
    }
    // (The owner may have received an epoch more than was seen before the kill: compare those seen.)
    const after = epochsOf(job.trial)
    const before = kept.filter((e) => e.epoch <= takeover.fromEpoch)
    assert.ok(before.length >= 1)
    assert.deepEqual(after.slice(0, before.length), before)
    assert.ok(!after.some((e) => e.loss === 999), 'the late message was not recorded')

    // The workers the owner saw, as `sweeps:workers` gives them: the three, the nine trials among them.
    const seen = reader.prepare(`SELECT name, pid, trials_done FROM sweep_workers ORDER BY name`).all()
    assert.deepEqual(seen.map((w) => w.pid).sort(), workers.map((w) => w.pid).sort())
    assert.equal(
      seen.reduce((n, w) => n + w.trials_done, 0),
      9
    )
    reader.close()
    const show = spawnSync(process.execPath, [bin, 'sweep', 'show', String(finished.sweepId), '--db', db], {
      env: { ...process.env, RNNLAB_HOME: ownerHome },
      encoding: 'utf8'
    })
    assert.equal(show.status, 0, show.stderr)
    assert.match(show.stdout, /WORKER\s+STATE\s+TRIAL\s+EPOCH\s+TRIALS DONE\s+LAST HEARTBEAT/)
    // The same through the contract call a page makes (sweeps:workers), as `sweep show --json` gives it.
    const shown = spawnSync(process.execPath, [bin, 'sweep', 'show', String(finished.sweepId), '--db', db, '--json'], {
      env: { ...process.env, RNNLAB_HOME: ownerHome },
      encoding: 'utf8'
    })
    const detail = JSON.parse(shown.stdout)
    assert.equal(detail.remote, `redis://:***@127.0.0.1:${redis.port}`)
    assert.equal(detail.workers.length, 3)
    for (const w of detail.workers) {
      assert.deepEqual(Object.keys(w).sort(), [
        'epoch',
        'firstSeen',
        'host',
        'lastHeartbeat',
        'name',
        'pid',
        'runId',
        'state',
        'trial',
        'trialsDone'
      ])
      assert.ok(['idle', 'gone'].includes(w.state), w.state)
    }
    assert.equal(detail.trialList.find((t) => t.trial === job.trial).attempts, 2)
  }
)

test('a forged job is refused by a worker, naming the field, without retrying it', { timeout: 120_000 }, async () => {
  const connections = []
  const connection = () => {
    const c = new Redis(redis.url, { maxRetriesPerRequest: null })
    connections.push(c)
    return c
  }
  const queue = new Queue('rnnlab-trials', { connection: connection() })
  const events = new QueueEvents('rnnlab-trials', { connection: connection() })
  await events.waitUntilReady()
  try {
    const job = await queue.add(
      'trial',
      {
        sweepId: 1,
        trial: 1,
        attempt: 'forged',
        replyTo: 'rnnlab-results-forged',
        config: {
          name: 'forged',
          dataset: { source: 'mnist-sample' },
          model: { layers: [{ type: 'gru', units: -3 }] },
          training: { epochs: 1 }
        }
      },
      { attempts: 3 }
    )
    await assert.rejects(
      job.waitUntilFinished(events, 100_000),
      /refused by .+: job\.config\.model\.layers\[0\]\.units: must be a positive integer, got -3/
    )
    assert.equal((await queue.getJob(job.id)).attemptsMade, 1)
    // A job that would make the worker read a file outside its lab folder is refused too.
    const outside = await queue.add('trial', {
      sweepId: 1,
      trial: 2,
      attempt: 'forged-2',
      replyTo: 'rnnlab-results-forged',
      config: {
        name: 'forged',
        dataset: { source: 'csv', train: '/etc/passwd', timeSteps: 1, features: 1 },
        model: { layers: [{ type: 'dense', units: 2, activation: 'softmax' }] },
        training: { epochs: 1 }
      }
    })
    await assert.rejects(
      outside.waitUntilFinished(events, 100_000),
      /job\.config\.dataset\.train: \/etc\/passwd is outside/
    )
  } finally {
    await events.close()
    await queue.close()
    for (const c of connections) c.disconnect()
  }
})

test('a wrong password is one line naming the (hidden) address, and no sweep is created', () => {
  const wrong = redis.url.replace(password, 'not-it')
  const r = spawnSync(process.execPath, [bin, 'sweep', sweepFile(), '--redis', wrong, '--db', join(dir, 'wrong.db')], {
    env: { ...process.env, RNNLAB_HOME: ownerHome },
    encoding: 'utf8',
    timeout: 60_000
  })
  assert.equal(r.status, 1)
  assert.equal(
    r.stderr.trim(),
    `rnnlab: redis://:***@127.0.0.1:${redis.port}: the Redis server refused the user name or password (WRONGPASS)`
  )
  const list = spawnSync(process.execPath, [bin, 'sweeps', '--db', join(dir, 'wrong.db'), '--json'], {
    env: { ...process.env, RNNLAB_HOME: ownerHome },
    encoding: 'utf8'
  })
  assert.deepEqual(JSON.parse(list.stdout), [])
})
