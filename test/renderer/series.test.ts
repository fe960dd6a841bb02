// Chart series helpers (renderer/src/lib/series.ts, compareSeries.ts, lineChart.ts): smoothing with an off switch,
// chart.js's decimation as the charts use it (keeps extremes, follows the zoom), a smoothed trend by bucket means, and
// a run's metric against epoch, step and wall time.
import { describe, expect, it } from 'vitest'
import { Chart } from 'chart.js'
import { decimateMean, extent, smooth, type Point } from '../../renderer/src/lib/series'
import {
  contrast,
  decimationFor,
  FAINT_DARK_CONTRAST,
  faintColor,
  lineChartConfig,
  logTickLabel,
  nearestIndex,
  POINTS_PER_PIXEL,
  toDataset,
  valueLabel
} from '../../renderer/src/lib/lineChart'
import { metricSeries, palette, secondsPerEpoch } from '../../renderer/src/lib/compareSeries'
import type { BatchMetrics, RunDetail } from '../../common/contract'

const line = (n: number, f: (i: number) => number): Point[] => Array.from({ length: n }, (_, i) => ({ x: i, y: f(i) }))

describe('smoothing', () => {
  it('is off at weight 0 (the same array back)', () => {
    const pts = line(10, (i) => i)
    expect(smooth(pts, 0)).toBe(pts)
  })
  it('is debiased: a constant stays constant from the first point', () => {
    expect(
      smooth(
        line(20, () => 3),
        0.9
      ).every((p) => Math.abs(p.y - 3) < 1e-12)
    ).toBe(true)
  })
  it("is TensorBoard's debiased EMA: a hand-computed example, across a break", () => {
    // weight 0.6: m1 = 0.4·1 = 0.4, /(1 − 0.6) = 1; m2 = 0.6·0.4 + 0.4·2 = 1.04, /(1 − 0.36) = 1.625;
    // the break passes through; m3 = 0.6·1.04 + 0.4·4 = 2.224, /(1 − 0.216) = 2.836734693877551.
    const s = smooth(
      [
        { x: 1, y: 1 },
        { x: 2, y: 2 },
        { x: 2.5, y: NaN },
        { x: 3, y: 4 }
      ],
      0.6
    )
    expect(s.map((p) => p.x)).toEqual([1, 2, 2.5, 3])
    expect(s[0].y).toBeCloseTo(1, 12)
    expect(s[1].y).toBeCloseTo(1.625, 12)
    expect(s[2].y).toBeNaN()
    expect(s[3].y).toBeCloseTo(2.836734693877551, 12)
  })
  it('damps noise and keeps x', () => {
    const noisy = line(200, (i) => (i % 2 ? 1 : -1))
    const s = smooth(noisy, 0.9)
    expect(s.map((p) => p.x)).toEqual(noisy.map((p) => p.x))
    expect(Math.max(...s.slice(50).map((p) => Math.abs(p.y)))).toBeLessThan(0.2)
  })
})

/** A canvas whose 2D context draws nothing: chart.js lays out, decimates and "draws" under Node. */
function blankCanvas(width: number, height: number): HTMLCanvasElement {
  const canvas: Record<string, unknown> = { width, height, style: {} }
  const context = new Proxy({ canvas } as Record<string | symbol, unknown>, {
    get: (t, k) => (k in t ? t[k] : k === 'measureText' ? (s: string) => ({ width: s.length * 6 }) : () => undefined),
    set: (t, k, v) => ((t[k] = v), true)
  })
  canvas.getContext = () => context
  return canvas as unknown as HTMLCanvasElement
}

/** The app's chart config drawing `series` on a 1000-pixel-wide canvas; returns the points chart.js draws of each. */
function drawn(series: Point[][], view?: { min: number; max: number }): Point[][] {
  const list = series.map((points) => ({ label: 'loss', color: '#2f6fde', points }))
  const config = lineChartConfig()
  config.options!.responsive = false
  config.options!.scales!.x!.min = view?.min
  config.options!.scales!.x!.max = view?.max
  config.options!.plugins!.decimation = decimationFor(list)
  const chart = new Chart(blankCanvas(1000, 400), config)
  chart.data.datasets = list.map((s) => toDataset(s))
  chart.update('none')
  const data = chart.data.datasets.map((d) => d.data)
  chart.destroy()
  return data
}

