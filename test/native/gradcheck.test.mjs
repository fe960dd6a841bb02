// Runs the engine's C++ numerical gradient check (native/test/gradcheck.cpp) and asserts every case:
// every cell x direction mode x {last step, sequences}, stacked 2 deep, plus softmax cross-entropy, a dense head of
// each elementwise activation (linear, relu, sigmoid, tanh) under the MSE loss, a linear head under MAE, and dropout.
import { test } from 'vitest'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'
import { CELL_VARIANTS } from '../helpers/matrix'
import { DENSE_ACTIVATIONS } from '../../common/config'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const build = spawnSync(process.execPath, [join(root, 'scripts', 'build-native.mjs'), '--tests-only', 'gradcheck'], {
  encoding: 'utf8'
})
const run =
  build.status === 0 ? spawnSync(join(root, 'native', 'build', 'test', 'gradcheck'), [], { encoding: 'utf8' }) : null
const cases = [
  ...(run?.stdout ?? '').matchAll(
    /^case (\S+)\s+params\s+(\d+)\s+worst_rel (\S+)\s+worst_abs (\S+)\s+at (\S+)\s+(ok|FAIL)$/gm
  )
]

test('gradient check program builds and runs', () => {
  assert.equal(build.status, 0, `build failed:\n${build.stdout}${build.stderr}`)
  assert.ok(run && run.status !== null, 'gradcheck did not run')
  assert.match(run.stdout, /^gradcheck: \d+ cases, 0 failed/m, run.stdout + run.stderr)
})

test('gradient check covers every cell, direction mode and output kind', () => {
  const names = new Set(cases.map((c) => c[1]))
  for (const { name: cell } of CELL_VARIANTS) {
    for (const mode of ['forward', 'go_backwards', 'bi_concat', 'bi_sum', 'bi_mul', 'bi_ave', 'bi_shared'])
      for (const out of ['last', 'sequences'])
        assert.ok(names.has(`${cell}/${mode}/${out}`), `${cell}/${mode}/${out} missing`)
    assert.ok(names.has(`${cell}/dense_softmax_ce/last`) && names.has(`${cell}/dense_softmax_ce/sequences`))
    assert.ok(names.has(`${cell}/dropout_dense_tanh/last`))
    assert.ok(names.has(`${cell}/dense_linear_mae/last`) && names.has(`${cell}/dense_linear_mae/sequences`))
  }
})

test('gradient check covers the MSE loss through a dense head of every elementwise activation', () => {
  const names = new Set(cases.map((c) => c[1]))
  const activations = DENSE_ACTIVATIONS.filter((a) => a !== 'softmax')
  assert.deepEqual([...activations].sort(), ['linear', 'relu', 'sigmoid', 'tanh'])
  for (const { name: cell } of CELL_VARIANTS)
    for (const activation of activations)
      for (const out of ['last', 'sequences'])
        assert.ok(names.has(`${cell}/dense_${activation}_mse/${out}`), `${cell}/dense_${activation}_mse/${out} missing`)
})

for (const [, name, params, worstRel, , at, verdict] of cases) {
  test(`gradient check ${name} (${params} params + input)`, () => {
    assert.ok(Number(worstRel) <= 1e-6 && verdict === 'ok', `worst relative error ${worstRel} at ${at}`)
  })
}
