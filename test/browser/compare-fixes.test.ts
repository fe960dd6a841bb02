// The UI review's Compare and chart bugs in Chromium (ui-review-2026-12.md): B3 tick labels without float noise, B6 a
// config diff that lines up structurally different runs, B11 a picker that follows the address, B12 a missing id
// tolerated, B23 an invalid filter showing no run, B24 markers drawn whole, identical curves both visible, a cancelled
// run's partial epoch kept in view; and run names with control characters shown as symbols (probe finding 9).
/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { RunStore } from '../../main/runs/store'
import { launchBrowser, serve, type Served } from '../helpers/browser'
import { tutorialConfig } from '../helpers/seed'
import { tempDir } from '../helpers/tmp'
import { inkedPixels, openPage, shoot } from './page'

let browser: Browser
let dir: ReturnType<typeof tempDir>
let served: Served
const slow = { timeout: 30_000 }

const forwardConfig = {
  ...tutorialConfig,
  model: { layers: [{ type: 'lstm', units: 50 }, tutorialConfig.model.layers[4]] }
}
const biGruSum = {
  ...tutorialConfig,
  model: {
    layers: tutorialConfig.model.layers.map((l) =>
      l.type === 'bidirectional' ? { ...l, mergeMode: 'sum', layer: { ...l.layer, type: 'gru' } } : l
    )
  }
}

