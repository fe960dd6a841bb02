// Reads a run config file: JSON errors with their line and column, config errors with the file and field.
import { readFileSync } from 'node:fs'
import { totalmem } from 'node:os'
import { normalizeRunConfig, type RunConfig } from '../common/config'
import { fileErrorMessage } from '../common/file-errors'

/** How deep a config may nest: ours is 5 levels, a Keras document about 8. */
export const MAX_JSON_DEPTH = 100

/** `:line:column` of an offset in the text. */
function place(text: string, offset: number): string {
  const before = text.slice(0, offset)
  return `:${before.split('\n').length}:${offset - before.lastIndexOf('\n')}`
}

/** The offset where the text nests deeper than `max` arrays and objects, if it does (strings skipped). */
function tooDeep(text: string, max: number): number | undefined {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c)
        i++ // a backslash escapes the next character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return i
    } else if (c === 0x5d || c === 0x7d) depth--
  }
  return undefined
}

/**
 * Parses JSON as a config file holds it: a UTF-8 byte order mark before it is skipped (editors on Windows write one),
 * JSON.parse's "at position N" becomes "line L, column C", and nesting deeper than MAX_JSON_DEPTH is refused there,
 * before anything walks it.
 */
export function parseJson(text: string, file: string): unknown {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
  const deep = tooDeep(text, MAX_JSON_DEPTH)
  if (deep !== undefined) {
    throw new Error(`${file}${place(text, deep)}: nested deeper than ${MAX_JSON_DEPTH} levels; not a run config`)
  }
  try {
    return JSON.parse(text)
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e)
    const at = /position (\d+)/.exec(message)
    const where = at ? place(text, Number(at[1])) : ''
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
    const folder = (e as NodeJS.ErrnoException).code === 'EISDIR'
    throw new Error(folder ? `${file}: is a folder, not a config file` : fileErrorMessage(e, file), { cause: e })
  }
  if (text.replace(/^\ufeff/, '').trim() === '') throw new Error(`${file}: the file is empty`)
  return normalizeRunConfig(parseJson(text, file), file, options)
}
