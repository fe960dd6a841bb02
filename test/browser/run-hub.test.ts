// The run page as the hub: Cancel asks first (a dialog that traps focus and closes on Esc), and cancels a run that
// another process (the CLI) trains, through the database; Resume continues a cancelled run from its last checkpoint,
// in the served process, and the page follows it live to completed with its earlier epochs kept.
/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawn, spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { RunStore } from '../../main/runs/store'
import { appRoot, launchBrowser, serve, type Served } from '../helpers/browser'
import { tutorialConfig } from '../helpers/seed'
import { tempDir } from '../helpers/tmp'
import { axeFindings, openPage, shoot } from './page'

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

/** `rnnlab train` in a process of its own on the served database; resolves with how it exited. */
function trainWithCli(config: { name: string }): Promise<{ code: number | null; signal: string | null }> {
  const file = join(dir.path, `${config.name}.json`)
  writeFileSync(file, JSON.stringify(config))
  const child = spawn(process.execPath, [join(appRoot, 'bin', 'rnnlab.js'), 'train', file, '--db', db], {
    cwd: appRoot,
    env: { ...process.env, RNNLAB_HOME: dir.path },
    stdio: 'ignore'
  })
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
}

// Epochs of about a second on a quiet machine: many, so that the run is still training when the page cancels it.
const epochsPlanned = 20
const config = {
  name: 'cancel-then-resume',
  dataset: { source: 'mnist-sample' },
  model: {
    layers: [
      { type: 'bidirectional', layer: { type: 'lstm', units: 64 } },
      { type: 'dense', units: 10, activation: 'softmax' }
    ]
  },
  training: { epochs: epochsPlanned, batchSize: 32, seed: 5 }
}

describe('run page as the hub', () => {
  it('cancels a CLI training from the page after asking, then resumes it here to completed with its epochs kept', async () => {
    const exited = trainWithCli(config)
    let ended: { code: number | null; signal: string | null } | null = null
    void exited.then((e) => (ended = e))
    const reader = new RunStore(db, { readonly: true })
    try {
      // The run exists once the CLI created it; its page opens while it trains.
      let runId = 0
      await expect
        .poll(() => (runId = reader.listRuns().find((r) => r.name === config.name)?.id ?? 0), { timeout: 60_000 })
        .toBeGreaterThan(0)
      const { page, problems } = await openPage(browser, served, { hash: `#/runs/${runId}` })
      const dark = await openPage(browser, served, { hash: `#/runs/${runId}`, colorScheme: 'dark' })
      const cancel = page.getByTestId('cancel-training')
      // Wait for a finished epoch (so there is a checkpoint to resume from).
      await expect
        .poll(() => page.getByTestId('epoch-table').locator('tbody tr').count(), { timeout: 120_000 })
        .toBeGreaterThanOrEqual(1)
      await cancel.waitFor()

      // Cancel asks first; Esc closes the question and the run trains on, focus back on Cancel.
      await cancel.focus()
      await page.keyboard.press('Enter')
      const dialog = page.getByRole('alertdialog')
      await dialog.waitFor()
      expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Keep training')
      // Tab stays inside the dialog.
      for (let i = 0; i < 3; i++) {
        await page.keyboard.press('Tab')
        expect(await page.evaluate(() => !!document.activeElement?.closest('[role="alertdialog"]'))).toBe(true)
      }
      await page.keyboard.press('Escape')
      await dialog.waitFor({ state: 'detached' })
      expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('cancel-training')
      expect(await page.locator('#run-title .status').textContent()).toBe('running')

      // The question, light and dark.
      await dark.page.getByTestId('cancel-training').click()
      await dark.page.getByRole('alertdialog').waitFor()
      await shoot(dark.page, 'run-cancel-confirm-1280x800-dark')
      expect(await axeFindings(dark.page, '[data-testid="cancel-dialog"]')).toEqual([])
      await dark.page.getByRole('button', { name: 'Keep training' }).click()
      await cancel.click()
      await dialog.waitFor()
      await shoot(page, 'run-cancel-confirm-1280x800-light')
      expect(await axeFindings(page, '[data-testid="cancel-dialog"]')).toEqual([])

      // Confirmed: the CLI process sees the request in the database, stops and exits; the page shows cancelled.
      await page.getByTestId('confirm-cancel').click()
      await expect.poll(() => page.locator('#run-title .status').textContent(), { timeout: 60_000 }).toBe('cancelled')
      const result = await exited
      expect(result.signal).toBeNull()
      expect(result.code).not.toBeNull()
      expect(reader.getRun(runId).status).toBe('cancelled')
      await expect.poll(() => dark.page.locator('#run-title .status').textContent()).toBe('cancelled')
      const kept = reader.getRun(runId).epochs
      expect(kept.length).toBeGreaterThanOrEqual(1)
      expect(kept.length).toBeLessThan(epochsPlanned)

      // Resume from the page: the same run trains on here, the page follows it live, and it completes.
      const resume = page.getByTestId('resume-training')
      await resume.waitFor()
      await shoot(page, 'run-cancelled-resume-1280x800-light')
      await shoot(dark.page, 'run-cancelled-resume-1280x800-dark')
      await resume.click()
      await expect
        .poll(() => page.locator('#run-title .status').textContent(), { timeout: 30_000 })
        .toMatch(/running|queued|completed/)
      // It follows the resumed run live: progress of the epochs after the kept ones.
      await page.getByTestId('training-progress').waitFor({ timeout: 60_000 })
      expect(await page.getByTestId('cancel-training').count()).toBe(1)
      await expect.poll(() => page.locator('#run-title .status').textContent(), { timeout: 480_000 }).toBe('completed')
      await expect.poll(() => page.getByTestId('epoch-table').locator('tbody tr').count()).toBe(epochsPlanned)
      expect(await resume.count()).toBe(0)
      const after = reader.getRun(runId)
      expect(after.status).toBe('completed')
      expect(after.epochs.map((e) => e.epoch)).toEqual(Array.from({ length: epochsPlanned }, (_, i) => i + 1))
      // The epochs finished before the cancel are kept as they were (up to the checkpoint resumed from).
      for (const e of kept) {
        const now = after.epochs.find((x) => x.epoch === e.epoch)!
        expect(now.loss).toBe(e.loss)
        expect(now.valAccuracy).toBe(e.valAccuracy)
      }
      expect(problems).toEqual([])
      expect(dark.problems).toEqual([])
      expect(ended).not.toBeNull()
      await page.context().close()
      await dark.page.context().close()
    } finally {
      reader.close()
    }
  }, 720_000)
})

