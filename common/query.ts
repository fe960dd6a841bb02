// The runs filter language (`cell = gru and val_accuracy > 0.97`): a parser and an evaluator over RunSummary, pure TS
// shared by the runs page and `rnnlab runs --filter`.
//
//   query      := or
//   or         := and ("or" and)*
//   and        := not ("and" not)*
//   not        := "not" not | "(" or ")" | comparison
//   comparison := field op value        op: = != > >= < <= ~ (contains)
//   value      := number (with an optional % or k/m suffix) | "quoted string" | bare word
//
// Metrics compare their best value (lowest loss, highest accuracy); `last_` before a metric name uses the last epoch's.
import type { RunSummary } from './contract'
import { FieldError, nearest } from './fields'

/** A filter at fault: its path is `filter, column N`. */
export class QueryError extends FieldError {
  /** 1-based column of the character at fault in the query text. */
  readonly column: number
  constructor(column: number, detail: string) {
    super(`filter, column ${column}`, detail)
    this.name = 'QueryError'
    this.column = column
  }
}

export type QueryOp = '=' | '!=' | '>' | '>=' | '<' | '<=' | '~'

export type QueryNode =
  | { kind: 'and' | 'or'; left: QueryNode; right: QueryNode }
  | { kind: 'not'; operand: QueryNode }
  | { kind: 'compare'; field: QueryField; op: QueryOp; value: string | number; column: number }

type FieldKind = 'text' | 'number' | 'list'
interface FieldSpec {
  kind: FieldKind
  get: (run: RunSummary) => string | number | string[] | null
}

const metricFields = {
  val_accuracy: (r: RunSummary) => r.valAccuracy,
  val_loss: (r: RunSummary) => r.valLoss,
  accuracy: (r: RunSummary) => r.accuracy,
  loss: (r: RunSummary) => r.loss
} as const

const FIELDS = {
  id: { kind: 'number', get: (r) => r.id },
  name: { kind: 'text', get: (r) => r.name },
  status: { kind: 'text', get: (r) => r.status },
  dataset: { kind: 'text', get: (r) => r.dataset },
  cell: { kind: 'list', get: (r) => (r.cell === null ? null : r.cell.split('+')) },
  direction: { kind: 'list', get: (r) => (r.direction === null ? null : r.direction.split('+')) },
  layers: { kind: 'number', get: (r) => r.layerCount },
  params: { kind: 'number', get: (r) => r.paramCount },
  epochs: { kind: 'number', get: (r) => r.epochsDone },
  duration: { kind: 'number', get: (r) => r.durationSeconds },
  tags: { kind: 'list', get: (r) => r.tags },
  notes: { kind: 'text', get: (r) => r.notes },
  optimizer: { kind: 'text', get: (r) => r.hparams.optimizer },
  lr: { kind: 'number', get: (r) => r.hparams.learningRate },
  batch: { kind: 'number', get: (r) => r.hparams.batchSize },
  units: { kind: 'number', get: (r) => (r.hparams.units.length ? Math.max(...r.hparams.units) : null) },
  dropout: { kind: 'number', get: (r) => r.hparams.dropout },
  seed: { kind: 'number', get: (r) => r.hparams.seed },
  ...Object.fromEntries(
    Object.entries(metricFields).flatMap(([name, figures]) => [
      [name, { kind: 'number', get: (r: RunSummary) => figures(r).best }],
      [`last_${name}`, { kind: 'number', get: (r: RunSummary) => figures(r).last }]
    ])
  )
} satisfies Record<string, FieldSpec> as Record<string, FieldSpec>

export type QueryField = string
export const queryFields: readonly string[] = Object.keys(FIELDS)

// ---------------------------------------------------------------------------------------------------------------
// Tokens

type Token =
  | { type: 'word'; text: string; column: number }
  | { type: 'string'; text: string; column: number }
  | { type: 'op'; text: QueryOp; column: number }
  | { type: '(' | ')'; column: number }
  | { type: 'end'; column: number }

