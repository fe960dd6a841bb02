// `npm test [-- unit|serial|browser ...]`: builds what the tests need, runs vitest (its projects in vitest.config.mts:
// unit, serial, browser; or only those named) and ends with one line of totals read from vitest's JSON report:
// `N passed, N failed` (and `, N skipped` when any).
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const projects = ['unit', 'serial', 'browser']
const wanted = process.argv.slice(2)
const unknown = wanted.filter((p) => !projects.includes(p))
if (unknown.length > 0) {
  console.error(
    `npm test: unknown runner argument ${unknown.map((p) => JSON.stringify(p)).join(', ')}: expected ${projects.join(', ')} or nothing (all)`
  )
  process.exit(2)
}

const results = join(root, 'test-results')
const report = join(results, 'vitest.json')
mkdirSync(results, { recursive: true })
// The tests run the build made just above; rnnlab must not rebuild under them if a source changes meanwhile.
const env = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', RNNLAB_NO_REBUILD: '1' }
const totals = { passed: 0, failed: 0, skipped: 0 }
const problems = []

function run(label, cmd, args) {
  console.log(
    `\n=== ${label}: ${[cmd === process.execPath ? 'node' : cmd, ...args.map((a) => relative(root, a) || a)].join(' ')}`
  )
  return spawnSync(cmd, args, { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'] }).status
}

function build() {
  if (existsSync(join(root, 'native', 'binding.gyp'))) {
    if (run('native engine', process.execPath, [join(root, 'scripts', 'build-native.mjs')]) !== 0)
      problems.push('the native engine did not build')
  }
  const builder = join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js')
  if (run('app build', process.execPath, [builder, 'build', '--logLevel', 'warn']) !== 0)
    problems.push('the app did not build')
}

function vitest(selected) {
  // A report left by an earlier run must not be counted as this one's.
  rmSync(report, { force: true })
  const status = run('vitest', process.execPath, [
    join(root, 'node_modules', 'vitest', 'vitest.mjs'),
    'run',
    ...selected.flatMap((p) => ['--project', p]),
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${report}`
  ])
  if (!existsSync(report)) {
    problems.push(`vitest wrote no report (exit ${status})`)
    totals.failed += 1
    return
  }
  const json = JSON.parse(readFileSync(report, 'utf8'))
  totals.passed += json.numPassedTests
  totals.failed += json.numFailedTests
  totals.skipped += (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0)
  // A file that fails to load, or whose beforeAll/afterAll throws, has no failed test of its own (its tests are
  // skipped or passed): it still counts as a failure.
  for (const file of json.testResults ?? []) {
    const testFailed = (file.assertionResults ?? []).some((t) => t.status === 'failed')
    if (file.status === 'failed' && (file.message || !testFailed)) {
      problems.push(`${relative(root, file.name)}: ${(file.message || 'failed outside its tests').split('\n')[0]}`)
      totals.failed += 1
    }
  }
  if (status !== 0 && totals.failed === 0) {
    problems.push(`vitest exited with ${status}`)
    totals.failed += 1
  }
}

function countFiles(dir, suffix) {
  if (!existsSync(dir)) return 0
  return readdirSync(dir, { recursive: true }).filter((name) => String(name).endsWith(suffix)).length
}

if (!process.env.RNNLAB_TEST_NO_BUILD) build()
if (problems.length === 0) {
  let selected = wanted.length > 0 ? wanted : projects
  if (selected.includes('browser')) {
    const chromium = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
      (p) => p && existsSync(p)
    )
    if (!chromium) {
      const n = countFiles(join(root, 'test', 'browser'), '.test.ts')
      selected = selected.filter((p) => p !== 'browser')
      // Under CI every test must run: each browser test file counts as a failure.
      if (process.env.CI) {
        problems.push(
          `Chromium is not installed (apt-get install chromium, or set CHROMIUM_PATH); under CI the ${n} browser test files must run`
        )
        totals.failed += n
      } else {
        console.log(
          `\nSkipping ${n} browser test files: Chromium is not installed (apt-get install chromium, or set CHROMIUM_PATH).`
        )
        totals.skipped += n
      }
    }
  }
  if (selected.length > 0) vitest(selected)
} else totals.failed += problems.length

for (const p of problems) console.log(`problem: ${p}`)
console.log(`\n${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}`)
process.exitCode = totals.failed > 0 ? 1 : 0
