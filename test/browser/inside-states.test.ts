// The Inside area's States and Health tabs in Chromium on a really trained tiny Bi-LSTM run: a heatmap per layer and
// direction (the gates on a toggle), a hovered cell's value equal to `rnnlab inspect --json`'s, and the training
// health charts (gradient flow over t per epoch, gate saturation per epoch), and the Health tab of a run without them.
/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import type { Browser, Locator, Page } from 'playwright-core'
import type { RunInspection } from '../../common/contract'
import { appRoot, launchBrowser, serve, trainTinyRun, type Served } from '../helpers/browser'
import { tempDir } from '../helpers/tmp'
import { axeFindings, openPage, shoot } from './page'

let browser: Browser
let dir: ReturnType<typeof tempDir>
let db: string
let served: Served
let runId: number

beforeAll(async () => {
  dir = tempDir()
  db = join(dir.path, 'rnnlab.db')
  runId = trainTinyRun(dir.path, db, 'tiny-bilstm', 1, [
    { type: 'bidirectional', layer: { type: 'lstm', units: 8, returnSequences: true } },
    { type: 'bidirectional', layer: { type: 'lstm', units: 6 } },
    { type: 'dense', units: 10, activation: 'softmax' }
  ])
  browser = await launchBrowser()
  served = await serve(db, dir.path)
}, 120_000)
afterAll(async () => {
  await served?.stop()
  await browser?.close()
  dir?.remove()
})

/** What `rnnlab inspect --json` answers for a sample of the run (the same service, from the command line). */
function inspectCli(sample: number): RunInspection {
  const out = spawnSync(
    process.execPath,
    [join(appRoot, 'bin', 'rnnlab.js'), 'inspect', String(runId), '--sample', String(sample), '--json', '--db', db],
    { cwd: appRoot, env: { ...process.env, RNNLAB_HOME: dir.path }, encoding: 'utf8' }
  )
  if (out.status !== 0) throw new Error(`rnnlab inspect failed: ${out.stderr}`)
  return JSON.parse(out.stdout) as RunInspection
}

/** The heatmap of layer `layer`, direction `direction`, map `map` (h, or a gate's name). */
function heatmap(page: Page, layer: number, direction: string, map = 'h'): Locator {
  return page.locator(
    `.states-direction[data-direction="${direction}"] [data-testid="state-heatmap"][data-layer="${layer}"][data-map="${map}"]`
  )
}

/** Hovers cell (t, unit) of a heatmap of T steps and U units; returns the line under it that names the cell. */
async function hoverCell(map: Locator, t: number, unit: number, T: number, U: number): Promise<string> {
  const canvas = map.getByTestId('state-heatmap-canvas')
  const [left, top, width, height] = (await canvas.getAttribute('data-area'))!.split(',').map(Number)
  await canvas.hover({ position: { x: left + ((t + 0.5) * width) / T, y: top + ((unit + 0.5) * height) / U } })
  const readout = map.getByTestId('heatmap-readout')
  await expect.poll(() => readout.textContent()).toMatch(new RegExp(`t ${t}, unit ${unit}: `))
  return (await readout.textContent())!.trim()
}
const valueOf = (line: string) => Number(/: (\S+)$/.exec(line)![1])

/** Per heatmap canvas: pixels drawn and distinct colours among them (read from a copy of the canvas). */
function heatmapInk(page: Page): Promise<{ inked: number; colours: number }[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLCanvasElement>('[data-testid="state-heatmap-canvas"]')).map((canvas) => {
      const copy = document.createElement('canvas')
      copy.width = canvas.width
      copy.height = canvas.height
      const ctx = copy.getContext('2d', { willReadFrequently: true })!
      ctx.drawImage(canvas, 0, 0)
      const data = ctx.getImageData(0, 0, copy.width, copy.height).data
      let inked = 0
      const colours = new Set<number>()
      for (let p = 0; p < data.length; p += 4) {
        if (data[p + 3] === 0) continue
        inked++
        colours.add((data[p] << 16) | (data[p + 1] << 8) | data[p + 2])
      }
      return { inked, colours: colours.size }
    })
  )
}

