// The runs page's management in Chromium: the filter language (with its errors), sorting, editing tags and notes,
// archive, delete with undo, CSV export of a selection, and going to compare.
/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { readFileSync } from 'node:fs'
import type { Browser, Page } from 'playwright-core'
import { RunStore } from '../../main/runs/store'
import { launchBrowser, screenshotDir, serve, type Served } from '../helpers/browser'
import { seedCompletedRun, tutorialConfig } from '../helpers/seed'
import { tempDir } from '../helpers/tmp'
import { looks, openPage, shoot } from './page'

let browser: Browser
let dir: ReturnType<typeof tempDir>
let served: Served
let lstm: number, gru: number, small: number

beforeAll(async () => {
  dir = tempDir()
  browser = await launchBrowser()
  const db = join(dir.path, 'rnnlab.db')
  const store = new RunStore(db)
  lstm = seedCompletedRun(store, { name: 'tutorial bi-lstm', epochs: 10, peakEpoch: 4, tags: ['baseline'] })
  gru = seedCompletedRun(store, { name: 'bi-gru sibling', cell: 'gru', epochs: 3 })
  small = seedCompletedRun(store, { name: 'small lstm', epochs: 1, config: { ...tutorialConfig, name: 'small lstm' } })
  store.close()
  served = await serve(db, dir.path)
})
afterAll(async () => {
  await served?.stop()
  await browser?.close()
  dir.remove()
})

const rowIds = (page: Page) =>
  page
    .locator('[data-testid="runs-table"] tbody tr')
    .evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-run-id'))))

