// Builds the native engine (native/build/Release/rnnlab_engine.node) with npm's own node-gyp;
// with --tests also builds the C++ test programs into native/build/test/ with the system C++ compiler
// (--tests-only [name...]: only those programs, e.g. gradcheck, reference).
import { existsSync, mkdirSync, readdirSync, renameSync, statSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'
import { findNodeGyp } from './node-gyp.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const native = join(root, 'native')
const args = process.argv.slice(2)
const testsOnly = args.includes('--tests-only')
const withTests = testsOnly || args.includes('--tests')

function fail(message) {
  console.error(`build-native: ${message}`)
  process.exit(1)
}

function run(cmd, cmdArgs, options = {}) {
  const r = spawnSync(cmd, cmdArgs, { cwd: native, stdio: 'inherit', ...options })
  if (r.error) fail(`'${cmd}' could not start: ${r.error.message}`)
  if (r.status !== 0) fail(`'${cmd} ${cmdArgs.join(' ')}' failed (exit ${r.status})`)
}

function nodeGyp() {
  try {
    return findNodeGyp()
  } catch (e) {
    fail(e.message)
  }
}

if (!testsOnly) {
  const env = { ...process.env }
  // Build against the installed Node headers when the system has them, instead of downloading headers.
  if (!env.npm_config_nodedir && existsSync('/usr/include/node/node_api.h')) env.npm_config_nodedir = '/usr'
  // configure + build (not rebuild): incremental, and it never deletes build/ under a process using the addon
  const nodeGypPath = nodeGyp()
  run(process.execPath, [nodeGypPath, 'configure', '--release'], { env })
  run(process.execPath, [nodeGypPath, 'build', '--release'], { env })
}

// The engine's sources every test program links, with their extra flags (the ISA paths: x86-64 only).
const x86 = process.arch === 'x64' || process.arch === 'ia32'
const engineSources = [
  ['src/spec.cpp', []],
  ['src/threads.cpp', []],
  ['src/kernels/simd.cpp', []],
  ...(x86
    ? [
        ['src/kernels/simd_avx2.cpp', ['-mavx2', '-mfma']],
        ['src/kernels/simd_avx512.cpp', ['-mavx512f', '-mfma']]
      ]
    : [])
]
const flags = ['-std=c++17', '-Wall', '-Wextra', '-Werror', '-pthread', ...(x86 ? ['-DRNNLAB_HAVE_X86_PATHS'] : [])]

// newest modification time under native/src (any header change rebuilds the objects)
function newestSource(dir = join(native, 'src')) {
  let newest = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    newest = Math.max(newest, e.isDirectory() ? newestSource(p) : statSync(p).mtimeMs)
  }
  return newest
}

if (withTests) {
  const out = join(native, 'build', 'test')
  const objDir = join(out, 'obj')
  mkdirSync(objDir, { recursive: true })
  const cxx = process.env.CXX || 'g++'
  const newest = newestSource()
  // objects built under private names and renamed: test files built in parallel never see a half-written file
  const objects = engineSources.map(([src, extra]) => {
    const obj = join(objDir, src.replace(/[/.]/g, '_') + '.o')
    if (!existsSync(obj) || statSync(obj).mtimeMs < newest) {
      const tmp = `${obj}.tmp-${process.pid}`
      run(cxx, [...flags, '-O3', ...extra, '-c', '-o', tmp, src])
      renameSync(tmp, obj)
    }
    return obj
  })
  const named = args.filter((a) => !a.startsWith('--'))
  for (const name of named.length ? named : ['gradcheck', 'reference', 'fastcheck', 'maskcheck']) {
    if (!existsSync(join(native, 'test', `${name}.cpp`))) fail(`no test program native/test/${name}.cpp`)
    const tmp = join(out, `${name}.tmp-${process.pid}`)
    // the test's own file at -O2: GCC 12's -O3 warns falsely (-Wnonnull) inside std::vector copies there
    run(cxx, [...flags, '-O2', '-o', tmp, `test/${name}.cpp`, ...objects])
    renameSync(tmp, join(out, name))
  }
}
