// Compare's panels in Chromium (issue 12): loss and accuracy, training and validation at once; a tooltip listing every
// run at the hovered x; a run shown alone from the legend and back; a log y axis; a panel saved as PNG and as CSV; all
// of it kept in the address; screenshots at 1280×800 light and 1920×1080 dark, axe clean in both.
/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { RunStore } from '../../main/runs/store'
import { launchBrowser, screenshotDir, serve, type Served } from '../helpers/browser'
import { tutorialConfig } from '../helpers/seed'
import { tempDir } from '../helpers/tmp'
import { axeFindings, inkedPixels, openPage, shoot } from './page'

let browser: Browser
let dir: ReturnType<typeof tempDir>
let served: Served
const slow = { timeout: 30_000 }
const EPOCHS = 4
const BATCHES = 20
const names = ['bi-lstm', 'lstm-b', 'lstm-c']
const offsets = [0, 0.05, 0.1]
const colors = ['#2f6fde', '#e0762b', '#2a9d5b']
const ids: number[] = []

/** The per-step training loss the seeded runs have at epoch `e`, batch `b` (1-based). */
const stepLoss = (e: number, b: number, offset: number) => 2.4 - (1.8 * b) / BATCHES / e + offset

function seedRun(store: RunStore, name: string, offset: number): number {
  const id = store.createRun({
    name,
    config: { ...tutorialConfig, name },
    dataset: 'mnist-sample',
    seed: 42,
    paramCount: 1000,
    cell: 'lstm',
    direction: 'bidirectional',
    layerCount: 5,
    epochsPlanned: EPOCHS
  })
  store.markStarted(id, { engineVersion: 'test', threads: 2, cpu: 'test cpu', pid: process.pid, host: 'test-host' })
  for (let e = 1; e <= EPOCHS; e++) {
    const rows = Array.from({ length: BATCHES }, (_, i) => ({
      step: (e - 1) * BATCHES + i + 1,
      epoch: e,
      batch: i + 1,
      batches: 1,
      loss: stepLoss(e, i + 1, offset),
      accuracy: 0.2 + (0.6 * (i + 1)) / BATCHES / e - offset,
      wallSeconds: ((e - 1) * BATCHES + i + 1) * 0.01
    }))
    store.recordEpochResult(
      id,
      {
        epoch: e,
        loss: 0.6 + 0.3 / e + offset,
        accuracy: 0.8 + 0.02 * e - offset,
        valLoss: 0.7 + 0.3 / e + offset,
        valAccuracy: 0.78 + 0.02 * e - offset,
        learningRate: 0.001,
        seconds: 1,
        samplesPerSecond: 1000
      },
      [],
      rows
    )
  }
  store.finishRun(id, 'completed')
  return id
}

beforeAll(async () => {
  dir = tempDir()
  browser = await launchBrowser()
  const db = join(dir.path, 'rnnlab.db')
  const store = new RunStore(db)
  names.forEach((n, i) => ids.push(seedRun(store, n, offsets[i])))
  store.close()
  served = await serve(db, dir.path)
}, 120_000)
afterAll(async () => {
  await served?.stop()
  await browser?.close()
  dir.remove()
})

const panel = (page: Page, metric: string) => page.getByTestId(`compare-panel-${metric}`)
const canvasOf = (page: Page, metric: string) => panel(page, metric).locator('canvas')
const pointsOf = async (page: Page, metric: string) =>
  Number(await panel(page, metric).locator('.metric-chart').getAttribute('data-points'))
const panelsShown = (page: Page) =>
  page.locator('[data-testid^="compare-panel-"]').evaluateAll((els) => els.map((e) => e.dataset.testid!.slice(14)))

/** Pixels of `color` (within a tolerance) in the plot area of the chart in `metric`'s panel. */
function colorPixels(page: Page, metric: string, color: string): Promise<number> {
  return page.evaluate(
    ({ metric, color }) => {
      const canvas = document.querySelector<HTMLCanvasElement>(`[data-testid="compare-panel-${metric}"] canvas`)!
      const [left, top, right, bottom] = (canvas.dataset.area ?? '0,0,0,0').split(',').map(Number)
      const scale = canvas.width / canvas.clientWidth
      const copy = document.createElement('canvas')
      copy.width = canvas.width
      copy.height = canvas.height
      const ctx = copy.getContext('2d', { willReadFrequently: true })!
      ctx.drawImage(canvas, 0, 0)
      const data = ctx.getImageData(
        Math.ceil(left * scale) + 2,
        Math.ceil(top * scale) + 2,
        Math.floor((right - left) * scale) - 4,
        Math.floor((bottom - top) * scale) - 4
      ).data
      const want = [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16))
      let n = 0
      for (let p = 0; p < data.length; p += 4)
        if (data[p + 3] > 200 && want.every((w, k) => Math.abs(data[p + k] - w) < 24)) n++
      return n
    },
    { metric, color }
  )
}

