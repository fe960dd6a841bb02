// Runs native/test/fastcheck.cpp: the fast kernels against the reference kernels (the oracle) — forward and every
// gradient, random odd shapes, batch 1, T = 1, every cell x direction mode, dropout, stacked — on each ISA path
// this CPU has (float to 1e-5 relative per tensor, double to 1e-9); 2, 3, 4 and 8 threads against 1, and repeated runs,
// bit for bit.
import { test } from 'vitest'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { root } from './helpers.mjs'
import { CELL_VARIANTS } from '../helpers/matrix'

const build = spawnSync(process.execPath, [join(root, 'scripts', 'build-native.mjs'), '--tests-only', 'fastcheck'], {
  encoding: 'utf8'
})
const run =
  build.status === 0 ? spawnSync(join(root, 'native', 'build', 'test', 'fastcheck'), [], { encoding: 'utf8' }) : null
const lines = [...(run?.stdout ?? '').matchAll(/^case (\S+) (\S+) max_rel (\S+) at (\S+)(.*) (ok|FAIL)$/gm)]

test('fast-kernel check builds, runs and passes', () => {
  assert.equal(build.status, 0, `build failed:\n${build.stdout}${build.stderr}`)
  assert.match(
    run.stdout,
    /^fastcheck: \d+ comparisons, 0 failed/m,
    run.stdout
      .split('\n')
      .filter((l) => l.endsWith('FAIL'))
      .join('\n')
  )
})

test('fast-kernel check covers every cell, direction mode, edge shape and path', () => {
  const names = new Set(lines.map((l) => l[1]))
  const paths = new Set(lines.map((l) => l[2]))
  for (const p of ['double', 'portable']) assert.ok(paths.has(p), `path ${p} missing`)
  for (const n of [2, 3, 4, 8])
    for (const p of [`threads${n}-vs-1`, `threads${n}-repeat`]) assert.ok(paths.has(p), `path ${p} missing`)
  for (const { name: cell } of CELL_VARIANTS)
    for (const mode of ['forward', 'go_backwards', 'bi_concat', 'bi_sum', 'bi_mul', 'bi_ave', 'bi_shared']) {
      const prefix = `${cell}/${mode}/`
      assert.ok(
        [...names].some((n) => n.startsWith(prefix + 'T1_B1')),
        `${prefix} T=1, B=1 missing`
      )
      assert.ok(
        [...names].some((n) => n.startsWith(prefix) && n.includes('_B1_') && !n.includes('T1_')),
        `${prefix} B=1 missing`
      )
    }
  assert.ok([...names].some((n) => n.includes('/dropout')) && [...names].some((n) => n.includes('/stacked')))
})

test('2, 3, 4 and 8 threads give the same bits as one, and repeated runs the same bits', () => {
  const threads = lines.filter((l) => l[2].startsWith('threads'))
  // every case with a batch of 53 (several row chunks of the recurrent loop) is among them
  assert.ok(threads.some((l) => l[1].includes('_B53_') && l[2] === 'threads8-vs-1'))
  for (const l of threads) assert.ok(l[5].includes(' identical'), `${l[1]} ${l[2]}: ${l[5]}`)
})

for (const [, name, path, rel, at, , verdict] of lines) {
  if (verdict !== 'ok')
    test(`fast path ${name} (${path})`, () => assert.fail(`max relative difference ${rel} at ${at}`))
}
