// The States tab's cell states and unit traces in Chromium on a really trained tiny Bi-LSTM run: the c_t toggle draws
// a heatmap per layer and direction whose hovered value is `rnnlab inspect --json`'s c_t; clicking a unit of an h_t
// heatmap draws its trace over t for the 50 samples where it is most active (the same samples, in the same order, as
// `rnnlab inspect --trace`), this sample's line among them; light and dark, axe.
/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
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
  runId = trainTinyRun(dir.path, db, 'tiny-bilstm-traces', 1, [
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

function inspectCli(...args: string[]): RunInspection {
  const out = spawnSync(
    process.execPath,
    [join(appRoot, 'bin', 'rnnlab.js'), 'inspect', String(runId), ...args, '--json', '--db', db],
    { cwd: appRoot, env: { ...process.env, RNNLAB_HOME: dir.path }, encoding: 'utf8' }
  )
  if (out.status !== 0) throw new Error(`rnnlab inspect failed: ${out.stderr}`)
  return JSON.parse(out.stdout) as RunInspection
}

function heatmap(page: Page, layer: number, direction: string, map = 'h'): Locator {
  return page.locator(
    `.states-direction[data-direction="${direction}"] [data-testid="state-heatmap"][data-layer="${layer}"][data-map="${map}"]`
  )
}

/** The centre of cell (t, unit) of a heatmap of T steps and U units, in the canvas's CSS pixels. */
async function cellAt(map: Locator, t: number, unit: number, T: number, U: number): Promise<{ x: number; y: number }> {
  const [left, top, width, height] = (await map.getByTestId('state-heatmap-canvas').getAttribute('data-area'))!
    .split(',')
    .map(Number)
  return { x: left + ((t + 0.5) * width) / T, y: top + ((unit + 0.5) * height) / U }
}

/** Pixels drawn on the trace chart's canvas (read from a copy). */
function traceInk(page: Page): Promise<number> {
  return page.evaluate(() => {
    const canvas = document.querySelector<HTMLCanvasElement>('.unit-trace-canvas canvas')!
    const copy = document.createElement('canvas')
    copy.width = canvas.width
    copy.height = canvas.height
    const ctx = copy.getContext('2d', { willReadFrequently: true })!
    ctx.drawImage(canvas, 0, 0)
    const data = ctx.getImageData(0, 0, copy.width, copy.height).data
    let n = 0
    for (let p = 3; p < data.length; p += 4) if (data[p] > 0) n++
    return n
  })
}

describe('run page: Inside, States: c_t and unit traces', () => {
  it.each(['light', 'dark'] as const)(
    'c_t on a toggle; a clicked unit’s 50 traces (%s)',
    async (colorScheme) => {
      const { page, problems } = await openPage(browser, served, { hash: `#/runs/${runId}`, colorScheme })
      await page.getByTestId('inside').waitFor()
      await page.getByRole('tab', { name: 'States' }).click()
      const maps = page.getByTestId('state-heatmap')
      await expect.poll(() => maps.count(), { timeout: 60_000 }).toBe(4)
      const cli = inspectCli('--sample', '0')
      const T = cli.timeSteps

      // c_t: one heatmap per layer and direction; a hovered cell is the inspection's c_t.
      await page.getByTestId('show-cells').click()
      await expect.poll(() => page.locator('[data-testid="state-heatmap"][data-map="c"]').count()).toBe(4)
      expect(await heatmap(page, 1, 'backward', 'c').locator('figcaption').textContent()).toBe(
        'backward · c_t (cell state)'
      )
      const cMap = heatmap(page, 1, 'backward', 'c')
      await cMap.getByTestId('state-heatmap-canvas').hover({ position: await cellAt(cMap, 3, 4, T, 6) })
      const readout = cMap.getByTestId('heatmap-readout')
      await expect.poll(() => readout.textContent()).toMatch(/^t 3, unit 4: /)
      const shown = Number(/: (\S+)$/.exec((await readout.textContent())!.trim())![1])
      expect(shown).toBeCloseTo(cli.layers[1].directions[1].c![3][4], 4)
      await page.getByTestId('inside').scrollIntoViewIfNeeded()
      await shoot(page, `inside-states-cells-1280-${colorScheme}`)
      expect(await axeFindings(page, '[data-testid="inside"]')).toEqual([])

      // Click unit 5 of layer 0's forward h_t: 50 lines over t, the same samples as the command line's, in order.
      await page.getByTestId('show-states').click()
      const hMap = heatmap(page, 0, 'forward')
      await hMap.getByTestId('state-heatmap-canvas').click({ position: await cellAt(hMap, 10, 5, T, 8) })
      const chart = page.getByTestId('unit-trace')
      await chart.waitFor({ timeout: 60_000 })
      expect(await chart.getAttribute('data-lines')).toBe('50')
      expect([await chart.getAttribute('data-layer'), await chart.getAttribute('data-direction')]).toEqual([
        '0',
        'forward'
      ])
      expect(await chart.getAttribute('data-unit')).toBe('5')
      const reference = inspectCli('--sample', '0', '--trace', '0:forward:5').trace!
      const summary = (await page.getByTestId('unit-trace-summary').textContent())!.replace(/\s+/g, ' ')
      expect(summary).toContain(
        `Unit 5 of layer 0, forward: h_t over t for the 50 validation samples (of the first ${reference.searched}) where its mean |h_t| is highest`
      )
      expect(summary).toContain(
        reference.current.rank === null
          ? 'sample 0 (not among'
          : `sample 0 (rank ${reference.current.rank} of ${reference.searched}) drawn thick`
      )
      expect(await chart.getAttribute('data-samples')).toBe(reference.samples.map((s) => s.index).join(','))
      await expect.poll(() => traceInk(page)).toBeGreaterThan(2000)
      await chart.scrollIntoViewIfNeeded()
      await shoot(page, `inside-states-trace-1280-${colorScheme}`)
      expect(await axeFindings(page, '[data-testid="inside"]')).toEqual([])

      // The next sample keeps the unit: its own line moves, the 50 stay.
      await page.getByRole('button', { name: 'Next sample' }).click()
      await expect.poll(() => page.getByTestId('unit-trace-summary').textContent()).toMatch(/sample 1 \(/)
      expect(await chart.getAttribute('data-samples')).toBe(reference.samples.map((s) => s.index).join(','))
      await page.getByTestId('close-trace').click()
      await expect.poll(() => page.getByTestId('unit-trace').count()).toBe(0)
      expect(problems).toEqual([])
      await page.context().close()
    },
    180_000
  )
})
