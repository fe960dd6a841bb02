#!/usr/bin/env node
// Starts the rnnlab CLI from the built app; in a source checkout it first rebuilds when a source is newer than the build.
'use strict'
const { existsSync, statSync, readdirSync } = require('node:fs')
const { join } = require('node:path')
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
if (existsSync(builder) && existsSync(join(root, 'main'))) {
  const sources = ['common', 'main', 'preload', 'renderer', 'electron.vite.config.ts', 'package.json'].map((p) => newest(join(root, p)))
  if (!existsSync(built) || Math.max(...sources) > statSync(built).mtimeMs) {
    process.stderr.write('rnnlab: building the app (sources changed)…\n')
    const r = spawnSync(process.execPath, [builder, 'build', '--logLevel', 'warn'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] })
    if (r.status !== 0) {
      process.stderr.write('rnnlab: the build failed; run `npm run build` to see why\n')
      process.exit(1)
    }
  }
}
if (!existsSync(built)) {
  process.stderr.write(`rnnlab: ${built} is missing; run \`npm run build\`\n`)
  process.exit(1)
}
require(built)
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code
  })
