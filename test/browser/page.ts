// Shared by the browser tests: a page on `rnnlab serve` that records console errors, and screenshots by name.
/// <reference lib="dom" />
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { screenshotDir, type Served } from '../helpers/browser'

export interface OpenOptions {
  colorScheme?: 'light' | 'dark'
  width?: number
  height?: number
  hash?: string
}

/** Opens the served UI; `problems` collects console errors and warnings and uncaught page errors. */
export async function openPage(
  browser: Browser,
  served: Served,
  opts: OpenOptions = {}
): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({
    viewport: { width: opts.width ?? 1280, height: opts.height ?? 800 },
    colorScheme: opts.colorScheme ?? 'light',
    acceptDownloads: true
  })
  const page = await context.newPage()
  const problems: string[] = []
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text())
  })
  page.on('pageerror', (e) => problems.push(e.message))
  await page.goto(served.url + (opts.hash ?? ''))
  return { page, problems }
}

export async function shoot(page: Page, name: string, fullPage = false): Promise<void> {
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage })
}

/** The four looks every screen is checked in: 1280×800 and 1920×1080, light and dark. */
export const looks = [
  { width: 1280, height: 800, colorScheme: 'light' as const },
  { width: 1920, height: 1080, colorScheme: 'dark' as const },
  { width: 1280, height: 800, colorScheme: 'dark' as const },
  { width: 1920, height: 1080, colorScheme: 'light' as const }
]

/** How many pixels of the `index`th chart canvas are drawn (read from a copy, so the page's canvas is never read back). */
export function inkedPixels(page: Page, index = 0): Promise<number> {
  return page.evaluate((i) => {
    const canvas = document.querySelectorAll<HTMLCanvasElement>('.metric-chart canvas')[i]
    const copy = document.createElement('canvas')
    copy.width = canvas.width
    copy.height = canvas.height
    const ctx = copy.getContext('2d', { willReadFrequently: true })!
    ctx.drawImage(canvas, 0, 0)
    const data = ctx.getImageData(0, 0, copy.width, copy.height).data
    let n = 0
    for (let p = 3; p < data.length; p += 4) if (data[p] > 0) n++
    return n
  }, index)
}

const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8')

/**
 * axe-core's serious and critical findings on the page, or inside the element `selector` names, one line each: rule,
 * impact, where, why.
 */
export async function axeFindings(page: Page, selector?: string): Promise<string[]> {
  await page.evaluate(axeSource)
  const violations = await page.evaluate(async (within) => {
    interface AxeResults {
      violations: { id: string; impact: string; nodes: { target: string[]; failureSummary: string }[] }[]
    }
    const axe = (window as unknown as { axe: { run: (ctx: unknown, o: object) => Promise<AxeResults> } }).axe
    const r = await axe.run(within ?? document, { resultTypes: ['violations'] })
    return r.violations
  }, selector)
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) =>
      v.nodes.map(
        (n) => `${v.id} (${v.impact}) ${n.target.join(' ')}: ${n.failureSummary.split('\n').slice(1).join(' ')}`
      )
    )
}
