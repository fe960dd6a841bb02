// Where RNN Lab keeps its files: $RNNLAB_HOME (default ~/.rnnlab) holds the run database and run folders.
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { existsSync } from 'node:fs'

export function resolveHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.RNNLAB_HOME && env.RNNLAB_HOME.trim() !== '' ? env.RNNLAB_HOME : join(homedir(), '.rnnlab')
}

export function defaultDbPath(home: string): string {
  return join(home, 'rnnlab.db')
}

/** The folder holding package.json, found upwards from a start folder (works bundled in out/main and unbundled in main/). */
export function findAppRoot(start: string): string {
  let dir = start
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'common'))) return dir
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'out'))) return dir
    const up = dirname(dir)
    if (up === dir) throw new Error(`cannot find RNN Lab's folder above ${start}`)
    dir = up
  }
}
