// The Trash and the run page's dead ends in Chromium: a deleted run is found in the Trash after the undo toast is
// gone, restored or deleted for good with its files (B18); a missing run's page says so and leads on (B16); Try it
// on a run without a checkpoint says why instead of offering a pad (B17).
/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { RunStore } from '../../main/runs/store'
import { launchBrowser, serve, type Served } from '../helpers/browser'
import { seedCompletedRun } from '../helpers/seed'
import { tempDir } from '../helpers/tmp'
import { looks, openPage, shoot } from './page'

let browser: Browser
let dir: ReturnType<typeof tempDir>
let served: Served
let first: number, second: number, third: number, failed: number

/** A run folder with a checkpoint file of `bytes` bytes, as training leaves one. */
function runFolder(id: number, bytes: number): string {
  const folder = join(dir.path, 'runs', String(id))
  mkdirSync(folder, { recursive: true })
  writeFileSync(join(folder, 'last.ckpt'), Buffer.alloc(bytes, 7))
  return folder
}

beforeAll(async () => {
  dir = tempDir()
  browser = await launchBrowser()
  const db = join(dir.path, 'rnnlab.db')
  const store = new RunStore(db)
  first = seedCompletedRun(store, { name: 'first bi-lstm', epochs: 2 })
  second = seedCompletedRun(store, { name: 'second bi-gru', cell: 'gru', epochs: 2 })
  third = seedCompletedRun(store, { name: 'third bi-lstm', epochs: 2 })
  failed = store.createRun({
    name: 'dense head of 5',
    config: { name: 'dense head of 5', dataset: { source: 'mnist-sample' }, model: { layers: [] } },
    dataset: 'mnist-sample',
    seed: 1,
    paramCount: null,
    cell: 'simple_rnn',
    direction: 'forward',
    layerCount: 2,
    epochsPlanned: 2
  })
  store.markStarted(failed, { engineVersion: 'test', threads: 1, cpu: 'test', pid: process.pid, host: 'test-host' })
  store.finishRun(failed, 'failed', 'y[1]: label 7 is outside 0..4')
  store.close()
  for (const id of [first, second, third]) runFolder(id, 150_000)
  served = await serve(db, dir.path)
})
afterAll(async () => {
  await served?.stop()
  await browser?.close()
  dir.remove()
})

const rowIds = (page: Page, testId = 'runs-table') =>
  page
    .getByTestId(testId)
    .locator('tbody tr')
    .evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-run-id'))))

