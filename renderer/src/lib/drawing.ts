// The Try-it drawing pad's pixels: thick, soft strokes rasterized onto a square grid of 0..1 values, as MNIST digits look.

/** A grid of `size`×`size` intensities in 0..1, row-major (rows are the model's time steps). */
export interface PadImage {
  size: number
  pixels: Float32Array
}

export interface PadPoint {
  /** In pixels of the grid: 0 is the left edge of the first column, `size` the right edge of the last. */
  x: number
  y: number
}

/** Full ink within `radius` of the stroke's centre line, fading to none over `softness` more (both in grid pixels). */
export interface Brush {
  radius: number
  softness: number
}

/** MNIST's strokes are about 2–3 pixels of solid ink with an anti-aliased pixel on either side. */
export const mnistBrush: Brush = { radius: 0.8, softness: 1.6 }

export function blankPad(size = 28): PadImage {
  return { size, pixels: new Float32Array(size * size) }
}

function distanceToSegment(px: number, py: number, a: PadPoint, b: PadPoint): number {
  const dx = b.x - a.x
  const dy = b.y - a.y
  const length2 = dx * dx + dy * dy
  const t = length2 === 0 ? 0 : Math.max(0, Math.min(1, ((px - a.x) * dx + (py - a.y) * dy) / length2))
  return Math.hypot(px - (a.x + t * dx), py - (a.y + t * dy))
}

/** Ink for a pixel whose centre is `d` from the stroke: 1 inside the radius, a smooth fall to 0 across the softness. */
export function brushInk(d: number, brush: Brush): number {
  if (d <= brush.radius) return 1
  const u = (d - brush.radius) / brush.softness
  if (u >= 1) return 0
  return 1 - u * u * (3 - 2 * u)
}

/**
 * Paints the segment from `a` to `b` (a dot when they are equal). Ink only ever darkens a pixel (max, not sum), so a
 * slow stroke whose segments overlap looks the same as a fast one. Returns whether any pixel changed.
 */
export function paintSegment(image: PadImage, a: PadPoint, b: PadPoint, brush: Brush = mnistBrush): boolean {
  const { size, pixels } = image
  const reach = brush.radius + brush.softness
  const x0 = Math.max(0, Math.floor(Math.min(a.x, b.x) - reach))
  const x1 = Math.min(size - 1, Math.ceil(Math.max(a.x, b.x) + reach))
  const y0 = Math.max(0, Math.floor(Math.min(a.y, b.y) - reach))
  const y1 = Math.min(size - 1, Math.ceil(Math.max(a.y, b.y) + reach))
  let changed = false
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      // Rounded as stored, so painting the same stroke again is no change.
      const ink = Math.fround(brushInk(distanceToSegment(x + 0.5, y + 0.5, a, b), brush))
      const i = y * size + x
      if (ink > pixels[i]) {
        pixels[i] = ink
        changed = true
      }
    }
  }
  return changed
}

/**
 * The image moved by whole pixels so that its centre of mass sits at the centre, as MNIST's digits were prepared;
 * a digit drawn in a corner is then read as the model saw its training digits. Ink pushed off the edge is dropped.
 */
export function centerByMass(image: PadImage): PadImage {
  const { size, pixels } = image
  let mass = 0
  let mx = 0
  let my = 0
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const v = pixels[y * size + x]
      mass += v
      mx += v * (x + 0.5)
      my += v * (y + 0.5)
    }
  }
  if (mass === 0) return { size, pixels: pixels.slice() }
  const shiftX = Math.round(size / 2 - mx / mass)
  const shiftY = Math.round(size / 2 - my / mass)
  const out = new Float32Array(size * size)
  for (let y = 0; y < size; y++) {
    const sy = y - shiftY
    if (sy < 0 || sy >= size) continue
    for (let x = 0; x < size; x++) {
      const sx = x - shiftX
      if (sx >= 0 && sx < size) out[y * size + x] = pixels[sy * size + sx]
    }
  }
  return { size, pixels: out }
}

/** The image as the model's input: one row per time step, each row's pixels as its features. */
export function padRows(image: PadImage): number[][] {
  const { size, pixels } = image
  return Array.from({ length: size }, (_, y) =>
    Array.from(pixels.subarray(y * size, (y + 1) * size), (v) => Math.round(v * 1e4) / 1e4)
  )
}

/** A sample's rows (time steps × features, values 0..1) as a pad image; values outside 0..1 are clipped. */
export function padFromRows(rows: number[][]): PadImage {
  const size = rows.length
  const pixels = new Float32Array(size * size)
  rows.forEach((row, y) =>
    row.forEach((v, x) => {
      if (x < size) pixels[y * size + x] = Math.max(0, Math.min(1, v))
    })
  )
  return { size, pixels }
}

/** Where a pointer at (clientX, clientY) falls on the grid, for an element at `rect` showing `size` pixels. */
export function pointOnPad(
  clientX: number,
  clientY: number,
  rect: { left: number; top: number; width: number; height: number },
  size: number
): PadPoint {
  return { x: ((clientX - rect.left) / rect.width) * size, y: ((clientY - rect.top) / rect.height) * size }
}
