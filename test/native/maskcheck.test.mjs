// Runs native/test/maskcheck.cpp: masks (embedding maskZero, masking layer; padding at the end) in every cell x
// direction mode, stacked, last step and sequences, with and without a masked per-step cross-entropy head — the
// numerical gradient check in double, the padded batch against each sequence run alone (outputs, loss, gradients),
// and the fast kernels against the reference ones with 2 threads against 1.
import { test } from 'vitest'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'
import { CELL_VARIANTS } from '../helpers/matrix'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const build = spawnSync(process.execPath, [join(root, 'scripts', 'build-native.mjs'), '--tests-only', 'maskcheck'], {
  encoding: 'utf8'
})
const run =
  build.status === 0 ? spawnSync(join(root, 'native', 'build', 'test', 'maskcheck'), [], { encoding: 'utf8' }) : null

test('masked recurrent layers: gradients, padded = unpadded one at a time, fast = reference', () => {
  assert.equal(build.status, 0, `build failed:\n${build.stdout}${build.stderr}`)
  assert.ok(run && run.status !== null, 'maskcheck did not run')
  assert.match(run.stdout, /^maskcheck: \d+ cases, 0 failed/m, run.stdout + run.stderr)
  const names = new Set([...run.stdout.matchAll(/^case (\S+)\s.* ok$/gm)].map((m) => m[1]))
  const modes = ['forward', 'go_backwards', 'bi_concat', 'bi_sum', 'bi_mul', 'bi_ave', 'bi_shared']
  for (const { name: cell } of CELL_VARIANTS)
    for (const mode of modes)
      for (const out of mode === 'go_backwards' ? ['last'] : ['last', 'sequences']) {
        for (const head of ['sum', 'softmax_ce']) {
          const want = [`grad/${cell}/${mode}/${head}/${out}`]
          for (const source of ['masking', 'embedding']) want.push(`same/${cell}/${mode}/${head}/${out}/${source}`)
          for (const name of want) assert.ok(names.has(name), `${name} missing`)
        }
        assert.ok(names.has(`fast/${cell}/${mode}/${out}`), `fast/${cell}/${mode}/${out} missing`)
      }
})
