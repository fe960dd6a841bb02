// Metric series for the charts: exponential smoothing (TensorBoard's, debiased) and the trend of a smoothed series.
// Long series are decimated by chart.js as it draws them (lib/lineChart.ts).

export interface Point {
  x: number
  y: number
}

/**
 * TensorBoard's smoothing: an exponential moving average with the start-up bias removed (each value divided by
 * 1 − weight^n, n the finite values so far). `weight` 0 is off and returns the series unchanged; values that are not
 * finite (a break between epochs, a missing metric) pass through, and the average carries on across them; a constant
 * series stays as it is (as TensorBoard's does, free of rounding).
 */
export function smooth(points: Point[], weight: number): Point[] {
  if (weight <= 0) return points
  const w = Math.min(weight, 0.999)
  const first = points[0]?.y
  if (points.every((p) => p.y === first)) return points
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
  // A break (a point whose y is not finite) stays a break: each piece between breaks gets its share of the target.
  const breaks = points.flatMap((p, i) => (Number.isFinite(p.y) ? [] : [i]))
  if (breaks.length > 0) {
    const out: Point[] = []
    let start = 0
    for (const end of [...breaks, points.length]) {
      const piece = points.slice(start, end)
      if (piece.length > 0)
        out.push(...decimateMean(piece, Math.max(2, Math.round((target * piece.length) / points.length))))
      if (end < points.length) out.push(points[end])
      start = end + 1
    }
    return out
  }
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
