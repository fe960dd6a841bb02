// The Try-it pad's brush and rasterizer, centring like MNIST, latest-wins throttling, and the export figures' text.
import { describe, expect, it, vi } from 'vitest'
import {
  blankPad,
  brushInk,
  centerByMass,
  mnistBrush,
  padFromRows,
  padRows,
  paintSegment,
  pointOnPad
} from '../../renderer/src/lib/drawing'
import { latestThrottle, type Clock } from '../../renderer/src/lib/throttle'
import {
  argmax,
  base64Bytes,
  bytesLabel,
  className,
  diffLabel,
  newestFirst,
  sampleClass,
  shortHash
} from '../../renderer/src/lib/artifacts'
import { parseRoute, routeHref } from '../../renderer/src/lib/route'
import type { ExportInfo } from '../../common/contract'

const at = (img: { size: number; pixels: Float32Array }, x: number, y: number) => img.pixels[y * img.size + x]

describe('the brush', () => {
  it('is solid inside its radius and fades smoothly to nothing', () => {
    expect(brushInk(0, mnistBrush)).toBe(1)
    expect(brushInk(mnistBrush.radius, mnistBrush)).toBe(1)
    expect(brushInk(mnistBrush.radius + mnistBrush.softness, mnistBrush)).toBe(0)
    const mid = brushInk(mnistBrush.radius + mnistBrush.softness / 2, mnistBrush)
    expect(mid).toBeCloseTo(0.5, 6)
    let previous = 1
    for (let d = 0; d < 4; d += 0.05) {
      const v = brushInk(d, mnistBrush)
      expect(v).toBeLessThanOrEqual(previous)
      previous = v
    }
  })

  it('paints a dot as a soft disc, symmetric about its centre', () => {
    const img = blankPad()
    expect(paintSegment(img, { x: 14, y: 14 }, { x: 14, y: 14 })).toBe(true)
    expect(at(img, 13, 13)).toBe(1) // pixel centre (13.5, 13.5) is 0.71 from the dot
    // The dot sits on the corner shared by pixels 13 and 14: the four around it match, and so do the next ring's.
    for (const [x, y] of [
      [14, 14],
      [13, 14],
      [14, 13]
    ])
      expect(at(img, x, y)).toBe(at(img, 13, 13))
    for (const [x, y] of [
      [15, 13],
      [13, 12],
      [13, 15],
      [15, 14],
      [14, 15]
    ])
      expect(at(img, x, y)).toBeCloseTo(at(img, 12, 13), 6)
    const grey = Array.from(img.pixels).filter((v) => v > 0 && v < 1)
    expect(grey.length).toBeGreaterThan(4) // anti-aliased edge
    expect(at(img, 5, 5)).toBe(0)
  })

  it('draws a thick line about 3 pixels wide with soft edges, like MNIST strokes', () => {
    const img = blankPad()
    paintSegment(img, { x: 4, y: 14 }, { x: 24, y: 14 })
    const column = Array.from({ length: 28 }, (_, y) => at(img, 14, y))
    const solid = column.filter((v) => v === 1).length
    const soft = column.filter((v) => v > 0 && v < 1).length
    expect(solid).toBe(2)
    expect(soft).toBeGreaterThanOrEqual(2)
    expect(column.reduce((a, b) => a + b, 0)).toBeGreaterThan(2.5)
    expect(column.reduce((a, b) => a + b, 0)).toBeLessThan(4.5)
  })

  it('keeps the darkest ink where strokes overlap, so slow and fast strokes look alike', () => {
    const once = blankPad()
    paintSegment(once, { x: 4, y: 10 }, { x: 20, y: 18 })
    const many = blankPad()
    for (let i = 0; i < 16; i++) paintSegment(many, { x: 4 + i, y: 10 + i / 2 }, { x: 5 + i, y: 10.5 + i / 2 })
    for (let i = 0; i < once.pixels.length; i++) expect(many.pixels[i]).toBeCloseTo(once.pixels[i], 1)
    expect(paintSegment(once, { x: 4, y: 10 }, { x: 20, y: 18 })).toBe(false) // nothing new
    expect(Math.max(...once.pixels)).toBe(1)
    expect(Math.min(...once.pixels)).toBe(0)
  })

  it('clips at the edges', () => {
    const img = blankPad()
    paintSegment(img, { x: -5, y: -5 }, { x: 0.5, y: 0.5 })
    expect(at(img, 0, 0)).toBe(1)
    expect(img.pixels.length).toBe(784)
  })

  it('maps pointer positions onto the grid', () => {
    expect(pointOnPad(150, 250, { left: 10, top: 110, width: 280, height: 280 }, 28)).toEqual({ x: 14, y: 14 })
    expect(pointOnPad(10, 110, { left: 10, top: 110, width: 336, height: 336 }, 28)).toEqual({ x: 0, y: 0 })
  })
})

