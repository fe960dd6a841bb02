// Runs native/test/reference.cpp: the engine's outputs and gradients against PyTorch's on the committed small
// cases in native/test/fixtures/reference.bin (double path to 1e-9, float path to 1e-5 relative).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { root } from './helpers.mjs'

const build = spawnSync(process.execPath, [join(root, 'scripts', 'build-native.mjs'), '--tests-only', 'reference'], { encoding: 'utf8' })
const run = build.status === 0
  ? spawnSync(join(root, 'native', 'build', 'test', 'reference'), [join(root, 'native', 'test', 'fixtures', 'reference.bin')], { encoding: 'utf8' })
  : null
const cases = [...(run?.stdout ?? '').matchAll(/^reference (T=.*)\n  double: (.*)\n  float: (.*?)\s+(ok|FAIL)$/gm)]

test('reference comparison builds, runs and covers every cell', () => {
  assert.equal(build.status, 0, `build failed:\n${build.stdout}${build.stderr}`)
  assert.match(run.stdout, /^reference: 15 cases, 0 failed/m, run.stdout)
  for (const cell of ['cell=simple_rnn units', 'cell=simple_rnn relu=1', 'cell=lstm', 'cell=gru reset_after=1', 'cell=gru reset_after=0'])
    assert.equal(cases.filter((c) => c[1].includes(cell)).length, 3, cell)
})

for (const [, spec, double, float, verdict] of cases) {
  test(`matches PyTorch: ${spec}`, () => {
    assert.equal(verdict, 'ok', `double: ${double}\nfloat: ${float}`)
  })
}
