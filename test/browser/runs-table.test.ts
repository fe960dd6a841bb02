// The runs table as trackers' users expect it, in Chromium: hyperparameter columns with a column chooser, a sparkline
// of validation accuracy, grouping with mean ± std over seeds, the table's state in the address (reload, Back, a
// shared link), and no horizontal overflow at 1280 px with long names and many tags (B21).
/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { RunStore } from '../../main/runs/store'
import { launchBrowser, serve, type Served } from '../helpers/browser'
import { tutorialConfig } from '../helpers/seed'
import { tempDir } from '../helpers/tmp'
import { looks, openPage, shoot } from './page'

let browser: Browser
let dir: ReturnType<typeof tempDir>
let served: Served
let db: string
const ids: Record<string, number> = {}

/** A completed run of the tutorial's model with a given seed, learning rate and validation accuracy per epoch. */
function seed(
  store: RunStore,
  o: { name: string; seed: number; lr?: number; batch?: number; val: number[]; tags?: string[]; cell?: string }
): number {
  const config = {
    ...tutorialConfig,
    name: o.name,
    training: {
      ...tutorialConfig.training,
      seed: o.seed,
      batchSize: o.batch ?? 64,
      optimizer: { type: 'adam', learningRate: o.lr ?? 0.001 }
    }
  }
  const id = store.createRun({
    name: o.name,
    config,
    dataset: 'mnist-sample',
    seed: o.seed,
    paramCount: 93_010,
    cell: o.cell ?? 'lstm',
    direction: 'bidirectional',
    layerCount: 5,
    epochsPlanned: o.val.length
  })
  store.markStarted(id, { engineVersion: 'test', threads: 2, cpu: 'test', pid: process.pid, host: 'test-host' })
  o.val.forEach((v, i) =>
    store.recordEpoch(id, {
      epoch: i + 1,
      loss: 1 / (i + 2),
      accuracy: v + 0.01,
      valLoss: 1.1 / (i + 2),
      valAccuracy: v,
      learningRate: o.lr ?? 0.001,
      seconds: 4,
      samplesPerSecond: 2000
    })
  )
  store.finishRun(id, 'completed')
  if (o.tags) store.updateRun({ id, tags: o.tags })
  return id
}

