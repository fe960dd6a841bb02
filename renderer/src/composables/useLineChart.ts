// A chart.js line chart on a canvas, kept out of Vue's reactivity, redrawn at most 10 times a second.
import { markRaw, onMounted, onUnmounted, watch, type Ref } from 'vue'
import {
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  Tooltip,
  type ChartDataset
} from 'chart.js'
import type { Point } from '../lib/series'
import { coversAll, panRange, zoomRange, type Range } from '../lib/viewport'

Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Legend, Tooltip)

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
}

const MIN_INTERVAL_MS = 100

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888'
}

function toDataset(s: ChartSeries): ChartDataset<'line', Point[]> {
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
    parsing: false,
    normalized: true
  }
}

/** Draws `series` on the canvas; call `refresh()` (or change `version`) after mutating the series in place. */
export function useLineChart(canvas: Ref<HTMLCanvasElement | null>, series: () => ChartSeries[], options: () => ChartOptions, version?: Ref<number>) {
  let chart: Chart<'line', Point[]> | null = null
  let timer: ReturnType<typeof setTimeout> | null = null
  let lastDraw = 0
  /** The zoomed x range, or null to show all the data. */
  let view: Range | null = null
  let frame = 0

  function dataRange(): Range | null {
    let min = Infinity
    let max = -Infinity
    for (const s of series()) {
      if (s.points.length === 0) continue
      min = Math.min(min, s.points[0].x)
      max = Math.max(max, s.points[s.points.length - 1].x)
    }
    return Number.isFinite(min) && max > min ? { min, max } : null
  }

  function showView(): void {
    if (!chart || !canvas.value) return
    const scales = chart.options.scales as Record<string, { min?: number; max?: number; ticks: { includeBounds?: boolean } }>
    const opts = options()
    scales.x.min = view?.min ?? opts.xMin
    scales.x.max = view?.max ?? opts.xMax
    // A zoomed view's edges fall between round numbers: label only the round ticks inside it.
    scales.x.ticks.includeBounds = view === null
    canvas.value.dataset.view = view ? `${view.min.toPrecision(6)},${view.max.toPrecision(6)}` : 'all'
  }

  /** Pans and zooms draw on the next animation frame, not on the 10-a-second clock: they follow the hand. */
  function setView(next: Range | null): void {
    const full = dataRange()
    view = next && full && !coversAll(next, full) ? next : null
    showView()
    if (!frame) {
      frame = requestAnimationFrame(() => {
        frame = 0
        chart?.update('none')
      })
    }
  }

  function attachZoom(el: HTMLCanvasElement): () => void {
    let drag: { x: number; view: Range } | null = null
    const current = (): Range | null => view ?? dataRange()
    const valueAt = (px: number): number => chart?.scales.x.getValueForPixel(px) ?? 0
    const onWheel = (e: WheelEvent) => {
      const v = current()
      const full = dataRange()
      if (!v || !full) return
      e.preventDefault()
      setView(zoomRange(v, full, valueAt(e.offsetX), e.deltaY < 0 ? 0.8 : 1.25))
    }
    const onDown = (e: PointerEvent) => {
      const v = current()
      if (!v || !view) return // nothing to pan while all the data is shown
      drag = { x: e.clientX, view: v }
      el.setPointerCapture(e.pointerId)
    }
    const onMove = (e: PointerEvent) => {
      const full = dataRange()
      if (!drag || !full || !chart) return
      const width = chart.chartArea.right - chart.chartArea.left
      setView(panRange(drag.view, full, (-(e.clientX - drag.x) * (drag.view.max - drag.view.min)) / width))
    }
    const onUp = () => (drag = null)
    const onDouble = () => setView(null)
    const onKey = (e: KeyboardEvent) => {
      const v = current()
      const full = dataRange()
      if (!v || !full) return
      const middle = (v.min + v.max) / 2
      const step = (v.max - v.min) / 10
      const next: Record<string, () => Range | null> = {
        '+': () => zoomRange(v, full, middle, 0.8),
        '=': () => zoomRange(v, full, middle, 0.8),
        '-': () => zoomRange(v, full, middle, 1.25),
        ArrowLeft: () => panRange(v, full, -step),
        ArrowRight: () => panRange(v, full, step),
        '0': () => null
      }
      if (!(e.key in next)) return
      e.preventDefault()
      setView(next[e.key]())
    }
    el.addEventListener('wheel', onWheel, { passive: false })
    el.addEventListener('pointerdown', onDown)
    el.addEventListener('pointermove', onMove)
    el.addEventListener('pointerup', onUp)
    el.addEventListener('pointercancel', onUp)
    el.addEventListener('dblclick', onDouble)
    el.addEventListener('keydown', onKey)
    el.tabIndex = 0
    return () => {
      el.removeEventListener('wheel', onWheel)
      el.removeEventListener('pointerdown', onDown)
      el.removeEventListener('pointermove', onMove)
      el.removeEventListener('pointerup', onUp)
      el.removeEventListener('pointercancel', onUp)
      el.removeEventListener('dblclick', onDouble)
      el.removeEventListener('keydown', onKey)
    }
  }
  let detachZoom: (() => void) | null = null

  function apply(): void {
    timer = null
    lastDraw = performance.now()
    if (!chart) return
    const list = series()
    const opts = options()
    chart.data.datasets = list.map(toDataset)
    const muted = cssVar('--muted')
    const grid = cssVar('--border')
    const scales = chart.options.scales as Record<string, { min?: number; max?: number; title: { text: string; color: string }; ticks: { color: string; callback?: unknown }; grid: { color: string } }>
    // A zoomed view outlives redraws of new data, but not a change of x axis (its range would mean nothing).
    const full = dataRange()
    if (view && (!full || view.min < full.min || view.max > full.max || opts.xTitle !== scales.x.title.text)) view = null
    showView()
    scales.x.title.text = opts.xTitle
    scales.y.title.text = opts.yTitle
    for (const axis of [scales.x, scales.y]) {
      axis.title.color = muted
      axis.ticks.color = muted
      axis.grid.color = grid
    }
    // Enough decimals that neighbouring ticks read differently (16.2%, 16.4%, … rather than 16%, 16%).
    scales.y.ticks.callback = opts.yPercent ? (v: number | string) => `${Number((Number(v) * 100).toFixed(2))}%` : undefined
    const legend = chart.options.plugins!.legend!
    legend.labels!.color = muted
    legend.labels!.filter = (item) => !list[item.datasetIndex ?? 0]?.hideInLegend
    chart.update('none')
  }

  /** Redraws now if the last draw was long enough ago, else once at the end of the interval. */
  function refresh(): void {
    if (timer) return
    const wait = Math.max(0, MIN_INTERVAL_MS - (performance.now() - lastDraw))
    timer = setTimeout(apply, wait)
  }

  onMounted(() => {
    if (!canvas.value) return
    chart = markRaw(
      new Chart<'line', Point[]>(canvas.value, {
        type: 'line',
        data: { datasets: [] },
        options: {
          animation: false,
          responsive: true,
          maintainAspectRatio: false,
          interaction: { mode: 'nearest', intersect: false },
          scales: {
            x: { type: 'linear', title: { display: true, text: '' }, ticks: {}, grid: {} },
            y: { type: 'linear', title: { display: true, text: '' }, ticks: {}, grid: {} }
          },
          plugins: {
            legend: { position: 'bottom', labels: { boxWidth: 14, boxHeight: 2 } },
            tooltip: { enabled: true }
          }
        }
      })
    )
    if (options().zoomable) detachZoom = attachZoom(canvas.value)
    apply()
  })
  const stop = watch([series, options, ...(version ? [version] : [])], refresh)
  const themeObserver = new MutationObserver(refresh)
  themeObserver.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] })
  const media = window.matchMedia('(prefers-color-scheme: dark)')
  media.addEventListener('change', refresh)
  onUnmounted(() => {
    stop()
    themeObserver.disconnect()
    media.removeEventListener('change', refresh)
    if (timer) clearTimeout(timer)
    if (frame) cancelAnimationFrame(frame)
    detachZoom?.()
    chart?.destroy()
    chart = null
  })
  return { refresh }
}
