// The Electron-ABI build plan for better-sqlite3: its own folder, Electron's headers, never this machine's Node headers.
import { test } from 'vitest'
import assert from 'node:assert/strict'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { readFileSync } from 'node:fs'
import { plan } from '../../scripts/electron-native.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const electronVersion = JSON.parse(readFileSync(join(root, 'node_modules', 'electron', 'package.json'), 'utf8')).version

test('builds into .electron-native/electron-<version>, apart from the Node build', () => {
  const p = plan({ appRoot: root, env: {} })
  assert.equal(p.electronVersion, electronVersion)
  assert.equal(p.target, join(root, '.electron-native', `electron-${electronVersion}`, 'better_sqlite3.node'))
  assert.ok(!p.buildDir.startsWith(join(root, 'node_modules')), 'the Node build in node_modules is never rebuilt')
  assert.equal(p.source, join(root, 'node_modules', 'better-sqlite3'))
})

test("targets Electron's ABI and headers", () => {
  const p = plan({ appRoot: root, env: {} })
  assert.ok(p.args.includes('--runtime=electron'))
  assert.ok(p.args.includes(`--target=${electronVersion}`))
  assert.ok(p.args.includes('--dist-url=https://electronjs.org/headers'))
})

test("drops npm's nodedir (Node's headers) from the build's environment", () => {
  const p = plan({ appRoot: root, env: { npm_config_nodedir: '/usr', NPM_CONFIG_NODEDIR: '/usr', PATH: '/bin' } })
  assert.equal(p.env.npm_config_nodedir, undefined)
  assert.equal(p.env.NPM_CONFIG_NODEDIR, undefined)
  assert.equal(p.env.PATH, '/bin')
})

test('the path it writes is the one the app loads', async () => {
  // main/runs/sqlite-binding.ts reads the same folder layout; keep the two in step.
  const source = readFileSync(join(root, 'main', 'runs', 'sqlite-binding.ts'), 'utf8')
  assert.match(source, /electronNativeDir = '\.electron-native'/)
  assert.match(source, /`electron-\$\{electronVersion\}`, 'better_sqlite3\.node'/)
})
