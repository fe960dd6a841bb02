// Sweeps from the New experiment builder, in Chromium on `rnnlab serve`: two fields marked "sweep over" with their
// values, Create sweep opens the New sweep page with the experiment as the base and those parameters, and the sweep
// runs to the end with one trial per combination; then Add trials on the sweep's page adds the new grid points only,
// and the finished sweep runs again.
/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import type { Browser } from 'playwright-core'
import { launchBrowser, serve, type Served } from '../helpers/browser'
import { tempDir } from '../helpers/tmp'
import { axeFindings, openPage, shoot } from './page'

let browser: Browser
let dir: ReturnType<typeof tempDir>
let served: Served
let db: string
const slow = { timeout: 180_000 }

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

function trials(sweepId: number): { trial: number; params: Record<string, unknown>; outcome: string | null }[] {
  const conn = new Database(db, { readonly: true })
  try {
    return (
      conn
        .prepare(`SELECT trial, params_json AS params, outcome FROM sweep_trials WHERE sweep_id = ? ORDER BY trial`)
        .all(sweepId) as { trial: number; params: string; outcome: string | null }[]
    ).map((r) => ({ ...r, params: JSON.parse(r.params) as Record<string, unknown> }))
  } finally {
    conn.close()
  }
}

const experiment = {
  name: 'marks',
  dataset: { source: 'mnist-sample', limit: 300 },
  model: {
    layers: [
      { type: 'gru', units: 6 },
      { type: 'dense', units: 10, activation: 'softmax' }
    ]
  },
  training: { optimizer: { type: 'adam', learningRate: 0.01 }, batchSize: 32, epochs: 1, seed: 4 }
}

describe('sweep over marks in the builder', () => {
  it(
    'marks two fields, creates the sweep, runs it; Add trials adds the new points and runs them',
    { timeout: 600_000 },
    async () => {
      const { page, problems } = await openPage(browser, served, { hash: '#/new' })
      await page.getByLabel('Load a config JSON file').setInputFiles({
        name: 'marks.json',
        mimeType: 'application/json',
        buffer: Buffer.from(JSON.stringify(experiment))
      })
      await expect.poll(() => page.getByLabel('Layer 1 units', { exact: true }).inputValue()).toBe('6')
      expect(await page.getByTestId('create-sweep').count()).toBe(0)

      const units = page.getByRole('button', { name: 'Sweep over layer 1 units' })
      await units.click()
      expect(await units.getAttribute('aria-pressed')).toBe('true')
      await page.getByLabel('Values of layer 1 units to sweep over').fill('4, 8')
      await page.getByRole('button', { name: 'Sweep over learning rate' }).click()
      await page.getByLabel('Values of learning rate to sweep over').fill('0.01, 0.003')
      await expect.poll(() => page.getByTestId('create-sweep').textContent()).toContain('Create sweep (4 trials)')
      expect(await axeFindings(page)).toEqual([])
      await page.getByRole('heading', { name: 'Training' }).scrollIntoViewIfNeeded()
      await shoot(page, 'sweep-marks-builder')
      await page.getByTestId('create-sweep').click()

      // The New sweep page, prefilled: the builder's experiment as the base, the two marked fields as parameters.
      await page.waitForFunction(() => location.hash === '#/sweeps/new')
      const text = await page.getByTestId('sweep-json').inputValue()
      const sweep = JSON.parse(text) as { name: string; base: typeof experiment; parameters: Record<string, unknown> }
      expect(sweep.name).toBe('marks sweep')
      expect(sweep.base.model.layers[0]).toMatchObject({ type: 'gru', units: 6 })
      expect(sweep.parameters).toEqual({
        'training.optimizer.learningRate': [0.01, 0.003],
        'model.layers.0.units': [4, 8]
      })
      await page.getByTestId('sweep-parallel').fill('2')
      await page.getByTestId('start-sweep').click()
      await page.waitForFunction(() => /^#\/sweeps\/\d+$/.test(location.hash), undefined, { timeout: 30_000 })
      const id = Number(await page.evaluate(() => location.hash.split('/').pop()))

      const rows = page.getByTestId('sweep-trials').locator('tbody tr')
      await expect.poll(() => page.getByTestId('sweep-status').textContent(), slow).toBe('completed')
      await expect.poll(() => rows.count()).toBe(4)
      expect(trials(id).map((t) => [t.params, t.outcome])).toEqual([
        [{ 'training.optimizer.learningRate': 0.01, 'model.layers.0.units': 4 }, 'completed'],
        [{ 'training.optimizer.learningRate': 0.01, 'model.layers.0.units': 8 }, 'completed'],
        [{ 'training.optimizer.learningRate': 0.003, 'model.layers.0.units': 4 }, 'completed'],
        [{ 'training.optimizer.learningRate': 0.003, 'model.layers.0.units': 8 }, 'completed']
      ])

      // Add trials: one more size (8 again is left out) → 2 new points, and the sweep runs again.
      await page.getByTestId('add-trials').click()
      await page.getByLabel('More values for model.layers.0.units').fill('8, 12')
      await shoot(page, 'sweep-add-trials-form')
      await page.getByTestId('add-trials-submit').click()
      await expect
        .poll(() => page.getByTestId('add-trials-note').textContent(), slow)
        .toBe('Added trials 5–6; the sweep runs again.')
      await expect.poll(() => rows.count(), slow).toBe(6)
      await expect.poll(() => trials(id).filter((t) => t.outcome === 'completed').length, slow).toBe(6)
      await expect.poll(() => page.getByTestId('sweep-status').textContent(), slow).toBe('completed')
      expect(
        trials(id)
          .slice(4)
          .map((t) => t.params)
      ).toEqual([
        { 'training.optimizer.learningRate': 0.01, 'model.layers.0.units': 12 },
        { 'training.optimizer.learningRate': 0.003, 'model.layers.0.units': 12 }
      ])
      await shoot(page, 'sweep-added-trials', true)

      // A trial's run page names its sweep, and links to it.
      await page.getByTestId('sweep-trials').locator('tbody tr[data-trial="5"] a', { hasText: 'run #' }).click()
      await expect
        .poll(() => page.getByTestId('run-sweep').textContent(), slow)
        .toMatch(/^\s*Trial 5 of sweep\s+marks sweep\s+\(6 trials\)\s*$/)
      await page.getByTestId('run-sweep').getByRole('link', { name: 'marks sweep' }).click()
      await page.waitForFunction((sweepId) => location.hash === `#/sweeps/${sweepId}`, id)
      expect(problems).toEqual([])
    }
  )
})
