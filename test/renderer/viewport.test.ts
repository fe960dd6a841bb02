// Zooming and panning a chart's x range: anchored at the cursor, clamped to the data.
import { describe, expect, it } from 'vitest'
import { coversAll, panRange, zoomRange } from '../../renderer/src/lib/viewport'

const full = { min: 0, max: 100 }

describe('chart viewport', () => {
  it('zooms around the cursor, keeping the point under it fixed', () => {
    const v = zoomRange(full, full, 25, 0.5)
    expect(v).toEqual({ min: 12.5, max: 62.5 })
    expect((25 - v.min) / (v.max - v.min)).toBeCloseTo(0.25, 10)
  })

  it('zooms out no further than the data, and never to nothing', () => {
    expect(zoomRange({ min: 40, max: 60 }, full, 50, 100)).toEqual(full)
    const tiny = zoomRange(full, full, 50, 1e-9)
    expect(tiny.max - tiny.min).toBeGreaterThan(0)
  })

  it('pans, stopping at either edge', () => {
    expect(panRange({ min: 10, max: 30 }, full, 15)).toEqual({ min: 25, max: 45 })
    expect(panRange({ min: 10, max: 30 }, full, -50)).toEqual({ min: 0, max: 20 })
    expect(panRange({ min: 70, max: 90 }, full, 50)).toEqual({ min: 80, max: 100 })
  })

  it('knows when the whole range is shown', () => {
    expect(coversAll(full, full)).toBe(true)
    expect(coversAll({ min: 0, max: 99 }, full)).toBe(false)
  })
})
