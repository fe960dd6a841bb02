// Run detail's checkpoints and exports in Chromium with a really trained run: export a checkpoint to ONNX (progress,
// then its parity report), download the file (ONNX protobuf bytes, the same as on disk), a failed parity check shown
// as failed, and main's one-line message when an export or a download cannot be done.
/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { RunStore } from '../../main/runs/store'
import { launchBrowser, serve, trainTinyRun, type Served } from '../helpers/browser'
import { tempDir } from '../helpers/tmp'
import { looks, openPage, shoot } from './page'

let browser: Browser
let dir: ReturnType<typeof tempDir>
let served: Served
let db: string
let runId: number

beforeAll(async () => {
  dir = tempDir()
  db = join(dir.path, 'rnnlab.db')
  runId = trainTinyRun(dir.path, db, 'tiny-export', 3)
  browser = await launchBrowser()
  served = await serve(db, dir.path)
}, 120_000)
afterAll(async () => {
  await served?.stop()
  await browser?.close()
  dir?.remove()
})

describe('checkpoints and exports on run detail', () => {
  it('exports a checkpoint with progress, shows its parity report and downloads ONNX bytes', async () => {
    const { page, problems } = await openPage(browser, served, { hash: `#/runs/${runId}` })
    const panel = page.getByTestId('run-artifacts')
    await expect.poll(() => page.getByTestId('checkpoints-table').locator('tbody tr').count()).toBe(2)
    const rows = await page.getByTestId('checkpoints-table').locator('tbody tr').allTextContents()
    expect(rows[0]).toMatch(/^best\s*2/)
    expect(rows[1]).toMatch(/^last\s*2/)
    expect(rows.join('')).toMatch(/KB/)
    expect(await panel.textContent()).toContain('No export yet')

    await page.getByLabel('Checkpoint to export').selectOption('last')
    await page.getByTestId('export-onnx').click()
    await page.getByTestId('export-progress').waitFor({ state: 'visible', timeout: 5_000 })
    expect(await page.getByTestId('export-onnx').isDisabled()).toBe(true)
    await page.getByTestId('run-artifacts').scrollIntoViewIfNeeded()
    await shoot(page, 'run-exporting-1280x800-light')
    const item = page.locator('.export-item').first()
    await item.waitFor({ timeout: 30_000 })
    await page.getByTestId('export-progress').waitFor({ state: 'detached' })
    expect(await item.getByTestId('parity-status').textContent()).toBe('parity ok')
    const text = (await item.textContent()) ?? ''
    expect(text).toContain('last checkpoint, epoch 2')
    expect(text).toMatch(/argmax agreement\s*100\.00%/)
    expect(text).toContain(join(dir.path, 'runs', String(runId), 'exports', `run-${runId}-last.onnx`))
    expect(Number((await item.getByTestId('parity-max').textContent())!.replace('—', 'NaN'))).toBeLessThan(1e-4)
    await shoot(page, 'run-exports-1280x800-light', true)

    // Download: a file named after the export, its first bytes an ONNX ModelProto: ir_version (field 1, a varint),
    // then producer_name (field 2, length-delimited).
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      item.getByRole('button', { name: /^Download export/ }).click()
    ])
    expect(download.suggestedFilename()).toBe(`run-${runId}-last.onnx`)
    const saved = readFileSync((await download.path())!)
    expect(saved[0]).toBe(0x08)
    expect(saved[2]).toBe(0x12)
    expect(saved.subarray(4, 4 + saved[3]).toString()).toBe('RNN Lab')
    expect(saved.equals(readFileSync(join(dir.path, 'runs', String(runId), 'exports', `run-${runId}-last.onnx`)))).toBe(
      true
    )
    expect(problems).toEqual([])

    // The panel as the other looks show it.
    for (const look of looks.slice(1)) {
      const other = await openPage(browser, served, { ...look, hash: `#/runs/${runId}` })
      await other.page.locator('.export-item').first().waitFor()
      await other.page.getByTestId('run-artifacts').scrollIntoViewIfNeeded()
      await shoot(other.page, `run-exports-${look.width}x${look.height}-${look.colorScheme}`)
      expect(other.problems).toEqual([])
      await other.page.context().close()
    }
    await page.context().close()
  })

  it('shows a failed parity check as failed, with its message', async () => {
    const store = new RunStore(db)
    const report = {
      runId,
      path: '/tmp/elsewhere/run-failed.onnx',
      ok: false,
      message: 'max |Δ| 0.31 exceeds the tolerance 1e-5 at batch size 7',
      checkpoint: 'best',
      epoch: 1,
      maxAbsDiff: 0.31,
      meanAbsDiff: 0.02,
      argmaxAgreement: 0.9,
      bytes: 12_345,
      sha256: 'ab'.repeat(32)
    }
    store.db
      .prepare(`INSERT INTO exports (run_id, checkpoint, path, ok, report_json, created_at) VALUES (?, ?, ?, ?, ?, ?)`)
      .run(runId, 'best', report.path, 0, JSON.stringify(report), new Date(Date.now() + 60_000).toISOString())
    store.close()
    const { page, problems } = await openPage(browser, served, { hash: `#/runs/${runId}` })
    const first = page.locator('.export-item').first()
    await first.waitFor()
    expect(await first.getByTestId('parity-status').textContent()).toBe('parity failed')
    expect(await first.getByTestId('parity-message').textContent()).toBe(report.message)
    expect(await first.textContent()).toMatch(/max \|Δ\|\s*0\.3100.*argmax agreement\s*90\.00%/s)

    // Its file is not there: the download shows main's one-line message.
    await first.getByRole('button', { name: /^Download export/ }).click()
    const alert = page.getByRole('alert').filter({ hasText: 'Could not save the file' })
    await alert.waitFor()
    expect(await alert.textContent()).toContain('/tmp/elsewhere/run-failed.onnx: the exported file is no longer there')
    await page.getByTestId('run-artifacts').scrollIntoViewIfNeeded()
    await shoot(page, 'run-exports-failed-1280x800-light')
    expect(problems).toEqual([])
    await page.context().close()
  })

  it('shows main’s message when an export cannot be made', async () => {
    const { page, problems } = await openPage(browser, served, { hash: `#/runs/${runId}` })
    await expect.poll(() => page.getByTestId('checkpoints-table').locator('tbody tr').count()).toBe(2)
    const bestPath = (await page
      .getByTestId('checkpoints-table')
      .locator('tbody tr')
      .first()
      .locator('.path-cell')
      .getAttribute('title'))!
    rmSync(bestPath)
    await page.getByLabel('Checkpoint to export').selectOption('best')
    await page.getByTestId('export-onnx').click()
    const error = page.getByTestId('export-error')
    await error.waitFor({ timeout: 30_000 })
    const text = (await error.textContent()) ?? ''
    expect(text.trim()).toMatch(/^Export failed: /)
    expect(text).not.toMatch(/\n\s+at /)
    expect(await page.getByTestId('export-onnx').isEnabled()).toBe(true)
    expect(problems).toEqual([])
    await page.context().close()
  })
})
