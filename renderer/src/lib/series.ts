// Metric series for the charts: exponential smoothing (TensorBoard's, debiased) and the trend of a smoothed series.
// Long series are decimated by chart.js as it draws them (lib/lineChart.ts).

export interface Point {
  x: number
  y: number
}

/**
 * TensorBoard-style smoothing: an exponential moving average with the start-up bias removed. `weight` 0 is off
 * and returns the series unchanged; null values (a missing metric) pass through.
 */
export function smooth(points: Point[], weight: number): Point[] {
  if (weight <= 0) return points
  const w = Math.min(weight, 0.999)
  let last = 0
  let n = 0
  return points.map((p) => {
    if (!Number.isFinite(p.y)) return p
    last = last * w + (1 - w) * p.y
    n++
    return { x: p.x, y: last / (1 - Math.pow(w, n)) }
  })
}

/** The smallest and largest finite y. */
export function extent(points: Point[]): [number, number] | null {
  let lo = Infinity
  let hi = -Infinity
  for (const p of points) {
    if (!Number.isFinite(p.y)) continue
    if (p.y < lo) lo = p.y
    if (p.y > hi) hi = p.y
  }
  return lo <= hi ? [lo, hi] : null
}

/**
 * Decimation by bucket means, for a line meant to read as a trend (a smoothed series). chart.js's decimation picks
 * points (LTTB, min-max), which keeps a smoothed series' remaining wiggle as a band: on the compare test's runs at the
 * default weight 0.6 the smoothed loss still wiggles 0.052 peak to peak (the raw 0.10), about 9 px at 1280×800, and
 * hides the trend; means draw one line. Short series are returned as they are.
 */
export function decimateMean(points: Point[], target: number): Point[] {
  if (points.length <= target || target < 2) return points
  const out: Point[] = []
  const size = points.length / target
  for (let b = 0; b < target; b++) {
    const start = Math.floor(b * size)
    const end = Math.min(points.length, Math.floor((b + 1) * size))
    let sx = 0
    let sy = 0
    let n = 0
    for (let i = start; i < end; i++) {
      if (!Number.isFinite(points[i].y)) continue
      sx += points[i].x
      sy += points[i].y
      n++
    }
    if (n > 0) out.push({ x: sx / n, y: sy / n })
  }
  return out
}
