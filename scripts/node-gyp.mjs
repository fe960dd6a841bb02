// Finds npm's bundled node-gyp (RNN Lab never adds its own): the one npm hands to scripts, else the copy beside npm.
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'

export function findNodeGyp(env = process.env) {
  const candidates = []
  if (env.npm_config_node_gyp) candidates.push(env.npm_config_node_gyp)
  if (env.npm_execpath)
    candidates.push(join(dirname(env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'))
  const prefix = dirname(dirname(process.execPath))
  candidates.push(join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'))
  candidates.push(join(prefix, 'share', 'nodejs', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'))
  candidates.push(
    join(dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')
  )
  const found = candidates.find((c) => existsSync(c))
  if (!found)
    throw new Error(
      `node-gyp not found (looked in: ${candidates.join(', ')}); run through npm or set npm_config_node_gyp`
    )
  return found
}
