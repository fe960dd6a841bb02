// The Inside area's Weights tab in Chromium on a really trained tiny run (Bi-LSTM + GRU): the blocks of a layer with
// the norms `rnnlab weights --json` gives, a block's heatmap whose hovered cell is the checkpoint's value, another
// layer, and a PyTorch export read from the lab folder with its unreadable node named; light and dark, axe-clean.
/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { copyFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Locator, Page } from 'playwright-core'
import type { WeightsView } from '../../common/contract'
import { Services } from '../../main/services'
import { appRoot, launchBrowser, serve, trainTinyRun, type Served } from '../helpers/browser'
import { tempDir } from '../helpers/tmp'
import { axeFindings, openPage, shoot } from './page'

let browser: Browser
let dir: ReturnType<typeof tempDir>
let db: string
let served: Served
let runId: number
let foreign: string

beforeAll(async () => {
  dir = tempDir()
  db = join(dir.path, 'rnnlab.db')
  runId = trainTinyRun(dir.path, db, 'tiny-weights', 3, [
    { type: 'bidirectional', layer: { type: 'lstm', units: 8, returnSequences: true } },
    { type: 'gru', units: 6 },
    { type: 'dense', units: 10, activation: 'softmax' }
  ])
  // A PyTorch export inside the lab folder (the served page reads there).
  foreign = join(dir.path, 'torch-lstm-gru-computed.onnx')
  copyFileSync(join(appRoot, 'test', 'fixtures', 'onnx-foreign', 'torch-lstm-gru-computed.onnx'), foreign)
  browser = await launchBrowser()
  served = await serve(db, dir.path)
}, 120_000)
afterAll(async () => {
  await served?.stop()
  await browser?.close()
  dir?.remove()
})

/** `rnnlab weights <run> --json`: the same view from the command line. */
function weightsCli(): WeightsView {
  const out = spawnSync(
    process.execPath,
    [join(appRoot, 'bin', 'rnnlab.js'), 'weights', String(runId), '--json', '--db', db],
    { cwd: appRoot, env: { ...process.env, RNNLAB_HOME: dir.path }, encoding: 'utf8' }
  )
  if (out.status !== 0) throw new Error(`rnnlab weights failed: ${out.stderr}`)
  return JSON.parse(out.stdout) as WeightsView
}

/** One block's values, read by the services directly (not through the page). */
function blockValues(layer: number, block: number): number[][] {
  const services = new Services({ home: dir.path, dbPath: db, door: 'cli', version: 'test', mustExist: true })
  try {
    return services.readWeights({ runId, select: { layer, block } }).values!.values
  } finally {
    services.close()
  }
}

/** Hovers cell (row, col) of the heatmap (columns across, rows down); returns the line under it. */
async function hoverCell(map: Locator, row: number, col: number, rows: number, cols: number): Promise<string> {
  const canvas = map.getByTestId('state-heatmap-canvas')
  const [left, top, width, height] = (await canvas.getAttribute('data-area'))!.split(',').map(Number)
  await canvas.hover({ position: { x: left + ((col + 0.5) * width) / cols, y: top + ((row + 0.5) * height) / rows } })
  const readout = map.getByTestId('heatmap-readout')
  await expect.poll(() => readout.textContent()).toMatch(new RegExp(` ${row}, .* ${col}: `))
  return (await readout.textContent())!.trim()
}
const valueOf = (line: string) => Number(/: (\S+)$/.exec(line)![1])

async function openWeights(page: Page): Promise<void> {
  await page.getByTestId('inside').waitFor()
  await page.getByRole('tab', { name: 'Weights' }).click()
  await page.getByTestId('weights-table').waitFor({ timeout: 30_000 })
}

