// A chart.js line chart on a canvas, kept out of Vue's reactivity, redrawn at most 10 times a second. A zoomable one
// zooms and pans its x axis with chartjs-plugin-zoom (wheel, drag); the keys and double-click call the same plugin.
import { markRaw, onMounted, onUnmounted, ref, watch, type Ref } from 'vue'
import { Chart, type Plugin } from 'chart.js'
import zoomPlugin from 'chartjs-plugin-zoom'
import {
  coversAll,
  dataRange,
  keyAction,
  pointsIn,
  tickLabel,
  zoomLimits,
  ZOOM_SPEED,
  type Range
} from '../lib/chartView'
import {
  decimationFor,
  lineChartConfig,
  logTickLabel,
  toDataset,
  valueLabel,
  type ChartOptions,
  type ChartSeries
} from '../lib/lineChart'
import type { Point } from '../lib/series'

const MIN_INTERVAL_MS = 100
/** Pixels a marker may reach past the plot area: its radius and its hover radius. */
const MARKER_ROOM = 5

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888'
}

interface Axis {
  min?: number
  max?: number
  title: { text: string; color: string }
  ticks: { color: string; includeBounds?: boolean; callback?: unknown; precision?: number }
  grid: { color: string }
}

/** Draws `series` on the canvas whenever they or the options change; `drawn` counts the points drawn in the view. */
export function useLineChart(
  canvas: Ref<HTMLCanvasElement | null>,
  series: () => ChartSeries[],
  options: () => ChartOptions
) {
  let chart: Chart<'line', Point[]> | null = null
  let el: HTMLCanvasElement | null = null
  let timer: ReturnType<typeof setTimeout> | null = null
  let lastDraw = 0
  /** The x range of the data last drawn. */
  let full: Range | null = null
  /** The x axis's own bounds while nobody has zoomed: the data's, or the fixed xMin/xMax. */
  let home: { min?: number; max?: number } = {}
  const drawn = ref(0)
  const zoomable = !!options().zoomable
  /** True while an image of the chart is being made: the legend is drawn even when the page shows its own. */
  let exporting = false

  /** The scales' options of this chart (as handed to a plugin hook or kept here). */
  const axes = (c: { options: { scales?: object } }) => c.options.scales as Record<'x' | 'y', Axis>

  /** The x range zoomed or panned to, or null while the axis shows its own bounds. */
  function view(c: { options: { scales?: object } }): Range | null {
    const x = axes(c).x
    return x.min === home.min && x.max === home.max ? null : { min: x.min!, max: x.max! }
  }

  /** Keeps the view's marks in step with every update, whoever caused it (new data, the zoom plugin, a key). */
  const viewMarks: Plugin<'line'> = {
    id: 'viewMarks',
    beforeUpdate(c) {
      // Unzoomed, the axes end at the data: a marker on the last epoch sits on the edge, and is drawn whole rather
      // than cut in half by the chart area. Zoomed, lines end at the edges.
      const unzoomed = !zoomable || view(c) === null
      for (const d of c.data.datasets) {
        const markers = typeof d.pointRadius === 'number' && d.pointRadius > 0
        ;(d as { clip?: number }).clip = unzoomed && markers ? MARKER_ROOM : undefined
      }
      if (!zoomable) return
      const x = axes(c).x
      let v = view(c)
      // Zoomed back out to everything: follow the data again.
      if (v && full && coversAll(v, full)) {
        x.min = home.min
        x.max = home.max
        v = null
      }
      // A zoomed view's edges fall between round numbers: label only the round ticks inside it.
      x.ticks.includeBounds = v === null
      c.canvas.dataset.view = v ? `${v.min.toPrecision(6)},${v.max.toPrecision(6)}` : 'all'
    },
    afterTooltipDraw(c, { tooltip }) {
      // What the tooltip lists, for tests and tools: its title, then a line per series.
      c.canvas.dataset.tooltip = [...tooltip.title, ...tooltip.body.flatMap((b) => b.lines)].join('\n')
    },
    afterUpdate(c) {
      // What the axes read and where the plot is, for tests and tools (a canvas has no text to query).
      c.canvas.dataset.xTicks = c.scales.x.ticks.map((t) => String(t.label)).join('|')
      c.canvas.dataset.yTicks = c.scales.y.ticks.map((t) => String(t.label)).join('|')
      c.canvas.dataset.yScale = c.scales.y.type
      c.canvas.dataset.colors = c.data.datasets.map((d) => String(d.borderColor)).join('|')
      const a = c.chartArea
      c.canvas.dataset.area = [a.left, a.top, a.right, a.bottom].map((n) => Math.round(n)).join(',')
      const shown = { min: c.scales.x.min, max: c.scales.x.max }
      // After decimation a dataset's data is what chart.js draws of it.
      drawn.value = c.data.datasets.reduce(
        (n, d, i) => n + (c.isDatasetVisible(i) ? pointsIn(d.data as Point[], shown) : 0),
        0
      )
    }
  }

  function onKey(e: KeyboardEvent): void {
    const action = keyAction(e.key)
    if (!action || !chart || !full) return
    e.preventDefault()
    if ('reset' in action) chart.resetZoom('none')
    else if ('zoom' in action) chart.zoom(action.zoom, 'none')
    else if (view(chart)) chart.pan({ x: -action.pan * chart.chartArea.width }, undefined, 'none')
  }
  const onDouble = () => chart?.resetZoom('none')
  /** The zoom plugin asks before a drag: nothing to pan while all the data is shown. */
  const startPan = ({ chart: c }: { chart: { options: { scales?: object } } }) => view(c) !== null

  function apply(): void {
    timer = null
    lastDraw = performance.now()
    if (!chart) return
    const list = series()
    const opts = options()
    const panel = cssVar('--panel')
    chart.data.datasets = list.map((s) => toDataset(s, /^#[0-9a-f]{6}$/i.test(panel) ? panel : '#ffffff'))
    // The series drawn, on the canvas element: what a test (or the browser's console) reads of the chart.
    ;(el as HTMLCanvasElement & { series?: ChartSeries[] }).series = list
    chart.options.plugins!.decimation = decimationFor(list)
    const muted = cssVar('--muted')
    const grid = cssVar('--border')
    const scales = axes(chart)
    full = dataRange(list.map((s) => s.points))
    // A zoomed view outlives redraws of new data, but not a change of x axis (its range would mean nothing).
    const v = view(chart)
    const keep = v && full && v.min >= full.min && v.max <= full.max && opts.xTitle === scales.x.title.text
    home = { min: opts.xMin, max: opts.xMax }
    if (!keep) {
      scales.x.min = home.min
      scales.x.max = home.max
    }
    if (zoomable && full) chart.options.plugins!.zoom!.limits = { x: zoomLimits(full) }
    scales.x.title.text = opts.xTitle
    scales.y.title.text = opts.yTitle
    for (const axis of [scales.x, scales.y]) {
      axis.title.color = muted
      axis.ticks.color = muted
      axis.grid.color = grid
    }
    // Enough decimals that neighbouring ticks read differently (16.2%, 16.4%, … rather than 16%, 16%).
    const percentLabel = (v: number | string) => `${Number((Number(v) * 100).toFixed(2))}%`
    const yLabel = opts.yPercent ? percentLabel : tickLabel
    ;(scales.y as Axis & { type: string }).type = opts.yLog ? 'logarithmic' : 'linear'
    ;(scales.y as Axis & { beginAtZero?: boolean }).beginAtZero = !!opts.yZero && !opts.yLog
    // A log axis has a tick at every mantissa: only 1, 2 and 5 of each decade are labelled.
    scales.y.ticks.callback = opts.yLog
      ? (v: number | string, _i: number, ticks: { value: number }[]) =>
          logTickLabel(
            Number(v),
            ticks.map((t) => t.value),
            yLabel
          )
      : yLabel
    scales.x.ticks.callback = tickLabel
    scales.x.ticks.precision = opts.xWhole ? 0 : undefined
    const legend = chart.options.plugins!.legend!
    legend.display = !opts.noLegend || exporting
    legend.labels!.color = muted
    legend.labels!.filter = (item) => {
      const s = list[item.datasetIndex ?? 0]
      return !s?.hideInLegend && !(exporting && s?.hidden)
    }
    const tooltip = chart.options.plugins!.tooltip!
    // The raw curve under a smoothed one is not listed: the smoothed value names the run.
    tooltip.filter = (item) => !list[item.datasetIndex]?.hideInLegend
    tooltip.callbacks = {
      title: (items) => (items.length ? `${opts.xTitle} ${tickLabel(items[0].parsed.x ?? NaN)}` : ''),
      label: (item) => `${item.dataset.label}: ${valueLabel(item.parsed.y ?? NaN, !!opts.yPercent)}`
    }
    chart.update('none')
  }

  /** Redraws now if the last draw was long enough ago, else once at the end of the interval. */
  function refresh(): void {
    if (timer) return
    const wait = Math.max(0, MIN_INTERVAL_MS - (performance.now() - lastDraw))
    timer = setTimeout(apply, wait)
  }

  /**
   * The chart as a PNG data URL, as it is on screen (zoom and hidden series included), on the panel's colour rather
   * than transparent (a dark theme's light text stays readable), with `title` above it and the legend below.
   */
  function image(title: string): string | null {
    if (!chart || !el) return null
    if (timer) {
      clearTimeout(timer)
      timer = null
    }
    exporting = true
    try {
      apply()
      const scale = el.width / Math.max(1, el.clientWidth)
      const head = Math.round(28 * scale)
      const out = document.createElement('canvas')
      out.width = el.width
      out.height = el.height + head
      const ctx = out.getContext('2d')!
      ctx.fillStyle = cssVar('--panel')
      ctx.fillRect(0, 0, out.width, out.height)
      ctx.fillStyle = cssVar('--text')
      ctx.font = `600 ${Math.round(14 * scale)}px system-ui, sans-serif`
      ctx.textBaseline = 'middle'
      ctx.fillText(title, Math.round(10 * scale), head / 2)
      ctx.drawImage(el, 0, head)
      return out.toDataURL('image/png')
    } finally {
      exporting = false
      apply()
    }
  }

  onMounted(() => {
    el = canvas.value
    if (!el) return
    const config = lineChartConfig()
    config.plugins!.push(viewMarks)
    if (zoomable) {
      config.plugins!.push(zoomPlugin)
      config.options!.plugins!.zoom = {
        pan: { enabled: true, mode: 'x', onPanStart: startPan },
        zoom: { mode: 'x', wheel: { enabled: true, speed: ZOOM_SPEED } }
      }
      el.addEventListener('keydown', onKey)
      el.addEventListener('dblclick', onDouble)
      el.tabIndex = 0
    }
    chart = markRaw(new Chart(el, config))
    apply()
  })
  const stop = watch([series, options], refresh)
  const themeObserver = new MutationObserver(refresh)
  themeObserver.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] })
  const media = window.matchMedia('(prefers-color-scheme: dark)')
  media.addEventListener('change', refresh)
  onUnmounted(() => {
    stop()
    themeObserver.disconnect()
    media.removeEventListener('change', refresh)
    if (timer) clearTimeout(timer)
    el?.removeEventListener('keydown', onKey)
    el?.removeEventListener('dblclick', onDouble)
    chart?.destroy()
    chart = null
  })
  return { drawn, image }
}
