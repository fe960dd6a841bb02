// The Inside area of a run page (confusion matrix, a cell's samples, the misclassified gallery, prefix accuracy with
// progress and cancel), the two-run diff view and Compare's prefix overlay, in Chromium on really trained tiny runs.
/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { launchBrowser, serve, trainTinyRun, type Served } from '../helpers/browser'
import { tempDir } from '../helpers/tmp'
import { axeFindings, openPage, shoot } from './page'

let browser: Browser
let dir: ReturnType<typeof tempDir>
let served: Served
let runA: number
let runB: number

beforeAll(async () => {
  dir = tempDir()
  const db = join(dir.path, 'rnnlab.db')
  runA = trainTinyRun(dir.path, db, 'tiny-a', 1)
  runB = trainTinyRun(dir.path, db, 'tiny-b', 2)
  browser = await launchBrowser()
  served = await serve(db, dir.path)
}, 120_000)
afterAll(async () => {
  await served?.stop()
  await browser?.close()
  dir?.remove()
})

/** Clicks the centre of the confusion matrix's cell [true, predicted]. */
async function clickCell(page: Page, row: number, col: number, classes = 10): Promise<void> {
  const canvas = page.getByTestId('confusion-canvas')
  const area = (await canvas.getAttribute('data-area'))!.split(',').map(Number)
  const [left, top, width, height] = area
  await canvas.click({
    position: { x: left + ((col + 0.5) * width) / classes, y: top + ((row + 0.5) * height) / classes }
  })
}

describe('run page: Inside', () => {
  it('computes the confusion matrix, lists a cell’s samples as images and the misclassified ones', async () => {
    const { page, problems } = await openPage(browser, served, { hash: `#/runs/${runA}` })
    const inside = page.getByTestId('inside')
    await inside.waitFor()
    await page.getByTestId('compute-confusion').click()
    const summary = page.getByTestId('confusion-summary')
    await summary.waitFor({ timeout: 60_000 })
    const text = (await summary.textContent())!.replace(/\s+/g, ' ')
    const [, right, size, pct, recorded] =
      /(\d+) of (\d+) validation samples right, ([\d.]+%) \(recorded while training: ([\d.]+%)\)/.exec(text)!
    expect(Number(size)).toBe(100)
    expect(pct).toBe(recorded)

    // A diagonal cell: its samples are drawn, every one a "1".
    await clickCell(page, 1, 1)
    const heading = page.getByTestId('cell-samples').locator('h3')
    await expect.poll(() => heading.textContent()).toMatch(/True 1, predicted 1: \d+ samples?/)
    const n = Number(/: (\d+) samples?/.exec((await heading.textContent())!)![1])
    expect(n).toBeGreaterThan(0)
    await expect
      .poll(() => page.getByTestId('cell-samples').locator('canvas').count(), { timeout: 20_000 })
      .toBe(Math.min(n, 30))
    // The arrow keys move the selection from the focused matrix.
    await page.getByTestId('confusion-canvas').focus()
    await page.keyboard.press('ArrowRight')
    await expect.poll(() => heading.textContent()).toMatch(/True 1, predicted 2: \d+ samples?/)

    const errors = Number(size) - Number(right)
    await expect.poll(() => page.getByTestId('error-gallery').locator('li').count()).toBe(Math.min(errors, 24))
    await expect
      .poll(() => page.getByTestId('error-gallery').locator('canvas').count(), { timeout: 20_000 })
      .toBe(Math.min(errors, 24))
    await inside.scrollIntoViewIfNeeded()
    await shoot(page, 'inside-confusion-1280-light')
    expect(await axeFindings(page, '[data-testid="inside"]')).toEqual([])

    // Prefix accuracy: cancelled at once nothing is kept; computed, k = T is the ordinary validation accuracy.
    await page.getByRole('tab', { name: 'Prefix accuracy' }).click()
    await page.getByTestId('compute-prefix').click()
    await page.getByTestId('cancel-prefix').click()
    await page.getByText('Cancelled; nothing was kept.').waitFor({ timeout: 30_000 })
    await page.getByTestId('compute-prefix').click()
    const table = page.getByTestId('prefix-table')
    await table.waitFor({ timeout: 60_000 })
    const last = await table.locator('tbody tr').last().locator('td').allTextContents()
    expect(last).toEqual(['28', pct, pct])
    await page.getByTestId('prefix-chart').scrollIntoViewIfNeeded()
    await shoot(page, 'inside-prefix-1280-light')
    expect(await axeFindings(page, '[data-testid="inside"]')).toEqual([])
    expect(problems).toEqual([])
    await page.context().close()
  }, 180_000)
})

describe('diff and compare', () => {
  it('diffs two runs: the samples each alone gets right and the changed cells; Compare overlays prefix curves', async () => {
    const { page, problems } = await openPage(browser, served, {
      hash: `#/diff?a=${runA}&b=${runB}`,
      width: 1920,
      height: 1080,
      colorScheme: 'dark'
    })
    const stats = page.getByTestId('diff-stats')
    await stats.waitFor({ timeout: 60_000 })
    const figures = await stats.locator('.stat-value').allTextContents()
    const [accA, accB, onlyA, onlyB] = figures
    expect(Number(onlyA) - Number(onlyB)).toBe(Math.round(parseFloat(accA) - parseFloat(accB)))
    await expect.poll(() => page.getByTestId('only-a').locator('li').count()).toBe(Math.min(Number(onlyA), 24))
    await expect.poll(() => page.getByTestId('only-b').locator('li').count()).toBe(Math.min(Number(onlyB), 24))
    await shoot(page, 'inside-diff-1920-dark')
    expect(await axeFindings(page)).toEqual([])

    // Compare: run A's curve is stored (computed above); run B's is computed here, then both are drawn.
    await page.goto(`${served.url}#/compare?ids=${runA},${runB}`)
    const compute = page.getByTestId('compute-missing-prefix')
    await compute.waitFor({ timeout: 30_000 })
    expect(await compute.textContent()).toMatch(/Compute for 1 run without a curve/)
    await compute.click()
    await compute.waitFor({ state: 'detached', timeout: 60_000 })
    const chart = page.getByTestId('compare-prefix-chart')
    await chart.scrollIntoViewIfNeeded()
    await expect.poll(() => chart.locator('figure').getAttribute('data-points')).toBe(String(4 * 28))
    await shoot(page, 'inside-compare-prefix-1920-dark')
    expect(await axeFindings(page)).toEqual([])
    expect(problems).toEqual([])
    await page.context().close()
  }, 180_000)
})
