// Metric series for the charts: exponential smoothing (TensorBoard's, debiased) and decimation of long series.

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

/**
 * Min-max decimation to about `target` points: the series is cut into buckets along x and each keeps its first,
 * lowest, highest and last point in x order, so spikes survive. Short series are returned as they are.
 */
export function decimate(points: Point[], target: number): Point[] {
  if (points.length <= target || target < 8) return points
  const buckets = Math.floor(target / 4)
  const x0 = points[0].x
  const span = points[points.length - 1].x - x0 || 1
  const out: Point[] = []
  let start = 0
  for (let b = 0; b < buckets && start < points.length; b++) {
    const limit = x0 + (span * (b + 1)) / buckets
    let end = start
    while (end < points.length && (points[end].x <= limit || b === buckets - 1)) end++
    if (end === start) continue
    let lo = start
    let hi = start
    for (let i = start; i < end; i++) {
      if (points[i].y < points[lo].y) lo = i
      if (points[i].y > points[hi].y) hi = i
    }
    const keep = [...new Set([start, lo, hi, end - 1])].sort((a, b) => a - b)
    for (const i of keep) out.push(points[i])
    start = end
  }
  return out
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
 * Decimation by bucket means: for a line meant to read as a trend (a smoothed series), where min-max decimation
 * would draw the remaining wiggle as a thick band. Short series are returned as they are.
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