describe('an interrupted run', () => {
  // Small epochs, many of them: the kill lands mid-run even on a quick machine, and the resumed rest stays short.
  const planned = 40
  const killed = {
    name: 'killed-then-resumed',
    dataset: { source: 'mnist-sample', limit: 1000 },
    model: {
      layers: [
        { type: 'lstm', units: 16 },
        { type: 'dense', units: 10, activation: 'softmax' }
      ]
    },
    training: { epochs: planned, batchSize: 50, seed: 11 }
  }

  it('shows a CLI training killed with SIGKILL as interrupted, live, and resumes it to completed with its epochs kept', async () => {
    const file = join(dir.path, `${killed.name}.json`)
    writeFileSync(file, JSON.stringify(killed))
    const child = spawn(process.execPath, [join(appRoot, 'bin', 'rnnlab.js'), 'train', file, '--db', db], {
      cwd: appRoot,
      env: { ...process.env, RNNLAB_HOME: dir.path },
      stdio: 'ignore'
    })
    const exited = new Promise<string | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)))
    const reader = new RunStore(db, { readonly: true })
    try {
      let runId = 0
      await expect
        .poll(() => (runId = reader.listRuns().find((r) => r.name === killed.name)?.id ?? 0), { timeout: 60_000 })
        .toBeGreaterThan(0)
      const { page, problems } = await openPage(browser, served, { hash: `#/runs/${runId}` })
      await expect.poll(() => page.locator('#run-title .status').textContent(), { timeout: 60_000 }).toBe('running')
      // An epoch stored (and its checkpoint), then the process is killed: it cannot mark the run itself.
      await expect.poll(() => reader.getRun(runId).epochs.length, { timeout: 120_000 }).toBeGreaterThanOrEqual(1)
      child.kill('SIGKILL')
      expect(await exited).toBe('SIGKILL')
      const kept = reader.getRun(runId).epochs
      expect(kept.length, 'the run finished before the kill').toBeLessThan(planned)

      // The open page sees the run end as interrupted, without a reload, and offers Resume.
      await expect.poll(() => page.locator('#run-title .status').textContent(), { timeout: 30_000 }).toBe('interrupted')
      const resume = page.getByTestId('resume-training')
      await resume.waitFor()
      expect(await page.getByTestId('cancel-training').count()).toBe(0)
      await shoot(page, 'run-interrupted-resume-1280x800-light')
      await resume.click()
      await expect.poll(() => page.locator('#run-title .status').textContent(), { timeout: 300_000 }).toBe('completed')
      await expect.poll(() => page.getByTestId('epoch-table').locator('tbody tr').count()).toBe(planned)
      const after = reader.getRun(runId)
      expect(after.status).toBe('completed')
      expect(after.epochs.map((e) => e.epoch)).toEqual(Array.from({ length: planned }, (_, i) => i + 1))
      // The epochs finished before the kill are kept as they were.
      for (const e of kept) {
        const now = after.epochs.find((x) => x.epoch === e.epoch)!
        expect(now.loss).toBe(e.loss)
        expect(now.valAccuracy).toBe(e.valAccuracy)
      }
      expect(problems).toEqual([])
      await page.context().close()
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      reader.close()
    }
  }, 480_000)
})