beforeAll(async () => {
  dir = tempDir()
  browser = await launchBrowser()
  db = join(dir.path, 'rnnlab.db')
  const store = new RunStore(db)
  ids.s1 = seed(store, { name: 'tutorial seed 1', seed: 1, val: [0.9, 0.95, 0.96] })
  ids.s2 = seed(store, { name: 'tutorial seed 2', seed: 2, val: [0.92, 0.96, 0.97] })
  ids.s3 = seed(store, { name: 'tutorial seed 3', seed: 3, val: [0.91, 0.97, 0.98] })
  ids.fast = seed(store, { name: 'bilstm-shared-weights-high-learning-rate', seed: 1, lr: 0.01, val: [0.85, 0.88] })
  ids.big = seed(store, {
    name: 'bilstm-batch-256-with-a-very-long-descriptive-name-for-the-sweep',
    seed: 1,
    batch: 256,
    lr: 3e-4,
    val: [0.8, 0.86, 0.89, 0.9, 0.91, 0.905],
    tags: ['baseline', 'sweep-2026-12', 'needs-review', 'long-tag-name']
  })
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
    .locator('[data-testid="runs-table"] tbody tr[data-run-id]')
    .evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-run-id'))))
const headers = (page: Page) =>
  page
    .locator('[data-testid="runs-table"] thead th:not(.select-cell)')
    .evaluateAll((ths) => ths.map((th) => th.textContent!.replace(/[▾▴]/g, '').trim()))
/** How far the page or the table scrolls sideways (0 when everything fits). */
const overflow = (page: Page) =>
  page.evaluate(() => {
    const main = document.querySelector('.app-main')!
    const wrap = document.querySelector('.table-wrap')!
    return {
      page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
      main: main.scrollWidth - main.clientWidth,
      table: wrap.scrollWidth - wrap.clientWidth
    }
  })

describe('runs table in Chromium', () => {
  it('shows hyperparameters and a sparkline of validation accuracy, and fits 1280 px with long names and tags', async () => {
    const { page, problems } = await openPage(browser, served)
    await page.getByTestId('runs-table').waitFor()
    expect(await headers(page)).toEqual([
      '#',
      'Name',
      'Status',
      'Model',
      'Params',
      'LR',
      'Batch',
      'Epochs',
      'Val acc curve',
      'Best val acc',
      'Tags',
      'Created'
    ])
    const big = page.locator(`tr[data-run-id="${ids.big}"]`)
    expect(await big.locator('td.col-lr').textContent()).toBe('3e-4')
    expect(await big.locator('td.col-batch').textContent()).toBe('256')
    expect(await big.getByTestId('sparkline').getAttribute('aria-label')).toBe(
      'validation accuracy over 6 epochs: 80.0% to 90.5%, best 91.0% at epoch 5'
    )
    // The first tag and a count; all of them in the tooltip.
    expect(await big.locator('td.col-tags .tag').allTextContents()).toEqual(['baseline'])
    expect(await big.locator('td.col-tags').textContent()).toContain('+3')
    expect(await big.locator('td.col-tags .tag-list').getAttribute('title')).toBe(
      'baseline, sweep-2026-12, needs-review, long-tag-name'
    )
    expect(await overflow(page)).toEqual({ page: 0, main: 0, table: 0 })
    // One line per row: the long name is cut with an ellipsis (the whole name in its tooltip), not wrapped.
    const heights = await page
      .locator('[data-testid="runs-table"] tbody tr')
      .evaluateAll((rows) => rows.map((r) => r.getBoundingClientRect().height))
    expect(Math.max(...heights)).toBeLessThan(48)
    expect(await big.locator('td.col-name a').getAttribute('title')).toContain('very-long-descriptive-name')
    await shoot(page, 'runs-table-1280x800-light')
    expect(problems).toEqual([])
  })

  it('chooses columns, sorts, filters and groups, and keeps all of it in the address across reload and Back', async () => {
    const { page, problems } = await openPage(browser, served)
    await page.getByTestId('runs-table').waitFor()
    await page.locator('summary', { hasText: 'Columns' }).click()
    const menu = page.getByTestId('column-menu')
    await menu.getByLabel('Units of each recurrent layer').check()
    await menu.getByLabel('Dropout').check()
    await menu.getByLabel('Tags').uncheck()
    await shoot(page, 'runs-columns-menu-1280x800-light')
    await page.keyboard.press('Escape')
    await expect.poll(() => menu.count()).toBe(0)
    expect(await page.evaluate(() => document.activeElement?.textContent)).toContain('Columns')
    expect(await headers(page)).toEqual(expect.arrayContaining(['Units', 'Dropout']) as unknown as string[])
    expect(await headers(page)).not.toContain('Tags')
    expect(await page.locator(`tr[data-run-id="${ids.s1}"] td.col-units`).textContent()).toBe('50·50')

    // Sort by learning rate, largest first.
    await page.getByRole('button', { name: 'LR', exact: true }).click()
    expect((await rowIds(page))[0]).toBe(ids.fast)
    await page.getByLabel('Filter runs').fill('lr <= 0.001')
    await expect.poll(() => rowIds(page)).toEqual([ids.s3, ids.s2, ids.s1, ids.big])
    await expect.poll(() => page.evaluate(() => location.hash)).toContain('filter=lr')
    const address = await page.evaluate(() => location.hash)
    expect(address).toMatch(/sort=-lr/)
    expect(address).toMatch(/cols=[^&]*units/)

    // Reload: the same table.
    await page.reload()
    await page.getByTestId('runs-table').waitFor()
    expect(await page.getByLabel('Filter runs').inputValue()).toBe('lr <= 0.001')
    await expect.poll(() => rowIds(page)).toEqual([ids.s3, ids.s2, ids.s1, ids.big])
    expect(await headers(page)).toContain('Units')
    expect(await page.locator('th[aria-sort="descending"]').textContent()).toContain('LR')

    // Group by config: the three seeds make one group with mean ± std.
    await page.getByTestId('group-by').selectOption('config')
    const group = page.locator('tr.group-row').first()
    await expect.poll(() => group.locator('td.col-name').textContent()).toContain('3 runs')
    expect(await group.locator('td.col-valAccuracy').textContent()).toBe('97.00%± 1.00')
    expect(await group.locator('td.col-model').textContent()).toBe('Bi-LSTM')
    expect(await group.getByTestId('sparkline').getAttribute('aria-label')).toBe(
      'mean validation accuracy over 3 epochs: 91.0% to 97.0%, best 97.0% at epoch 3'
    )
    await shoot(page, 'runs-grouped-1280x800-light')
    await group.getByRole('button', { expanded: true }).click()
    await expect.poll(() => rowIds(page)).toEqual([ids.big])
    await group.getByRole('button', { expanded: false }).click()
    await expect.poll(() => rowIds(page)).toHaveLength(4)
    // The group's checkbox selects its runs, ready to compare.
    await page.getByLabel(/Select the 3 runs of/).check()
    await expect.poll(() => page.getByRole('toolbar', { name: 'Selected runs' }).textContent()).toContain('3 selected')
    // With columns added the table may scroll inside its own panel; the page never does.
    expect(await overflow(page)).toMatchObject({ page: 0, main: 0 })

    // Open a run and come Back: the grouped, filtered table is still there.
    await page.getByRole('link', { name: 'tutorial seed 2' }).click()
    await page.getByRole('heading', { level: 1, name: /tutorial seed 2/ }).waitFor()
    await page.goBack()
    await page.locator('tr.group-row').first().waitFor()
    expect(await page.getByLabel('Filter runs').inputValue()).toBe('lr <= 0.001')
    expect(await page.getByTestId('group-by').inputValue()).toBe('config')

    // A shared link opens the same table in another window.
    const shared = await openPage(browser, served, { hash: address })
    await shared.page.getByTestId('runs-table').waitFor()
    await expect.poll(() => rowIds(shared.page)).toEqual([ids.s3, ids.s2, ids.s1, ids.big])
    expect([...problems, ...shared.problems]).toEqual([])
  })

  it('looks right at both sizes in both themes, grouped', async () => {
    for (const look of looks) {
      const { page, problems } = await openPage(browser, served, {
        ...look,
        hash: '#/runs?group=config&sort=-valAccuracy'
      })
      await page.locator('tr.group-row').first().waitFor()
      await shoot(page, `runs-table-grouped-${look.width}x${look.height}-${look.colorScheme}`)
      expect(await overflow(page)).toEqual({ page: 0, main: 0, table: 0 })
      expect(problems).toEqual([])
      await page.context().close()
    }
  })

  // Last: it adds a running run to the table the tests above count.
  it('shows the Duration column a link names, counting up while a run trains', async () => {
    const store = new RunStore(db)
    const running = store.createRun({
      name: 'still training',
      config: { ...tutorialConfig, name: 'still training' },
      dataset: 'mnist-sample',
      seed: 9,
      paramCount: 93_010,
      cell: 'lstm',
      direction: 'bidirectional',
      layerCount: 5,
      epochsPlanned: 50
    })
    // Trained on another machine sharing the database: it stays running here.
    store.markStarted(running, { engineVersion: 'test', threads: 2, cpu: 'test', pid: 1, host: 'another-host' })
    store.close()
    const { page, problems } = await openPage(browser, served, { hash: '#/runs?cols=id,name,status,duration' })
    await page.getByTestId('runs-table').waitFor()
    expect(await headers(page)).toEqual(['#', 'Name', 'Status', 'Duration'])
    const cell = page.locator(`tr[data-run-id="${running}"] td.col-duration`)
    await cell.waitFor()
    const seconds = async () => {
      const text = (await cell.textContent()) ?? ''
      const m = /^(?:(\d+) min )?(\d+(?:\.\d)?) s$/.exec(text.trim())
      if (!m) throw new Error(`duration cell reads "${text}"`)
      return Number(m[1] ?? 0) * 60 + Number(m[2])
    }
    const first = await seconds()
    await expect.poll(seconds, { timeout: 30_000 }).toBeGreaterThan(first)
    // A finished run's duration is the stored one.
    expect(await page.locator(`tr[data-run-id="${ids.s1}"] td.col-duration`).textContent()).toMatch(/ s$/)
    // Chosen from the column menu, the same column and the same address.
    const { page: other } = await openPage(browser, served, { hash: '#/runs?cols=id,name,status' })
    await other.getByTestId('runs-table').waitFor()
    await other.locator('summary', { hasText: 'Columns' }).click()
    await other.getByTestId('column-menu').getByLabel('Duration').check()
    await expect.poll(() => headers(other)).toEqual(['#', 'Name', 'Status', 'Duration'])
    expect(await other.evaluate(() => location.hash)).toBe('#/runs?cols=id%2Cname%2Cstatus%2Cduration')
    await shoot(page, 'runs-duration-running-1280x800-light')
    expect(problems).toEqual([])
  })
})
