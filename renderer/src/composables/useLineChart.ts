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
    scales.x.min = opts.xMin
    scales.x.max = opts.xMax
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
    chart?.destroy()
    chart = null
  })
  return { refresh }
}