describe('the pad as model input', () => {
  it('gives rows as time steps, values in 0..1, and reads samples back', () => {
    const img = blankPad()
    paintSegment(img, { x: 3, y: 5 }, { x: 3, y: 5 })
    const rows = padRows(img)
    expect(rows).toHaveLength(28)
    expect(rows.every((r) => r.length === 28 && r.every((v) => v >= 0 && v <= 1))).toBe(true)
    expect(rows[4][2]).toBe(1) // row = y, column = x
    expect(padRows(padFromRows(rows))).toEqual(rows)
    expect(
      Array.from(
        padFromRows([
          [2, -1],
          [0.5, 0]
        ]).pixels
      )
    ).toEqual([1, 0, 0.5, 0])
  })

  it('centres a drawing by its centre of mass, as MNIST was prepared', () => {
    const img = blankPad()
    paintSegment(img, { x: 3, y: 3 }, { x: 8, y: 3 })
    const centred = centerByMass(img)
    let mass = 0
    let mx = 0
    let my = 0
    centred.pixels.forEach((v, i) => {
      mass += v
      mx += v * ((i % 28) + 0.5)
      my += v * (Math.floor(i / 28) + 0.5)
    })
    expect(Math.abs(mx / mass - 14)).toBeLessThanOrEqual(0.5)
    expect(Math.abs(my / mass - 14)).toBeLessThanOrEqual(0.5)
    expect(mass).toBeCloseTo(
      img.pixels.reduce((a, b) => a + b, 0),
      4
    ) // nothing pushed off the edge
    expect(Array.from(centerByMass(blankPad()).pixels).every((v) => v === 0)).toBe(true)
  })
})

/** A clock the test moves by hand. */
function manualClock() {
  let t = 0
  let timers: { at: number; fn: () => void; id: number }[] = []
  let nextId = 1
  const clock: Clock = {
    now: () => t,
    setTimeout: (fn, ms) => {
      const id = nextId++
      timers.push({ at: t + ms, fn, id })
      return id
    },
    clearTimeout: (id) => {
      timers = timers.filter((x) => x.id !== id)
    }
  }
  async function advance(ms: number): Promise<void> {
    const end = t + ms
    for (;;) {
      timers.sort((a, b) => a.at - b.at)
      const due = timers[0]
      if (!due || due.at > end) break
      timers.shift()
      t = due.at
      due.fn()
      await flush()
    }
    t = end
    await flush()
  }
  return { clock, advance }
}
const flush = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve()
}

