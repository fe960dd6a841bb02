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
