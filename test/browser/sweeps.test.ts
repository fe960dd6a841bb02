// The Sweeps pages in Chromium, with real sweeps started from the page on `rnnlab serve` (tiny GRU trials on
// mnist-sample): the new-sweep editor's checks name the key at fault; the list and the sweep page follow the trials
// live; the parallel-coordinates plot draws; the per-parameter summary and the trials' objectives are what the
// database holds; picked trials open in the compare view; a trial is stopped, a running sweep cancelled, an
// interrupted one resumed.
/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hostname } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import type { Browser, Page } from 'playwright-core'
import { percent } from '../../common/format'
import { expandSweep, normalizeSweepConfig } from '../../common/sweep'
import { RunStore } from '../../main/runs/store'
import { SweepStore } from '../../main/sweeps/store'
import seedMatrix from '../../examples/sweeps/seed-matrix.json'
import { launchBrowser, serve, type Served } from '../helpers/browser'
import { tempDir } from '../helpers/tmp'
import { axeFindings, inkedPixels, openPage, shoot } from './page'

let browser: Browser
let dir: ReturnType<typeof tempDir>
let served: Served
let db: string
/** Waits sized for a loaded, shared machine (a poll's own default is 1 s). */
const slow = { timeout: 30_000 }

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

/** Four tiny trials: optimizer (a category) × batch size, GRU 8 units on 600 digits. */
function tinySweep(name: string, epochs: number, batchSizes = [32, 64]) {
  return {
    name,
    base: {
      dataset: { source: 'mnist-sample', limit: 600 },
      model: {
        layers: [
          { type: 'gru', units: 8 },
          { type: 'dense', units: 10, activation: 'softmax' }
        ]
      },
      training: { optimizer: { type: 'adam', learningRate: 0.01 }, batchSize: 32, epochs, seed: 7 }
    },
    method: 'grid',
    parameters: { 'training.optimizer.type': ['adam', 'rmsprop'], 'training.batchSize': batchSizes },
    objective: 'val_accuracy'
  }
}