describe('latest-wins throttling', () => {
  it('runs at once, then at most once per interval with the newest value, one at a time', async () => {
    const { clock, advance } = manualClock()
    const ran: number[] = []
    const replies: (() => void)[] = []
    const job = vi.fn((v: number) => {
      ran.push(v)
      return new Promise<void>((resolve) => replies.push(resolve))
    })
    const t = latestThrottle(job, 100, clock)
    t.push(1)
    expect(ran).toEqual([1])
    for (let v = 2; v <= 30; v++) t.push(v) // a burst while the first is in flight
    expect(t.busy()).toBe(true)
    await advance(150)
    expect(ran).toEqual([1]) // still in flight: nothing else starts
    replies.shift()!()
    await flush()
    expect(ran).toEqual([1, 30]) // the interval has passed: the newest value, and only it
    replies.shift()!()
    await flush()
    t.push(31)
    t.push(32)
    expect(ran).toEqual([1, 30])
    await advance(99)
    expect(ran).toEqual([1, 30])
    await advance(1)
    expect(ran).toEqual([1, 30, 32])
    replies.shift()!()
    await flush()
    expect(t.busy()).toBe(false)
  })

  it('keeps going after a failed run, and cancel drops what waits', async () => {
    const { clock, advance } = manualClock()
    const ran: number[] = []
    const t = latestThrottle(
      async (v: number) => {
        ran.push(v)
        if (v === 1) throw new Error('boom')
      },
      100,
      clock
    )
    t.push(1)
    await flush()
    t.push(2)
    await advance(100)
    expect(ran).toEqual([1, 2])
    t.push(3)
    t.cancel()
    await advance(500)
    expect(ran).toEqual([1, 2])
    expect(t.busy()).toBe(false)
  })

  it('asks at most 10 times a second through a long stroke', async () => {
    const { clock, advance } = manualClock()
    let calls = 0
    const t = latestThrottle(async () => void calls++, 100, clock)
    for (let ms = 0; ms < 2000; ms += 8) {
      t.push(ms)
      await advance(8)
    }
    await advance(200)
    expect(calls).toBeGreaterThanOrEqual(19)
    expect(calls).toBeLessThanOrEqual(21)
  })
})

describe('export and prediction figures', () => {
  it('reads sizes, digests and differences', () => {
    expect(bytesLabel(512)).toBe('512 B')
    expect(bytesLabel(11_161)).toBe('10.9 KB')
    expect(bytesLabel(3 * 1024 * 1024)).toBe('3.00 MB')
    expect(bytesLabel(null)).toBe('—')
    expect(shortHash('eba17bdd956c0123456789')).toBe('eba17bdd956c')
    expect(diffLabel(7.450580596923828e-8)).toBe('7.45e-8')
    expect(diffLabel(0.31)).toBe('0.3100')
    expect(diffLabel(0)).toBe('0')
    expect(diffLabel(NaN)).toBe('—')
  })

  it('lists the newest export first', () => {
    const e = (id: number, createdAt: string) => ({ id, createdAt }) as ExportInfo
    expect(
      newestFirst([e(1, '2026-01-01T00:00:00Z'), e(3, '2026-01-02T00:00:00Z'), e(2, '2026-01-02T00:00:00Z')]).map(
        (x) => x.id
      )
    ).toEqual([3, 2, 1])
  })

  it('turns base64 back into the same bytes', () => {
    const bytes = Buffer.from([0x08, 0x08, 0x12, 0x07, ...Buffer.from('RNN Lab'), 0xff, 0x00])
    expect(Buffer.from(base64Bytes(bytes.toString('base64')))).toEqual(bytes)
  })

  it('reads labels and classes', () => {
    expect(sampleClass(7)).toBe(7)
    expect(sampleClass([1, 2, 3])).toBe(3)
    expect(className(3, ['zero', 'one', 'two', 'three'])).toBe('three')
    expect(className(3, null)).toBe('3')
    expect(argmax([0.1, 0.7, 0.2])).toBe(1)
    expect(argmax([])).toBe(-1)
  })

  it('routes to Try it', () => {
    expect(parseRoute('#/runs/12/try')).toEqual({ name: 'try', id: 12 })
    expect(routeHref({ name: 'try', id: 12 })).toBe('#/runs/12/try')
    expect(parseRoute('#/runs/12/other')).toEqual({ name: 'not-found', path: '/runs/12/other' })
  })
})
