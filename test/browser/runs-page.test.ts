// The runs page in a real browser through `rnnlab serve`: runs listed from the database, the empty state, themes.
/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { RunStore } from '../../main/runs/store'
import { launchBrowser, screenshotDir, serve, type Served } from '../helpers/browser'
import { seedCompletedRun } from '../helpers/seed'
import { tempDir } from '../helpers/tmp'

let browser: Browser
let dir: ReturnType<typeof tempDir>

beforeAll(async () => {
  dir = tempDir()
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
  dir.remove()
})

async function open(
  served: Served,
  opts: { colorScheme?: 'light' | 'dark'; width?: number; height?: number } = {}
): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({
    viewport: { width: opts.width ?? 1280, height: opts.height ?? 800 },
    colorScheme: opts.colorScheme ?? 'light'
  })
  const page = await context.newPage()
  const problems: string[] = []
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text())
  })
  page.on('pageerror', (e) => problems.push(e.message))
  await page.goto(served.url)
  return { page, problems }
}

describe('runs page in Chromium', () => {
  it('explains the empty database and how to start', async () => {
    const home = join(dir.path, 'empty-home')
    const served = await serve(join(home, 'rnnlab.db'), home)
    try {
      const { page, problems } = await open(served)
      const empty = page.getByTestId('runs-empty')
      await empty.waitFor()
      expect(await empty.textContent()).toContain('No runs yet')
      expect(await empty.textContent()).toContain('npm run lab -- train examples/seed-bilstm-mnist.json')
      expect(await page.textContent('body')).toContain(join(home, 'rnnlab.db'))
      await page.screenshot({ path: join(screenshotDir, 'runs-empty-1280x800-light.png') })
      expect(problems).toEqual([])
    } finally {
      await served.stop()
    }
  })

  it('lists the runs in the database with their figures, and searches them', async () => {
    const home = join(dir.path, 'home')
    const db = join(home, 'rnnlab.db')
    const store = new RunStore(db)
    const lstm = seedCompletedRun(store, { name: 'tutorial bi-lstm', epochs: 10, peakEpoch: 4, tags: ['baseline'] })
    const gru = seedCompletedRun(store, { name: 'bi-gru sibling', cell: 'gru', epochs: 3 })
    store.close()
    const served = await serve(db, home)
    try {
      const { page, problems } = await open(served)
      const table = page.getByTestId('runs-table')
      await table.waitFor()
      const rows = table.locator('tbody tr')
      expect(await rows.count()).toBe(2)
      const gruRow = rows.nth(0)
      expect(await gruRow.getAttribute('data-run-id')).toBe(String(gru))
      expect(await gruRow.textContent()).toMatch(
        /bi-gru sibling.*completed.*Bi-GRU.*70,610.*0\.001.*64.*3\/3.*96\.00%\s*@3/s
      )
      const lstmRow = rows.nth(1)
      expect(await lstmRow.getAttribute('data-run-id')).toBe(String(lstm))
      expect(await lstmRow.textContent()).toMatch(/tutorial bi-lstm.*93,010.*10\/10.*98\.00%\s*@4.*baseline/s)
      await page.screenshot({ path: join(screenshotDir, 'runs-list-1280x800-light.png') })

      await page.getByLabel('Search runs by name or notes').fill('gru')
      await expect.poll(() => rows.count()).toBe(1)
      expect(await rows.first().textContent()).toContain('bi-gru sibling')
      await page.getByLabel('Search runs by name or notes').fill('no such run')
      await page.getByTestId('runs-no-match').waitFor()
      expect(problems).toEqual([])
    } finally {
      await served.stop()
    }
  })

  it('draws in the dark theme at 1920×1080', async () => {
    const home = join(dir.path, 'home')
    const served = await serve(join(home, 'rnnlab.db'), home)
    try {
      const { page, problems } = await open(served, { colorScheme: 'dark', width: 1920, height: 1080 })
      await page.getByTestId('runs-table').waitFor()
      const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor)
      expect(bg).toBe('rgb(18, 22, 31)')
      await page.screenshot({ path: join(screenshotDir, 'runs-list-1920x1080-dark.png') })
      expect(problems).toEqual([])
    } finally {
      await served.stop()
    }
  })

  it('shows nothing without the token', async () => {
    const home = join(dir.path, 'home')
    const served = await serve(join(home, 'rnnlab.db'), home)
    try {
      const context = await browser.newContext()
      const page = await context.newPage()
      // The page is the public build (no cookie carries the token any more); the API it calls needs the token.
      const res = await page.goto(`http://127.0.0.1:${served.port}/`)
      expect(res?.status()).toBe(200)
      await page.getByRole('alert').first().waitFor()
      expect(await page.textContent('body')).toContain('this page needs the address `rnnlab serve` printed')
      expect(await page.getByTestId('runs-table').count()).toBe(0)
      expect(await page.textContent('body')).not.toContain('tutorial bi-lstm')
    } finally {
      await served.stop()
    }
  })
})
