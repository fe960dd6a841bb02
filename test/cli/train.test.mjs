// `rnnlab train` as a person uses it: Keras-like epoch lines, the run id on stdout, Ctrl-C cancels cleanly.
import { afterAll, test } from 'vitest'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const bin = join(root, 'bin', 'rnnlab.js')
const home = mkdtempSync(join(tmpdir(), 'rnnlab-train-'))
const env = { ...process.env, RNNLAB_HOME: home }
afterAll(() => rmSync(home, { recursive: true, force: true }))

function config(name, epochs, limit) {
  const file = join(home, `${name}.json`)
  writeFileSync(
    file,
    JSON.stringify({
      name,
      dataset: { source: 'mnist-sample', limit },
      model: {
        layers: [
          { type: 'gru', units: 16 },
          { type: 'dropout', rate: 0.1 },
          { type: 'dense', units: 10, activation: 'softmax' }
        ]
      },
      training: { optimizer: { type: 'adam', learningRate: 0.01 }, batchSize: 32, epochs }
    })
  )
  return file
}

test('trains, prints an epoch line per epoch with validation figures, and the run id', () => {
  const r = spawnSync(process.execPath, [bin, 'train', config('quick', 2, 600)], { env, encoding: 'utf8' })
  assert.equal(r.status, 0, r.stderr)
  const runId = r.stdout.trim()
  assert.match(runId, /^\d+$/)
  assert.match(r.stderr, new RegExp(`^Run ${runId}: quick$`, 'm'))
  assert.match(r.stderr, /^Epoch 1\/2$/m)
  assert.match(
    r.stderr,
    /^15\/15 \[=+\] - \d+s \d+ms\/step - loss: \d\.\d{4} - accuracy: \d\.\d{4} - val_loss: \d\.\d{4} - val_accuracy: \d\.\d{4}$/m
  )
  assert.match(r.stderr, /^Epoch 2\/2$/m)
  assert.match(
    r.stderr,
    new RegExp(`^Run ${runId} completed\\. Best val_accuracy \\d+\\.\\d\\d% at epoch [12]\\.$`, 'm')
  )
  const show = JSON.parse(spawnSync(process.execPath, [bin, 'show', runId, '--json'], { env, encoding: 'utf8' }).stdout)
  assert.equal(show.status, 'completed')
  assert.equal(show.epochs.length, 2)
  assert.equal(show.paramCount, 3 * 16 * (28 + 16) + 2 * 3 * 16 + 16 * 10 + 10)
})

test(
  "the README's command trains the tutorial's experiment (shortened here to one epoch)",
  { timeout: 120_000 },
  () => {
    const r = spawnSync(
      process.execPath,
      [bin, 'train', join(root, 'examples', 'seed-bilstm-mnist.json'), '--epochs', '1'],
      { env, encoding: 'utf8' }
    )
    assert.equal(r.status, 0, r.stderr)
    assert.match(r.stderr, /^training on 8,000 samples, validating on 2,000$/m)
    assert.match(r.stderr, /^125\/125 \[=+\] .* val_accuracy: 0\.[5-9]\d{3}$/m)
    const show = JSON.parse(
      spawnSync(process.execPath, [bin, 'show', r.stdout.trim(), '--json'], { env, encoding: 'utf8' }).stdout
    )
    assert.equal(show.name, 'seed-bilstm-mnist')
    assert.equal(show.paramCount, 93010)
    assert.equal(show.status, 'completed')
  }
)

test('--epochs overrides the config; a bad flag value is named', () => {
  const ok = spawnSync(process.execPath, [bin, 'train', config('override', 5, 300), '--epochs', '1', '--json'], {
    env,
    encoding: 'utf8'
  })
  assert.equal(ok.status, 0, ok.stderr)
  const events = ok.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
  assert.equal(events.filter((e) => e.event === 'epoch').length, 1)
  assert.deepEqual(events.at(-1), { event: 'finished', runId: events[0].runId, status: 'completed', error: null })
  const bad = spawnSync(process.execPath, [bin, 'train', config('bad', 1, 300), '--epochs', 'many'], {
    env,
    encoding: 'utf8'
  })
  assert.equal(bad.status, 2)
  assert.equal(bad.stderr.trim(), 'rnnlab: --epochs: expected an integer from 1 to 1000000, got many')
})

test('another process reads and edits the same database while a run trains', { timeout: 60_000 }, async () => {
  const child = spawn(process.execPath, [bin, 'train', config('shared', 6, 2000), '--json'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  child.stdout.on('data', (c) => (out += c))
  const exited = new Promise((resolve) => child.once('exit', (c) => resolve(c)))
  let reads = 0
  let sawRunning = false
  let done = false
  exited.then(() => (done = true))
  while (!done) {
    // Let the exit event through between the synchronous reads.
    await new Promise((resolve) => setTimeout(resolve, 20))
    const r = spawnSync(process.execPath, [bin, 'runs', '--json', '--all'], { env, encoding: 'utf8' })
    assert.equal(r.status, 0, r.stderr)
    const shared = JSON.parse(r.stdout).find((run) => run.name === 'shared')
    if (shared?.status === 'running') {
      sawRunning = true
      // The app deletes and restores another run at the same time as the trainer writes.
      const other = JSON.parse(r.stdout).find((run) => run.name !== 'shared')
      if (other) {
        assert.equal(spawnSync(process.execPath, [bin, 'delete', String(other.id)], { env }).status, 0)
        const d = spawnSync(process.execPath, [bin, 'runs', '--json', '--all'], { env, encoding: 'utf8' })
        assert.ok(!JSON.parse(d.stdout).some((run) => run.id === other.id))
      }
    }
    reads++
  }
  assert.equal(await exited, 0)
  assert.ok(sawRunning, `never saw the run while it trained (${reads} reads)`)
  const runId = JSON.parse(out.split('\n')[0]).runId
  const show = JSON.parse(
    spawnSync(process.execPath, [bin, 'show', String(runId), '--json'], { env, encoding: 'utf8' }).stdout
  )
  assert.equal(show.status, 'completed')
  assert.equal(show.epochs.length, 6)
})

test('Ctrl-C cancels the run cleanly: marked cancelled, exit 130', { timeout: 60_000 }, async () => {
  const child = spawn(process.execPath, [bin, 'train', config('long', 40, 3000), '--json'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  await new Promise((resolve) => {
    child.stdout.on('data', (c) => {
      out += c
      if (out.includes('"event":"epoch"')) resolve()
    })
  })
  child.kill('SIGINT')
  const code = await new Promise((resolve) => child.once('exit', (c) => resolve(c)))
  assert.equal(code, 130)
  const runId = JSON.parse(out.split('\n')[0]).runId
  const show = JSON.parse(
    spawnSync(process.execPath, [bin, 'show', String(runId), '--json'], { env, encoding: 'utf8' }).stdout
  )
  assert.equal(show.status, 'cancelled')
  assert.ok(show.epochs.length >= 1)
})