/** Clicks a panel's download button and returns the file's name and bytes. */
async function download(page: Page, name: string): Promise<{ file: string; bytes: Buffer }> {
  const [d] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name }).click()])
  return { file: d.suggestedFilename(), bytes: readFileSync((await d.path())!) }
}

async function openCompare(
  hash: string,
  look: { width?: number; height?: number; colorScheme?: 'light' | 'dark' } = {}
) {
  const opened = await openPage(browser, served, { ...look, hash })
  await opened.page.getByTestId('compare-figures').waitFor(slow)
  return opened
}

describe('compare panels', () => {
  it('shows loss and accuracy, training and validation at once; the tooltip lists every run at the hovered x', async () => {
    const { page, problems } = await openCompare(`#/compare?ids=${ids.join(',')}`)
    expect(await panelsShown(page)).toEqual(['loss', 'val_loss', 'accuracy', 'val_accuracy'])
    for (const m of ['loss', 'val_loss', 'accuracy', 'val_accuracy'])
      await expect.poll(() => pointsOf(page, m), slow).toBe(ids.length * EPOCHS)
    for (let i = 0; i < 4; i++) expect(await inkedPixels(page, i)).toBeGreaterThan(1000)
    // Hover over epoch 2 in the validation accuracy panel.
    const canvas = canvasOf(page, 'val_accuracy')
    await canvas.scrollIntoViewIfNeeded()
    const [left, top, right, bottom] = ((await canvas.getAttribute('data-area')) ?? '').split(',').map(Number)
    const box = (await canvas.boundingBox())!
    await page.mouse.move(box.x + left + ((right - left) * 1) / (EPOCHS - 1) + 3, box.y + (top + bottom) / 2)
    await expect
      .poll(() => canvas.getAttribute('data-tooltip'), slow)
      .toBe(
        ['epoch 2', `#${ids[0]} bi-lstm: 82.00%`, `#${ids[1]} lstm-b: 77.00%`, `#${ids[2]} lstm-c: 72.00%`].join('\n')
      )
    await shoot(page, 'compare-panels-tooltip-1280x800-light')
    // Panels switched off leave the rest; the last one cannot be switched off.
    await page.getByRole('checkbox', { name: 'Training accuracy' }).uncheck()
    await page.getByRole('checkbox', { name: 'Validation accuracy' }).uncheck()
    await page.getByRole('checkbox', { name: 'Validation loss' }).uncheck()
    expect(await panelsShown(page)).toEqual(['loss'])
    expect(await page.getByRole('checkbox', { name: 'Training loss' }).isDisabled()).toBe(true)
    expect(await page.evaluate(() => location.hash)).toBe(`#/compare?ids=${ids.join(',')}&panels=loss`)
    expect(problems).toEqual([])
  })

  it('a legend click shows one run alone in every panel, a second click shows all again', async () => {
    const { page, problems } = await openCompare(`#/compare?ids=${ids.join(',')}`)
    for (const m of ['loss', 'val_accuracy']) await expect.poll(() => pointsOf(page, m), slow).toBe(12)
    const entry = page.getByTestId('compare-legend').getByRole('button', { name: `#${ids[1]} lstm-b` })
    await entry.click()
    expect(await entry.getAttribute('aria-pressed')).toBe('true')
    for (const m of ['loss', 'val_loss', 'accuracy', 'val_accuracy']) {
      await expect.poll(() => pointsOf(page, m), slow).toBe(EPOCHS)
      await expect.poll(() => colorPixels(page, m, colors[1]), slow).toBeGreaterThan(50)
      expect(await colorPixels(page, m, colors[0])).toBe(0)
      expect(await colorPixels(page, m, colors[2])).toBe(0)
    }
    expect(await page.evaluate(() => location.hash)).toBe(`#/compare?ids=${ids.join(',')}&solo=${ids[1]}`)
    await shoot(page, 'compare-panels-solo-1280x800-light')
    await entry.click()
    expect(await entry.getAttribute('aria-pressed')).toBe('false')
    for (const m of ['loss', 'val_accuracy']) await expect.poll(() => pointsOf(page, m), slow).toBe(12)
    await expect.poll(() => colorPixels(page, 'loss', colors[0]), slow).toBeGreaterThan(50)
    expect(await page.evaluate(() => location.hash)).toBe(`#/compare?ids=${ids.join(',')}`)
    expect(problems).toEqual([])
  })

  it('switches the y axes to log scale, labelled at 1, 2 and 5 of each decade', async () => {
    const { page, problems } = await openCompare(`#/compare?ids=${ids.join(',')}&panels=loss&x=step`)
    const canvas = canvasOf(page, 'loss')
    await expect.poll(() => pointsOf(page, 'loss'), slow).toBe(ids.length * EPOCHS * BATCHES)
    expect(await canvas.getAttribute('data-y-scale')).toBe('linear')
    const linear = ((await canvas.getAttribute('data-y-ticks')) ?? '').split('|')
    expect(linear.every((l) => l !== '')).toBe(true)
    await page.getByRole('checkbox', { name: 'Log scale' }).check()
    await expect.poll(() => canvas.getAttribute('data-y-scale'), slow).toBe('logarithmic')
    // Per-step losses from 0.6 to 2.5: a tick at every tenth below 1, labelled only at 1 and 2 (and 0.5 if shown).
    const log = ((await canvas.getAttribute('data-y-ticks')) ?? '').split('|')
    expect(log).toContain('1')
    expect(log).toContain('2')
    expect(log).toContain('')
    for (const l of log) expect(l, log.join(' ')).toMatch(/^$|^(0\.0*)?[125]0*$/)
    expect(await page.evaluate(() => location.hash)).toBe(`#/compare?ids=${ids.join(',')}&panels=loss&x=step&log=1`)
    await shoot(page, 'compare-panels-log-1280x800-light')
    expect(problems).toEqual([])
  })

  it('saves a panel as PNG (opaque, with its curves) and as CSV of the plotted series', async () => {
    const { page, problems } = await openCompare(`#/compare?ids=${ids.join(',')}`)
    await expect.poll(() => pointsOf(page, 'val_accuracy'), slow).toBe(12)
    const png = await download(page, 'Download Validation accuracy as PNG')
    expect(png.file).toBe(`compare-${ids.join('-')}-val_accuracy-by-epoch.png`)
    writeFileSync(join(screenshotDir, 'compare-panels-exported.png'), png.bytes)
    expect(png.bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
    const canvasWidth = await canvasOf(page, 'val_accuracy').evaluate((c) => (c as HTMLCanvasElement).width)
    expect(png.bytes.readUInt32BE(16)).toBe(canvasWidth)
    // Decoded in the page: an opaque background, and each run's colour drawn.
    const seen = await page.evaluate(
      async ({ b64, colors }) => {
        const img = new Image()
        img.src = `data:image/png;base64,${b64}`
        await img.decode()
        const c = document.createElement('canvas')
        c.width = img.width
        c.height = img.height
        const ctx = c.getContext('2d', { willReadFrequently: true })!
        ctx.drawImage(img, 0, 0)
        const data = ctx.getImageData(0, 0, c.width, c.height).data
        let transparent = 0
        const counts = colors.map(() => 0)
        for (let p = 0; p < data.length; p += 4) {
          if (data[p + 3] < 255) transparent++
          colors.forEach((col, i) => {
            const want = [1, 3, 5].map((k) => parseInt(col.slice(k, k + 2), 16))
            if (want.every((w, k) => Math.abs(data[p + k] - w) < 24)) counts[i]++
          })
        }
        return { transparent, counts }
      },
      { b64: png.bytes.toString('base64'), colors }
    )
    expect(seen.transparent).toBe(0)
    for (const n of seen.counts) expect(n).toBeGreaterThan(50)

    // By step, smoothed: the CSV has each run's plotted steps, the raw value and the smoothed one.
    await page.getByLabel('X axis').selectOption('step')
    await page.getByRole('checkbox', { name: 'Smoothing' }).check()
    await expect.poll(() => pointsOf(page, 'loss'), slow).toBeGreaterThan(EPOCHS)
    const csv = await download(page, 'Download Training loss as CSV')
    expect(csv.file).toBe(`compare-${ids.join('-')}-loss-by-step.csv`)
    const lines = csv.bytes.toString('utf8').trimEnd().split('\n')
    expect(lines[0]).toBe('run_id,run_name,step,loss,loss_smoothed')
    expect(lines).toHaveLength(1 + ids.length * EPOCHS * BATCHES)
    const first = lines[1].split(',')
    expect(first.slice(0, 3)).toEqual([String(ids[0]), 'bi-lstm', '1'])
    expect(Number(first[3])).toBeCloseTo(stepLoss(1, 1, 0), 9)
    expect(Number(first[4])).toBeCloseTo(stepLoss(1, 1, 0), 9)
    const last = lines.at(-1)!.split(',')
    expect(last.slice(0, 3)).toEqual([String(ids[2]), 'lstm-c', String(EPOCHS * BATCHES)])
    expect(Number(last[3])).toBeCloseTo(stepLoss(EPOCHS, BATCHES, 0.1), 9)
    // Shown alone, the CSV has that run only.
    await page
      .getByTestId('compare-legend')
      .getByRole('button', { name: `#${ids[2]} lstm-c` })
      .click()
    const alone = (await download(page, 'Download Training loss as CSV')).bytes.toString('utf8').trimEnd().split('\n')
    expect(alone).toHaveLength(1 + EPOCHS * BATCHES)
    expect(alone.slice(1).every((l) => l.startsWith(`${ids[2]},lstm-c,`))).toBe(true)
    expect(problems).toEqual([])
  })

  it('opens the view an address names, and Back/Forward bring each view back', async () => {
    const view = `panels=loss,val_loss&x=step&smooth=0.8&log=1&solo=${ids[0]}`
    const { page, problems } = await openCompare(`#/compare?ids=${ids.join(',')}&${view}`)
    expect(await panelsShown(page)).toEqual(['loss', 'val_loss'])
    expect(await page.getByLabel('X axis').inputValue()).toBe('step')
    expect(await page.getByRole('checkbox', { name: 'Log scale' }).isChecked()).toBe(true)
    expect(await page.getByRole('checkbox', { name: 'Smoothing', exact: true }).isChecked()).toBe(true)
    expect(await page.getByLabel('Smoothing weight').inputValue()).toBe('0.8')
    expect(
      await page
        .getByTestId('compare-legend')
        .getByRole('button', { name: `#${ids[0]} bi-lstm` })
        .getAttribute('aria-pressed')
    ).toBe('true')
    await expect.poll(() => canvasOf(page, 'loss').getAttribute('data-y-scale'), slow).toBe('logarithmic')
    // Another address (a link), then back: the first view again.
    await page.evaluate((h) => (location.hash = h), `#/compare?ids=${ids[1]},${ids[2]}&panels=accuracy`)
    await expect.poll(() => panelsShown(page), slow).toEqual(['accuracy'])
    expect(await page.getByRole('checkbox', { name: 'Log scale' }).isChecked()).toBe(false)
    await page.goBack()
    await expect.poll(() => panelsShown(page), slow).toEqual(['loss', 'val_loss'])
    expect(await page.getByRole('checkbox', { name: 'Log scale' }).isChecked()).toBe(true)
    expect(problems).toEqual([])
  })

  for (const look of [
    { width: 1280, height: 800, colorScheme: 'light' as const },
    { width: 1920, height: 1080, colorScheme: 'dark' as const }
  ]) {
    it(`looks right and has no serious axe finding at ${look.width}×${look.height} ${look.colorScheme}`, async () => {
      const { page, problems } = await openCompare(`#/compare?ids=${ids.join(',')}&x=step&smooth=0.6`, look)
      for (const m of ['loss', 'accuracy']) await expect.poll(() => pointsOf(page, m), slow).toBeGreaterThan(EPOCHS)
      await page.waitForTimeout(300) // the charts redraw at most every 100 ms
      const name = `compare-panels-${look.width}x${look.height}-${look.colorScheme}`
      await shoot(page, name)
      expect(await axeFindings(page)).toEqual([])
      // Nothing sticks out sideways.
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(look.width)
      expect(problems).toEqual([])
    })
  }
})
