// Field errors and the readers that raise them: the one kit of the validators in common/ (run configs, dataset specs,
// the runs filter, the contract). A reader checks one value and names its place; a `fallback` fills an absent key.

/** A value at fault. `path` is where it sits: `model.layers[2].units`, `request.runId`, `filter, column 7`. */
export class FieldError extends Error {
  readonly path: string
  readonly file?: string
  /** The message without the file and path. */
  readonly detail: string

  constructor(path: string, detail: string, file?: string) {
    super([file, path, detail].filter((part) => part !== undefined && part !== '').join(': '))
    this.name = 'FieldError'
    this.path = path
    this.file = file
    this.detail = detail
  }
}

export function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`
}

/** A value as it appears in a message: strings quoted, long ones cut. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing'
  if (value === null) return 'null'
  if (Array.isArray(value)) {
    // Only a short list of plain values is spelt out: anything nested could be nested too deep to print.
    const plain = value.every((v) => v === null || ['number', 'string', 'boolean'].includes(typeof v))
    return value.length <= 4 && plain ? JSON.stringify(value) : 'an array'
  }
  if (typeof value === 'object') return 'an object'
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)
  return String(value)
}

/** `a`, `a and b`, `a, b and c` (or `or`). */
export function wordList(words: readonly string[], last: 'and' | 'or'): string {
  return words.length <= 1 ? words.join('') : `${words.slice(0, -1).join(', ')} ${last} ${words[words.length - 1]}`
}

/** The allowed word a person probably meant: same letters up to case and `_`/`-`, or one or two typos away. */
export function nearest(word: string, allowed: readonly string[]): string | undefined {
  const squash = (s: string) => s.toLowerCase().replace(/[_\-\s]/g, '')
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of allowed) {
    const [c, w] = [squash(candidate), squash(word)]
    // A cut-short name (`val_acc` for `val_accuracy`) counts as one typo.
    const d = c === w ? 0 : w.length >= 3 && c.startsWith(w) ? 1 : editDistance(c, w)
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  const tolerance = word.length <= 4 ? 1 : 2
  return bestDistance <= tolerance ? best : undefined
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.length]
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

// ---------------------------------------------------------------------------------------------------------------
// Readers

export function readObject(value: unknown, path: string): Record<string, unknown> {
  if (!isObject(value)) throw new FieldError(path, `expected an object, got ${show(value)}`)
  return value
}

export function readArray(value: unknown, path: string): unknown[] {
  if (value === undefined) throw new FieldError(path, 'missing')
  if (!Array.isArray(value)) throw new FieldError(path, `expected an array, got ${show(value)}`)
  return value
}

export function readString(value: unknown, path: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new FieldError(path, `expected a non-empty string, got ${show(value)}`)
  }
  return value
}

export function readBoolean(value: unknown, path: string, fallback: boolean): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') throw new FieldError(path, `expected true or false, got ${show(value)}`)
  return value
}

export function readNumber(value: unknown, path: string, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new FieldError(path, value === undefined ? 'missing' : `expected a number, got ${show(value)}`)
  }
  return value
}

export function readInteger(value: unknown, path: string, min: number, max: number, fallback?: number): number {
  const n = readNumber(value, path, fallback)
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new FieldError(path, `must be an integer from ${min} to ${max}, got ${show(value)}`)
  }
  return n
}

export function readPositiveInteger(value: unknown, path: string, fallback?: number): number {
  const n = readNumber(value, path, fallback)
  if (!Number.isSafeInteger(n) || n <= 0) throw new FieldError(path, `must be a positive integer, got ${show(value)}`)
  return n
}

export function readPositive(value: unknown, path: string, fallback?: number): number {
  const n = readNumber(value, path, fallback)
  if (n <= 0) throw new FieldError(path, `must be greater than 0, got ${show(value)}`)
  return n
}

export function readNonNegative(value: unknown, path: string, fallback: number): number {
  const n = readNumber(value, path, fallback)
  if (n < 0) throw new FieldError(path, `must be 0 or more, got ${show(value)}`)
  return n
}

/** The values a numeric field takes: from `min` to `max`, either end excluded when said so. */
export interface Range {
  min: number
  max: number
  minExclusive?: boolean
  maxExclusive?: boolean
  integer?: boolean
}

export function inRange(n: number, r: Range): boolean {
  return (
    Number.isFinite(n) &&
    (!r.integer || Number.isInteger(n)) &&
    (r.minExclusive ? n > r.min : n >= r.min) &&
    (r.maxExclusive ? n < r.max : n <= r.max)
  )
}

/** What a value of the range is, for a message: `an integer from 1 to 65536`, `greater than 0 and below 1000`. */
export function rangeText(r: Range): string {
  const open = r.max === Number.MAX_VALUE || r.max === Number.MAX_SAFE_INTEGER
  if (r.integer) {
    if (open) return r.min === 1 ? 'a positive integer' : `an integer from ${r.min} up`
    return `an integer from ${r.min} to ${r.max}`
  }
  const low = r.minExclusive ? `greater than ${r.min}` : r.min === 0 && !open ? 'at least 0' : `${r.min} or more`
  if (open) return low
  return `${low} and ${r.maxExclusive ? 'below' : 'at most'} ${r.max}`
}

/** A number in `range`; the message names the whole range, or the end that was crossed when the other is open. */
export function readRange(value: unknown, path: string, range: Range, fallback?: number): number {
  const n = readNumber(value, path, fallback)
  if (inRange(n, range)) return n
  const r = range
  const tooHigh = r.maxExclusive ? n >= r.max : n > r.max
  let want = rangeText(r)
  if (r.integer && r.min === 1 && !tooHigh) want = 'a positive integer'
  else if (!r.integer && r.min === 0 && r.minExclusive && !tooHigh) want = 'greater than 0'
  else if (tooHigh && !(r.min === 0 && r.max === 1)) want = `${r.maxExclusive ? 'below' : 'at most'} ${r.max}`
  return fieldError(path, `must be ${want}, got ${show(value)}`)
}

function fieldError(path: string, detail: string): never {
  throw new FieldError(path, detail)
}

/** A fraction in [0, 1): dropout rates, decay rates. */
export function readRate(value: unknown, path: string, fallback: number): number {
  const n = readNumber(value, path, fallback)
  if (n < 0 || n >= 1) throw new FieldError(path, `must be at least 0 and below 1, got ${show(value)}`)
  return n
}

/** One of `allowed`; a near miss gets a "did you mean". `what` names the kind of word (`activation`, `loss`). */
export function readEnum<T extends string>(
  value: unknown,
  path: string,
  allowed: readonly T[],
  what: string,
  fallback?: T
): T {
  if (value === undefined && fallback !== undefined) return fallback
  if (value === undefined) throw new FieldError(path, `missing: expected one of ${allowed.join(', ')}`)
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T
  const hint = typeof value === 'string' ? nearest(value, allowed) : undefined
  throw new FieldError(
    path,
    `unknown ${what} ${show(value)}` +
      (hint ? ` (did you mean ${show(hint)}?)` : `; expected one of ${allowed.join(', ')}`)
  )
}

/** Refuses a key not in `allowed`, suggesting the nearest. */
export function checkKeys(o: Record<string, unknown>, path: string, allowed: readonly string[]): void {
  for (const key of Object.keys(o)) {
    if (allowed.includes(key)) continue
    const hint = nearest(key, allowed)
    throw new FieldError(
      join(path, key),
      'unknown key' + (hint ? ` (did you mean ${show(hint)}?)` : `; expected one of ${allowed.join(', ')}`)
    )
  }
}
