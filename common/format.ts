// How numbers, sizes, durations and dates read, on every screen of the app and in the terminal.

export function percent(v: number | null | undefined, digits = 2): string {
  return v === null || v === undefined ? '—' : `${(v * 100).toFixed(digits)}%`
}

/** A figure with fixed decimals; an em dash when absent or not finite (a diverged loss reads as a dash). */
export function fixed(v: number | null | undefined, digits = 4): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits)
}

/** A figure with fixed decimals, the terminal's way: an em dash when absent, but Infinity and NaN spelled out. */
export function fixedOrNonFinite(v: number | null, digits = 4): string {
  return v === null ? '—' : v.toFixed(digits)
}

export function count(v: number | null | undefined): string {
  return v === null || v === undefined ? '—' : v.toLocaleString('en-US')
}

export function duration(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return '—'
  if (s < 60) return `${s.toFixed(1)} s`
  const m = Math.floor(s / 60)
  return m < 60 ? `${m} min ${Math.round(s - m * 60)} s` : `${Math.floor(m / 60)} h ${m % 60} min`
}

export function when(iso: string | null): string {
  if (!iso) return '—'
  const d = new Date(iso)
  const sameYear = d.getFullYear() === new Date().getFullYear()
  return d.toLocaleString(undefined, {
    year: sameYear ? undefined : 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23'
  })
}

/** A config value in a table cell: strings bare, absent as an em dash, the rest as compact JSON. */
export function configValue(v: unknown): string {
  if (v === undefined) return '—'
  if (typeof v === 'string') return v
  return JSON.stringify(v)
}

/** Keras's `readable_memory_size`: powers of 1024, two decimals. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB']
  let size = bytes
  for (const unit of units.slice(0, -1)) {
    if (size / 1024 < 1) return `${size.toFixed(2)} ${unit}`
    size /= 1024
  }
  return `${size.toFixed(2)} PB`
}

/** Control characters: C0 (ANSI escapes, CR, LF, tab…), DEL, C1, and the bidirectional overrides that reorder text. */
// eslint-disable-next-line no-control-regex -- control characters are what it finds
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

/** The first control character in `s`, if any, as `U+001B at character 3`. */
export function findControlCharacter(s: string): string | undefined {
  CONTROL.lastIndex = 0
  const m = CONTROL.exec(s)
  if (!m) return undefined
  return `U+${m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} at character ${m.index + 1}`
}

/**
 * Text a person or a file gave (a run's name, tags, notes, an error) as a screen or a terminal shows it: control
 * characters become visible symbols (ESC as ␛, LF as ␊, others as �), so that no escape sequence reaches a terminal and
 * no line break forges a table row; longer than `max` characters, it is cut with an ellipsis.
 */
export function displayText(s: string, max = 200): string {
  let t = s.length > max ? s.slice(0, max - 1) : s
  if (t !== s) {
    if (/[\ud800-\udbff]$/.test(t)) t = t.slice(0, -1)
    t += '…'
  }
  return t.replace(CONTROL, controlSymbol)
}

function controlSymbol(c: string): string {
  const code = c.charCodeAt(0)
  return code < 0x20 ? String.fromCharCode(0x2400 + code) : code === 0x7f ? '\u2421' : '\ufffd'
}

/** Text for a terminal: as displayText, but line breaks and tabs kept, and not cut. */
export function terminalSafe(s: string): string {
  return s.replace(CONTROL, (c) => (c === '\n' || c === '\t' ? c : controlSymbol(c)))
}

/** A CSV cell (RFC 4180): empty for a missing value, quoted when it holds a quote, comma or line break. */
export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return ''
  const s = String(v)
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

/** CSV text: the header, then a line per row, each line ended by \n (as `rnnlab metrics --csv` prints it). */
export function csvText(header: readonly string[], rows: unknown[][]): string {
  return [header.join(','), ...rows.map((r) => r.map(csvCell).join(','))].join('\n') + '\n'
}