describe('run page: Inside, States and Health', () => {
  it('draws h_t per layer and direction, a hovered cell shows the inspection’s value, the gates toggle; Health draws', async () => {
    const { page, problems } = await openPage(browser, served, { hash: `#/runs/${runId}` })
    await page.getByTestId('inside').waitFor()
    await page.getByRole('tab', { name: 'States' }).click()
    const maps = page.getByTestId('state-heatmap')
    await expect.poll(() => maps.count(), { timeout: 60_000 }).toBe(2 * 2)
    expect(await page.getByTestId('states-verdict').textContent()).toMatch(/validation sample 0 of 100/)
    // The sample is drawn (28×28 image data) beside the heatmaps.
    await page.locator('.states-sample canvas').waitFor({ timeout: 20_000 })
    for (const ink of await heatmapInk(page)) {
      expect(ink.inked).toBeGreaterThan(5000)
      expect(ink.colours).toBeGreaterThan(20)
    }
    const cli = inspectCli(0)
    const [l0, l1] = cli.layers
    expect(l0.directions.map((d) => d.direction)).toEqual(['forward', 'backward'])

    // A cell's value on hover equals the inspection pass's h_t (shown to 4 decimals).
    const T = cli.timeSteps
    const line = await hoverCell(heatmap(page, 0, 'backward'), 5, 3, T, l0.units)
    expect(valueOf(line)).toBeCloseTo(l0.directions[1].h[5][3], 4)
    const line2 = await hoverCell(heatmap(page, 1, 'forward'), T - 1, l1.units - 1, T, l1.units)
    expect(valueOf(line2)).toBeCloseTo(l1.directions[0].h[T - 1][l1.units - 1], 4)
    await page.getByTestId('inside').scrollIntoViewIfNeeded()
    await shoot(page, 'inside-states-1280-light')
    expect(await axeFindings(page, '[data-testid="inside"]')).toEqual([])

    // The gates instead of h: i, f, o, c̃ per layer and direction, their values too.
    await page.getByTestId('show-gates').click()
    await expect.poll(() => maps.count()).toBe(2 * 2 * 4)
    expect(
      await page.locator('.states-direction[data-direction="backward"]').first().locator('figcaption').allTextContents()
    ).toEqual([
      'backward · input gate i',
      'backward · forget gate f',
      'backward · output gate o',
      'backward · candidate c̃'
    ])
    const forget = l0.directions[0].gates.find((g) => g.name === 'f')!.values
    const gateLine = await hoverCell(heatmap(page, 0, 'forward', 'f'), 10, 2, T, l0.units)
    expect(valueOf(gateLine)).toBeCloseTo(forget[10][2], 4)
    await page.getByTestId('show-states').click()
    await expect.poll(() => maps.count()).toBe(2 * 2)

    // Another sample by its index.
    await page.getByTestId('states-sample').fill('7')
    await page.getByTestId('states-sample').press('Enter')
    await expect.poll(() => page.getByTestId('states-verdict').textContent()).toMatch(/validation sample 7 of 100/)

    // Health: the gradient flow over t (a line per epoch) and the saturation per gate, per layer and direction.
    await page.getByRole('tab', { name: 'Health' }).click()
    const flow = page.getByTestId('health-flow').locator('.metric-chart')
    await expect.poll(() => flow.count(), { timeout: 20_000 }).toBe(2 * 2)
    // Two epochs of 28 steps in each flow chart; 3 gates × (low, high) × 2 epochs in each saturation chart.
    await expect.poll(() => flow.first().getAttribute('data-points')).toBe(String(2 * 28))
    const saturation = page.getByTestId('health-saturation').locator('.metric-chart')
    expect(await saturation.count()).toBe(2 * 2)
    await expect.poll(() => saturation.first().getAttribute('data-points')).toBe(String(3 * 2 * 2))
    await page.getByTestId('health').scrollIntoViewIfNeeded()
    await shoot(page, 'inside-health-1280-light')
    expect(await axeFindings(page, '[data-testid="inside"]')).toEqual([])
    expect(problems).toEqual([])
    await page.context().close()
  }, 120_000)

  it('in dark at 1920×1080: the gates and the health charts', async () => {
    const { page, problems } = await openPage(browser, served, {
      hash: `#/runs/${runId}`,
      width: 1920,
      height: 1080,
      colorScheme: 'dark'
    })
    await page.getByTestId('inside').waitFor()
    await page.getByRole('tab', { name: 'States' }).click()
    await expect.poll(() => page.getByTestId('state-heatmap').count(), { timeout: 60_000 }).toBe(4)
    await page.getByTestId('show-gates').click()
    await expect.poll(() => page.getByTestId('state-heatmap').count()).toBe(16)
    await page.getByTestId('inside').scrollIntoViewIfNeeded()
    await shoot(page, 'inside-states-gates-1920-dark')
    expect(await axeFindings(page, '[data-testid="inside"]')).toEqual([])
    await page.getByRole('tab', { name: 'Health' }).click()
    await expect.poll(() => page.getByTestId('health-saturation').locator('.metric-chart').count()).toBe(4)
    await page.getByTestId('health').scrollIntoViewIfNeeded()
    await shoot(page, 'inside-health-1920-dark')
    await page.getByTestId('health-saturation').scrollIntoViewIfNeeded()
    await shoot(page, 'inside-health-saturation-1920-dark')
    expect(await axeFindings(page, '[data-testid="inside"]')).toEqual([])

    // A run without health records (trained before they were kept): the tab says why it is empty.
    const conn = new Database(db)
    conn.prepare('DELETE FROM training_health WHERE run_id = ?').run(runId)
    conn.close()
    await page.reload()
    await page.getByRole('tab', { name: 'Health' }).click()
    const empty = page.getByTestId('health-empty')
    await empty.waitFor({ timeout: 20_000 })
    expect(await empty.textContent()).toMatch(/No training health was recorded for this run/)
    expect(await page.getByTestId('health-flow').count()).toBe(0)
    await empty.scrollIntoViewIfNeeded()
    await shoot(page, 'inside-health-empty-1920-dark')
    expect(await axeFindings(page, '[data-testid="inside"]')).toEqual([])
    expect(problems).toEqual([])
    await page.context().close()
  }, 120_000)
})
