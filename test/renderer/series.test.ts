// Chart series helpers (renderer/src/lib/series.ts, compareSeries.ts): smoothing with an off switch, decimation that
// keeps extremes, and a run's metric against epoch, step and wall time.
import { describe, expect, it } from 'vitest'
import { decimate, decimateMean, extent, smooth, type Point } from '../../renderer/src/lib/series'
import { metricSeries, secondsPerEpoch } from '../../renderer/src/lib/compareSeries'
import type { BatchMetrics, RunDetail } from '../../common/contract'

const line = (n: number, f: (i: number) => number): Point[] => Array.from({ length: n }, (_, i) => ({ x: i, y: f(i) }))

describe('smoothing', () => {
  it('is off at weight 0 (the same array back)', () => {
    const pts = line(10, (i) => i)
    expect(smooth(pts, 0)).toBe(pts)
  })
  it('is debiased: a constant stays constant from the first point', () => {
    expect(smooth(line(20, () => 3), 0.9).every((p) => Math.abs(p.y - 3) < 1e-12)).toBe(true)
  })
  it('damps noise and keeps x', () => {
    const noisy = line(200, (i) => (i % 2 ? 1 : -1))
    const s = smooth(noisy, 0.9)
    expect(s.map((p) => p.x)).toEqual(noisy.map((p) => p.x))
    expect(Math.max(...s.slice(50).map((p) => Math.abs(p.y)))).toBeLessThan(0.2)
  })
})

describe('decimation', () => {
  it('returns short series unchanged', () => {
    const pts = line(100, (i) => i)
    expect(decimate(pts, 1000)).toBe(pts)
  })
  it('cuts 93,800 points to about the target, keeping the ends, spikes and x order', () => {
    const pts = line(93_800, (i) => Math.sin(i / 50))
    pts[12_345] = { x: 12_345, y: 9 }
    pts[70_000] = { x: 70_000, y: -9 }
    const d = decimate(pts, 1200)
    expect(d.length).toBeLessThanOrEqual(1200)
    expect(d.length).toBeGreaterThan(600)
    expect(d[0]).toBe(pts[0])
    expect(d[d.length - 1]).toBe(pts[pts.length - 1])
    expect(d.some((p) => p.y === 9)).toBe(true)
    expect(d.some((p) => p.y === -9)).toBe(true)
    expect(d.every((p, i) => i === 0 || p.x > d[i - 1].x)).toBe(true)
    expect(extent(d)).toEqual([-9, 9])
  })
})

describe('mean decimation', () => {
  it('averages buckets into a trend line of the target length', () => {
    const pts = line(10_000, (i) => i / 1000 + (i % 2 ? 0.5 : -0.5))
    const d = decimateMean(pts, 100)
    expect(d).toHaveLength(100)
    expect(d.every((p) => Math.abs(p.y - p.x / 1000) < 1e-9)).toBe(true)
    expect(decimateMean(pts.slice(0, 50), 100)).toHaveLength(50)
  })
})

describe('compare series', () => {
  const epoch = (e: number) => ({ epoch: e, loss: 1 / e, accuracy: 0.8 + e / 100, valLoss: 1.1 / e, valAccuracy: 0.85 + e / 100, learningRate: 0.001, seconds: 2, samplesPerSecond: 100 })
  const run = { epochs: [epoch(1), epoch(2)] } as RunDetail
  const batches: BatchMetrics[] = [1, 2, 3, 4].map((s) => ({ step: s, epoch: s <= 2 ? 1 : 2, batch: s <= 2 ? s : s - 2, loss: 2 / s, accuracy: null, wallSeconds: s * 0.9 }))

  it('puts epoch metrics at epochs, steps or wall time', () => {
    expect(metricSeries(run, batches, 'val_accuracy', 'epoch')).toEqual([{ x: 1, y: 0.86 }, { x: 2, y: 0.87 }])
    expect(metricSeries(run, batches, 'val_loss', 'step')).toEqual([{ x: 2, y: 1.1 }, { x: 4, y: 0.55 }])
    expect(metricSeries(run, batches, 'val_loss', 'wall').map((p) => p.x)).toEqual([1.8, 3.6])
    expect(metricSeries(run, [], 'val_loss', 'wall').map((p) => p.x)).toEqual([2, 4])
  })
  it('uses the per-batch figures for train metrics by step; skips missing values', () => {
    expect(metricSeries(run, batches, 'loss', 'step')).toEqual(batches.map((b) => ({ x: b.step, y: b.loss })))
    expect(metricSeries(run, batches, 'accuracy', 'step')).toEqual([])
    expect(metricSeries(run, batches, 'loss', 'epoch')).toEqual([{ x: 1, y: 1 }, { x: 2, y: 0.5 }])
    expect(secondsPerEpoch(run)).toBe(2)
  })
})
