// The app's line charts as chart.js sees them: each series one dataset of {x, y} points sorted by x; long series are
// decimated by chart.js itself, per pixel column of the visible x range, so zooming in shows more detail.
import {
  Chart,
  Decimation,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
  type ChartDataset,
  type DecimationOptions,
  type Plugin
} from 'chart.js'
import type { Point } from './series'

Chart.register(LineController, LineElement, PointElement, LinearScale, Legend, Tooltip, Decimation)

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
  /** Ticks on whole numbers only (epochs drawn per epoch: no 1.2, 1.4, …). */
  xWhole?: boolean
}

export function toDataset(s: ChartSeries): ChartDataset<'line', Point[]> {
  return {
    label: s.label,
    data: s.points,
    borderColor: s.faint ? s.color + '80' : s.color,
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
      interaction: { mode: 'nearest', intersect: false },
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
