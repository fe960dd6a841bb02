// `npm test`: builds what the tests need, runs every runner (vitest unit tests, node's test runner, the browser
// tests in Chromium) and ends with one line of totals over all of them: `N passed, N failed`.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const results = join(root, 'test-results')
mkdirSync(results, { recursive: true })
// The tests run the build made just above; rnnlab must not rebuild under them if a source changes meanwhile.
const env = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', RNNLAB_NO_REBUILD: '1' }
const totals = { passed: 0, failed: 0, skipped: 0 }
const problems = []

function run(label, cmd, args) {
  console.log(`\n=== ${label}: ${[cmd === process.execPath ? 'node' : cmd, ...args.map((a) => relative(root, a) || a)].join(' ')}`)
  const r = spawnSync(cmd, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 })
  process.stdout.write(r.stdout ?? '')
  return { status: r.status, stdout: r.stdout ?? '' }
}

function build() {
  if (existsSync(join(root, 'native', 'binding.gyp'))) {
    const r = run('native engine', process.execPath, [join(root, 'scripts', 'build-native.mjs')])
    if (r.status !== 0) problems.push('the native engine did not build')
  }
  const r = run('app build', process.execPath, [join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build', '--logLevel', 'warn'])
  if (r.status !== 0) problems.push('the app did not build')
}

function vitest(label, config, reportName) {
  const report = join(results, reportName)
  const r = run(label, process.execPath, [
    join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--config', config,
    '--reporter=default', '--reporter=json', `--outputFile.json=${report}`
  ])
  if (!existsSync(report)) {
    problems.push(`${label}: vitest wrote no report (exit ${r.status})`)
    totals.failed += 1
    return
  }
  const json = JSON.parse(readFileSync(report, 'utf8'))
  totals.passed += json.numPassedTests
  totals.failed += json.numFailedTests
  totals.skipped += (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0)
  // A file that fails to load has no tests but must still count as a failure.
  const brokenFiles = (json.testResults ?? []).filter((f) => f.status === 'failed' && (f.assertionResults ?? []).length === 0)
  totals.failed += brokenFiles.length
  if (r.status !== 0 && json.numFailedTests === 0 && brokenFiles.length === 0) {
    problems.push(`${label}: vitest exited with ${r.status}`)
    totals.failed += 1
  }
}

function findFiles(dir, suffix) {
  if (!existsSync(dir)) return []
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    return statSync(p).isDirectory() ? findFiles(p, suffix) : name.endsWith(suffix) ? [p] : []
  })
}

function nodeTests() {
  const files = findFiles(join(root, 'test'), '.test.mjs').sort()
  if (files.length === 0) return
  const r = run('node --test', process.execPath, ['--test', '--test-reporter=tap', ...files])
  const pass = /^# pass (\d+)$/m.exec(r.stdout)
  const fail = /^# fail (\d+)$/m.exec(r.stdout)
  const skipped = /^# skipped (\d+)$/m.exec(r.stdout)
  if (!pass || !fail) {
    problems.push(`node --test printed no totals (exit ${r.status})`)
    totals.failed += 1
    return
  }
  totals.passed += Number(pass[1])
  totals.failed += Number(fail[1])
  totals.skipped += skipped ? Number(skipped[1]) : 0
  if (r.status !== 0 && Number(fail[1]) === 0) {
    problems.push(`node --test exited with ${r.status}`)
    totals.failed += 1
  }
}

const only = process.argv[2] // optional: unit | node | browser
if (!process.env.RNNLAB_TEST_NO_BUILD) build()
if (problems.length === 0) {
  if (!only || only === 'unit') vitest('vitest (unit and integration)', join(root, 'vitest.config.mts'), 'vitest-unit.json')
  if (!only || only === 'unit') vitest('vitest (timing-sensitive, one file at a time)', join(root, 'vitest.serial.config.mts'), 'vitest-serial.json')
  if (!only || only === 'node') nodeTests()
  if (!only || only === 'browser') {
    const chromium = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => p && existsSync(p))
    if (chromium || process.env.CI) vitest('browser tests (Chromium)', join(root, 'vitest.browser.config.mts'), 'vitest-browser.json')
    else {
      const n = findFiles(join(root, 'test', 'browser'), '.test.ts').length
      console.log(`\nSkipping ${n} browser test files: Chromium is not installed (apt-get install chromium, or set CHROMIUM_PATH).`)
      totals.skipped += n
    }
  }
} else totals.failed += problems.length

for (const p of problems) console.log(`problem: ${p}`)
console.log(`\n${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}`)
process.exitCode = totals.failed > 0 ? 1 : 0