describe('run page: Inside, Weights', () => {
  it('lists a layer’s gate blocks with the CLI’s norms; a block’s heatmap shows the checkpoint’s values', async () => {
    const cli = weightsCli()
    const { page, problems } = await openPage(browser, served, { hash: `#/runs/${runId}` })
    await openWeights(page)
    const rows = page.getByTestId('weights-table').locator('tbody tr')
    await expect.poll(() => rows.count()).toBe(2 * 4 * 4)
    expect(await page.getByTestId('weights-source-text').textContent()).toMatch(/best checkpoint \(epoch \d\)/)
    // Every row's norm as the CLI computed it (4 decimals), in the same order: forward i, o, f, c, then backward.
    const lstm = cli.layers[0]
    const norms = await rows.locator('td:nth-child(5)').allTextContents()
    expect(norms).toEqual(lstm.blocks.map((b) => b.norm.toFixed(4)))
    expect(await rows.locator('td:nth-child(3)').allTextContents()).toEqual(lstm.blocks.map((b) => b.block))
    expect((await rows.nth(16).locator('td').first().textContent())!.trim()).toBe('backward')
    expect((await rows.nth(8).locator('td').nth(1).textContent())!.trim()).toBe('f (forget)')

    // The first block is drawn; then the backward R_f: [8, 8], a hovered cell is the checkpoint's value.
    const map = page.getByTestId('weights-heatmap').getByTestId('state-heatmap')
    await map.waitFor()
    const rf = lstm.blocks.findIndex((b) => b.block === 'R_f' && b.direction === 'backward')
    await rows.nth(rf).getByRole('button').click()
    await expect.poll(() => map.locator('figcaption').textContent()).toBe('layer 0 · backward · R_f [8, 8]')
    const values = blockValues(0, rf)
    const line = await hoverCell(map, 5, 2, 8, 8)
    expect(line).toMatch(/^unit 5, from unit 2: /)
    expect(valueOf(line)).toBeCloseTo(values[5][2], 4)
    await page.getByTestId('inside').scrollIntoViewIfNeeded()
    await shoot(page, 'inside-weights-1280-light')
    expect(await axeFindings(page, '[data-testid="inside"]')).toEqual([])

    // The GRU layer: z, r, h, one direction.
    await page.getByTestId('weights-layer').selectOption({ index: 1 })
    await expect.poll(() => rows.count()).toBe(3 * 4)
    expect(await rows.locator('td:nth-child(3)').allTextContents()).toEqual(cli.layers[1].blocks.map((b) => b.block))
    await expect.poll(() => map.locator('figcaption').textContent()).toBe('layer 1 · forward · W_z [6, 16]')
    expect(problems).toEqual([])
    await page.context().close()
  }, 120_000)

  it('in dark at 1920×1080: the run’s export, and a PyTorch export from the lab folder with its GRU not readable', async () => {
    // An export of the run (rnnlab export records it with the run): offered as a source, read as the same blocks.
    const exported = spawnSync(
      process.execPath,
      [join(appRoot, 'bin', 'rnnlab.js'), 'export', String(runId), '--out', join(dir.path, 'tiny.onnx'), '--db', db],
      { cwd: appRoot, env: { ...process.env, RNNLAB_HOME: dir.path }, encoding: 'utf8' }
    )
    expect(exported.status, exported.stderr).toBe(0)
    const cli = weightsCli()
    const { page, problems } = await openPage(browser, served, {
      hash: `#/runs/${runId}`,
      width: 1920,
      height: 1080,
      colorScheme: 'dark'
    })
    await openWeights(page)
    const source = page.getByTestId('weights-source')
    const exportOption = source.locator('option', { hasText: 'tiny.onnx' })
    await expect.poll(() => exportOption.count()).toBe(1)
    await source.selectOption((await exportOption.getAttribute('value'))!)
    await expect.poll(() => page.getByTestId('weights-source-text').textContent()).toBe('tiny.onnx · made by RNN Lab')
    const norms = page.getByTestId('weights-table').locator('tbody tr td:nth-child(5)')
    await expect.poll(() => norms.allTextContents()).toEqual(cli.layers[0].blocks.map((b) => b.norm.toFixed(4)))
    await source.selectOption('file')
    // A file outside the folders the page may read is refused by name.
    await page.getByTestId('weights-path').fill('/etc/hostname.onnx')
    await page.getByTestId('weights-open').click()
    await expect
      .poll(() => page.locator('[role="alert"]').textContent())
      .toMatch(/request\.path: \/etc\/hostname\.onnx is outside the folders this page may read/)
    await page.getByTestId('weights-path').fill(foreign)
    await page.getByTestId('weights-path').press('Enter')
    await expect
      .poll(() => page.getByTestId('weights-source-text').textContent())
      .toBe('torch-lstm-gru-computed.onnx · made by pytorch 1.13.0')
    const rows = page.getByTestId('weights-table').locator('tbody tr')
    await expect.poll(() => rows.count()).toBe(2 * 4 * 4)
    expect(await page.getByTestId('weights-unreadable').textContent()).toMatch(
      /\/gru\/GRU \(GRU\): not readable — B "onnx::GRU_\d+" is computed by the Add node "computed.add"/
    )
    await page.getByTestId('inside').scrollIntoViewIfNeeded()
    await shoot(page, 'inside-weights-foreign-1920-dark')
    expect(await axeFindings(page, '[data-testid="inside"]')).toEqual([])
    // Back to the run's last checkpoint.
    await page.getByTestId('weights-source').selectOption('last')
    await expect.poll(() => page.getByTestId('weights-source-text').textContent()).toMatch(/^last checkpoint/)
    await page.getByTestId('inside').scrollIntoViewIfNeeded()
    await shoot(page, 'inside-weights-1920-dark')
    expect(problems).toEqual([])
    await page.context().close()
  }, 120_000)
})
