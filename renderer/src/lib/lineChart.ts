// The app's line charts as chart.js sees them: each series one dataset of {x, y} points sorted by x; long series are
// decimated by chart.js itself, per pixel column of the visible x range, so zooming in shows more detail.
import {
  Chart,
  Decimation,
  Interaction,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  Tooltip,
  type ChartConfiguration,
  type ChartDataset,
  type DecimationOptions,
  type InteractionItem,
  type InteractionModeFunction,
  type Plugin
} from 'chart.js'
import { getRelativePosition } from 'chart.js/helpers'
import type { Point } from './series'

Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Legend, Tooltip, Decimation)

declare module 'chart.js' {
  interface InteractionModeMap {
    eachSeries: InteractionModeFunction
  }
}

/** Pixels past a series' first or last point within which the pointer still reads that series. */
const SERIES_END_ROOM = 8

/**
 * The tooltip's points: in every visible series, the point nearest the pointer's x (runs logged at different steps
 * or times all answer), as long as the pointer is within the series' x extent. chart.js's 'index' mode needs the same
 * x at the same index in every series, and 'x' mode finds nothing between two sparse points.
 */
export const eachSeries: InteractionModeFunction = (chart, e) => {
  const { x } = getRelativePosition(e, chart)
  const area = chart.chartArea
  if (!area || x < area.left || x > area.right) return []
  const items: InteractionItem[] = []
  chart.data.datasets.forEach((_, datasetIndex) => {
    if (!chart.isDatasetVisible(datasetIndex)) return
    const els = chart.getDatasetMeta(datasetIndex).data as unknown as { x: number; skip?: boolean }[]
    const index = nearestIndex(els, x)
    if (index < 0) return
    const first = els.find((p) => !p.skip)!
    const last = els.findLast((p) => !p.skip)!
    if (x < first.x - SERIES_END_ROOM || x > last.x + SERIES_END_ROOM) return
    items.push({ element: els[index] as unknown as InteractionItem['element'], datasetIndex, index })
  })
  return items
}
Interaction.modes.eachSeries = eachSeries

/** The index of the drawn point (not a break) nearest `x` in points sorted by x, or -1. */
export function nearestIndex(els: { x: number; skip?: boolean }[], x: number): number {
  let lo = 0
  let hi = els.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (els[mid].x < x) lo = mid + 1
    else hi = mid
  }
  let best = -1
  for (let i = lo; i < els.length; i++)
    if (!els[i].skip && Number.isFinite(els[i].x)) {
      best = i
      break
    }
  for (let i = lo - 1; i >= 0; i--)
    if (!els[i].skip && Number.isFinite(els[i].x)) {
      if (best < 0 || x - els[i].x <= els[best].x - x) best = i
      break
    }
  return best
}

export interface ChartSeries {
  label: string
  color: string
  points: Point[]
  /** Drawn thin and translucent under another series (raw values under a smoothed line, per-batch values). */
  faint?: boolean
  dashed?: boolean
  /** Show point markers (sparse series such as per-epoch values). */
  markers?: boolean
  /** Leave it out of the legend. */
  hideInLegend?: boolean
  /** Drawn over the others (chart.js draws the first series on top otherwise): a dashed line over an equal one. */
  onTop?: boolean
  /** Not drawn (its run is hidden while another is shown alone); kept so the chart's x range stays put. */
  hidden?: boolean
}

export interface ChartOptions {
  xTitle: string
  yTitle: string
  yPercent?: boolean
  /** Fixed x range (e.g. 0 to the planned epochs, so a live curve grows into a steady frame). */
  xMin?: number
  xMax?: number
  /** Wheel (or +/-) zooms the x axis, dragging (or the arrow keys) pans it, double-click (or 0) resets. */
  zoomable?: boolean
  /** A logarithmic y axis. */
  yLog?: boolean
  /** The y axis starts at 0 (shares: never below it, even when every value is 0). */
  yZero?: boolean
  /** Leave the legend out (a legend outside the chart names the series); an exported image still has one. */
  noLegend?: boolean
  /** Ticks on whole numbers only (epochs drawn per epoch: no 1.2, 1.4, …). */
  xWhole?: boolean
}

/** The WCAG contrast ratio of two colours given as #rrggbb or [r, g, b]. */
export function contrast(a: string | number[], b: string | number[]): number {
  const lum = (c: string | number[]) => {
    const [r, g, bl] = (typeof c === 'string' ? rgb(c) : c).map((v) => {
      const s = v / 255
      return s <= 0.04045 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4)
    })
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl
  }
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x)
  return (hi + 0.05) / (lo + 0.05)
}

function rgb(hex: string): number[] {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16))
}

/** Faint lines on a dark background keep this contrast against it (on a light one, half opacity is enough). */
export const FAINT_DARK_CONTRAST = 3

/**
 * The colour of a faint line of `color` on `background` (#rrggbb each): half opacity on a light background; on a dark
 * one the line is made more opaque, then lighter, until it has FAINT_DARK_CONTRAST against the background, since half
 * the opacity of a mid-tone there is nearly the background itself. Returned as rgba(), the opacity kept below the
 * full line's so the line over it still stands out.
 */
