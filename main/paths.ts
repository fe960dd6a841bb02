// Where RNN Lab keeps its files: $RNNLAB_HOME (default ~/.rnnlab) holds the run database and run folders.
import { homedir } from 'node:os'
import { basename, dirname, extname, join, resolve } from 'node:path'
import { existsSync, readFileSync } from 'node:fs'

export function resolveHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.RNNLAB_HOME && env.RNNLAB_HOME.trim() !== '' ? env.RNNLAB_HOME : join(homedir(), '.rnnlab')
}

export function defaultDbPath(home: string): string {
  return join(home, 'rnnlab.db')
}

/**
 * Where a run database keeps its runs' folders (checkpoints, tokenizer, exports): beside the database, so that two
 * databases never share a run's folder (run 2 of one database is not run 2 of another). `rnnlab.db` (the home's own,
 * or one of that name anywhere) keeps them in `runs/`, any other `name.db` in `name-runs/`.
 */
export function runsFolder(dbPath: string): string {
  const file = basename(dbPath)
  return join(dirname(resolve(dbPath)), file === 'rnnlab.db' ? 'runs' : `${basename(file, extname(file))}-runs`)
}

/** The app root: the nearest folder above `start` whose package.json is this app's (works bundled in out/main and unbundled). */
export function findAppRoot(start: string): string {
  let dir = start
  for (;;) {
    const manifest = join(dir, 'package.json')
    if (existsSync(manifest)) {
      try {
        if (JSON.parse(readFileSync(manifest, 'utf8')).name === 'rnnlab') return dir
      } catch {
        // an unreadable package.json is not ours; keep looking
      }
    }
    const up = dirname(dir)
    if (up === dir) throw new Error(`cannot find RNN Lab's folder (a package.json named rnnlab) above ${start}`)
    dir = up
  }
}
