// Picks which better-sqlite3 native build to load: Node's own for the CLI and tests, an Electron-ABI build inside Electron.
import { existsSync } from 'node:fs'
import { join } from 'node:path'

/** The folder, under the app root, that holds better-sqlite3 builds for Electron's ABI (made by scripts/electron-native.mjs). */
export const electronNativeDir = '.electron-native'

export function electronSqlitePath(appRoot: string, electronVersion: string): string {
  return join(appRoot, electronNativeDir, `electron-${electronVersion}`, 'better_sqlite3.node')
}

/**
 * Returns the `nativeBinding` path for better-sqlite3, or undefined to use its default (Node) build.
 * Inside Electron the Node build cannot load (another ABI), so the Electron build must exist.
 */
export function pickSqliteBinding(opts: {
  electronVersion: string | undefined
  appRoot: string
  exists?: (path: string) => boolean
}): string | undefined {
  if (!opts.electronVersion) return undefined
  const exists = opts.exists ?? existsSync
  const path = electronSqlitePath(opts.appRoot, opts.electronVersion)
  if (!exists(path)) {
    throw new Error(
      `better-sqlite3 is not built for Electron ${opts.electronVersion} (missing ${path}); ` +
        `run 'npm start', which builds it, or 'node scripts/electron-native.mjs'`
    )
  }
  return path
}