describe('decimation (chart.js, as the charts are configured)', () => {
  it('draws short series whole', () => {
    const pts = line(100, (i) => i)
    expect(drawn([pts])[0]).toBe(pts)
  })
  it('cuts 93,800 points to the points budget, keeping the ends, spikes and x order', () => {
    const pts = line(93_800, (i) => Math.sin(i / 50))
    pts[12_345] = { x: 12_345, y: 9 }
    pts[70_000] = { x: 70_000, y: -9 }
    const [d] = drawn([pts])
    expect(d).toHaveLength(1000 * POINTS_PER_PIXEL)
    expect(d[0]).toBe(pts[0])
    expect(d[d.length - 1]).toBe(pts[pts.length - 1])
    expect(d.some((p) => p.y === 9)).toBe(true)
    expect(d.some((p) => p.y === -9)).toBe(true)
    expect(d.every((p, i) => i === 0 || p.x > d[i - 1].x)).toBe(true)
    expect(extent(d)).toEqual([-9, 9])
  })
  it('decimates the visible range only, so zooming in shows more detail', () => {
    const pts = line(93_800, (i) => Math.sin(i / 50) + (i % 2 ? 0.1 : -0.1))
    const [all] = drawn([pts])
    const [zoomed] = drawn([pts], { min: 40_000, max: 49_380 })
    expect(zoomed).toHaveLength(1000 * POINTS_PER_PIXEL)
    // The view, and the neighbours that carry the line to its edges.
    expect(zoomed.every((p) => p.x >= 40_000 - 2 && p.x <= 49_380 + 2)).toBe(true)
    const inView = (d: Point[]) => d.filter((p) => p.x >= 40_000 && p.x <= 49_380).length
    expect(inView(zoomed)).toBeGreaterThan(5 * inView(all))
  })
  it('shares the budget among the series, and keeps min-max for a series with a gap', () => {
    const ten = Array.from({ length: 10 }, (_, r) => line(9_380, (i) => Math.sin(i / 50) + r))
    expect(drawn(ten).map((d) => d.length)).toEqual(ten.map(() => (1000 * POINTS_PER_PIXEL) / 10))
    const gapped = line(20_000, (i) => Math.sin(i / 50))
    gapped[10_000] = { x: 10_000, y: NaN }
    expect(decimationFor([{ label: 'loss', color: '#000', points: gapped }]).algorithm).toBe('min-max')
    const [d] = drawn([gapped])
    expect(d.length).toBeLessThanOrEqual(4 * 1000)
    expect(d.length).toBeLessThan(gapped.length)
  })
})

describe('mean decimation', () => {
  it('averages buckets into a trend line of the target length', () => {
    const pts = line(10_000, (i) => i / 1000 + (i % 2 ? 0.5 : -0.5))
    const d = decimateMean(pts, 100)
    expect(d).toHaveLength(100)
    expect(d.every((p) => Math.abs(p.y - p.x / 1000) < 1e-9)).toBe(true)
    expect(decimateMean(pts.slice(0, 50), 100)).toHaveLength(50)
    // A break between epochs stays a break, and no bucket mixes the two sides.
    const broken = [
      ...line(500, () => 2),
      { x: 499.5, y: NaN },
      ...line(500, () => 1).map((p) => ({ ...p, x: p.x + 500 }))
    ]
    const b = decimateMean(broken, 100)
    const at = b.findIndex((p) => !Number.isFinite(p.y))
    expect(at).toBeGreaterThan(0)
    expect(b.slice(0, at).every((p) => p.y === 2)).toBe(true)
    expect(b.slice(at + 1).every((p) => p.y === 1)).toBe(true)
    expect(b.length).toBeLessThanOrEqual(102)
  })
})

