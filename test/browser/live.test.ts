// Live across processes: with the UI open, a training started with the CLI as a separate process on the same database
// appears in the runs list, its epochs and figures advance row by row, its page leaves "Starting…" and it finishes.
/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { RunStore } from '../../main/runs/store'
import { appRoot, launchBrowser, serve, type Served } from '../helpers/browser'
import { tempDir } from '../helpers/tmp'
import { openPage, shoot } from './page'

let browser: Browser
let dir: ReturnType<typeof tempDir>
let served: Served
let db: string

beforeAll(async () => {
  dir = tempDir()
  db = join(dir.path, 'rnnlab.db')
  browser = await launchBrowser()
  served = await serve(db, dir.path)
})
afterAll(async () => {
  await served?.stop()
  await browser?.close()
  dir.remove()
})

/** Starts `rnnlab train` in a process of its own on the served database; resolves with its exit code. */
function trainWithCli(config: { name: string }): Promise<number | null> {
  const file = join(dir.path, `${config.name}.json`)
  writeFileSync(file, JSON.stringify(config))
  const child = spawn(process.execPath, [join(appRoot, 'bin', 'rnnlab.js'), 'train', file, '--db', db], {
    cwd: appRoot,
    env: { ...process.env, RNNLAB_HOME: dir.path },
    stdio: 'ignore'
  })
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)))
}

/** Epochs of a second or more on a quiet machine, so that each epoch is seen in the list and has many steps. */
const cliConfig = (name: string, seed: number) => ({
  name,
  dataset: { source: 'mnist-sample' },
  model: {
    layers: [
      { type: 'bidirectional', layer: { type: 'lstm', units: 64 } },
      { type: 'dense', units: 10, activation: 'softmax' }
    ]
  },
  training: { epochs: 3, batchSize: 32, seed }
})

type Drawn = { label: string; points: { x: number; y: number }[]; faint?: boolean }[]
/** The series a chart drew (the chart keeps them on its canvas). */
const drawnSeries = (page: Page, index: number) =>
  page.evaluate(
    (i) =>
      (document.querySelectorAll('.metric-chart canvas')[i] as HTMLCanvasElement & { series: Drawn }).series.map(
        (s) => ({ label: s.label, points: s.points, faint: s.faint })
      ),
    index
  )
/** A series cut at its breaks (points whose y is not a number): one piece an epoch. */
function pieces(points: { x: number; y: number }[]): { x: number; y: number }[][] {
  const out: { x: number; y: number }[][] = [[]]
  for (const p of points) {
    if (p.y === null || !Number.isFinite(p.y)) out.push([])
    else out[out.length - 1].push(p)
  }
  return out
}

