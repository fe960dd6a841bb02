// `rnnlab worker --redis URL` against a real Redis (redis-server started here, with a password): it trains a trial job
// from the BullMQ queue and sends, in order, on the results queue the job names: started, each epoch's metrics and
// checkpoint, done; continues a trial from a checkpoint it is sent, refuses a forged job naming the field (no retry),
// and a wrong password is one clear line.
import { afterAll, beforeAll, test } from 'vitest'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startRedis } from '../helpers/redis.mjs'

const require = createRequire(import.meta.url)
const { Queue, QueueEvents, Worker } = require('bullmq')
const { Redis } = require('ioredis')

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const bin = join(root, 'bin', 'rnnlab.js')
const home = mkdtempSync(join(tmpdir(), 'rnnlab-worker-'))
const password = 'rnnlab-test-secret'
let redis, queue, events, results, worker, workerExited
const REPLY = 'rnnlab-results-test'
/** The messages the worker sent on the results queue, in the order they were read. */
const messages = []
const connections = []

beforeAll(async () => {
  redis = await startRedis({ password })
  const connection = () => {
    const c = new Redis(redis.url, { maxRetriesPerRequest: null })
    connections.push(c)
    return c
  }
  queue = new Queue('rnnlab-trials', { connection: connection() })
  events = new QueueEvents('rnnlab-trials', { connection: connection() })
  await events.waitUntilReady()
  results = new Worker(REPLY, async (job) => void messages.push(job.data), { connection: connection(), concurrency: 1 })
  await results.waitUntilReady()
  worker = spawn(process.execPath, [bin, 'worker', '--redis', redis.url, '--threads', '1'], {
    env: { ...process.env, RNNLAB_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let err = ''
  worker.stderr.on('data', (c) => (err += c))
  workerExited = new Promise((resolve) => worker.once('exit', (code) => resolve({ code, err })))
  const deadline = Date.now() + 120_000
  while (!/worker ready/.test(err)) {
    assert.ok(Date.now() < deadline, `the worker never got ready: ${err}`)
    await new Promise((r) => setTimeout(r, 50))
  }
  assert.ok(!err.includes(password), 'the password is never printed')
}, 180_000)

afterAll(async () => {
  worker?.kill('SIGTERM')
  await workerExited
  await results?.close()
  await events?.close()
  await queue?.close()
  for (const c of connections) c.disconnect()
  await redis?.stop()
  rmSync(home, { recursive: true, force: true })
})

const tiny = (over = {}) => ({
  name: 'remote #1',
  dataset: { source: 'mnist-sample', limit: 400 },
  model: {
    layers: [
      { type: 'gru', units: 6 },
      { type: 'dense', units: 10, activation: 'softmax' }
    ]
  },
  training: { optimizer: { type: 'adam', learningRate: 0.01 }, batchSize: 32, epochs: 2, seed: 4 },
  ...over
})

let firstCheckpoint

const until = async (check) => {
  const deadline = Date.now() + 60_000
  while (!check()) {
    assert.ok(Date.now() < deadline, 'timed out waiting for the messages')
    await new Promise((r) => setTimeout(r, 50))
  }
}

test('trains a trial job and reports every epoch with its checkpoint, then the end', { timeout: 180_000 }, async () => {
  const job = await queue.add(
    'trial',
    { sweepId: 1, trial: 1, attempt: 'a-1', replyTo: REPLY, config: tiny() },
    { attempts: 2 }
  )
  const result = await job.waitUntilFinished(events, 150_000)
  assert.equal(result.attempt, 'a-1')
  assert.equal(result.reason, null)
  const of = () => messages.filter((m) => m.jobId === job.id)
  await until(() => of().some((m) => m.type === 'done'))
  assert.deepEqual(
    of().map((m) => [m.type, m.attempt, m.start, m.metrics?.epoch]),
    [
      ['started', 'a-1', 1, undefined],
      ['epoch', 'a-1', 1, 1],
      ['epoch', 'a-1', 1, 2],
      ['done', 'a-1', 1, undefined]
    ]
  )
  const mine = of().filter((m) => m.type === 'epoch')
  for (const p of mine) {
    assert.ok(p.metrics.valAccuracy > 0)
    const last = p.checkpoints.find((c) => c.kind === 'last')
    assert.equal(last.epoch, p.metrics.epoch)
    assert.ok(Buffer.from(last.base64, 'base64').length > 1000)
  }
  firstCheckpoint = { checkpoint: mine[0].checkpoints[0].base64, history: [mine[0].metrics] }
})

test(
  'continues a trial from the checkpoint it is sent: only the epochs after it are trained',
  { timeout: 180_000 },
  async () => {
    assert.ok(firstCheckpoint, 'needs the first test')
    const job = await queue.add('trial', {
      sweepId: 1,
      trial: 1,
      attempt: 'a-2',
      replyTo: REPLY,
      config: tiny(),
      resume: { checkpoint: firstCheckpoint.checkpoint, epoch: 1, history: firstCheckpoint.history }
    })
    const result = await job.waitUntilFinished(events, 150_000)
    assert.equal(result.attempt, 'a-2')
    const of = () => messages.filter((m) => m.jobId === job.id)
    await until(() => of().some((m) => m.type === 'done'))
    assert.equal(of()[0].fromEpoch, 1)
    assert.deepEqual(
      of()
        .filter((m) => m.type === 'epoch')
        .map((m) => m.metrics.epoch),
      [2]
    )
  }
)

test('refuses a forged job, naming the field, without retrying it', { timeout: 120_000 }, async () => {
  const bad = tiny({ model: { layers: [{ type: 'gru', units: -3 }] } })
  const job = await queue.add(
    'trial',
    { sweepId: 1, trial: 2, attempt: 'a-3', replyTo: REPLY, config: bad },
    { attempts: 3 }
  )
  await assert.rejects(
    job.waitUntilFinished(events, 100_000),
    /refused by .+: job\.config\.model\.layers\[0\]\.units: must be a positive integer, got -3/
  )
  const after = await queue.getJob(job.id)
  assert.equal(after.attemptsMade, 1)
  const notAJob = await queue.add('trial', { sweepId: 'x' }, { attempts: 3 })
  await assert.rejects(notAJob.waitUntilFinished(events, 100_000), /job\.sweepId: expected an integer, got "x"/)
  // A job may not make the worker write to any queue but a results queue.
  const elsewhere = await queue.add('trial', {
    sweepId: 1,
    trial: 3,
    attempt: 'a-4',
    replyTo: 'rnnlab-trials',
    config: tiny()
  })
  await assert.rejects(
    elsewhere.waitUntilFinished(events, 100_000),
    /job\.replyTo: expected rnnlab-results-<key>, got rnnlab-trials/
  )
})

test('a wrong password is one line naming the (hidden) address', () => {
  const wrong = redis.url.replace(password, 'not-it')
  const r = spawnSync(process.execPath, [bin, 'worker', '--redis', wrong], {
    env: { ...process.env, RNNLAB_HOME: home },
    encoding: 'utf8',
    timeout: 60_000
  })
  assert.equal(r.status, 1)
  assert.equal(
    r.stderr.trim(),
    `rnnlab: redis://:***@127.0.0.1:${redis.port}: the Redis server refused the user name or password (WRONGPASS)`
  )
})