describe('compare series', () => {
  const epoch = (e: number) => ({
    epoch: e,
    loss: 1 / e,
    accuracy: 0.8 + e / 100,
    valLoss: 1.1 / e,
    valAccuracy: 0.85 + e / 100,
    learningRate: 0.001,
    seconds: 2,
    samplesPerSecond: 100
  })
  const run = { epochs: [epoch(1), epoch(2)] } as RunDetail
  const batches: BatchMetrics[] = [1, 2, 3, 4].map((s) => ({
    step: s,
    epoch: s <= 2 ? 1 : 2,
    batch: s <= 2 ? s : s - 2,
    batches: 1,
    loss: 2 / s,
    accuracy: null,
    wallSeconds: s * 0.9
  }))

  it('puts epoch metrics at epochs, steps or wall time', () => {
    expect(metricSeries(run, batches, 'val_accuracy', 'epoch')).toEqual([
      { x: 1, y: 0.86 },
      { x: 2, y: 0.87 }
    ])
    expect(metricSeries(run, batches, 'val_loss', 'step')).toEqual([
      { x: 2, y: 1.1 },
      { x: 4, y: 0.55 }
    ])
    expect(metricSeries(run, batches, 'val_loss', 'wall').map((p) => p.x)).toEqual([1.8, 3.6])
    expect(metricSeries(run, [], 'val_loss', 'wall').map((p) => p.x)).toEqual([2, 4])
  })
  it('uses the per-step figures for train metrics by step, broken between epochs; skips missing values', () => {
    expect(metricSeries(run, batches, 'loss', 'step')).toEqual([
      { x: 1, y: 2 },
      { x: 2, y: 1 },
      { x: 2.5, y: NaN },
      { x: 3, y: 2 / 3 },
      { x: 4, y: 0.5 }
    ])
    expect(metricSeries(run, batches, 'accuracy', 'step')).toEqual([])
    expect(metricSeries(run, batches, 'loss', 'epoch')).toEqual([
      { x: 1, y: 1 },
      { x: 2, y: 0.5 }
    ])
    expect(secondsPerEpoch(run)).toBe(2)
  })
})

describe('chart looks and reading', () => {
  const panels = { light: '#ffffff', dark: '#1a2030' }
  it('draws a faint line at half opacity on a light panel, and with 3:1 contrast on a dark one', () => {
    expect(faintColor('#2f6fde', panels.light)).toBe('rgba(47, 111, 222, 0.50)')
    for (const color of palette) {
      const m = /rgba\((\d+), (\d+), (\d+), ([\d.]+)\)/.exec(faintColor(color, panels.dark))!
      const [r, g, b, a] = m.slice(1).map(Number)
      const bg = [26, 32, 48]
      const drawn = [r, g, b].map((c, i) => c * a + bg[i] * (1 - a))
      expect(contrast(drawn, panels.dark), color).toBeGreaterThanOrEqual(FAINT_DARK_CONTRAST)
      // Still fainter than the full line: translucent.
      expect(a).toBeLessThan(1)
    }
    expect(toDataset({ label: 'x', color: '#2f6fde', points: [], faint: true }, panels.dark).borderColor).toBe(
      faintColor('#2f6fde', panels.dark)
    )
  })
  it('labels a log axis at 1, 2 and 5 of each decade, or every tick inside one decade', () => {
    const label = (v: number) => String(v)
    const ticks = [0.6, 0.7, 0.8, 0.9, 1, 2, 3]
    expect(ticks.map((t) => logTickLabel(t, ticks, label))).toEqual(['', '', '', '', '1', '2', ''])
    const narrow = [0.6, 0.7, 0.8, 0.9]
    expect(narrow.map((t) => logTickLabel(t, narrow, label))).toEqual(['0.6', '0.7', '0.8', '0.9'])
    expect(logTickLabel(0, ticks, label)).toBe('')
  })
  it('finds the point nearest the pointer in each series, skipping breaks', () => {
    const els = [{ x: 10 }, { x: 20, skip: true }, { x: 30 }, { x: 40 }]
    expect(nearestIndex(els, 0)).toBe(0)
    expect(nearestIndex(els, 19)).toBe(0)
    expect(nearestIndex(els, 21)).toBe(2)
    expect(nearestIndex(els, 36)).toBe(3)
    expect(nearestIndex(els, 99)).toBe(3)
    expect(nearestIndex([], 5)).toBe(-1)
  })
  it('formats tooltip values', () => {
    expect(valueLabel(0.82, true)).toBe('82.00%')
    expect(valueLabel(0.123456, false)).toBe('0.1235')
    expect(valueLabel(NaN, false)).toBe('—')
  })
})
