// scripts/test.mjs, the one runner, run on scratch vitest projects: a failing beforeAll counts as a failure, a report
// left by an earlier run is never read as this run's, and an unknown runner name fails before anything runs.
import { test } from 'vitest'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** A project folder holding a copy of the runner, this repo's node_modules and the given files. */
function scratch(files) {
  const dir = mkdtempSync(join(tmpdir(), 'rnnlab-runner-'))
  mkdirSync(join(dir, 'scripts'))
  copyFileSync(join(root, 'scripts', 'test.mjs'), join(dir, 'scripts', 'test.mjs'))
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir')
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true })
    writeFileSync(join(dir, name), text)
  }
  return dir
}

const config = `import { defineConfig } from 'vitest/config'
export default defineConfig({
  test: {
    projects: [
      { extends: true, test: { name: 'unit', include: ['unit/**/*.test.mjs'] } },
      { extends: true, test: { name: 'serial', include: ['serial/**/*.test.mjs'] } },
      { extends: true, test: { name: 'browser', include: ['browser/**/*.test.mjs'] } }
    ]
  }
})
`

function runner(dir, ...args) {
  const r = spawnSync(process.execPath, [join(dir, 'scripts', 'test.mjs'), ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, RNNLAB_TEST_NO_BUILD: '1', CI: '' },
    timeout: 120_000
  })
  const lines = r.stdout.trim().split('\n')
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, totals: lines.at(-1), output: r.stdout + r.stderr }
}

test('a beforeAll that throws counts as a failure, named with its file, and the run fails', () => {
  const dir = scratch({
    'vitest.config.mts': config,
    'unit/pass.test.mjs': "import { expect, test } from 'vitest'\ntest('adds', () => expect(1 + 1).toBe(2))\n",
    'unit/hook.test.mjs':
      "import { beforeAll, expect, test } from 'vitest'\n" +
      "beforeAll(() => { throw new Error('the fixture could not be made') })\n" +
      "test('uses the fixture', () => expect(2).toBe(2))\n"
  })
  try {
    const r = runner(dir, 'unit')
    assert.equal(r.status, 1, r.output)
    assert.match(r.totals, /^1 passed, 1 failed/, r.output)
    assert.match(r.stdout, /^problem: unit\/hook\.test\.mjs: /m, r.output)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('a report left by an earlier run is deleted, not counted, when vitest writes none', () => {
  const stale = { numPassedTests: 999, numFailedTests: 0, numPendingTests: 0, testResults: [] }
  const dir = scratch({
    'vitest.config.mts': "throw new Error('this config does not load')\n",
    'unit/pass.test.mjs': "import { expect, test } from 'vitest'\ntest('adds', () => expect(1 + 1).toBe(2))\n",
    'test-results/vitest.json': JSON.stringify(stale)
  })
  try {
    const r = runner(dir, 'unit')
    assert.equal(r.status, 1, r.output)
    assert.equal(r.totals, '0 passed, 1 failed', r.output)
    assert.match(r.stdout, /^problem: vitest wrote no report \(exit \d+\)$/m, r.output)
    assert.doesNotMatch(r.stdout, /999/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('an unknown runner name fails before anything runs, naming it and the known ones', () => {
  const dir = scratch({
    'vitest.config.mts': config,
    'unit/pass.test.mjs': "import { expect, test } from 'vitest'\ntest('adds', () => expect(1 + 1).toBe(2))\n"
  })
  try {
    const r = runner(dir, 'unit', 'units')
    assert.equal(r.status, 2, r.output)
    assert.equal(
      r.stderr.trim(),
      'npm test: unknown runner argument "units": expected unit, serial, browser or nothing (all)',
      r.output
    )
    assert.doesNotMatch(r.stdout, /=== vitest/)
    // The same project with only known names runs and passes: the refusal above was the name's doing.
    const ok = runner(dir, 'unit')
    assert.equal(ok.status, 0, ok.output)
    assert.equal(ok.totals, '1 passed, 0 failed', ok.output)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
