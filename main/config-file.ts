// Reads a run config file: JSON errors with their line and column, config errors with the file and field.
import { readFileSync } from 'node:fs'
import { totalmem } from 'node:os'
import { normalizeRunConfig, type RunConfig } from '../common/config'

/** Turns JSON.parse's "at position N" into "line L, column C" of the text. */
export function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text)
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e)
    const at = /position (\d+)/.exec(message)
    let where = ''
    if (at) {
      const before = text.slice(0, Number(at[1]))
      const line = before.split('\n').length
      where = `:${line}:${Number(at[1]) - before.lastIndexOf('\n')}`
    }
    const reason = message
      .replace(/^JSON\.parse: /, '')
      .replace(/ in JSON at position \d+.*$/, '')
      .replace(/\s*\(line \d+ column \d+\)$/, '')
    throw new Error(`${file}${where}: not valid JSON: ${reason}`, { cause: e })
  }
}

/** The memory a run may plan for: what this machine has (a model needing more is refused before training starts). */
export function machineMemoryLimit(): number {
  return totalmem()
}

export function readRunConfig(
  file: string,
  options: { memoryLimitBytes?: number } = { memoryLimitBytes: machineMemoryLimit() }
): RunConfig {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    throw new Error(
      `${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder, not a config file' : String(e)}`,
      {
        cause: e
      }
    )
  }
  if (text.trim() === '') throw new Error(`${file}: the file is empty`)
  return normalizeRunConfig(parseJson(text, file), file, options)
}
