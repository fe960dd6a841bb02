// A zoomable chart's x range (renderer/src/lib/chartView.ts): the limits chartjs-plugin-zoom keeps to, what the keys
// do, when a view shows everything, and how many points a view draws.
import { describe, expect, it } from 'vitest'
import {
  coversAll,
  dataRange,
  keyAction,
  pointsIn,
  tickLabel,
  zoomLimits,
  ZOOM_SPEED
} from '../../renderer/src/lib/chartView'

const full = { min: 0, max: 100 }
const line = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => ({ x: from + i, y: i }))

describe('chart view', () => {
  it('takes the x range of all the series; an empty or one-point chart has nothing to zoom', () => {
    expect(dataRange([line(5, 50), [], line(20, 100)])).toEqual({ min: 5, max: 100 })
    expect(dataRange([[], []])).toBeNull()
    expect(dataRange([line(3, 3)])).toBeNull()
  })

  it('zooms out no further than the data, and never to nothing', () => {
    const limits = zoomLimits(full)
    expect(limits).toMatchObject(full)
    expect(limits.minRange).toBeGreaterThan(0)
    expect(limits.minRange).toBeLessThan(0.1)
  })

  it('zooms with + and − by a wheel notch, pans a tenth of the view with the arrows, resets with 0', () => {
    // The plugin's wheel: 1 + speed shows (1 − speed) of the view; 2 − 1 / (1 − speed) shows 1 / (1 − speed) of it.
    const plus = keyAction('+') as { zoom: number }
    const minus = keyAction('-') as { zoom: number }
    expect(keyAction('=')).toEqual(plus)
    expect(2 - plus.zoom).toBeCloseTo(1 - ZOOM_SPEED, 12)
    expect((2 - plus.zoom) * (2 - minus.zoom)).toBeCloseTo(1, 12)
    expect(keyAction('ArrowLeft')).toEqual({ pan: -0.1 })
    expect(keyAction('ArrowRight')).toEqual({ pan: 0.1 })
    expect(keyAction('0')).toEqual({ reset: true })
    expect(keyAction('a')).toBeNull()
  })

  it('knows when the whole range is shown', () => {
    expect(coversAll(full, full)).toBe(true)
    expect(coversAll({ min: 0, max: 99 }, full)).toBe(false)
  })

  it('counts the points a view draws: inside it, with a value', () => {
    const points = line(0, 100)
    points[50] = { x: 50, y: NaN }
    expect(pointsIn(points, full)).toBe(100)
    expect(pointsIn(points, { min: 10, max: 19.5 })).toBe(10)
    expect(pointsIn([], full)).toBe(0)
  })
})

describe('tick labels (B3)', () => {
  it('read as written, without the float noise of summed steps', () => {
    expect([2.4000000000000004, 1.8000000000000003, 1.4000000000000001, 0.6000000000000001].map(tickLabel)).toEqual([
      '2.4',
      '1.8',
      '1.4',
      '0.6'
    ])
    expect(tickLabel(0.30000000000000004)).toBe('0.3')
    expect(tickLabel(93_800)).toBe('93,800')
    expect(tickLabel(-0.25)).toBe('-0.25')
    expect(tickLabel(0.0001)).toBe('0.0001')
    expect(tickLabel(1.23456789012345)).toBe('1.23456789012')
    expect(tickLabel('7')).toBe('7')
  })
})
