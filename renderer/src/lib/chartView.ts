// The rules for the x range a zoomable chart shows: chartjs-plugin-zoom zooms and pans; these say how far, what the
// keys do, when a view counts as showing everything, and how many points a view draws.

export interface Range {
  min: number
  max: number
}

/** Zooming in stops at this share of the data's span. */
const MIN_SPAN_SHARE = 1e-4
/** Each wheel notch or +/− key press shows 80% (or 125%) of the view: the plugin's wheel speed. */
export const ZOOM_SPEED = 0.2
/** Each arrow key press pans by this share of the view. */
const PAN_SHARE = 0.1

/** The x range of the series (each sorted by x), or null when there is nothing to zoom into. */
export function dataRange(series: { x: number }[][]): Range | null {
  let min = Infinity
  let max = -Infinity
  for (const points of series) {
    if (points.length === 0) continue
    min = Math.min(min, points[0].x)
    max = Math.max(max, points[points.length - 1].x)
  }
  return Number.isFinite(min) && max > min ? { min, max } : null
}

/** The zoom plugin's limits for the x axis: the view stays inside the data and never shrinks to nothing. */
export function zoomLimits(full: Range): { min: number; max: number; minRange: number } {
  return { min: full.min, max: full.max, minRange: (full.max - full.min) * MIN_SPAN_SHARE }
}

/** True when the view shows all of the data (then the chart goes back to following it). */
export function coversAll(view: Range, full: Range): boolean {
  return view.min <= full.min && view.max >= full.max
}

/**
 * What a key does on a focused chart: zoom around the middle by the plugin's factor (above 1 zooms in, as a wheel
 * notch does), pan by a share of the view (negative: towards smaller x), or reset to all the data.
 */
export type KeyAction = { zoom: number } | { pan: number } | { reset: true }

export function keyAction(key: string): KeyAction | null {
  switch (key) {
    case '+':
    case '=':
      return { zoom: 1 + ZOOM_SPEED }
    case '-':
      return { zoom: 2 - 1 / (1 - ZOOM_SPEED) }
    case 'ArrowLeft':
      return { pan: -PAN_SHARE }
    case 'ArrowRight':
      return { pan: PAN_SHARE }
    case '0':
      return { reset: true }
    default:
      return null
  }
}

/** How many points with a value fall inside the view: the points a chart draws there. `points` are sorted by x. */
export function pointsIn(points: { x: number; y: number }[], view: Range): number {
  const first = (x: number, after: boolean) => {
    let lo = 0
    let hi = points.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (points[mid].x < x || (after && points[mid].x === x)) lo = mid + 1
      else hi = mid
    }
    return lo
  }
  let n = 0
  for (let i = first(view.min, false), end = first(view.max, true); i < end; i++) if (Number.isFinite(points[i].y)) n++
  return n
}

/**
 * A tick's label: the step between ticks is a float sum (0.2 × 7 = 1.4000000000000001), so the value is rounded to
 * 12 significant digits, which removes the noise and keeps any step a chart can show; thousands are grouped.
 */
export function tickLabel(value: number | string): string {
  const n = Number(value)
  if (!Number.isFinite(n)) return String(value)
  return tickFormat.format(Number(n.toPrecision(12)))
}

const tickFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 12 })