describe('run page downloads', () => {
  it('downloads the metrics per epoch and per step as CSV, as `rnnlab metrics --csv [--steps]` prints them', async () => {
    const store = new RunStore(db)
    const runId = store.createRun({
      name: 'csv, "quoted"',
      config: { ...tutorialConfig, name: 'csv, "quoted"' },
      dataset: 'mnist-sample',
      seed: 1,
      paramCount: 1000,
      cell: 'lstm',
      direction: 'bidirectional',
      layerCount: 5,
      epochsPlanned: 2
    })
    store.markStarted(runId, { engineVersion: 'test', threads: 2, cpu: 'test', pid: process.pid, host: 'test-host' })
    for (let e = 1; e <= 2; e++)
      store.recordEpochResult(
        runId,
        {
          epoch: e,
          loss: 1 / e,
          accuracy: 0.5 + e / 10,
          valLoss: 1.1 / e,
          valAccuracy: 0.45 + e / 10,
          learningRate: 0.001,
          seconds: 2,
          samplesPerSecond: 1000
        },
        [],
        Array.from({ length: 5 }, (_, b) => ({
          step: (e - 1) * 5 + b + 1,
          epoch: e,
          batch: (b + 1) * 4,
          batches: 4,
          loss: 2 / (e + b),
          accuracy: 0.3 + b / 20,
          wallSeconds: ((e - 1) * 5 + b + 1) * 0.25
        }))
      )
    store.finishRun(runId, 'completed')
    store.close()
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, [join(appRoot, 'bin', 'rnnlab.js'), 'metrics', String(runId), ...args, '--db', db], {
        cwd: appRoot,
        env: { ...process.env, RNNLAB_HOME: dir.path },
        encoding: 'utf8'
      }).stdout

    const { page, problems } = await openPage(browser, served, { hash: `#/runs/${runId}` })
    const download = async (testId: string) => {
      const [d] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testId).click()])
      return { file: d.suggestedFilename(), text: readFileSync((await d.path())!, 'utf8') }
    }
    const steps = await download('csv-steps')
    expect(steps.file).toBe(`run-${runId}-steps.csv`)
    const lines = steps.text.trimEnd().split('\n')
    expect(lines[0]).toBe('run_id,run_name,step,epoch,batch,batches,loss,accuracy,wall_seconds')
    expect(lines).toHaveLength(11)
    expect(lines[1]).toBe(`${runId},"csv, ""quoted""",1,1,4,4,2,0.3,0.25`)
    // The same text as the CLI's.
    expect(steps.text.trimEnd()).toBe(cli('--csv', '--steps').trimEnd())
    const perEpoch = await download('csv-epochs')
    expect(perEpoch.file).toBe(`run-${runId}-metrics.csv`)
    expect(perEpoch.text.trimEnd().split('\n')).toHaveLength(3)
    expect(perEpoch.text.trimEnd()).toBe(cli('--csv').trimEnd())
    await page.getByTestId('csv-steps').scrollIntoViewIfNeeded()
    await shoot(page, 'run-csv-buttons-1280x800-light')
    expect(problems).toEqual([])
  })
})
