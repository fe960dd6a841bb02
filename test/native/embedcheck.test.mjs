// Runs the C++ gradient check of the embedding layer and the fused binary cross-entropy head
// (native/test/embedcheck.cpp), in double: every cell, forward / bidirectional / shared, last step and sequences,
// under sparse categorical and binary cross-entropy.
import { test } from 'vitest'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'
import { CELL_VARIANTS } from '../helpers/matrix'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const build = spawnSync(process.execPath, [join(root, 'scripts', 'build-native.mjs'), '--tests-only', 'embedcheck'], {
  encoding: 'utf8'
})
const run =
  build.status === 0 ? spawnSync(join(root, 'native', 'build', 'test', 'embedcheck'), [], { encoding: 'utf8' }) : null

test('embedding and binary cross-entropy gradients match finite differences in double', () => {
  assert.equal(build.status, 0, `build failed:\n${build.stdout}${build.stderr}`)
  assert.ok(run && run.status !== null, 'embedcheck did not run')
  assert.match(run.stdout, /^embedcheck: \d+ cases, 0 failed/m, run.stdout + run.stderr)
  const names = new Set([...run.stdout.matchAll(/^case (\S+)\s.* ok$/gm)].map((m) => m[1]))
  for (const { name: cell } of CELL_VARIANTS)
    for (const mode of ['forward', 'bi_concat', 'bi_shared'])
      for (const loss of ['sparse_ce', 'binary_ce'])
        for (const out of ['last', 'sequences'])
          assert.ok(names.has(`${cell}/${mode}/${loss}/${out}`), `${cell}/${mode}/${loss}/${out} missing`)
})
