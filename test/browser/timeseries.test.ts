// Time series in the UI, in Chromium: the builder's time-series source with its preview (windows, a plot of the first
// target column with the validation part shaded) and the head checked against the target columns; a trained
// forecasting run's page and the runs table showing MAE instead of accuracy; compare offering MAE panels.
/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { copyFileSync, writeFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { appRoot, launchBrowser, serve, type Served } from '../helpers/browser'
import { tempDir } from '../helpers/tmp'
import { axeFindings, openPage, shoot } from './page'

let browser: Browser
let dir: ReturnType<typeof tempDir>
let served: Served
let csv: string
const runs: number[] = []

beforeAll(async () => {
  dir = tempDir()
  csv = join(dir.path, 'births.csv')
  copyFileSync(join(appRoot, 'examples', 'data', 'us-births-1994-2003.csv'), csv)
  const db = join(dir.path, 'rnnlab.db')
  for (const [name, units] of [
    ['births-gru-16', 16],
    ['births-gru-8', 8]
  ] as const) {
    const config = {
      name,
      dataset: {
        source: 'timeseries',
        train: csv,
        validationSplit: 0.2,
        sequenceLength: 14,
        featureColumns: ['births', 'day_of_week'],
        targetColumns: ['births']
      },
      model: {
        layers: [
          { type: 'gru', units },
          { type: 'dense', units: 1 }
        ]
      },
      training: { loss: 'mae', optimizer: { type: 'adam', learningRate: 0.005 }, epochs: 3, seed: 1 }
    }
    const file = join(dir.path, `${name}.json`)
    writeFileSync(file, JSON.stringify(config))
    const out = spawnSync(process.execPath, [join(appRoot, 'bin', 'rnnlab.js'), 'train', file, '--db', db], {
      cwd: appRoot,
      env: { ...process.env, RNNLAB_HOME: dir.path },
      encoding: 'utf8'
    })
    if (out.status !== 0) throw new Error(out.stderr)
    runs.push(Number(out.stdout.trim().split('\n').pop()))
  }
  browser = await launchBrowser()
  served = await serve(db, dir.path)
}, 300_000)
afterAll(async () => {
  await served?.stop()
  await browser?.close()
  dir?.remove()
})

const slow = { timeout: 120_000 }

describe('time series', () => {
  it(
    'the builder previews the windows and plots the first target column; the head is checked against the targets',
    slow,
    async () => {
      for (const colorScheme of ['light', 'dark'] as const) {
        const { page, problems } = await openPage(browser, served, { hash: '#/new', colorScheme })
        await page.getByLabel('Dataset source').selectOption('timeseries')
        await page.getByLabel('Time series CSV file').fill(csv)
        await page.getByLabel('Time series CSV file').press('Tab')
        await page.getByLabel('Target columns').fill('births')
        await page.getByLabel('Target columns').press('Tab')
        await page.getByLabel('Feature columns').fill('births, day_of_week')
        await page.getByLabel('Feature columns').press('Tab')
        await page.getByRole('button', { name: 'Preview' }).click()
        const preview = page.getByTestId('dataset-preview')
        await preview.waitFor()
        // 3,652 days: the first 2,922 train (2,908 windows of 14 with the next day's target), the last 730 validate (716)
        await expect.poll(() => preview.textContent()).toContain('2,908 training samples')
        expect(await preview.textContent()).toContain('716 validation')
        expect(await preview.textContent()).toContain('forecasting births 1 step ahead')
        const plot = page.getByTestId('series-preview')
        expect(await plot.locator('svg').getAttribute('aria-label')).toBe(
          'births over 3652 rows; validation from row 2923'
        )
        expect((await plot.locator('path').getAttribute('d'))!.split('L').length).toBeGreaterThan(1000)
        // A recurrent layer and a dense head of the default width: the head is checked against the one target column
        await page.getByRole('button', { name: '+ Recurrent layer' }).click()
        await page.getByRole('button', { name: '+ Dense' }).click()
        const head = page.locator('.layer-row[data-layer="1"]')
        await expect
          .poll(() => head.locator('.layer-row-problems').textContent())
          .toContain('The data has 1 target column to forecast, but this head gives')
        await head.getByRole('button', { name: 'Set units to 1' }).click()
        // Picking a time series picked the mae loss; the default softmax head is then refused until it is linear
        expect(await page.getByLabel('Loss', { exact: true }).inputValue()).toBe('mae')
        await expect
          .poll(() => page.locator('body').textContent())
          .toContain('mae forecasts numbers, but a softmax head gives class probabilities: use activation linear')
        await page.getByLabel('Layer 2 activation').selectOption('linear')
        await expect.poll(() => page.locator('.layer-row-bad').count()).toBe(0)
        await preview.scrollIntoViewIfNeeded()
        await shoot(page, `timeseries-builder-preview-1280x800-${colorScheme}`)
        expect(await axeFindings(page, '.dataset-panel')).toEqual([])
        expect(problems).toEqual([])
        await page.context().close()
      }
    }
  )

  it(
    'a forecasting run shows MAE (stats, chart, epoch table) and no accuracy; the runs table says MAE',
    slow,
    async () => {
      for (const colorScheme of ['light', 'dark'] as const) {
        const { page, problems } = await openPage(browser, served, { hash: `#/runs/${runs[0]}`, colorScheme })
        const stats = page.getByTestId('run-stats')
        await stats.waitFor()
        expect(await stats.textContent()).toContain('Best val MAE')
        expect(await stats.textContent()).not.toContain('accuracy')
        expect(await page.locator('.metric-chart').allTextContents()).toContainEqual(
          expect.stringContaining('Mean absolute error')
        )
        const table = page.getByTestId('epoch-table')
        expect(await table.locator('thead').textContent()).toContain('Val MAE')
        expect(await table.locator('.best-mark').count()).toBe(1)
        // Try it: the last validation window, its forecast after it, and the MAE against the last-value baseline
        const forecast = page.getByTestId('forecast')
        await expect
          .poll(() => forecast.getByTestId('forecast-figures').textContent(), { timeout: 60_000 })
          .toMatch(/Validation MAE [\d,.]+ births \(last-value baseline [\d,.]+\) over 716 windows/)
        const last = await forecast.getByTestId('forecast-window').textContent()
        expect(last).toMatch(/^row 3638: forecast [\d,.]+, actual 12,374, last value 14,438$/)
        await forecast.getByRole('button', { name: '‹ Earlier' }).click()
        await expect.poll(() => forecast.getByTestId('forecast-window').textContent()).toMatch(/^row 3637: /)
        await forecast.scrollIntoViewIfNeeded()
        await shoot(page, `timeseries-forecast-1280x800-${colorScheme}`)
        expect(await axeFindings(page, '[data-testid="forecast"]')).toEqual([])
        expect(await axeFindings(page, '[data-testid="run-stats"]')).toEqual([])
        await shoot(page, `timeseries-run-1280x800-${colorScheme}`, true)
        expect(problems).toEqual([])
        await page.context().close()
      }
      const { page, problems } = await openPage(browser, served, { hash: '#/runs' })
      const row = page.locator('tr', { hasText: 'births-gru-16' })
      await expect.poll(() => row.textContent()).toMatch(/MAE 0\.\d+/)
      await shoot(page, 'timeseries-runs-table-1280x800-light')
      expect(problems).toEqual([])
      await page.context().close()
    }
  )

  it('compare offers MAE panels instead of accuracy for forecasting runs', slow, async () => {
    const { page, problems } = await openPage(browser, served, { hash: `#/compare?ids=${runs.join(',')}` })
    await page.getByTestId('compare-chart').waitFor()
    await page.getByTestId('compare-panel-val_mae').waitFor()
    expect(await page.getByTestId('compare-panel-val_accuracy').count()).toBe(0)
    expect(await page.locator('body').textContent()).toContain('Val MAE (best @epoch / last)')
    await shoot(page, 'timeseries-compare-1280x800-light', true)
    expect(problems).toEqual([])
    await page.context().close()
  })
})
