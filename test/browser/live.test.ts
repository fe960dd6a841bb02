// Live across processes: with the UI open, a training started with the CLI as a separate process on the same database
// appears in the runs list, its epochs and figures advance row by row, its page leaves "Starting…" and it finishes.
/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
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
function trainWithCli(config: unknown): Promise<number | null> {
  const file = join(dir.path, 'cli.json')
  writeFileSync(file, JSON.stringify(config))
  const child = spawn(process.execPath, [join(appRoot, 'bin', 'rnnlab.js'), 'train', file, '--db', db], {
    cwd: appRoot,
    env: { ...process.env, RNNLAB_HOME: dir.path },
    stdio: 'ignore'
  })
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)))
}

describe('live across processes', () => {
  it('shows a CLI training as it happens: the run appears, its epochs advance, it completes', async () => {
    const list = await openPage(browser, served, { hash: '#/runs' })
    await list.page.getByRole('heading', { name: 'No runs yet' }).waitFor()
    // Epochs of a second or more on a quiet machine, so that each epoch is seen in the list.
    const exit = trainWithCli({
      name: 'from-the-cli',
      dataset: { source: 'mnist-sample' },
      model: {
        layers: [
          { type: 'bidirectional', layer: { type: 'lstm', units: 64 } },
          { type: 'dense', units: 10, activation: 'softmax' }
        ]
      },
      training: { epochs: 3, batchSize: 32, seed: 3 }
    })
    const row = list.page.locator('tbody tr', { hasText: 'from-the-cli' })
    await row.waitFor({ timeout: 60_000 })
    const runId = Number(await row.getAttribute('data-run-id'))

    // The run's own page, opened while it trains: it leaves "Starting…" for the other process's progress.
    const detail = await openPage(browser, served, { hash: `#/runs/${runId}`, colorScheme: 'dark' })
    const progress = detail.page.getByTestId('training-progress')

    // Every epoch count the list shows, in order, until the run completes.
    const epochCell = row.locator('td').nth(8)
    const seenEpochs: string[] = []
    let sawProgress = false
    let shotList = false
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
        await shoot(list.page, 'live-cli-runs-1280x800-light')
      }
      if ((await row.locator('.status').textContent()) === 'completed') break
      if (Date.now() > deadline) throw new Error(`the run did not complete; epochs seen ${seenEpochs.join(', ')}`)
      await list.page.waitForTimeout(100)
    }
    expect(await exit).toBe(0)
    expect(seenEpochs.at(-1)).toBe('3/3')
    // Epochs show up one by one (a quick machine may skip none; a loaded one may coalesce one step at most).
    expect(seenEpochs.filter((t) => /^[12]\/3$/.test(t)).length).toBeGreaterThanOrEqual(1)
    expect(sawProgress).toBe(true)
    // The best validation accuracy arrived with the epochs, not with a reload.
    expect(await row.locator('td').nth(9).textContent()).toMatch(/%/)

    // The run page follows to the end: completed, every epoch in its table, no Cancel left.
    await expect
      .poll(() => detail.page.locator('#run-title .status').textContent(), { timeout: 30_000 })
      .toBe('completed')
    await expect.poll(() => detail.page.getByTestId('epoch-table').locator('tbody tr').count()).toBe(3)
    expect(await detail.page.getByTestId('cancel-training').count()).toBe(0)
    await detail.page.getByTestId('run-stats').waitFor()
    await shoot(detail.page, 'live-cli-run-done-1280x800-dark')

    // Deleted elsewhere (here through the CLI's own door, another process): the row goes away without a reload.
    const del = spawn(process.execPath, [join(appRoot, 'bin', 'rnnlab.js'), 'delete', String(runId), '--db', db], {
      cwd: appRoot,
      env: { ...process.env, RNNLAB_HOME: dir.path },
      stdio: 'ignore'
    })
    expect(await new Promise((resolve) => del.once('exit', resolve))).toBe(0)
    await expect.poll(() => row.count(), { timeout: 30_000 }).toBe(0)
    expect(list.problems).toEqual([])
    expect(detail.problems).toEqual([])
  })
})