describe('live across processes', () => {
  it('shows a CLI training as it happens: the run appears, its epochs advance, it completes', async () => {
    // The Duration column is in the chooser, not the default: asked for by name in the address.
    const list = await openPage(browser, served, { hash: '#/runs?cols=id,name,status,epochs,valAccuracy,duration' })
    await list.page.getByRole('heading', { name: 'No runs yet' }).waitFor()
    const exit = trainWithCli(cliConfig('from-the-cli', 3))
    const row = list.page.locator('tbody tr', { hasText: 'from-the-cli' })
    await row.waitFor({ timeout: 60_000 })
    const runId = Number(await row.getAttribute('data-run-id'))

    // The run's own page, opened while it trains: it leaves "Starting…" for the other process's progress.
    const detail = await openPage(browser, served, { hash: `#/runs/${runId}`, colorScheme: 'dark' })
    const progress = detail.page.getByTestId('training-progress')

    // Every epoch count the list shows, in order, until the run completes.
    const epochCell = row.locator('td.col-epochs')
    const seenEpochs: string[] = []
    let sawProgress = false
    let shotList = false
    let stepsFilled = false
    const reader = new RunStore(db, { readonly: true })
    onTestFinished(() => reader.close())
    const deadline = Date.now() + 120_000
    for (;;) {
      const text = (await epochCell.textContent())?.trim() ?? ''
      if (seenEpochs.at(-1) !== text) seenEpochs.push(text)
      if (!sawProgress && (await progress.count()) > 0) {
        const line = (await progress.locator('.progress-line').textContent()) ?? ''
        if (/Epoch \d\/3/.test(line)) {
          sawProgress = true
          await shoot(detail.page, 'live-cli-run-1280x800-dark')
        }
      }
      if (!shotList && text === '1/3') {
        shotList = true
        // While it trains, the row shows its best validation accuracy so far and how long it has run.
        expect(await row.locator('td.col-valAccuracy').textContent()).toMatch(/%/)
        expect(await row.locator('td.col-duration').textContent()).toMatch(/\d s$/)
        await shoot(list.page, 'live-cli-runs-1280x800-light')
      }
      // Once epoch 1 is stored, the run page draws every step of it (live progress from another process comes about
      // once a second): as many points as the database holds, while the run still trains.
      if (!stepsFilled && text !== '0/3' && text !== '' && !text.startsWith('3')) {
        const stored = reader.getBatches(runId).filter((b) => b.epoch === 1).length
        const drawn = pieces((await drawnSeries(detail.page, 0)).find((s) => s.label === 'train (per step)')!.points)[0]
        if (stored > 0 && drawn.length === stored && (await row.locator('.status').textContent()) === 'running')
          stepsFilled = true
      }
      if ((await row.locator('.status').textContent()) === 'completed') break
      if (Date.now() > deadline) throw new Error(`the run did not complete; epochs seen ${seenEpochs.join(', ')}`)
      await list.page.waitForTimeout(100)
    }
    expect(await exit).toBe(0)
    // The status may have turned between reading the epochs and reading it: the row reads 3/3 then.
    await expect.poll(async () => (await epochCell.textContent())?.trim()).toBe('3/3')
    // Epochs show up one by one (a quick machine may skip none; a loaded one may coalesce one step at most).
    expect(seenEpochs.filter((t) => /^[12]\/3$/.test(t)).length).toBeGreaterThanOrEqual(1)
    expect(sawProgress).toBe(true)
    expect(stepsFilled).toBe(true)
    // The best validation accuracy arrived with the epochs, not with a reload.
    expect(await row.locator('td.col-valAccuracy').textContent()).toMatch(/%/)

    // The run page follows to the end: completed, every epoch in its table, no Cancel left.
    await expect
      .poll(() => detail.page.locator('#run-title .status').textContent(), { timeout: 30_000 })
      .toBe('completed')
    await expect.poll(() => detail.page.getByTestId('epoch-table').locator('tbody tr').count()).toBe(3)
    expect(await detail.page.getByTestId('cancel-training').count()).toBe(0)
    await detail.page.getByTestId('run-stats').waitFor()
    await shoot(detail.page, 'live-cli-run-done-1280x800-dark')

    // True per-step losses: no sawtooth. Epoch 1's last step is the loss of its last batches, well below the epoch's
    // mean (a running mean would end on it), and epoch 2 starts where epoch 1 ended, not back up at a mean.
    const loss = await drawnSeries(detail.page, 0)
    const epochMeans = loss.find((s) => s.label === 'train (epoch)')!.points
    const [e1, e2, e3] = pieces(loss.find((s) => s.label === 'train (per step)')!.points)
    expect(e1.length).toBeGreaterThan(3)
    expect(e2.length).toBeGreaterThan(3)
    expect(e3.length).toBeGreaterThan(3)
    // A step may hold a single batch (on a loaded machine): the median of three steps stands for a curve's end.
    const median = (list: { y: number }[]) => list.map((p) => p.y).sort((a, b) => a - b)[1]
    const end1 = median(e1.slice(-3))
    const drop = e1[0].y - end1
    expect(drop).toBeGreaterThan(0.5)
    expect(end1).toBeLessThan(epochMeans[0].y - 0.1)
    const across = Math.abs(median(e2.slice(0, 3)) - end1)
    expect(across, JSON.stringify({ end1: e1.slice(-3), start2: e2.slice(0, 3) })).toBeLessThan(0.3 * drop)

    expect(list.problems).toEqual([])
    expect(detail.problems).toEqual([])
    await list.page.context().close()
    await detail.page.context().close()
  }, 300_000)

  it('compares two CLI runs by step, smoothed over the faint raw curve, broken between epochs; a CLI delete shows', async () => {
    const list = await openPage(browser, served, { hash: '#/runs' })
    const first = list.page.locator('tbody tr', { hasText: 'from-the-cli' })
    await first.waitFor()
    expect(await trainWithCli(cliConfig('second-cli-run', 4))).toBe(0)
    const row = list.page.locator('tbody tr', { hasText: 'second-cli-run' })
    await expect.poll(() => row.locator('.status').textContent(), { timeout: 30_000 }).toBe('completed')
    const ids = [Number(await first.getAttribute('data-run-id')), Number(await row.getAttribute('data-run-id'))]
    const runId = ids[1]

    for (const look of [
      { width: 1280, height: 800, colorScheme: 'light' as const },
      { width: 1920, height: 1080, colorScheme: 'dark' as const }
    ]) {
      const { page, problems } = await openPage(browser, served, { ...look, hash: `#/compare?ids=${ids.join(',')}` })
      await page.getByLabel('X axis').selectOption('step')
      await page.getByRole('checkbox', { name: 'Smoothing' }).check()
      await expect
        .poll(async () => (await drawnSeries(page, 0)).filter((s) => s.faint).length, { timeout: 30_000 })
        .toBe(2)
      const drawn = await drawnSeries(page, 0)
      for (const id of ids) {
        const raw = drawn.find((s) => s.faint && s.label.startsWith(`#${id} `))!
        const smoothed = drawn.find((s) => !s.faint && s.label.startsWith(`#${id} `))!
        // Three epochs, three pieces, in the raw curve and the smoothed one alike.
        expect(pieces(raw.points).map((p) => p.length > 3)).toEqual([true, true, true])
        expect(pieces(smoothed.points)).toHaveLength(3)
        // Smoothing starts where the raw curve starts (debiased), and follows it down.
        expect(smoothed.points[0].y).toBeCloseTo(raw.points[0].y, 9)
        expect(smoothed.points.at(-1)!.y).toBeLessThan(smoothed.points[0].y / 2)
      }
      await page.waitForTimeout(300) // the charts redraw at most every 100 ms
      await shoot(page, `compare-steps-smoothed-${look.width}x${look.height}-${look.colorScheme}`)
      expect(problems).toEqual([])
      await page.context().close()
    }

    // Deleted elsewhere (here through the CLI's own door, another process): the row goes away without a reload.
    const del = spawn(process.execPath, [join(appRoot, 'bin', 'rnnlab.js'), 'delete', String(runId), '--db', db], {
      cwd: appRoot,
      env: { ...process.env, RNNLAB_HOME: dir.path },
      stdio: 'ignore'
    })
    expect(await new Promise((resolve) => del.once('exit', resolve))).toBe(0)
    await expect.poll(() => row.count(), { timeout: 30_000 }).toBe(0)
    expect(await first.count()).toBe(1)
    expect(list.problems).toEqual([])
  }, 300_000)
})
