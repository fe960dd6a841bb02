// `rnnlab worker --redis URL` against a real Redis (redis-server started here, with a password): it trains a trial job
// from the BullMQ queue and reports each epoch's metrics and checkpoint as the job's progress, continues a trial from a
// checkpoint it is sent, refuses a forged job naming the field (no retry), and a wrong password is one clear line.
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
const { Queue, QueueEvents } = require('bullmq')
const { Redis } = require('ioredis')

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const bin = join(root, 'bin', 'rnnlab.js')
const home = mkdtempSync(join(tmpdir(), 'rnnlab-worker-'))
const password = 'rnnlab-test-secret'
let redis, queue, events, worker, workerExited
const progress = []

beforeAll(async () => {
  redis = await startRedis({ password })
  const connection = () => new Redis(redis.url, { maxRetriesPerRequest: null })
  queue = new Queue('rnnlab-trials', { connection: connection() })
  events = new QueueEvents('rnnlab-trials', { connection: connection() })
  events.on('progress', ({ jobId, data }) => progress.push({ jobId, ...data }))
  await events.waitUntilReady()
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
  await events?.close()
  await queue?.close()
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

test('trains a trial job and reports every epoch with its checkpoint, then the end', { timeout: 180_000 }, async () => {
  const job = await queue.add('trial', { sweepId: 1, trial: 1, attempt: 'a-1', config: tiny() }, { attempts: 2 })
  const result = await job.waitUntilFinished(events, 150_000)
  assert.equal(result.type, 'done')
  assert.equal(result.attempt, 'a-1')
  assert.equal(result.reason, null)
  const mine = progress.filter((p) => p.jobId === job.id)
  assert.deepEqual(
    mine.map((p) => [p.type, p.attempt, p.metrics.epoch]),
    [
      ['epoch', 'a-1', 1],
      ['epoch', 'a-1', 2]
    ]
  )
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
      config: tiny(),
      resume: { checkpoint: firstCheckpoint.checkpoint, epoch: 1, history: firstCheckpoint.history }
    })
    const result = await job.waitUntilFinished(events, 150_000)
    assert.equal(result.attempt, 'a-2')
    assert.deepEqual(
      progress.filter((p) => p.jobId === job.id).map((p) => p.metrics.epoch),
      [2]
    )
  }
)

test('refuses a forged job, naming the field, without retrying it', { timeout: 120_000 }, async () => {
  const bad = tiny({ model: { layers: [{ type: 'gru', units: -3 }] } })
  const job = await queue.add('trial', { sweepId: 1, trial: 2, attempt: 'a-3', config: bad }, { attempts: 3 })
  await assert.rejects(
    job.waitUntilFinished(events, 100_000),
    /refused by .+: job\.config\.model\.layers\[0\]\.units: must be a positive integer, got -3/
  )
  const after = await queue.getJob(job.id)
  assert.equal(after.attemptsMade, 1)
  const notAJob = await queue.add('trial', { sweepId: 'x' }, { attempts: 3 })
  await assert.rejects(notAJob.waitUntilFinished(events, 100_000), /job\.sweepId: expected an integer, got "x"/)
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
