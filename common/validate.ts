// Bounded readers for values crossing a boundary (IPC, WebSocket, files): the contract's and the dataset spec's, on
// the field-error kit of fields.ts, with limits on lengths and sizes since the sender may be hostile.
import { FieldError, show } from './fields'

/** A call's argument (or a dataset spec) at fault; the message is `field: detail`. */
export class ContractError extends FieldError {
  constructor(path: string, detail: string) {
    super(path, detail)
    this.name = 'ContractError'
  }
}

/** As `show`, but an array is never spelled out (it may be huge) and a missing value is `undefined`. */
function describe(v: unknown): string {
  if (v === undefined) return 'undefined'
  if (Array.isArray(v)) return 'an array'
  return show(v)
}

export function readObject(v: unknown, field: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new ContractError(field, `expected an object, got ${describe(v)}`)
  }
  return v as Record<string, unknown>
}

export function readString(v: unknown, field: string, minLength = 0, maxLength = 10_000): string {
  if (typeof v !== 'string') throw new ContractError(field, `expected a string, got ${describe(v)}`)
  if (v.length < minLength) throw new ContractError(field, 'must not be empty')
  if (v.length > maxLength) throw new ContractError(field, `longer than ${maxLength} characters`)
  return v
}

export function readInteger(v: unknown, field: string, min = -Infinity, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new ContractError(field, `expected an integer, got ${describe(v)}`)
  }
  if (v < min || v > max) throw new ContractError(field, `must be between ${min} and ${max}, got ${v}`)
  return v
}

export function readBoolean(v: unknown, field: string): boolean {
  if (typeof v !== 'boolean') throw new ContractError(field, `expected true or false, got ${describe(v)}`)
  return v
}

export function readArray(v: unknown, field: string, maxLength = 100_000): unknown[] {
  if (!Array.isArray(v)) throw new ContractError(field, `expected an array, got ${describe(v)}`)
  if (v.length > maxLength) throw new ContractError(field, `more than ${maxLength} items`)
  return v
}

export function readStringArray(v: unknown, field: string, maxItems: number, maxLength: number): string[] {
  return readArray(v, field, maxItems).map((s, i) => readString(s, `${field}[${i}]`, 1, maxLength))
}

/** Any JSON value, present. */
export function readUnknown(v: unknown, field: string): unknown {
  if (v === undefined) throw new ContractError(field, 'missing')
  return v
}

export function optional<T>(v: unknown, read: (v: unknown) => T): T | undefined {
  return v === undefined || v === null ? undefined : read(v)
}