function tokenize(text: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < text.length) {
    const c = text[i]
    const column = i + 1
    if (/\s/.test(c)) {
      i++
    } else if (c === '(' || c === ')') {
      tokens.push({ type: c, column })
      i++
    } else if (c === '"' || c === "'") {
      let j = i + 1
      let value = ''
      while (j < text.length && text[j] !== c) {
        if (text[j] === '\\' && j + 1 < text.length) j++
        value += text[j++]
      }
      if (j >= text.length) throw new QueryError(column, `this ${c} is never closed`)
      tokens.push({ type: 'string', text: value, column })
      i = j + 1
    } else if ('=!<>~'.includes(c)) {
      const two = text.slice(i, i + 2)
      if (two === '!=' || two === '>=' || two === '<=' || two === '==') {
        tokens.push({ type: 'op', text: two === '==' ? '=' : (two as QueryOp), column })
        i += 2
      } else if (c === '!') {
        throw new QueryError(column, 'expected != (or use "not" before a comparison)')
      } else {
        tokens.push({ type: 'op', text: c as QueryOp, column })
        i++
      }
    } else {
      let j = i
      while (j < text.length && !/[\s()"'=!<>~]/.test(text[j])) j++
      tokens.push({ type: 'word', text: text.slice(i, j), column })
      i = j
    }
  }
  tokens.push({ type: 'end', column: text.length + 1 })
  return tokens
}

// ---------------------------------------------------------------------------------------------------------------
// Parser

const KEYWORDS = ['and', 'or', 'not']

/** Parses a filter; throws QueryError naming the column at fault. An empty or blank query gives null (match all). */
export function parseQuery(text: string): QueryNode | null {
  const tokens = tokenize(text)
  if (tokens.length === 1) return null
  let pos = 0
  const peek = () => tokens[pos]
  const isWord = (t: Token, w: string) => t.type === 'word' && t.text.toLowerCase() === w
  const describe = (t: Token) =>
    t.type === 'end'
      ? 'the end of the filter'
      : t.type === 'word' || t.type === 'string' || t.type === 'op'
        ? JSON.stringify(t.text)
        : `"${t.type}"`

  function parseOr(): QueryNode {
    let left = parseAnd()
    while (isWord(peek(), 'or')) {
      pos++
      left = { kind: 'or', left, right: parseAnd() }
    }
    return left
  }
  function parseAnd(): QueryNode {
    let left = parseNot()
    while (isWord(peek(), 'and')) {
      pos++
      left = { kind: 'and', left, right: parseNot() }
    }
    return left
  }
  function parseNot(): QueryNode {
    const t = peek()
    if (isWord(t, 'not')) {
      pos++
      return { kind: 'not', operand: parseNot() }
    }
    if (t.type === '(') {
      pos++
      const inner = parseOr()
      const close = peek()
      if (close.type !== ')')
        throw new QueryError(
          close.column,
          `expected ")" to close the "(" at column ${t.column}, found ${describe(close)}`
        )
      pos++
      return inner
    }
    return parseComparison()
  }
  function parseComparison(): QueryNode {
    const t = peek()
    if (t.type !== 'word' || KEYWORDS.includes(t.text.toLowerCase())) {
      throw new QueryError(t.column, `expected a field such as cell or val_accuracy, found ${describe(t)}`)
    }
    const field = t.text.toLowerCase()
    const spec = FIELDS[field]
    if (!spec) {
      const hint = nearest(field, queryFields)
      throw new QueryError(
        t.column,
        `unknown field ${JSON.stringify(t.text)}` +
          (hint ? ` (did you mean ${hint}?)` : `; fields: ${queryFields.join(', ')}`)
      )
    }
    pos++
    const opToken = peek()
    if (opToken.type !== 'op') {
      throw new QueryError(
        opToken.column,
        `expected a comparison (=, !=, >, >=, <, <=, ~) after ${t.text}, found ${describe(opToken)}`
      )
    }
    pos++
    const v = peek()
    if (v.type !== 'word' && v.type !== 'string') {
      throw new QueryError(v.column, `expected a value after "${opToken.text}", found ${describe(v)}`)
    }
    pos++
    const op = opToken.text
    if (spec.kind === 'number') {
      const n = v.type === 'word' ? readNumber(v.text) : null
      if (n === null) throw new QueryError(v.column, `${field} is a number, got ${JSON.stringify(v.text)}`)
      if (op === '~') throw new QueryError(opToken.column, `~ (contains) compares text; ${field} is a number`)
      return { kind: 'compare', field, op, value: n, column: t.column }
    }
    if (op !== '=' && op !== '!=' && op !== '~') {
      throw new QueryError(opToken.column, `${field} is text: use =, != or ~ (contains), not ${op}`)
    }
    return { kind: 'compare', field, op, value: v.text, column: t.column }
  }

  const node = parseOr()
  const rest = peek()
  if (rest.type !== 'end') {
    throw new QueryError(rest.column, `expected "and", "or" or the end of the filter, found ${describe(rest)}`)
  }
  return node
}

/** `0.97`, `97%`, `100k`, `1.5m`, `1e3`. */
function readNumber(text: string): number | null {
  const m = /^([-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)(%|k|m)?$/i.exec(text)
  if (!m) return null
  const n = Number(m[1])
  const scale = m[2] === '%' ? 0.01 : m[2]?.toLowerCase() === 'k' ? 1e3 : m[2]?.toLowerCase() === 'm' ? 1e6 : 1
  return n * scale
}

// ---------------------------------------------------------------------------------------------------------------
// Evaluator

/** Does a run match? Text compares without case; a list field (cell, direction, tags) matches when any item does. */
export function evaluateQuery(node: QueryNode | null, run: RunSummary): boolean {
  if (node === null) return true
  switch (node.kind) {
    case 'and':
      return evaluateQuery(node.left, run) && evaluateQuery(node.right, run)
    case 'or':
      return evaluateQuery(node.left, run) || evaluateQuery(node.right, run)
    case 'not':
      return !evaluateQuery(node.operand, run)
    case 'compare':
      return compare(FIELDS[node.field], node.op, node.value, run)
  }
}

function compare(spec: FieldSpec, op: QueryOp, value: string | number, run: RunSummary): boolean {
  const actual = spec.get(run)
  if (spec.kind === 'number') {
    if (actual === null || typeof actual !== 'number') return op === '!='
    const v = value as number
    switch (op) {
      case '=':
        return Math.abs(actual - v) <= 1e-12 * Math.max(1, Math.abs(v))
      case '!=':
        return Math.abs(actual - v) > 1e-12 * Math.max(1, Math.abs(v))
      case '>':
        return actual > v
      case '>=':
        return actual >= v
      case '<':
        return actual < v
      case '<=':
        return actual <= v
      default:
        return false
    }
  }
  const wanted = String(value).toLowerCase()
  const items = actual === null ? [] : Array.isArray(actual) ? actual : [String(actual)]
  const lower = items.map((s) => s.toLowerCase())
  switch (op) {
    case '=':
      return lower.includes(wanted)
    case '!=':
      return !lower.includes(wanted)
    case '~':
      return lower.some((s) => s.includes(wanted))
    default:
      return false
  }
}

/** Parses once and returns the predicate; throws QueryError. */
export function compileQuery(text: string): (run: RunSummary) => boolean {
  const node = parseQuery(text)
  return (run) => evaluateQuery(node, run)
}