describe('the Trash in Chromium', () => {
  it('restores a deleted run after the undo toast is gone, and deletes runs for good with their files', async () => {
    const { page, problems } = await openPage(browser, served)
    await page.getByTestId('runs-table').waitFor()
    await page.getByLabel(`Select run ${second} second bi-gru`).check()
    await page.getByRole('button', { name: 'Delete' }).click()
    const toast = page.getByTestId('undo-toast')
    await expect.poll(() => toast.textContent()).toContain(`Run #${second} moved to the Trash.`)
    await expect.poll(() => rowIds(page)).toEqual([failed, third, first])

    // Later (a new window: the toast is long gone), the run is in the Trash with its size and purge date.
    const later = await openPage(browser, served, { hash: '#/runs' })
    await later.page.getByTestId('trash-link').click()
    await later.page.waitForURL(/#\/trash$/)
    await expect.poll(() => rowIds(later.page, 'trash-table')).toEqual([second])
    const row = later.page.locator(`[data-testid="trash-table"] tr[data-run-id="${second}"]`)
    expect(await row.textContent()).toMatch(/second bi-gru.*completed.*94\.00%.*146\.48 KB/s)
    expect(await later.page.textContent('main')).toContain('Deleted runs stay here for 30 days')
    await shoot(later.page, 'trash-1280x800-light')
    await later.page.getByRole('button', { name: `Restore run ${second} second bi-gru` }).click()
    await expect.poll(() => later.page.getByTestId('trash-message').textContent()).toContain(`Restored run #${second}.`)
    await later.page.getByTestId('trash-empty').waitFor()
    await later.page.getByRole('link', { name: 'Open it' }).click()
    await later.page.getByRole('heading', { name: /second bi-gru/ }).waitFor()

    // Delete two, then one of them for good, then empty the Trash.
    await page.reload()
    await page.getByTestId('runs-table').waitFor()
    await page.getByLabel(`Select run ${first} first bi-lstm`).check()
    await page.getByLabel(`Select run ${third} third bi-lstm`).check()
    await page.getByRole('button', { name: 'Delete' }).click()
    await expect.poll(() => rowIds(page)).toEqual([failed, second])
    await page.goto(`${served.url}#/trash`)
    // Most recently deleted first; these two were deleted within the same moment, so either order.
    await expect.poll(async () => (await rowIds(page, 'trash-table')).sort()).toEqual([first, third].sort())
    await page.getByLabel(`Select deleted run ${first} first bi-lstm`).check()
    await page.getByRole('button', { name: 'Delete for good' }).click()
    const confirm = page.getByRole('alertdialog')
    expect(await confirm.textContent()).toContain(`Delete run #${first} for good`)
    expect(await confirm.textContent()).toContain('This cannot be undone.')
    // The question takes the focus, so that Enter answers it and a screen reader reads it.
    expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Delete for good')
    await shoot(page, 'trash-confirm-1280x800-light')
    await page.keyboard.press('Enter')
    await expect
      .poll(() => page.getByTestId('trash-message').textContent())
      .toContain('Deleted 1 run for good; 146.48 KB freed.')
    expect(existsSync(join(dir.path, 'runs', String(first)))).toBe(false)
    expect(existsSync(join(dir.path, 'runs', String(third)))).toBe(true)
    await expect.poll(() => rowIds(page, 'trash-table')).toEqual([third])
    await page.getByRole('button', { name: 'Empty the Trash' }).click()
    await page.getByRole('alertdialog').getByRole('button', { name: 'Delete for good' }).click()
    await page.getByTestId('trash-empty').waitFor()
    expect(existsSync(join(dir.path, 'runs', String(third)))).toBe(false)
    await shoot(page, 'trash-empty-1280x800-light')
    expect([...problems, ...later.problems]).toEqual([])
  })

  it('gives a missing run a page that says so and leads on; a deleted one can be restored from it', async () => {
    const { page, problems } = await openPage(browser, served, { hash: '#/runs/999' })
    const missing = page.getByTestId('run-not-found')
    await missing.waitFor()
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Run #999 not found')
    expect(await missing.textContent()).toContain('This database has no run #999')
    await shoot(page, 'run-not-found-1280x800-light')
    await page.getByRole('link', { name: 'Back to the runs' }).click()
    await page.getByTestId('runs-table').waitFor()

    // A run in the Trash: its page says when it was deleted and restores it in place.
    await page.getByLabel(`Select run ${second} second bi-gru`).check()
    await page.getByRole('button', { name: 'Delete' }).click()
    await expect.poll(() => rowIds(page)).toEqual([failed])
    await page.goto(`${served.url}#/runs/${second}`)
    await expect.poll(() => missing.textContent()).toContain(`Run #${second} “second bi-gru” was deleted`)
    await page.getByRole('button', { name: `Restore run #${second}` }).click()
    await page.getByRole('heading', { level: 1, name: /second bi-gru/ }).waitFor()
    await page.getByTestId('run-stats').waitFor()
    expect(problems).toEqual([])
  })

  it('edits tags and notes, archives and deletes from the run page, which then offers Restore', async () => {
    const { page, problems } = await openPage(browser, served, { hash: `#/runs/${second}` })
    const meta = page.getByTestId('run-meta')
    await meta.waitFor()
    await meta.getByRole('button', { name: 'Edit name, tags and notes' }).click()
    await page.locator('.dialog').getByLabel('Tags', { exact: true }).fill('gru, keeper')
    await page.locator('.dialog').getByLabel('Notes', { exact: true }).fill('best of the sweep')
    await page.getByRole('button', { name: 'Save' }).click()
    await expect.poll(() => meta.textContent()).toContain('best of the sweep')
    expect(await meta.locator('.tag').allTextContents()).toEqual(['gru', 'keeper'])
    await meta.getByRole('button', { name: 'Archive' }).click()
    await expect.poll(() => meta.textContent()).toContain('archived')
    await meta.getByRole('button', { name: 'Unarchive' }).click()
    await expect.poll(() => meta.textContent()).not.toContain('archived')
    await shoot(page, 'run-hub-1280x800-light')
    await meta.getByRole('button', { name: 'Delete' }).click()
    await expect
      .poll(() => page.getByTestId('run-not-found').textContent())
      .toContain(`Run #${second} “second bi-gru” was deleted`)
    await page.getByRole('button', { name: `Restore run #${second}` }).click()
    await expect.poll(() => meta.textContent()).toContain('best of the sweep')
    expect(problems).toEqual([])
  })

  it('says why a run without a checkpoint cannot be tried, instead of showing a pad', async () => {
    for (const look of [
      { width: 1280, height: 800, colorScheme: 'light' as const },
      { width: 1920, height: 1080, colorScheme: 'dark' as const }
    ]) {
      const { page, problems } = await openPage(browser, served, { ...look, hash: `#/runs/${failed}/try` })
      const why = page.getByTestId('try-unavailable')
      await why.waitFor()
      expect(await why.textContent()).toContain(
        `Run #${failed} “dense head of 5” has no checkpoint to try: it failed before finishing an epoch (y[1]: label 7 is outside 0..4).`
      )
      expect(await page.locator('.try-pad-canvas').count()).toBe(0)
      expect(await page.textContent('main')).not.toContain('Validation samples')
      await shoot(page, `try-unavailable-${look.width}x${look.height}-${look.colorScheme}`)
      await page.getByRole('link', { name: 'Back to the run' }).click()
      await page.getByRole('heading', { level: 1, name: /dense head of 5/ }).waitFor()
      expect(problems).toEqual([])
      await page.context().close()
    }
  })

  it('looks right at both sizes in both themes: the Trash with a run in it, and a missing run', async () => {
    const { page } = await openPage(browser, served)
    await page.getByTestId('runs-table').waitFor()
    await page.getByLabel(`Select run ${failed} dense head of 5`).check()
    await page.getByRole('button', { name: 'Delete' }).click()
    await expect.poll(() => rowIds(page)).not.toContain(failed)
    await page.context().close()
    for (const look of looks) {
      const trash = await openPage(browser, served, { ...look, hash: '#/trash' })
      await trash.page.getByTestId('trash-table').waitFor()
      await shoot(trash.page, `trash-${look.width}x${look.height}-${look.colorScheme}`)
      await trash.page.goto(`${served.url}#/runs/${failed}`)
      await trash.page.getByRole('button', { name: `Restore run #${failed}` }).waitFor()
      await shoot(trash.page, `run-in-trash-${look.width}x${look.height}-${look.colorScheme}`)
      expect(trash.problems).toEqual([])
      await trash.page.context().close()
    }
  })
})
