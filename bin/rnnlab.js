#!/usr/bin/env node
// Starts the rnnlab CLI from the built app; in a source checkout it first rebuilds when a source is newer than the build.
'use strict'
const { closeSync, existsSync, mkdirSync, openSync, readdirSync, rmSync, statSync } = require('node:fs')
const { dirname, join } = require('node:path')
const { spawnSync } = require('node:child_process')

const root = join(__dirname, '..')
const built = join(root, 'out', 'main', 'cli.js')

function newest(path) {
  if (!existsSync(path)) return 0
  const s = statSync(path)
  if (!s.isDirectory()) return s.mtimeMs
  let t = 0
  for (const name of readdirSync(path)) if (name !== 'node_modules') t = Math.max(t, newest(join(path, name)))
  return t
}

const builder = join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js')
const lock = join(root, 'out', '.building')

function stale() {
  const sources = ['common', 'main', 'preload', 'renderer', 'electron.vite.config.ts', 'package.json'].map((p) =>
    newest(join(root, p))
  )
  return !existsSync(built) || Math.max(...sources) > statSync(built).mtimeMs
}

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

/** One rebuild at a time: another rnnlab started meanwhile waits for it instead of building over it. */
function rebuild() {
  mkdirSync(dirname(lock), { recursive: true })
  let fd
  for (let waited = 0; fd === undefined; waited += 200) {
    try {
      fd = openSync(lock, 'wx')
    } catch {
      if (waited > 120_000)
        rmSync(lock, { force: true }) // a builder that died long ago
      else sleep(200)
      if (!stale()) return
    }
  }
  try {
    if (!stale()) return
    process.stderr.write('rnnlab: building the app (sources changed)…\n')
    const r = spawnSync(process.execPath, [builder, 'build', '--logLevel', 'warn'], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit']
    })
    if (r.status !== 0) {
      process.stderr.write('rnnlab: the build failed; run `npm run build` to see why\n')
      process.exit(1)
    }
  } finally {
    closeSync(fd)
    rmSync(lock, { force: true })
  }
}

// RNNLAB_NO_REBUILD: the tests (which build first) and packaged installs use the build as it is.
if (!process.env.RNNLAB_NO_REBUILD && existsSync(builder) && existsSync(join(root, 'main')) && stale()) rebuild()
if (!existsSync(built)) {
  process.stderr.write(`rnnlab: ${built} is missing; run \`npm run build\`\n`)
  process.exit(1)
}
require(built)
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code
  })