/** A run with `batches` progress rows per epoch; `loss(epoch, batch)` gives the figures. */
function seedRun(
  store: RunStore,
  name: string,
  config: unknown,
  epochs: number,
  opts: { planned?: number; status?: 'completed' | 'cancelled'; offset?: number; batches?: number } = {}
): number {
  const batches = opts.batches ?? 20
  const offset = opts.offset ?? 0
  const id = store.createRun({
    name,
    config: { ...(config as object), name },
    dataset: 'mnist-sample',
    seed: 42,
    paramCount: 1000,
    cell: 'lstm',
    direction: 'bidirectional',
    layerCount: 5,
    epochsPlanned: opts.planned ?? epochs
  })
  store.markStarted(id, { engineVersion: 'test', threads: 2, cpu: 'test cpu', pid: process.pid, host: 'test-host' })
  for (let e = 1; e <= epochs; e++) {
    const rows = Array.from({ length: batches }, (_, b) => ({
      step: (e - 1) * batches + b + 1,
      epoch: e,
      batch: b + 1,
      batches: 1,
      loss: 2.4 - (1.8 * (b + 1)) / batches / e + offset,
      accuracy: 0.2 + (0.6 * (b + 1)) / batches / e - offset,
      wallSeconds: ((e - 1) * batches + b + 1) * 0.01
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
  store.finishRun(id, opts.status ?? 'completed')
  return id
}

const ids: Record<string, number> = {}

beforeAll(async () => {
  dir = tempDir()
  browser = await launchBrowser()
  const db = join(dir.path, 'rnnlab.db')
  const store = new RunStore(db)
  ids.biLstm = seedRun(store, 'bi-lstm', tutorialConfig, 3)
  ids.forward = seedRun(store, 'lstm-forward', forwardConfig, 3, { offset: 0.05 })
  ids.biGru = seedRun(store, 'bi-gru-sum', biGruSum, 3, { offset: 0.1 })
  ids.twin = seedRun(store, 'bi-lstm-again', tutorialConfig, 3)
  ids.one = seedRun(store, 'one-epoch', tutorialConfig, 1, { planned: 3, status: 'cancelled' })
  ids.evil = seedRun(store, 'placeholder', tutorialConfig, 1)
  store.updateRun({ id: ids.evil, name: 'evil\u001b[31m red\r\nforged row' })
  store.close()
  served = await serve(db, dir.path)
}, 120_000)
afterAll(async () => {
  await served?.stop()
  await browser?.close()
  dir.remove()
})

/** The ids whose picker box is ticked. */
async function ticked(page: Page): Promise<number[]> {
  const boxes = page.locator('.run-picker-list input[type=checkbox]')
  await boxes.first().waitFor()
  const labels = await boxes.evaluateAll((els) =>
    els.filter((e) => (e as HTMLInputElement).checked).map((e) => e.getAttribute('aria-label') ?? '')
  )
  return labels.map((l) => Number(/Compare run (\d+)/.exec(l)?.[1])).sort((a, b) => a - b)
}

/** Pixels of `color` (within a tolerance) in a chart canvas's plot area. */
function colorPixels(page: Page, color: string, index = 0): Promise<number> {
  return page.evaluate(
    ({ color, index }) => {
      const canvas = document.querySelectorAll<HTMLCanvasElement>('.metric-chart canvas')[index]
      const [left, top, right, bottom] = (canvas.dataset.area ?? '0,0,0,0').split(',').map(Number)
      const scale = canvas.width / canvas.clientWidth
      const copy = document.createElement('canvas')
      copy.width = canvas.width
      copy.height = canvas.height
      const ctx = copy.getContext('2d', { willReadFrequently: true })!
      ctx.drawImage(canvas, 0, 0)
      const [x0, y0] = [Math.ceil(left * scale) + 2, Math.ceil(top * scale) + 2]
      const data = ctx.getImageData(
        x0,
        y0,
        Math.floor((right - left) * scale) - 4,
        Math.floor((bottom - top) * scale) - 4
      ).data
      const want = [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16))
      let n = 0
      for (let p = 0; p < data.length; p += 4)
        if (data[p + 3] > 200 && want.every((w, k) => Math.abs(data[p + k] - w) < 24)) n++
      return n
    },
    { color, index }
  )
}

/** Inked pixels in the strip just right of a chart's plot area (where a marker on the last x overhangs it). */
function pastRightEdge(page: Page, index = 0): Promise<number> {
  return page.evaluate((index) => {
    const canvas = document.querySelectorAll<HTMLCanvasElement>('.metric-chart canvas')[index]
    const [, top, right, bottom] = (canvas.dataset.area ?? '0,0,0,0').split(',').map(Number)
    const scale = canvas.width / canvas.clientWidth
    const copy = document.createElement('canvas')
    copy.width = canvas.width
    copy.height = canvas.height
    const ctx = copy.getContext('2d', { willReadFrequently: true })!
    ctx.drawImage(canvas, 0, 0)
    const data = ctx.getImageData(
      Math.round((right + 2) * scale),
      Math.round(top * scale),
      Math.round(2 * scale),
      Math.round((bottom - top) * scale)
    ).data
    let n = 0
    for (let p = 3; p < data.length; p += 4) if (data[p] > 0) n++
    return n
  }, index)
}

describe('Compare', () => {
  it('B11: the picker follows the address: another link, back and forward, one id', async () => {
    const { page, problems } = await openPage(browser, served, { hash: `#/compare?ids=${ids.biLstm},${ids.forward}` })
    await page.getByTestId('compare-figures').waitFor(slow)
    await page.locator('.run-picker summary').click()
    expect(await ticked(page)).toEqual([ids.biLstm, ids.forward])
    await page.evaluate((h) => (location.hash = h), `#/compare?ids=${ids.biGru},${ids.twin}`)
    await expect.poll(() => ticked(page), slow).toEqual([ids.biGru, ids.twin])
    await expect
      .poll(() => page.getByTestId('compare-figures').locator('thead').textContent(), slow)
      .toContain('bi-gru-sum')
    await page.goBack()
    await expect.poll(() => ticked(page), slow).toEqual([ids.biLstm, ids.forward])
    await page.goForward()
    await expect.poll(() => ticked(page), slow).toEqual([ids.biGru, ids.twin])
    await page.evaluate((h) => (location.hash = h), `#/compare?ids=${ids.biLstm}`)
    await expect.poll(() => ticked(page), slow).toEqual([ids.biLstm])
    expect(await page.getByRole('button', { name: /Compare \d runs/ }).textContent()).toContain('Compare 1 runs')
    expect(problems).toEqual([])
  })

  it('B12: a missing id leaves the others compared, with a notice naming it', async () => {
    const { page, problems } = await openPage(browser, served, {
      hash: `#/compare?ids=${ids.biLstm},999,${ids.forward}`
    })
    const notice = page.getByTestId('compare-missing')
    await notice.waitFor(slow)
    expect(await notice.textContent()).toBe(
      `Run #999 is not in the database (deleted?); showing #${ids.biLstm}, #${ids.forward}.`
    )
    const heads = (await page.getByTestId('compare-figures').locator('thead').textContent()) ?? ''
    expect(heads).toContain('bi-lstm')
    expect(heads).toContain('lstm-forward')
    await expect.poll(() => inkedPixels(page), slow).toBeGreaterThan(1000)
    expect(await page.locator('.error-banner').count()).toBe(0)
    // The step axis asks for per-batch figures of the runs that exist only.
    await page.getByLabel('X axis').selectOption('step')
    await expect
      .poll(() => page.getByTestId('compare-panel-loss').locator('.metric-chart').getAttribute('data-points'), slow)
      .toBe('120')
    expect(await page.locator('.error-banner').count()).toBe(0)
    await shoot(page, 'compare-missing-id-1280x800-light')
    // Only missing ids: one line saying so.
    await page.evaluate(() => (location.hash = '#/compare?ids=998,999'))
    await expect.poll(() => page.locator('.error-banner').textContent(), slow).toBe('run 998, 999 not found')
    expect(problems).toEqual([])
  })

  for (const colorScheme of ['light', 'dark'] as const) {
    it(`B6: structurally different runs line up by layer, only differences, no "null" (${colorScheme})`, async () => {
      const { page, problems } = await openPage(browser, served, {
        colorScheme,
        width: colorScheme === 'light' ? 1280 : 1920,
        height: colorScheme === 'light' ? 800 : 1080,
        hash: `#/compare?ids=${ids.biLstm},${ids.forward},${ids.biGru}`
      })
      const diffs = page.getByTestId('compare-differences')
      await diffs.waitFor(slow)
      const text = (await diffs.textContent()) ?? ''
      expect(text).not.toContain('null')
      const rows = await diffs
        .locator('tbody tr')
        .evaluateAll((trs) =>
          trs.map((tr) => Array.from(tr.querySelectorAll('th, td')).map((c) => (c.textContent ?? '').trim()))
        )
      const row = (label: string, after = '') => {
        const start = after ? rows.findIndex((r) => r[0] === after) : 0
        return rows.slice(start).find((r) => r[0] === label)
      }
      expect(row('Layer stack')?.slice(1)).toEqual([
        'Bi-LSTM(50, seq) → Dropout(0.2) → Bi-LSTM(50) → Dropout(0.2) → Dense(10, softmax)',
        'LSTM(50) → Dense(10, softmax)',
        'Bi-GRU(50, seq, sum) → Dropout(0.2) → Bi-GRU(50, sum) → Dropout(0.2) → Dense(10, softmax)'
      ])
      expect(row('direction', 'Layer 1')).toEqual(['direction', 'bidirectional', 'forward', 'bidirectional'])
      expect(row('cell', 'Layer 1')).toEqual(['cell', 'lstm', 'lstm', 'gru'])
      expect(row('mergeMode', 'Layer 1')).toEqual(['mergeMode', 'concat', '—', 'sum'])
      expect(row('layer', 'Layer 2')).toEqual(['layer', 'Dropout(0.2)', '—', 'Dropout(0.2)'])
      // The absent cells read as absent.
      expect(await diffs.locator('td.absent').count()).toBeGreaterThanOrEqual(4)
      // Every row says something that differs: 4 layer groups and their few rows, not ~23 rows a layer.
      expect(rows.length).toBeLessThan(20)
      await diffs.scrollIntoViewIfNeeded()
      await diffs.screenshot({
        path: join(__dirname, '..', '..', 'test-results', 'screenshots', `compare-diff-structural-${colorScheme}.png`)
      })
      expect(problems).toEqual([])
    })
  }

  it('B24: two runs with the same curve are both visible (the later one dashed)', async () => {
    const { page, problems } = await openPage(browser, served, { hash: `#/compare?ids=${ids.biLstm},${ids.twin}` })
    await page.getByTestId('compare-figures').waitFor(slow)
    await expect.poll(() => inkedPixels(page), slow).toBeGreaterThan(1000)
    await page.waitForTimeout(300)
    await shoot(page, 'compare-same-curve-1280x800-light')
    // The first run's blue shows through the second's dashes over the same line.
    await expect.poll(() => colorPixels(page, '#2f6fde'), slow).toBeGreaterThan(50)
    expect(await colorPixels(page, '#e0762b')).toBeGreaterThan(50)
    await shoot(page, 'compare-same-curve-1280x800-light')
    expect(problems).toEqual([])
  })

  it('B3: tick labels have no float noise, on the compare chart too', async () => {
    const { page, problems } = await openPage(browser, served, {
      hash: `#/compare?ids=${ids.biLstm},${ids.forward},${ids.biGru}`
    })
    await page.getByTestId('compare-figures').waitFor(slow)
    const canvas = page.getByTestId('compare-panel-val_loss').locator('canvas')
    await expect.poll(() => canvas.getAttribute('data-y-ticks'), slow).toMatch(/\d/)
    for (const axis of ['data-y-ticks', 'data-x-ticks']) {
      const labels = ((await canvas.getAttribute(axis)) ?? '').split('|')
      for (const l of labels) expect(l, `${axis}: ${labels.join(' ')}`).not.toMatch(/\d\.\d*(0000|9999)\d/)
    }
    expect(problems).toEqual([])
  })
})

/** The WCAG contrast of two colours given as [r, g, b]. */
function contrastOf(a: number[], b: number[]): number {
  const lum = (c: number[]) => {
    const [r, g, bl] = c.map((v) => {
      const x = v / 255
      return x <= 0.04045 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4)
    })
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl
  }
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x)
  return (hi + 0.05) / (lo + 0.05)
}

describe('run page charts', () => {
  for (const colorScheme of ['light', 'dark'] as const) {
    it(`B22: the faint per-step line under the epoch curve can be seen on the ${colorScheme} panel`, async () => {
      const { page, problems } = await openPage(browser, served, {
        colorScheme,
        width: colorScheme === 'light' ? 1280 : 1920,
        height: colorScheme === 'light' ? 800 : 1080,
        hash: `#/runs/${ids.biLstm}`
      })
      const canvas = page.locator('.metric-chart canvas').first()
      await expect.poll(() => canvas.getAttribute('data-colors'), slow).toMatch(/rgba/)
      const { labels, colors, panel } = await canvas.evaluate((c) => ({
        labels: ((c as HTMLCanvasElement & { series?: { label: string }[] }).series ?? []).map((s) => s.label),
        colors: (c as HTMLCanvasElement).dataset.colors!.split('|'),
        panel: getComputedStyle(document.documentElement).getPropertyValue('--panel').trim()
      }))
      const faint = colors[labels.indexOf('train (per step)')]
      const [r, g, b, a] = /rgba\((\d+), (\d+), (\d+), ([\d.]+)\)/.exec(faint)!.slice(1).map(Number)
      const bg = [1, 3, 5].map((i) => parseInt(panel.slice(i, i + 2), 16))
      const drawn = [r, g, b].map((c, i) => c * a + bg[i] * (1 - a))
      // Dark: 3:1 against the panel (half opacity of the mid blue was 1.8:1); light: half opacity as before (2:1).
      expect(contrastOf(drawn, bg)).toBeGreaterThanOrEqual(colorScheme === 'dark' ? 3 : 2)
      expect(a).toBeLessThan(1)
      await page.waitForTimeout(300)
      await page.getByTestId('run-charts').screenshot({
        path: join(__dirname, '..', '..', 'test-results', 'screenshots', `run-faint-line-${colorScheme}.png`)
      })
      expect(problems).toEqual([])
    })
  }
  for (const colorScheme of ['light', 'dark'] as const) {
    it(`B3, B24: one epoch: clean y ticks, the last epoch's markers drawn whole (${colorScheme})`, async () => {
      const { page, problems } = await openPage(browser, served, {
        colorScheme,
        width: colorScheme === 'light' ? 1280 : 1920,
        height: colorScheme === 'light' ? 800 : 1080,
        hash: `#/runs/${ids.one}`
      })
      const canvas = page.locator('.metric-chart canvas').first()
      await expect.poll(() => canvas.getAttribute('data-y-ticks'), slow).toMatch(/\d/)
      const y = ((await canvas.getAttribute('data-y-ticks')) ?? '').split('|')
      // 2.4 → 0.6 in steps of 0.2: the labels as written, not 1.4000000000000001.
      expect(y).toContain('1.4')
      for (const l of y) expect(l, y.join(' ')).toMatch(/^-?\d+(\.\d{1,3})?$/)
      expect(((await canvas.getAttribute('data-x-ticks')) ?? '').split('|').pop()).toBe('1')
      // The epoch markers sit on the right edge, at x = 1: drawn past it rather than cut in half.
      await expect.poll(() => pastRightEdge(page, 0), slow).toBeGreaterThan(4)
      await page.waitForTimeout(300)
      await page.getByTestId('run-charts').screenshot({
        path: join(__dirname, '..', '..', 'test-results', 'screenshots', `run-one-epoch-${colorScheme}.png`)
      })
      expect(problems).toEqual([])
    })
  }
})

describe('a cancelled run', () => {
  it('B24: keeps the partial epoch per-batch curve in view after Cancel', async () => {
    const { page, problems } = await openPage(browser, served, { hash: '#/new' })
    const config = {
      name: 'to-cancel',
      dataset: { source: 'mnist-sample', limit: 8000 },
      model: {
        layers: [
          { type: 'bidirectional', layer: { type: 'lstm', units: 32 } },
          { type: 'dense', units: 10, activation: 'softmax' }
        ]
      },
      training: { optimizer: { type: 'adam', learningRate: 0.003 }, batchSize: 32, epochs: 30, seed: 7 }
    }
    await page
      .getByLabel('Load a config JSON file')
      .setInputFiles({ name: 'c.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(config)) })
    await expect.poll(() => page.getByLabel('Experiment name').inputValue(), slow).toBe('to-cancel')
    await page.getByTestId('start-training').click()
    await page.waitForURL(/#\/runs\/\d+$/)
    const progress = page.getByTestId('training-progress')
    // Into the second epoch, some batches in: the first epoch is stored, the second only drawn live.
    await expect.poll(() => progress.textContent(), { timeout: 120_000 }).toMatch(/Epoch 2\/30.*batch (\d{2,})\//s)
    const loss = page.locator('.metric-chart').first()
    const drawnBefore = Number(await loss.getAttribute('data-points'))
    await page.getByTestId('cancel-training').click()
    await page.getByTestId('confirm-cancel').click()
    await expect.poll(() => page.locator('#run-title .status').textContent(), slow).toBe('cancelled')
    await page.waitForTimeout(500)
    // The x axis still reaches into the epoch Cancel cut short (one past the epochs stored: on a quick machine the
    // run may be further on than epoch 2 by the time the stop lands), and every point drawn before is still in view.
    const epochsStat = page.getByTestId('run-stats').locator('.stat', { hasText: 'Epochs' }).locator('.stat-value')
    await epochsStat.waitFor(slow)
    const done = Number(((await epochsStat.textContent()) ?? '').split('/')[0])
    expect(done).toBeGreaterThanOrEqual(1)
    const canvas = loss.locator('canvas')
    await expect
      .poll(async () => ((await canvas.getAttribute('data-x-ticks')) ?? '').split('|').pop(), slow)
      .toBe(String(done + 1))
    expect(Number(await loss.getAttribute('data-points'))).toBeGreaterThanOrEqual(drawnBefore)
    await shoot(page, 'run-cancelled-partial-epoch-1280x800-light')
    expect(problems).toEqual([])
  }, 240_000)
})

describe('runs page', () => {
  for (const colorScheme of ['light', 'dark'] as const) {
    it(`B23: an invalid filter shows its error and no run, without moving the page (${colorScheme})`, async () => {
      const { page, problems } = await openPage(browser, served, { colorScheme, hash: '#/runs' })
      await page.getByTestId('runs-table').waitFor(slow)
      const help = page.getByTestId('filter-message')
      const before = await help.boundingBox()
      await page.getByLabel('Filter runs').fill('cell = lstm or')
      await expect.poll(() => help.getAttribute('class'), slow).toContain('error-text')
      expect((await help.boundingBox())?.height).toBe(before?.height)
      expect(await page.locator('tr[data-run-id]').count()).toBe(0)
      const empty = page.getByTestId('runs-no-match')
      expect(await empty.locator('h2').textContent()).toBe('The filter has an error')
      expect(await page.getByTestId('runs-filter-error').textContent()).toContain('cannot be read, so no run is shown')
      await shoot(page, `runs-filter-error-${colorScheme}`)
      // Fixed, it filters.
      await page.getByLabel('Filter runs').fill('name ~ bi-gru')
      await expect.poll(() => page.locator('tr[data-run-id]').count(), slow).toBe(1)
      expect(problems).toEqual([])
    })
  }

  it('shows a name with escapes and line breaks as symbols, on one line', async () => {
    const { page, problems } = await openPage(browser, served, { hash: '#/runs' })
    const row = page.locator(`tr[data-run-id="${ids.evil}"]`)
    await row.waitFor(slow)
    const name = (await row.locator('td.col-name a').textContent()) ?? ''
    expect(name).toBe('evil␛[31m red␍␊forged row')
    await page.goto(`${served.url}#/runs/${ids.evil}`)
    await expect.poll(() => page.locator('#run-title').textContent(), slow).toContain('evil␛[31m red␍␊forged row')
    expect(problems).toEqual([])
  })
})
