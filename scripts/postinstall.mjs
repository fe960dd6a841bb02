// Runs after `npm install` / `npm ci`: builds the native engine and the app so that
// `npm start`, `npm run lab` and `npm test` need no other set-up step.
import { existsSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
if (!existsSync(join(root, 'node_modules', 'electron-vite'))) {
  // Installed as a production dependency without dev tools: nothing to build here.
  process.exit(0)
}
function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', shell: false })
  if (r.status !== 0) {
    console.error(`rnnlab postinstall: '${cmd} ${args.join(' ')}' failed (exit ${r.status})`)
    process.exit(r.status ?? 1)
  }
}
if (existsSync(join(root, 'native', 'binding.gyp'))) run(process.execPath, [join(root, 'scripts', 'build-native.mjs')])
if (existsSync(join(root, 'electron.vite.config.ts')))
  run(process.execPath, [join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'])
