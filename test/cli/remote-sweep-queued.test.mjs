// A sweep through Redis whose trials no worker has taken yet: they are "queued (remote)", none running, in `rnnlab
// sweep show` and its counts; trials added to it meanwhile (`rnnlab sweep add` from another process) go to the queue
// too; once a worker starts, it takes them one by one (running 1, the rest still queued), and all end completed.
import { afterAll, beforeAll, test } from 'vitest'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startRedis } from '../helpers/redis.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const bin = join(root, 'bin', 'rnnlab.js')
const dir = mkdtempSync(join(tmpdir(), 'rnnlab-remote-queued-'))
const ownerHome = join(dir, 'owner')
const db = join(dir, 'owner.db')
let redis
const children = []

const wait = (ms) => new Promise((r) => setTimeout(r, ms))
async function until(what, check, timeoutMs) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await check()
    if (v) return v
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`)
    await wait(100)
  }
}

beforeAll(async () => {
  redis = await startRedis({})
}, 60_000)
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM')
  await Promise.all(
    children.map((c) => (c.exitCode !== null || c.signalCode !== null ? null : new Promise((r) => c.once('exit', r))))
  )
  await redis?.stop()
  rmSync(dir, { recursive: true, force: true })
})

function show() {
  const r = spawnSync(process.execPath, [bin, 'sweep', 'show', '1', '--db', db, '--json'], {
    env: { ...process.env, RNNLAB_HOME: ownerHome },
    encoding: 'utf8'
  })
  assert.equal(r.status, 0, r.stderr)
  return JSON.parse(r.stdout)
}
function showText() {
  const r = spawnSync(process.execPath, [bin, 'sweep', 'show', '1', '--db', db], {
    env: { ...process.env, RNNLAB_HOME: ownerHome },
    encoding: 'utf8'
  })
  assert.equal(r.status, 0, r.stderr)
  return r.stdout
}

test(
  'trials waiting in Redis are queued (remote), not running; added ones join them; a worker runs them all',
  { timeout: 600_000 },
  async () => {
    const file = join(dir, 'queued.json')
    writeFileSync(
      file,
      JSON.stringify({
        name: 'queued',
        base: {
          dataset: { source: 'mnist-sample', limit: 300 },
          model: {
            layers: [
              { type: 'gru', units: 6 },
              { type: 'dense', units: 10, activation: 'softmax' }
            ]
          },
          training: { optimizer: { type: 'adam', learningRate: 0.01 }, batchSize: 32, epochs: 1, seed: 5 }
        },
        parameters: { 'model.layers.0.units': [4, 6] }
      })
    )
    const owner = spawn(process.execPath, [bin, 'sweep', file, '--redis', redis.url, '--db', db, '--json'], {
      env: { ...process.env, RNNLAB_HOME: ownerHome },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    children.push(owner)
    let out = ''
    let err = ''
    owner.stdout.on('data', (c) => (out += c))
    owner.stderr.on('data', (c) => (err += c))
    const exited = new Promise((r) => owner.once('exit', (code) => r(code)))
    const events = () =>
      out
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l))

    // No worker yet: both trials wait in Redis, none running.
    await until(
      'two trials on the queue',
      () => events().filter((e) => e.event === 'trial' && e.state === 'queued').length === 2,
      60_000
    )
    let d = show()
    assert.equal(d.status, 'running')
    assert.deepEqual([d.counts.running, d.counts.queued], [0, 2])
    assert.deepEqual(
      d.trialList.map((t) => t.state),
      ['queued', 'queued']
    )
    const text = showText()
    assert.match(text, /QUEUED \(REMOTE\)/)
    assert.equal(text.match(/queued \(remote\)/g)?.length, 2, text)

    // Trials added from another process: the owner puts them on the queue as well.
    const add = spawnSync(process.execPath, [bin, 'sweep', 'add', '1', '--trials', '1', '--db', db], {
      env: { ...process.env, RNNLAB_HOME: ownerHome },
      encoding: 'utf8'
    })
    assert.equal(add.status, 1, 'a grid takes values')
    const values = join(dir, 'more.json')
    writeFileSync(values, JSON.stringify({ 'model.layers.0.units': [8] }))
    const added = spawnSync(process.execPath, [bin, 'sweep', 'add', '1', values, '--db', db], {
      env: { ...process.env, RNNLAB_HOME: ownerHome },
      encoding: 'utf8'
    })
    assert.equal(added.status, 0, added.stderr)
    assert.match(added.stderr, /Added trial 3 to sweep 1; process \d+ on .*, which runs the sweep, picks them up\./)
    await until(
      'the added trial on the queue',
      () => events().some((e) => e.event === 'trial' && e.trial === 3 && e.state === 'queued'),
      60_000
    )
    d = show()
    assert.deepEqual([d.trials, d.counts.running, d.counts.queued], [3, 0, 3])

    // One worker, one trial at a time: while it trains one, the others are still queued.
    const home = join(dir, 'worker')
    mkdirSync(home, { recursive: true })
    const worker = spawn(
      process.execPath,
      [bin, 'worker', '--redis', redis.url, '--threads', '1', '--concurrency', '1'],
      {
        env: { ...process.env, RNNLAB_HOME: home },
        stdio: ['ignore', 'ignore', 'ignore']
      }
    )
    children.push(worker)
    await until(
      'the worker to start a trial',
      () => show().counts.running === 1 || show().counts.completed > 0,
      120_000
    )
    d = show()
    assert.ok(d.counts.running <= 1, `one worker trains at most one trial, got ${d.counts.running} running`)
    assert.equal(d.counts.running + d.counts.queued + d.counts.completed, 3)

    const code = await exited
    assert.equal(code, 0, err)
    d = show()
    assert.equal(d.status, 'completed')
    assert.deepEqual(
      d.trialList.map((t) => [t.trial, t.params['model.layers.0.units'], t.state, t.attempts]),
      [
        [1, 4, 'completed', 1],
        [2, 6, 'completed', 1],
        [3, 8, 'completed', 1]
      ]
    )
  }
)
