// Builds better-sqlite3 for Electron's ABI into a folder of its own (.electron-native/electron-<version>/), so that the
// Node build in node_modules, used by the CLI and the tests, stays intact. `npm start` runs it; it needs the internet
// once (Electron's headers).
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readFileSync, copyFileSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { findNodeGyp } from './node-gyp.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

/** What to build and how, without doing it (tested). */
export function plan({ appRoot = root, env = process.env } = {}) {
  const electronVersion = JSON.parse(
    readFileSync(join(appRoot, 'node_modules', 'electron', 'package.json'), 'utf8')
  ).version
  const outDir = join(appRoot, '.electron-native', `electron-${electronVersion}`)
  const buildDir = join(appRoot, '.electron-native', 'src', `better-sqlite3-electron-${electronVersion}`)
  const childEnv = { ...env }
  // npm passes its config (this machine's nodedir=/usr, Node's headers) to scripts: for Electron's ABI it must go.
  for (const key of Object.keys(childEnv)) if (key.toLowerCase() === 'npm_config_nodedir') delete childEnv[key]
  return {
    electronVersion,
    target: join(outDir, 'better_sqlite3.node'),
    source: join(appRoot, 'node_modules', 'better-sqlite3'),
    buildDir,
    args: [
      'rebuild',
      '--release',
      '--runtime=electron',
      `--target=${electronVersion}`,
      '--dist-url=https://electronjs.org/headers'
    ],
    env: childEnv
  }
}

export function buildForElectron(options = {}) {
  const p = plan(options)
  if (existsSync(p.target)) return p.target
  console.log(
    `Building better-sqlite3 for Electron ${p.electronVersion} (once; needs the internet for Electron's headers)…`
  )
  rmSync(p.buildDir, { recursive: true, force: true })
  mkdirSync(dirname(p.buildDir), { recursive: true })
  cpSync(p.source, p.buildDir, { recursive: true, filter: (src) => !src.includes(`${join(p.source, 'build')}`) })
  const r = spawnSync(process.execPath, [findNodeGyp(p.env), ...p.args], {
    cwd: p.buildDir,
    env: p.env,
    stdio: 'inherit'
  })
  if (r.status !== 0)
    throw new Error(`building better-sqlite3 for Electron ${p.electronVersion} failed (node-gyp exit ${r.status})`)
  mkdirSync(dirname(p.target), { recursive: true })
  copyFileSync(join(p.buildDir, 'build', 'Release', 'better_sqlite3.node'), p.target)
  return p.target
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    console.log(buildForElectron())
  } catch (e) {
    console.error(`electron-native: ${e.message}`)
    process.exit(1)
  }
}
