// Every screen through axe-core, in the light and the dark theme: no serious or critical finding (B22: contrast of
// badges, tags and legends, a scrollable config that the keyboard cannot reach). And no screen scrolls sideways at
// 1280×800 (B21), with long run names.
/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { RunStore } from '../../main/runs/store'
import { launchBrowser, serve, trainTinyRun, type Served } from '../helpers/browser'
import { seedCompletedRun } from '../helpers/seed'
import { tempDir } from '../helpers/tmp'
import { axeFindings, openPage, shoot } from './page'

let browser: Browser
let dir: ReturnType<typeof tempDir>
let emptyHome: ReturnType<typeof tempDir>
let served: Served
let emptyServed: Served
const ids: number[] = []
let trained: number
let deleted: number

beforeAll(async () => {
  dir = tempDir()
  emptyHome = tempDir()
  browser = await launchBrowser()
  const db = join(dir.path, 'rnnlab.db')
  // A real run with checkpoints, for Try it with its pad and samples.
  trained = trainTinyRun(dir.path, db, 'tiny simple-rnn', 3)
  const store = new RunStore(db)
  const names = [
    'tutorial-bilstm-shared-weights-seed-1',
    'bi-gru-sibling-with-a-long-descriptive-name',
    'small lstm',
    'bilstm-batch-256-learning-rate-3e-4-sweep',
    'another run with a long name for the figures'
  ]
  names.forEach((name, i) =>
    ids.push(
      seedCompletedRun(store, {
        name,
        cell: i % 2 ? 'gru' : 'lstm',
        epochs: 2 + i,
        tags: i === 0 ? ['baseline', 'reviewed', 'long-tag-name'] : undefined
      })
    )
  )
  deleted = seedCompletedRun(store, { name: 'in the trash' })
  store.deleteRun(deleted)
  store.close()
  served = await serve(db, dir.path)
  emptyServed = await serve(join(emptyHome.path, 'rnnlab.db'), emptyHome.path)
}, 180_000)
afterAll(async () => {
  await served?.stop()
  await emptyServed?.stop()
  await browser?.close()
  dir.remove()
  emptyHome.remove()
})

interface Screen {
  name: string
  hash: string
  /** What shows once the screen has loaded. */
  ready: (page: Page) => Promise<unknown>
  empty?: boolean
}
const screens = (): Screen[] => [
  { name: 'runs', hash: '#/runs', ready: (p) => p.getByTestId('runs-table').waitFor() },
  {
    name: 'runs-grouped',
    hash: '#/runs?group=cell&cols=id,name,status,model,lr,curve,valAccuracy,tags',
    ready: (p) => p.locator('tr.group-row').first().waitFor()
  },
  { name: 'runs-empty', hash: '#/runs', ready: (p) => p.getByTestId('runs-empty').waitFor(), empty: true },
  { name: 'new', hash: '#/new', ready: (p) => p.getByRole('heading', { level: 1 }).waitFor() },
  { name: 'run', hash: `#/runs/${ids[0]}`, ready: (p) => p.getByTestId('run-stats').waitFor() },
  { name: 'run-trained', hash: `#/runs/${trained}`, ready: (p) => p.getByTestId('try-it-link').waitFor() },
  {
    name: 'try',
    hash: `#/runs/${trained}/try`,
    ready: (p) => p.getByTestId('samples').locator('.sample-mark').first().waitFor({ timeout: 120_000 })
  },
  { name: 'try-unavailable', hash: `#/runs/${ids[0]}/try`, ready: (p) => p.getByTestId('try-unavailable').waitFor() },
  {
    name: 'compare',
    hash: `#/compare?ids=${ids.join(',')}`,
    ready: (p) => p.getByTestId('compare-figures').waitFor()
  },
  { name: 'compare-none', hash: '#/compare', ready: (p) => p.getByRole('heading', { level: 1 }).waitFor() },
  { name: 'trash', hash: '#/trash', ready: (p) => p.getByTestId('trash-table').waitFor() },
  { name: 'run-missing', hash: '#/runs/999', ready: (p) => p.getByTestId('run-not-found').waitFor() },
  { name: 'nowhere', hash: '#/nowhere', ready: (p) => p.getByRole('heading', { level: 1 }).waitFor() }
]

/** How far the page, or any table inside its panel, scrolls sideways (0 when everything fits). */
const sideways = (page: Page) =>
  page.evaluate(() =>
    Math.max(
      ...[document.documentElement, ...Array.from(document.querySelectorAll('.app-main, .table-wrap'))].map(
        (e) => e.scrollWidth - e.clientWidth
      )
    )
  )

describe('accessibility and layout of every screen', () => {
  for (const colorScheme of ['light', 'dark'] as const) {
    it(`has no serious or critical axe finding and no sideways scroll at 1280×800, ${colorScheme}`, async () => {
      const findings: Record<string, string[]> = {}
      const overflow: Record<string, number> = {}
      const problems: string[] = []
      for (const s of screens()) {
        const opened = await openPage(browser, s.empty ? emptyServed : served, { colorScheme, hash: s.hash })
        const { page } = opened
        await s.ready(page)
        const found = await axeFindings(page)
        if (found.length) findings[s.name] = found
        const over = await sideways(page)
        if (over > 0) overflow[s.name] = over
        // The whole screen in one picture: the main column scrolls by itself, so let it grow for the shot.
        await page.evaluate(() => {
          document.querySelector<HTMLElement>('.app-shell')!.style.height = 'auto'
          document.querySelector<HTMLElement>('.app-main')!.style.overflow = 'visible'
        })
        await shoot(page, `a11y-${s.name}-1280x800-${colorScheme}`, true)
        problems.push(...opened.problems.map((p) => `${s.name}: ${p}`))
        await page.context().close()
      }
      expect(findings).toEqual({})
      expect(overflow).toEqual({})
      expect(problems).toEqual([])
    }, 600_000)
  }
})
