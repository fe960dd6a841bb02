// The visible x range of a chart when a person zooms and pans: kept inside the data's range, never inverted.
export interface Range {
  min: number
  max: number
}

const MIN_SPAN_SHARE = 1e-4

function clampTo(view: Range, full: Range): Range {
  const fullSpan = full.max - full.min
  const span = Math.min(Math.max(view.max - view.min, fullSpan * MIN_SPAN_SHARE), fullSpan)
  let min = Math.max(full.min, Math.min(view.min, full.max - span))
  if (!Number.isFinite(min)) min = full.min
  return { min, max: min + span }
}

/** Zooms around `at` (a data x): factor < 1 zooms in, > 1 out. */
export function zoomRange(view: Range, full: Range, at: number, factor: number): Range {
  const anchor = Math.min(Math.max(at, view.min), view.max)
  return clampTo({ min: anchor - (anchor - view.min) * factor, max: anchor + (view.max - anchor) * factor }, full)
}

/** Shifts the view by `delta` data units, stopping at the data's edges. */
export function panRange(view: Range, full: Range, delta: number): Range {
  return clampTo({ min: view.min + delta, max: view.max + delta }, full)
}

/** True when the view shows all of the data (then the chart goes back to following it). */
export function coversAll(view: Range, full: Range): boolean {
  return view.min <= full.min && view.max >= full.max
}
