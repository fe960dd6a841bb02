// Issue 3's acceptance run: the tutorial's model on the mnist package's 10,000 real digits (8,000 train / 2,000
// held out) reaches >= 94% validation accuracy within 10 epochs, and the loss falls every epoch for the first
// three. About 5 minutes on the reference kernels, so it runs only with RNNLAB_SLOW_TESTS=1.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { root } from './helpers.mjs'

const slow = process.env.RNNLAB_SLOW_TESTS === '1'

test('tutorial model on real MNIST digits: >= 94% validation accuracy within 10 epochs', { skip: !slow && 'set RNNLAB_SLOW_TESTS=1 (about 5 minutes)', timeout: 30 * 60_000 }, () => {
  const r = spawnSync(process.execPath, [join(root, 'native', 'bench', 'tutorial-mnist.mjs'), '10'], { encoding: 'utf8' })
  assert.equal(r.status, 0, r.stderr)
  console.log(r.stdout.trim())
  const epochs = [...r.stdout.matchAll(/^epoch \d+: loss (\S+) .* val_accuracy (\S+)/gm)].map((m) => ({ loss: Number(m[1]), val: Number(m[2]) }))
  assert.equal(epochs.length, 10)
  assert.ok(epochs[1].loss < epochs[0].loss && epochs[2].loss < epochs[1].loss, 'loss falls every epoch for the first three')
  assert.ok(Math.max(...epochs.map((e) => e.val)) >= 0.94, `best validation accuracy ${Math.max(...epochs.map((e) => e.val))}`)
})
