// Runs native/test/reference.cpp: the engine's forward outputs and gradients (dW, dR, dB, dx) against PyTorch's
// on the float64 fixtures in test/fixtures/reference/*.ref (double path to 1e-9, float path to 1e-5 relative), for
// the reference kernels and the fast kernels on every ISA path this CPU has (portable, avx2, avx512).
import { test } from 'vitest'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { root } from './helpers.mjs'
import { listReferenceFiles, referenceDir } from '../helpers/reference.mjs'

const build = spawnSync(process.execPath, [join(root, 'scripts', 'build-native.mjs'), '--tests-only', 'reference'], {
  encoding: 'utf8'
})
const run =
  build.status === 0
    ? spawnSync(join(root, 'native', 'build', 'test', 'reference'), [referenceDir], { encoding: 'utf8' })
    : null
const cases = [
  ...(run?.stdout ?? '').matchAll(/^reference (\S+) (\S+)\n {2}double: (.*)\n {2}float: (.*?)\s+(ok|FAIL)$/gm)
]

test('reference comparison builds, runs and covers every fixture on every path', () => {
  assert.equal(build.status, 0, `build failed:\n${build.stdout}${build.stderr}`)
  const files = listReferenceFiles().map((p) => p.split('/').pop())
  assert.match(
    run.stdout,
    new RegExp(`^reference: ${files.length} fixtures, \\d+ comparisons, 0 failed`, 'm'),
    run.stdout
  )
  for (const merge of ['sum', 'mul', 'ave'])
    assert.ok(
      files.some((f) => f.startsWith(`stacked-merge_${merge}-`)),
      `no fixture of a ${merge} merge`
    )
  for (const file of files)
    for (const path of ['reference', 'fast-portable'])
      assert.ok(
        cases.some((c) => c[1] === file && c[2] === path),
        `${file} ${path} missing`
      )
})

test('masked fixtures (pack_padded_sequence) are compared on every path', () => {
  const masked = readdirSync(join(referenceDir, 'masked')).filter((f) => f.endsWith('.ref'))
  assert.ok(masked.length >= 10, 'masked fixtures missing')
  assert.match(
    run.stdout,
    new RegExp(`^reference masked: ${masked.length} fixtures, \\d+ comparisons, 0 failed`, 'm'),
    run.stdout
  )
  for (const file of masked)
    for (const path of ['reference', 'fast-portable'])
      assert.ok(
        cases.some((c) => c[1] === `masked/${file}` && c[2] === path),
        `masked/${file} ${path} missing`
      )
})

for (const [, file, path, double, float, verdict] of cases) {
  test(`matches PyTorch: ${file} (${path})`, () => {
    assert.equal(verdict, 'ok', `double: ${double}\nfloat: ${float}`)
  })
}