export function faintColor(color: string, background: string): string {
  const fg = rgb(color)
  const bg = rgb(background)
  const dark = contrast(background, '#000000') < contrast(background, '#ffffff')
  let alpha = 0.5
  let lift = 0
  const blend = () =>
    fg.map((c, i) => {
      const lifted = c + (255 - c) * lift
      return lifted * alpha + bg[i] * (1 - alpha)
    })
  if (dark)
    while (contrast(blend(), bg) < FAINT_DARK_CONTRAST && lift < 1) {
      if (alpha < 0.8) alpha += 0.05
      else lift += 0.05
    }
  const [r, g, b] = fg.map((c) => Math.round(c + (255 - c) * lift))
  return `rgba(${r}, ${g}, ${b}, ${alpha.toFixed(2)})`
}

/** `background` is the chart's panel colour (#rrggbb); faint lines are drawn to be seen on it. */
export function toDataset(s: ChartSeries, background = '#ffffff'): ChartDataset<'line', Point[]> {
  return {
    label: s.label,
    data: s.points,
    hidden: !!s.hidden,
    borderColor: s.faint ? faintColor(s.color, background) : s.color,
    backgroundColor: s.color,
    borderWidth: s.faint ? 1.25 : 2,
    borderDash: s.dashed ? [6, 4] : undefined,
    pointRadius: s.markers ? 3 : 0,
    pointHoverRadius: 4,
    tension: 0,
    spanGaps: false,
    // chart.js draws a lower `order` later, over the rest.
    order: s.onTop ? -1 : 0
  }
}

/** Before each update (new data, a zoom, a resize): LTTB's share of the points budget for the view. */
const decimationBudget: Plugin<'line'> = {
  id: 'decimationBudget',
  beforeUpdate(chart) {
    const decimation = chart.options.plugins!.decimation as { algorithm: string; samples?: number; threshold?: number }
    if (decimation.algorithm !== 'lttb') return
    decimation.samples = decimation.threshold = lttbSamples(chart.width, chart.data.datasets.length)
  }
}

/** A chart with no data yet; titles, colours, the x range and `decimationFor(series)` are set with the data. */
export function lineChartConfig(): ChartConfiguration<'line', Point[]> {
  return {
    type: 'line',
    data: { datasets: [] },
    plugins: [decimationBudget],
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      // The decimation plugin works only on data chart.js need not parse, sorted by x: every series here is.
      parsing: false,
      normalized: true,
      interaction: { mode: 'eachSeries', intersect: false },
      scales: {
        x: { type: 'linear', title: { display: true, text: '' }, ticks: {}, grid: {} },
        y: { type: 'linear', title: { display: true, text: '' }, ticks: {}, grid: {} }
      },
      plugins: {
        decimation: { enabled: true, algorithm: 'lttb' },
        legend: { position: 'bottom', labels: { boxWidth: 14, boxHeight: 2 } },
        tooltip: { enabled: true }
      }
    }
  }
}

/**
 * How many points a chart draws per pixel column of its view, all its series together. Drawing, not decimating, is
 * what costs: a software canvas's raster time grows with the points drawn, faster than linearly. Measured with the pan
 * of test/browser/compare.test.ts (10 runs × 9,380 steps, 1920×1080, Chromium's software canvas, this 2-core machine
 * shared, load 5–13): the time of 30 drag moves and the longest frame gap.
 *   the hand-made min-max, 1,200 points a series wherever the view (11,620)    2.8–6.0 s      117–367 ms
 *   chart.js min-max, up to 4 a pixel column a series (~52,400)                 over 60 s      3,350 ms
 *   chart.js LTTB at its default, 1 a pixel column a series (16,540)            42–52 s        2,083–2,683 ms
 *   LTTB, 3 a pixel column in all (4,960)                                       9.2–12.2 s     500–1,133 ms
 *   LTTB, 2 a pixel column in all (3,310)                                       3.5–6.1 s      150–267 ms
 * So 2, shared by the series: as smooth as the hand-made decimation, and 2 runs get a point per pixel column each.
 */
export const POINTS_PER_PIXEL = 2

/**
 * How chart.js decimates a chart's series, for the visible x range, so zooming in shows more detail: LTTB keeps the
 * points that shape the line most, spikes included. LTTB averages across its buckets, which a gap (a NaN point) breaks:
 * series with gaps get min-max, which keeps each pixel column's first, lowest, highest and last point.
 */
export function decimationFor(series: ChartSeries[]): DecimationOptions {
  const gaps = series.some((s) => s.points.some((p) => !Number.isFinite(p.y)))
  return { enabled: true, algorithm: gaps ? 'min-max' : 'lttb' }
}

/** LTTB's samples per series (and its threshold: a series with fewer points in view is drawn whole). */
export function lttbSamples(width: number, seriesCount: number): number {
  return Math.max(3, Math.round((width * POINTS_PER_PIXEL) / Math.max(1, seriesCount)))
}

/**
 * A log axis's tick label: a log axis has a tick at each mantissa of a decade; only 1, 2 and 5 are labelled, unless
 * fewer than two of the axis's `ticks` are such (a range inside one decade), when every tick is.
 */
export function logTickLabel(value: number, ticks: number[], label: (v: number) => string): string {
  if (!(value > 0)) return ''
  const round = (v: number) => v > 0 && [1, 2, 5].includes(mantissa(v))
  return round(value) || ticks.filter(round).length < 2 ? label(value) : ''
}

function mantissa(v: number): number {
  return Math.round((v / Math.pow(10, Math.floor(Math.log10(v) + 1e-9))) * 1e6) / 1e6
}

/** A value as the tooltip lists it: a percent with two decimals, or four significant digits. */
export function valueLabel(y: number, percent: boolean): string {
  if (!Number.isFinite(y)) return '—'
  return percent ? `${(y * 100).toFixed(2)}%` : String(Number(y.toPrecision(4)))
}
