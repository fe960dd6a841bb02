// What the compare view shows, as kept in its address after the ids: the panels, the x axis, smoothing, a log y axis
// and the run shown alone, e.g. #/compare?ids=1,2&panels=loss,val_loss&x=step&smooth=0.6&log=1&solo=2.
import type { CompareAxis, CompareMetric } from './compareSeries'

/**
 * The panels in their grid order: loss then accuracy (or, for regression runs, MAE), training beside validation. The
 * view shows those the compared runs have figures for.
 */
export const allPanels: readonly CompareMetric[] = ['loss', 'val_loss', 'accuracy', 'val_accuracy', 'mae', 'val_mae']
const axes: readonly CompareAxis[] = ['epoch', 'step', 'wall']
export const defaultSmoothing = 0.6

export interface CompareViewState {
  panels: CompareMetric[]
  axis: CompareAxis
  /** The smoothing weight, or null when smoothing is off. */
  smoothing: number | null
  log: boolean
  /** The run shown alone, or null for all. */
  solo: number | null
}

export function defaultView(): CompareViewState {
  return { panels: [...allPanels], axis: 'epoch', smoothing: null, log: false, solo: null }
}

/** The state a query string names (anything unknown or malformed is left at its default). */
export function parseCompareView(query: string): CompareViewState {
  const q = new URLSearchParams(query)
  const s = defaultView()
  const panels = q.get('panels')
  if (panels !== null) {
    const named = new Set(panels.split(','))
    const picked = allPanels.filter((p) => named.has(p))
    if (picked.length) s.panels = picked
  }
  const axis = q.get('x')
  if (axis && (axes as string[]).includes(axis)) s.axis = axis as CompareAxis
  const smooth = Number(q.get('smooth') ?? NaN)
  if (q.get('smooth') !== null && smooth >= 0 && smooth < 1) s.smoothing = smooth
  s.log = q.get('log') === '1'
  const solo = q.get('solo')
  if (solo && /^\d+$/.test(solo)) s.solo = Number(solo)
  return s
}

/** The query string of a state, without what is at its default ('' for the default view). */
export function compareViewQuery(s: CompareViewState): string {
  const q: string[] = []
  const panels = allPanels.filter((p) => s.panels.includes(p))
  if (panels.length !== allPanels.length) q.push(`panels=${panels.join(',')}`)
  if (s.axis !== 'epoch') q.push(`x=${s.axis}`)
  if (s.smoothing !== null) q.push(`smooth=${Number(s.smoothing.toFixed(2))}`)
  if (s.log) q.push('log=1')
  if (s.solo !== null) q.push(`solo=${s.solo}`)
  return q.join('&')
}
