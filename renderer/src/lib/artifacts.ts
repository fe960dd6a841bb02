// How a run's checkpoints, exports and predictions read on screen, and an export's bytes turned back from base64.
import type { ExportInfo } from '../../../common/contract'

export function bytesLabel(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—'
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`
  return `${(n / 1024 / 1024).toFixed(2)} MB`
}

/** The first 12 hex digits of a digest: enough to tell files apart by eye. */
export function shortHash(sha256: string): string {
  return sha256.slice(0, 12)
}

/** A difference between two outputs, in scientific notation once it is small. */
export function diffLabel(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—'
  if (v === 0) return '0'
  return Math.abs(v) < 1e-3 ? v.toExponential(2) : v.toFixed(4)
}

/** Newest export first. */
export function newestFirst(exports: ExportInfo[]): ExportInfo[] {
  return [...exports].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id - a.id)
}

export function base64Bytes(base64: string): Uint8Array<ArrayBuffer> {
  const binary = atob(base64)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

/** A sample's label as one class index: a per-step label is read at its last step, as the model's last output is. */
export function sampleClass(label: number | number[]): number {
  return Array.isArray(label) ? label[label.length - 1] : label
}

export function className(index: number, names: string[] | null | undefined): string {
  return names?.[index] ?? String(index)
}

/** The index of the largest probability, or −1 for none. */
export function argmax(values: readonly number[]): number {
  let best = -1
  for (let i = 0; i < values.length; i++) if (best < 0 || values[i] > values[best]) best = i
  return best
}
