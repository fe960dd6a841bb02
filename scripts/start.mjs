// `npm start`: builds the app, makes sure better-sqlite3 exists for Electron's ABI, then opens the desktop app.
import { spawn, spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildForElectron } from './electron-native.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const built = spawnSync(
  process.execPath,
  [join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build', '--logLevel', 'warn'],
  {
    cwd: root,
    stdio: 'inherit'
  }
)
if (built.status !== 0) process.exit(built.status ?? 1)
try {
  buildForElectron()
} catch (e) {
  console.error(`rnnlab start: ${e.message}`)
  process.exit(1)
}
// Requiring the electron package returns its binary's path, fetching the binary on first use.
const electron = createRequire(import.meta.url)('electron')
const child = spawn(electron, [root, ...process.argv.slice(2)], { stdio: 'inherit' })
child.on('exit', (code) => process.exit(code ?? 0))