/** Types a sweep config into the new-sweep page and starts it; resolves with the new sweep's id (from the address). */
async function startFromPage(page: Page, config: unknown, parallel: number): Promise<number> {
  await page.goto(`${served.url}#/sweeps/new`)
  await page.getByTestId('sweep-json').fill(JSON.stringify(config, null, 2))
  await page.getByTestId('sweep-parallel').fill(String(parallel))
  await page.getByTestId('start-sweep').click()
  await page.waitForFunction(() => /^#\/sweeps\/\d+$/.test(location.hash), undefined, { timeout: 30_000 })
  return Number(await page.evaluate(() => location.hash.split('/').pop()))
}

interface DbTrial {
  trial: number
  runId: number
  params: Record<string, unknown>
  best: number | null
  outcome: string | null
}
/** A sweep's trials as the database holds them, with each run's best validation accuracy. */
function readTrials(sweepId: number): DbTrial[] {
  const conn = new Database(db, { readonly: true })
  try {
    const rows = conn
      .prepare(
        `SELECT t.trial, t.run_id AS runId, t.params_json AS params, t.outcome,
                (SELECT MAX(val_accuracy) FROM epoch_metrics e WHERE e.run_id = t.run_id) AS best
         FROM sweep_trials t WHERE t.sweep_id = ? ORDER BY t.trial`
      )
      .all(sweepId) as { trial: number; runId: number; params: string; outcome: string | null; best: number | null }[]
    return rows.map((r) => ({ ...r, params: JSON.parse(r.params) as Record<string, unknown> }))
  } finally {
    conn.close()
  }
}
function sweepStatus(sweepId: number): string {
  const conn = new Database(db, { readonly: true })
  try {
    return (conn.prepare(`SELECT status FROM sweeps WHERE id = ?`).get(sweepId) as { status: string }).status
  } finally {
    conn.close()
  }
}

const trialStates = (page: Page) =>
  page.getByTestId('sweep-trials').locator('tbody [data-col="state"]').allTextContents()

describe('sweeps pages', () => {
  it('starts a sweep from the page and follows it live: list, trials, plot, per-parameter summary, compare', async () => {
    // The list, open from the start, with no sweep yet: it shows the sweep once started, and its end, without a reload.
    const list = await openPage(browser, served, { hash: '#/sweeps' })
    await list.page.getByRole('heading', { name: 'No sweeps yet' }).waitFor()

    const { page, problems } = await openPage(browser, served, { hash: '#/sweeps' })
    await page.getByTestId('new-sweep-link').click()
    await page.getByRole('heading', { name: 'New sweep' }).waitFor()
    const check = page.getByTestId('sweep-check')
    const start = page.getByTestId('start-sweep')

    // The preset: the seed's matrix, 3 cells × 9 stacks.
    await page.getByTestId('sweep-preset').click()
    expect(await page.getByTestId('sweep-json').inputValue()).toContain('"name": "seed-matrix"')
    await expect
      .poll(() => check.textContent(), slow)
      .toMatch(/^27 trials: grid over \$cell \(3\) × model\.layers \(9\)/)
    expect(await start.textContent()).toContain('Start 27 trials')

    // The builder's experiment as the base (empty in a new window: the check says what it lacks), its rate swept.
    await page.getByTestId('sweep-from-builder').click()
    expect(await page.getByTestId('sweep-json').inputValue()).toContain('"training.optimizer.learningRate": [')
    await expect.poll(() => check.locator('code').textContent(), slow).toBe('base.model.layers')
    expect(await check.textContent()).toMatch(/the model needs at least one layer/)

    // Errors name the key: a misspelt sweep key, a parameter path into a key the run config does not have, bad JSON.
    const json = page.getByTestId('sweep-json')
    await json.fill(JSON.stringify({ ...tinySweep('bad', 3), methd: 'grid' }))
    await expect.poll(() => check.textContent(), slow).toMatch(/methd.*did you mean "method"/)
    expect(await check.locator('code').textContent()).toBe('methd')
    expect(await start.isDisabled()).toBe(true)
    const badPath = tinySweep('bad', 3) as { parameters: Record<string, unknown> }
    badPath.parameters = { 'training.optimizr.type': ['adam', 'rmsprop'] }
    await json.fill(JSON.stringify(badPath))
    await expect.poll(() => check.locator('code').textContent(), slow).toBe('parameters["training.optimizr.type"]')
    expect(await check.textContent()).toMatch(/optimizr/)
    await json.fill('{ "name": "x",\n  "base": }')
    await expect
      .poll(() => check.textContent(), slow)
      .toMatch(/^experiment-sweep\.json: not valid JSON: line 2 column 11: /)
    expect(await start.isDisabled()).toBe(true)
    await json.fill(JSON.stringify({ ...tinySweep('bad', 3), methd: 'grid' }))
    await expect.poll(() => check.locator('code').count(), slow).toBe(1)
    await shoot(page, 'sweeps-new-error-1280x800-light')
    expect(await axeFindings(page)).toEqual([])

    // A real sweep: 4 trials of 2 epochs, 2 at once.
    const sweepId = await startFromPage(page, tinySweep('tiny-gru', 2), 2)
    const table = page.getByTestId('sweep-trials')
    await expect.poll(() => table.locator('tbody tr').count(), { timeout: 30_000 }).toBe(4)

    // The trials' states as the page shows them, polled until all are done: the table changed without a reload.
    const seen = new Set<string>()
    const deadline = Date.now() + 180_000
    let shotRunning = false
    for (;;) {
      const states = await trialStates(page)
      states.forEach((s) => seen.add(s))
      if (!shotRunning && states.includes('running') && states.includes('done')) {
        shotRunning = true
        await shoot(page, 'sweeps-running-1280x800-light')
      }
      if (states.length === 4 && states.every((s) => s === 'done')) break
      if (Date.now() > deadline) throw new Error(`the sweep did not complete; states seen ${[...seen].join(', ')}`)
      await page.waitForTimeout(100)
    }
    expect([...seen].some((s) => s === 'queued' || s === 'running')).toBe(true)
    await expect.poll(() => page.getByTestId('sweep-status').textContent(), { timeout: 30_000 }).toBe('completed')
    expect(await page.getByTestId('cancel-sweep').count()).toBe(0)

    // What the database says: each trial's objective is its run's best validation accuracy.
    const trials = readTrials(sweepId)
    expect(trials.map((t) => t.outcome)).toEqual(['completed', 'completed', 'completed', 'completed'])
    for (const t of trials) {
      const row = table.locator(`tbody tr[data-trial="${t.trial}"]`)
      expect(await row.locator('[data-col="objective"]').textContent()).toContain(percent(t.best))
      expect(await row.locator('[data-col="epochs"]').textContent()).toBe('2/2')
      expect(await row.getAttribute('data-run-id')).toBe(String(t.runId))
      expect(await row.getByRole('link', { name: `run #${t.runId}` }).getAttribute('href')).toBe(`#/runs/${t.runId}`)
    }
    const best = Math.max(...trials.map((t) => t.best!))
    const bestTrial = trials.find((t) => t.best === best)!
    await expect.poll(() => page.locator('[data-state="best"] .stat-value').textContent(), slow).toBe(percent(best))
    expect(await page.locator('[data-state="completed"] .stat-value').textContent()).toBe('4')
    // Best first, then back in trial order.
    await page.getByTestId('sort-objective').click()
    expect(await table.locator('tbody tr').first().getAttribute('data-trial')).toBe(String(bestTrial.trial))
    await table.getByRole('button', { name: 'Trial' }).click()
    expect(await table.locator('tbody tr').first().getAttribute('data-trial')).toBe('1')

    // The per-parameter summary: for each value, its trials, the mean and the best of their objectives.
    const summary = page.getByTestId('param-summary')
    for (const key of ['training.optimizer.type', 'training.batchSize']) {
      const groups = new Map<string, number[]>()
      for (const t of trials) groups.set(String(t.params[key]), [...(groups.get(String(t.params[key])) ?? []), t.best!])
      expect(groups.size).toBe(2)
      for (const [value, bests] of groups) {
        const row = summary.locator(`table[data-param="${key}"] tbody tr[data-value="${value}"]`)
        expect(await row.locator('[data-col="trials"]').textContent()).toBe(String(bests.length))
        const mean = bests.reduce((a, b) => a + b, 0) / bests.length
        expect(await row.locator('[data-col="mean"]').textContent()).toBe(percent(mean))
        expect(await row.locator('[data-col="best"]').textContent()).toMatch(
          new RegExp(`^${percent(Math.max(...bests)).replace('.', '\\.')} trial \\d$`)
        )
      }
    }

    // The parallel-coordinates plot: four lines over the two parameters and the objective, drawn.
    const pcp = page.getByTestId('sweep-pcp').locator('canvas')
    await expect.poll(() => pcp.getAttribute('data-lines'), slow).toBe('4')
    expect(await pcp.getAttribute('data-axes')).toBe('training.optimizer.type|training.batchSize|val_accuracy')
    await expect.poll(() => inkedPixels(page, 0), slow).toBeGreaterThan(2000)
    // The curves: the best trial's against the three others, each of its 2 epochs.
    const curves = await page.evaluate(() =>
      (
        document.querySelectorAll('.metric-chart canvas')[1] as HTMLCanvasElement & {
          series: { label: string; points: unknown[]; faint?: boolean }[]
        }
      ).series.map((s) => ({ label: s.label, points: s.points.length, faint: !!s.faint }))
    )
    expect(curves).toEqual([
      ...trials.filter((t) => t !== bestTrial).map(() => ({ label: 'other trials', points: 2, faint: true })),
      { label: `trial ${bestTrial.trial} (best)`, points: 2, faint: false }
    ])
    expect(await inkedPixels(page, 1)).toBeGreaterThan(1000)

    // The list followed too: completed, 4 done, the best so far.
    const listRow = list.page.locator(`tr[data-sweep-id="${sweepId}"]`)
    await expect.poll(() => listRow.locator('.status').textContent(), { timeout: 30_000 }).toBe('completed')
    expect(await listRow.locator('[data-col="completed"]').textContent()).toBe('4')
    expect(await listRow.locator('[data-col="queued"]').textContent()).toBe('0')
    expect(await listRow.locator('[data-col="best"]').textContent()).toContain(percent(best))
    expect(await listRow.getByRole('link', { name: /tiny-gru/ }).getAttribute('href')).toBe(`#/sweeps/${sweepId}`)
    await shoot(list.page, 'sweeps-list-1280x800-light')
    expect(await axeFindings(list.page)).toEqual([])

    await shoot(page, 'sweeps-sweep-1280x800-light')
    await page.evaluate(() => document.querySelector('.app-main')!.scrollTo(0, 1e6))
    await shoot(page, 'sweeps-sweep-end-1280x800-light')
    expect(await axeFindings(page)).toEqual([])
    const dark = await openPage(browser, served, {
      hash: `#/sweeps/${sweepId}`,
      width: 1920,
      height: 1080,
      colorScheme: 'dark'
    })
    await expect
      .poll(() => dark.page.getByTestId('sweep-pcp').locator('canvas').getAttribute('data-lines'), slow)
      .toBe('4')
    await dark.page.waitForTimeout(300) // the plot redraws at most every 200 ms
    await shoot(dark.page, 'sweeps-sweep-1920x1080-dark')
    await dark.page.evaluate(() => document.querySelector('.app-main')!.scrollTo(0, 1e6))
    await shoot(dark.page, 'sweeps-sweep-end-1920x1080-dark')
    expect(await axeFindings(dark.page)).toEqual([])
    await dark.page.evaluate(() => (location.hash = '#/sweeps'))
    await dark.page.locator(`tr[data-sweep-id="${sweepId}"]`).waitFor()
    await shoot(dark.page, 'sweeps-list-1920x1080-dark')
    expect(dark.problems).toEqual([])
    await dark.page.context().close()

    // Pick two trials, Compare: the compare view with their runs.
    const picks = [trials[0], trials[3]]
    for (const t of picks) await page.getByRole('checkbox', { name: `Pick trial ${t.trial}` }).check()
    // Picked, they are drawn in colour in the plot and the curves.
    await expect
      .poll(
        async () =>
          (
            await page.evaluate(() =>
              (
                document.querySelectorAll('.metric-chart canvas')[1] as HTMLCanvasElement & {
                  series: { label: string }[]
                }
              ).series.map((s) => s.label)
            )
          ).filter((l) => l.startsWith('trial ')).length,
        slow
      )
      .toBe(picks.includes(bestTrial) ? 2 : 3)
    await page.evaluate(() => document.querySelector('.app-main')!.scrollTo(0, 0))
    await page.waitForTimeout(300) // the plot redraws at most every 200 ms
    await shoot(page, 'sweeps-picked-1280x800-light')
    await page.getByTestId('compare-trials').click()
    await page.waitForFunction(() => location.hash.startsWith('#/compare'))
    expect(await page.evaluate(() => location.hash)).toBe(`#/compare?ids=${picks.map((t) => t.runId).join(',')}`)
    const figures = page.getByTestId('compare-figures')
    for (const t of picks) await figures.getByRole('link', { name: new RegExp(`^#${t.runId} `) }).waitFor()

    expect(problems).toEqual([])
    expect(list.problems).toEqual([])
    await page.context().close()
    await list.page.context().close()
  }, 300_000)

  it('stops a trial and cancels a running sweep from its page; an interrupted sweep resumes from its page', async () => {
    const { page, problems } = await openPage(browser, served, { hash: '#/sweeps' })
    // Epochs enough that no trial ends before the cancel lands, on however quick a machine.
    const sweepId = await startFromPage(page, tinySweep('to-cancel', 100_000, [32]), 1)
    await expect.poll(() => trialStates(page), { timeout: 60_000 }).toEqual(['running', 'queued'])
    // One trial stopped: the sweep goes on with the next.
    await page.getByRole('button', { name: 'Stop trial 1' }).click()
    await expect.poll(() => trialStates(page), { timeout: 60_000 }).toEqual(['cancelled', 'running'])
    expect(await page.getByTestId('sweep-status').textContent()).toBe('running')
    await page.getByTestId('cancel-sweep').click()
    const dialog = page.getByRole('alertdialog')
    await dialog.getByRole('button', { name: 'Cancel the sweep' }).click()
    await expect.poll(() => page.getByTestId('sweep-status').textContent(), { timeout: 30_000 }).toBe('cancelled')
    await expect.poll(() => trialStates(page), { timeout: 30_000 }).toEqual(['cancelled', 'cancelled'])
    expect(readTrials(sweepId).map((t) => t.outcome)).toEqual(['cancelled', 'cancelled'])
    expect(await page.getByTestId('cancel-sweep').count()).toBe(0)
    expect(await page.getByTestId('resume-sweep').count()).toBe(0)

    // A sweep whose process stopped (the server quits mid-trial) is interrupted; its page resumes it.
    const second = await startFromPage(page, tinySweep('to-resume', 100_000, [32]), 1)
    await expect.poll(() => trialStates(page), { timeout: 60_000 }).toEqual(['running', 'queued'])
    await page.context().close()
    await served.stop()
    expect(sweepStatus(second)).toBe('interrupted')
    served = await serve(db, dir.path)
    const again = await openPage(browser, served, { hash: `#/sweeps/${second}` })
    await expect
      .poll(() => again.page.getByTestId('sweep-status').textContent(), { timeout: 30_000 })
      .toBe('interrupted')
    expect(await trialStates(again.page)).toEqual(['interrupted', 'queued'])
    await again.page.getByTestId('resume-sweep').click()
    await expect.poll(() => trialStates(again.page), { timeout: 60_000 }).toEqual(['running', 'queued'])
    expect(await again.page.getByTestId('sweep-status').textContent()).toBe('running')
    expect(sweepStatus(second)).toBe('running')
    // Cancelled again, so that nothing trains after the test.
    await again.page.getByTestId('cancel-sweep').click()
    await again.page.getByRole('alertdialog').getByRole('button', { name: 'Cancel the sweep' }).click()
    await expect.poll(() => again.page.getByTestId('sweep-status').textContent(), { timeout: 30_000 }).toBe('cancelled')
    expect(problems).toEqual([])
    expect(again.problems).toEqual([])
    await again.page.context().close()
  }, 300_000)

  it("shows the seed matrix's 27 trials: stacks by name, pruned and running trials, the summary per cell and stack", async () => {
    // A database holding the preset mid-way, written as the sweep runner writes it (no training: the layout is tested).
    const home = tempDir()
    const file = join(home.path, 'rnnlab.db')
    const runs = new RunStore(file)
    const sweeps = new SweepStore(runs)
    const sweep = normalizeSweepConfig(seedMatrix, 'seed-matrix.json')
    const plans = expandSweep(sweep)
    const id = sweeps.create(sweep, plans, null)
    sweeps.claim(id, { pid: process.pid, host: hostname(), parallel: 2, threadsPerTrial: 1 }, () => true)
    const accuracy = (t: number, e: number) => 0.5 + 0.01 * (t % 9) + 0.05 * e
    for (const [i, t] of sweeps.trials(id).entries()) {
      if (i >= 22) break // the last five are queued
      const epochs = i < 20 ? (i % 4 === 3 ? 2 : 5) : 1 // every fourth pruned at epoch 2; two running at epoch 1
      runs.markStarted(t.runId, { engineVersion: 'test', threads: 1, cpu: 'test', pid: process.pid, host: hostname() })
      for (let e = 1; e <= epochs; e++) {
        const v = accuracy(i, e)
        const m = { epoch: e, loss: 1 - v, accuracy: v, valLoss: 1.1 - v, valAccuracy: v, learningRate: 0.001 }
        runs.recordEpochResult(t.runId, { ...m, seconds: 1, samplesPerSecond: 1000 }, [], [])
      }
      if (i >= 20) continue
      const pruned = epochs === 2
      runs.finishRun(t.runId, 'completed', null, pruned ? 'pruned by the median rule at epoch 2' : null)
      sweeps.setOutcome(id, t.trial, pruned ? 'pruned' : 'completed')
    }
    const expected = sweeps.get(id)
    runs.close()
    const server = await serve(file, home.path)
    try {
      const { page, problems } = await openPage(browser, server, {
        hash: `#/sweeps/${id}`,
        width: 1920,
        height: 1080,
        colorScheme: 'dark'
      })
      const table = page.getByTestId('sweep-trials')
      await expect.poll(() => table.locator('tbody tr').count(), slow).toBe(27)
      const states = await trialStates(page)
      expect(states.filter((s) => s === 'done')).toHaveLength(15)
      expect(states.filter((s) => s === 'pruned')).toHaveLength(5)
      expect(states.filter((s) => s === 'running')).toHaveLength(2)
      expect(states.filter((s) => s === 'queued')).toHaveLength(5)
      expect(await page.locator('[data-state="pruned"] .stat-value').textContent()).toBe('5')
      expect(await page.locator('[data-state="best"] .stat-value').textContent()).toBe(percent(expected.best!.value))
      // Trial 4 (pruned): its stack by name, its reason on hover.
      const fourth = table.locator('tbody tr[data-trial="4"]')
      expect(await fourth.textContent()).toContain(String(expected.trialList[3].params['model.layers']))
      expect(await fourth.locator('[data-col="state"]').getAttribute('title')).toMatch(/^pruned by the median rule/)

      // The summary: per cell and per stack, the trials that take each value and the mean and best of those scored.
      for (const key of ['$cell', 'model.layers']) {
        const values = [...new Set(expected.trialList.map((t) => String(t.params[key])))]
        expect(await page.locator(`table[data-param="${key}"] tbody tr`).count()).toBe(values.length)
        for (const value of values) {
          const with_ = expected.trialList.filter((t) => String(t.params[key]) === value)
          const scored = with_.filter((t) => t.objective !== null).map((t) => t.objective!)
          const row = page.locator(`table[data-param="${key}"] tbody tr[data-value="${value}"]`)
          const trialsText =
            scored.length === with_.length ? String(with_.length) : `${with_.length} (${scored.length} scored)`
          expect(await row.locator('[data-col="trials"]').textContent()).toBe(trialsText)
          expect(await row.locator('[data-col="mean"]').textContent()).toBe(
            scored.length ? percent(scored.reduce((a, b) => a + b, 0) / scored.length) : '—'
          )
        }
      }
      const pcp = page.getByTestId('sweep-pcp').locator('canvas')
      await expect.poll(() => pcp.getAttribute('data-lines'), slow).toBe('22')
      await page.waitForTimeout(300) // the plot redraws at most every 200 ms
      expect(await inkedPixels(page, 0)).toBeGreaterThan(5000)
      await shoot(page, 'sweeps-seed-matrix-1920x1080-dark')
      await page.evaluate(() => document.querySelector('.app-main')!.scrollTo(0, 1e6))
      await shoot(page, 'sweeps-seed-matrix-end-1920x1080-dark')
      expect(await axeFindings(page)).toEqual([])
      expect(problems).toEqual([])
      await page.context().close()
    } finally {
      await server.stop()
      home.remove()
    }
  }, 120_000)
})
