// The ONNX workflow from a terminal: train, export with its parity report, predict in onnxruntime and in the engine,
// start a new run from the exported weights, and refuse a file that does not fit the config.
import { afterAll, test } from 'vitest'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const bin = join(root, 'bin', 'rnnlab.js')
const home = mkdtempSync(join(tmpdir(), 'rnnlab-onnx-'))
const env = { ...process.env, RNNLAB_HOME: home }
const rnnlab = (...args) => spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8' })
afterAll(() => rmSync(home, { recursive: true, force: true }))

function config(name, units) {
  const file = join(home, `${name}.json`)
  writeFileSync(
    file,
    JSON.stringify({
      name,
      dataset: { source: 'mnist-sample', limit: 800 },
      model: {
        layers: [
          { type: 'bidirectional', mergeMode: 'sum', layer: { type: 'gru', units, returnSequences: true } },
          { type: 'lstm', units: 8, goBackwards: true },
          { type: 'dense', units: 10, activation: 'softmax' }
        ]
      },
      training: { optimizer: { type: 'adam', learningRate: 0.01 }, batchSize: 32, epochs: 2 }
    })
  )
  return file
}

/** A .npy file of float32 samples [n, 28, 28] with values in 0..1. */
function writeSamples(path, n) {
  const header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${n}, 28, 28), }`
  const padded = header + ' '.repeat(64 - ((10 + header.length + 1) % 64)) + '\n'
  const head = Buffer.alloc(10)
  Buffer.from('\x93NUMPY', 'latin1').copy(head)
  head[6] = 1
  head.writeUInt16LE(padded.length, 8)
  const data = new Float32Array(n * 28 * 28).map((_, i) => ((i * 7919) % 256) / 255)
  writeFileSync(path, Buffer.concat([head, Buffer.from(padded, 'latin1'), Buffer.from(data.buffer)]))
}

test(
  'export writes a checked ONNX file; predict agrees in onnxruntime and the engine; --init-from reuses it',
  { timeout: 120_000 },
  () => {
    const trained = rnnlab('train', config('exported', 6))
    assert.equal(trained.status, 0, trained.stderr)
    const runId = trained.stdout.trim()
    const out = join(home, 'model.onnx')

    const exported = rnnlab('export', runId, '--out', out)
    assert.equal(exported.status, 0, exported.stderr)
    assert.match(exported.stdout, /^parity ok: max \|Δ\| \d\.\d\de-\d+/m)
    assert.match(exported.stdout, /batch {2}64 {2}T=28/)
    assert.match(
      exported.stdout,
      new RegExp(`^Wrote ${out.replace(/[.]/g, '\\.')} \\([\\d,]+ bytes, best checkpoint, epoch [12]\\)$`, 'm')
    )
    assert.ok(existsSync(out))
    const report = JSON.parse(
      rnnlab('export', runId, '--out', join(home, 'last.onnx'), '--checkpoint', 'last', '--json').stdout
    )
    assert.equal(report.ok, true)
    assert.equal(report.checkpoint, 'last')
    assert.equal(report.epoch, 2)
    assert.ok(report.maxAbsDiff <= 1e-5, `max abs diff ${report.maxAbsDiff}`)
    assert.equal(report.argmaxAgreement, 1)

    const x = join(home, 'x.npy')
    writeSamples(x, 5)
    const onnx = JSON.parse(rnnlab('predict', out, '--input', x, '--json').stdout)
    const native = JSON.parse(rnnlab('predict', runId, '--input', x, '--engine', 'native', '--json').stdout)
    assert.deepEqual(onnx.dims, [5, 10])
    assert.deepEqual(onnx.argmax, native.argmax)
    const probs = join(home, 'probs.npy')
    const written = rnnlab('predict', out, '--input', x, '--out', probs)
    assert.equal(written.status, 0, written.stderr)
    assert.equal(readFileSync(probs).length, 128 + 5 * 10 * 4)

    const fine = rnnlab('train', config('fine-tuned', 6), '--init-from', out, '--epochs', '1', '--json')
    assert.equal(fine.status, 0, fine.stderr)
    assert.ok(fine.stdout.includes(`loading weights from ${out}`))
    const mismatch = rnnlab('train', config('mismatch', 7), '--init-from', out)
    assert.equal(mismatch.status, 1)
    assert.match(mismatch.stderr, /failed: model\.onnx: layer 0 \(GRU\) hidden_size 6, the config says 7\.$/m)
  }
)

test('export and predict name what is wrong', () => {
  assert.equal(rnnlab('export', '999', '--out', join(home, 'x.onnx')).stderr.trim(), 'rnnlab: run 999 not found')
  assert.equal(rnnlab('export', '1').stderr.trim(), 'rnnlab: --out: give the .onnx file to write')
  const garbage = join(home, 'garbage.onnx')
  writeFileSync(garbage, 'not a model')
  const r = rnnlab('predict', garbage, '--input', join(home, 'x.npy'))
  assert.equal(r.status, 1)
  assert.match(r.stderr, /^rnnlab: garbage\.onnx: /)
  assert.equal(r.stderr.trim().split('\n').length, 1)
})