describe('runs page management in Chromium', () => {
  it('filters with the query language and explains a bad filter', async () => {
    const { page, problems } = await openPage(browser, served)
    await page.getByTestId('runs-table').waitFor()
    expect(await rowIds(page)).toEqual([small, gru, lstm])
    const filter = page.getByLabel('Filter runs')
    await filter.fill('cell = gru and val_accuracy > 0.95')
    await expect.poll(() => rowIds(page)).toEqual([gru])
    await filter.fill('cell = gru or tags = baseline')
    await expect.poll(() => rowIds(page)).toEqual([gru, lstm])
    await filter.fill('(cell = lstm and epochs >= 10) or params < 80k')
    await expect.poll(() => rowIds(page)).toEqual([gru, lstm])
    await filter.fill('val_acc > 0.9 and')
    await expect
      .poll(() => page.getByTestId('filter-message').textContent())
      .toContain('column 1: unknown field "val_acc" (did you mean val_accuracy?)')
    expect(await filter.getAttribute('aria-invalid')).toBe('true')
    await shoot(page, 'runs-filter-error-1280x800-light')
    await filter.fill('name ~ nothing-like-this')
    await page.getByTestId('runs-no-match').waitFor()
    await filter.fill('')
    await expect.poll(() => rowIds(page)).toEqual([small, gru, lstm])

    // Sort by params (largest first), then ascending.
    await page.getByRole('button', { name: 'Params' }).click()
    expect((await rowIds(page))[2]).toBe(gru)
    await page.getByRole('button', { name: 'Params' }).click()
    expect((await rowIds(page))[0]).toBe(gru)
    expect(problems).toEqual([])
  })

  it('edits tags and notes, archives, deletes with undo and exports CSV', async () => {
    const { page, problems } = await openPage(browser, served)
    await page.getByTestId('runs-table').waitFor()
    await page.getByRole('button', { name: `Edit run ${gru} name, tags and notes` }).click()
    await page.getByLabel('Tags', { exact: true }).fill('gru, sibling')
    await page.getByLabel('Notes', { exact: true }).fill('reset_after true; <b>not bold</b>')
    await page.locator('.dialog').screenshot({ path: join(screenshotDir, 'runs-edit-dialog-light.png') })
    await page.getByRole('button', { name: 'Save' }).click()
    await expect.poll(() => page.locator(`tr[data-run-id="${gru}"]`).textContent()).toContain('sibling')
    await page.getByLabel('Filter runs').fill('tags = sibling')
    await expect.poll(() => rowIds(page)).toEqual([gru])
    await page.getByLabel('Filter runs').fill('notes ~ "<b>"')
    await expect.poll(() => rowIds(page)).toEqual([gru])
    expect(await page.locator('b').count()).toBe(0)
    await page.getByLabel('Filter runs').fill('')

    // Esc closes the dialog without saving.
    await page.getByRole('button', { name: `Edit run ${lstm} name, tags and notes` }).click()
    await page.getByLabel('Tags', { exact: true }).fill('changed')
    await page.keyboard.press('Escape')
    await expect.poll(() => page.locator('.dialog').count()).toBe(0)
    expect(await page.locator(`tr[data-run-id="${lstm}"]`).textContent()).not.toContain('changed')

    // CSV of two selected runs.
    await page.getByLabel(`Select run ${lstm} tutorial bi-lstm`).check()
    await page.getByLabel(`Select run ${gru} bi-gru sibling`).check()
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click()
    ])
    const csv = readFileSync((await download.path())!, 'utf8')
    expect(csv.split('\n')[0]).toMatch(/run/i)
    expect(csv).toContain('bi-gru sibling')
    await shoot(page, 'runs-selected-1280x800-light')

    // Archive hides them; "Show archived" brings them back.
    await page.getByRole('button', { name: 'Archive' }).click()
    await expect.poll(() => rowIds(page)).toEqual([small])
    await page.getByLabel('Show archived').check()
    await expect.poll(() => rowIds(page)).toEqual([small, gru, lstm])
    expect(await page.locator(`tr[data-run-id="${gru}"]`).textContent()).toContain('(archived)')
    await page.getByLabel(`Select run ${lstm} tutorial bi-lstm`).check()
    await page.getByLabel(`Select run ${gru} bi-gru sibling`).check()
    await page.getByRole('button', { name: 'Unarchive' }).click()
    await page.getByLabel('Show archived').uncheck()
    await expect.poll(() => rowIds(page)).toEqual([small, gru, lstm])

    // Delete, then undo.
    await page.getByLabel(`Select run ${small} small lstm`).check()
    await page.getByRole('button', { name: 'Delete' }).click()
    await expect.poll(() => rowIds(page)).toEqual([gru, lstm])
    await page.getByTestId('undo-toast').waitFor()
    await shoot(page, 'runs-undo-1280x800-light')
    await page.getByRole('button', { name: 'Undo' }).click()
    await expect.poll(() => rowIds(page)).toEqual([small, gru, lstm])

    // Compare two selected runs.
    await page.getByLabel(`Select run ${lstm} tutorial bi-lstm`).check()
    await page.getByLabel(`Select run ${gru} bi-gru sibling`).check()
    await page.getByRole('button', { name: 'Compare', exact: true }).click()
    await page.waitForURL(/#\/compare\?ids=/)
    await page.getByTestId('compare-figures').waitFor()
    expect(problems).toEqual([])
  })

  it('looks right at both sizes in both themes', async () => {
    for (const look of looks) {
      const { page, problems } = await openPage(browser, served, look)
      await page.getByTestId('runs-table').waitFor()
      await shoot(page, `runs-${look.width}x${look.height}-${look.colorScheme}`)
      expect(problems).toEqual([])
      await page.context().close()
    }
    // The theme toggle overrides the system's choice: system → light → dark → system.
    const { page, problems } = await openPage(browser, served, { colorScheme: 'light' })
    await page.getByTestId('runs-table').waitFor()
    const bg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor)
    expect(await bg()).toBe('rgb(246, 247, 249)')
    await page.getByRole('button', { name: 'Theme: system' }).click()
    await page.getByRole('button', { name: 'Theme: light' }).click()
    expect(await bg()).toBe('rgb(18, 22, 31)')
    await page.getByRole('button', { name: 'Theme: dark' }).click()
    expect(await bg()).toBe('rgb(246, 247, 249)')
    expect(problems).toEqual([])
  })
})
