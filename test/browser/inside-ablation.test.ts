// The Inside area's Ablation tab in Chromium on a really trained tiny model with two bidirectional layers: the table
// has the intact row (the recorded validation accuracy) and 2 rows a bidirectional layer, each with its Δ against the
// intact model, the same figures `rnnlab ablation --json` gives; axe; screenshots in light and dark.
/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import type { AblationReport } from '../../common/contract'
import { percent } from '../../common/format'
import { appRoot, launchBrowser, serve, trainTinyRun, type Served } from '../helpers/browser'
import { tempDir } from '../helpers/tmp'
import { axeFindings, openPage, shoot } from './page'

let browser: Browser
let dir: ReturnType<typeof tempDir>
let db: string
let served: Served
let runId: number

beforeAll(async () => {
  dir = tempDir()
  db = join(dir.path, 'rnnlab.db')
  runId = trainTinyRun(dir.path, db, 'tiny-bi-ablation', 1, [
    { type: 'bidirectional', layer: { type: 'lstm', units: 8, returnSequences: true } },
    { type: 'bidirectional', mergeMode: 'ave', layer: { type: 'gru', units: 6 } },
    { type: 'dense', units: 10, activation: 'softmax' }
  ])
  browser = await launchBrowser()
  served = await serve(db, dir.path)
}, 120_000)
afterAll(async () => {
  await served?.stop()
  await browser?.close()
  dir?.remove()
})

function ablationCli(): AblationReport {
  const out = spawnSync(
    process.execPath,
    [join(appRoot, 'bin', 'rnnlab.js'), 'ablation', String(runId), '--json', '--db', db],
    { cwd: appRoot, env: { ...process.env, RNNLAB_HOME: dir.path }, encoding: 'utf8' }
  )
  if (out.status !== 0) throw new Error(`rnnlab ablation failed: ${out.stderr}`)
  return JSON.parse(out.stdout) as AblationReport
}

describe('run page: Inside, Ablation', () => {
  it.each(['light', 'dark'] as const)(
    'shows the intact row and 2 rows a bidirectional layer with their Δ (%s)',
    async (colorScheme) => {
      const { page, problems } = await openPage(browser, served, { hash: `#/runs/${runId}`, colorScheme })
      await page.getByTestId('inside').waitFor()
      await page.getByRole('tab', { name: 'Ablation' }).click()
      await page.getByTestId('compute-ablation').click()
      const table = page.getByTestId('ablation-table')
      await table.waitFor({ timeout: 60_000 })
      const rows = await table
        .locator('tbody tr')
        .evaluateAll((trs) =>
          trs.map((tr) => Array.from(tr.children, (c) => (c.textContent ?? '').replace(/\s+/g, ' ').trim()))
        )
      expect(rows.length).toBe(1 + 2 * 2)
      const summary = (await page.getByTestId('ablation-summary').textContent())!.replace(/\s+/g, ' ')
      const recorded = /recorded while training: ([\d.]+%)/.exec(summary)![1]
      expect(rows[0].slice(0, 3)).toEqual(['Intact model', 'none', recorded])

      // The same figures as the command line's.
      const report = ablationCli()
      expect(report.rows.length).toBe(5)
      expect(percent(report.rows[0].accuracy)).toBe(recorded)
      report.rows.slice(1).forEach((r, i) => {
        const row = rows[i + 1]
        expect(row[0]).toBe(`${r.layer} · bidirectional ${r.cell} ${r.units} (${r.mergeMode})`)
        expect(row[1]).toBe(
          `${r.direction} (${r.mergeMode === 'concat' ? 'its half zeroed' : `left out of the ${r.mergeMode}`})`
        )
        expect(row[2]).toBe(percent(r.accuracy))
        expect(row[3]).toBe(r.loss.toFixed(4))
        const sign = r.delta > 0 ? '+' : r.delta < 0 ? '−' : '±'
        expect(row[4]).toBe(`${sign}${(Math.abs(r.delta) * 100).toFixed(2)} pts`)
      })
      expect(rows.slice(1).map((r) => r[0].split(' ')[0])).toEqual(['0', '0', '1', '1'])

      await page.getByTestId('inside').scrollIntoViewIfNeeded()
      await shoot(page, `inside-ablation-1280-${colorScheme}`)
      expect(await axeFindings(page, '[data-testid="inside"]')).toEqual([])
      expect(problems).toEqual([])
      await page.context().close()
    },
    120_000
  )
})
