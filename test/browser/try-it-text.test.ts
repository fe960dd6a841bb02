// Try it for text runs in Chromium: a names → gender run (type a name: two probability bars summing to 100%, the same
// figures `rnnlab predict <run> --text … --json` prints) and a word-segmentation run (type text without spaces: each
// character coloured by its tag, the inferred spaces shown); axe on both, screenshots light and dark.
/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { appRoot, launchBrowser, serve, type Served } from '../helpers/browser'
import { tempDir } from '../helpers/tmp'
import { axeFindings, openPage, shoot } from './page'

let browser: Browser
let dir: ReturnType<typeof tempDir>
let served: Served
let db: string
let names: number
let segment: number

function rnnlab(...args: string[]) {
  return spawnSync(process.execPath, [join(appRoot, 'bin', 'rnnlab.js'), ...args, '--db', db], {
    cwd: appRoot,
    env: { ...process.env, RNNLAB_HOME: dir.path },
    encoding: 'utf8'
  })
}

function train(name: string, dataset: object, recurrent: object, epochs: number): number {
  const file = join(dir.path, `${name}.json`)
  writeFileSync(
    file,
    JSON.stringify({
      name,
      dataset,
      model: {
        layers: [
          { type: 'embedding', inputDim: 64, outputDim: 8 },
          recurrent,
          { type: 'dense', units: 2, activation: 'softmax' }
        ]
      },
      training: {
        optimizer: { type: 'adam', learningRate: 0.01 },
        loss: 'sparse_categorical_crossentropy',
        epochs,
        batchSize: 64,
        seed: 1
      }
    })
  )
  const out = rnnlab('train', file)
  if (out.status !== 0) throw new Error(`rnnlab train failed: ${out.stderr}`)
  return Number(out.stdout.trim().split('\n').pop())
}

beforeAll(async () => {
  dir = tempDir()
  db = join(dir.path, 'rnnlab.db')
  names = train('names-gru', { source: 'names' }, { type: 'gru', units: 16 }, 3)
  segment = train(
    'segment-bigru',
    { source: 'segmentation', limit: 1500 },
    { type: 'bidirectional', layer: { type: 'gru', units: 16, returnSequences: true } },
    6
  )
  browser = await launchBrowser()
  served = await serve(db, dir.path)
}, 300_000)
afterAll(async () => {
  await served?.stop()
  await browser?.close()
  dir?.remove()
})

const firstRead = { timeout: 30_000 }

describe('Try it for text', () => {
  it('types a name and shows probabilities that sum to 1 and equal rnnlab predict --text', async () => {
    const { page, problems } = await openPage(browser, served, { hash: `#/runs/${names}` })
    await page.getByTestId('try-it-link').click()
    await page.waitForURL(new RegExp(`#/runs/${names}/try$`))
    const box = page.getByTestId('try-text')
    await box.fill('Margaret')
    await expect.poll(() => page.getByTestId('prob-bars').locator('li').count(), firstRead).toBe(2)
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'predicting' }).count()).toBe(0)
    const shown = await page
      .getByTestId('prob-bars')
      .locator('li')
      .evaluateAll((items) => items.map((li) => Number(li.getAttribute('data-probability'))))
    expect(Math.abs(shown[0] + shown[1] - 1)).toBeLessThan(1e-4)
    const cli = rnnlab('predict', String(names), '--text', 'Margaret', '--json')
    expect(cli.status, cli.stderr).toBe(0)
    const expected = JSON.parse(cli.stdout).samples[0].probabilities as number[]
    expect(shown[0]).toBeCloseTo(expected[0], 5)
    expect(shown[1]).toBeCloseTo(expected[1], 5)
    const names2 = await page.getByTestId('prob-bars').locator('.prob-name').allTextContents()
    expect(names2).toEqual(['female', 'male'])
    expect(await page.locator('.try-top').textContent()).toBe(expected[0] > expected[1] ? 'female' : 'male')
    expect(await axeFindings(page)).toEqual([])
    await shoot(page, 'try-it-text-names-1280x800-light')

    // Emptying the box empties the prediction.
    await box.fill('')
    await expect.poll(() => page.getByTestId('prob-bars').count()).toBe(0)
    expect(problems).toEqual([])
    await page.context().close()
  })

  it('tags each character of a segmentation run and shows the inferred spaces, light and dark', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      const { page, problems } = await openPage(browser, served, { colorScheme, hash: `#/runs/${segment}/try` })
      await page.getByTestId('try-text').fill('The cat sat on the mat; this license is free software.')
      const tags = page.getByTestId('try-tags').locator('.try-tag')
      const letters = 'thecatsatonthematthislicenseisfreesoftware'
      await expect.poll(() => tags.count(), firstRead).toBe(letters.length)
      await expect.poll(() => page.getByRole('status').filter({ hasText: 'predicting' }).count()).toBe(0)
      expect((await tags.allTextContents()).join('')).toBe(letters)
      const cli = rnnlab('predict', String(segment), '--text', 'The cat sat on the mat; this license is free software.')
      expect(cli.status, cli.stderr).toBe(0)
      expect((await page.getByTestId('try-segmented').textContent())!.trim()).toBe(cli.stdout.trim())
      // The characters tagged `end` are those followed by a space in the segmentation.
      const ends = await tags.evaluateAll((items) => items.map((t) => t.getAttribute('data-tag')))
      const spaced = cli.stdout.trim()
      let k = 0
      const expectedEnds: string[] = []
      for (let i = 0; i < spaced.length; i++) {
        if (spaced[i] === ' ') continue
        expectedEnds[k++] = spaced[i + 1] === ' ' || i === spaced.length - 1 ? '1' : '0'
      }
      expect(ends.slice(0, -1)).toEqual(expectedEnds.slice(0, -1))
      expect(await axeFindings(page)).toEqual([])
      await shoot(page, `try-it-text-segment-1280x800-${colorScheme}`)
      expect(problems).toEqual([])
      await page.context().close()
    }
  })

  it('previews text sources in the builder: tokens, vocabulary size, a length histogram, tags per character', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      const { page, problems } = await openPage(browser, served, { colorScheme, hash: '#/new' })
      await page.getByLabel('Dataset source').selectOption('names')
      await page.getByRole('button', { name: 'Preview' }).click()
      const preview = page.getByTestId('text-preview')
      await preview.waitFor({ timeout: 60_000 })
      expect(await preview.textContent()).toMatch(/Vocabulary: \d+ characters/)
      await expect.poll(() => page.getByTestId('length-histogram').locator('.length-bar').count()).toBeGreaterThan(5)

      await page.getByLabel('Dataset source').selectOption('segmentation')
      await page.getByRole('button', { name: 'Preview' }).click()
      const tagged = page.getByTestId('tagged-samples')
      await tagged.waitFor({ timeout: 60_000 })
      expect(await page.getByTestId('dataset-preview').textContent()).toMatch(
        /each 48 steps × 1 features\s+· 2 classes, one label per step/
      )
      // The first sample: 48 characters of a license text, each with its tag; `end` marks a word's last letter.
      const first = tagged.locator('li').first().locator('.try-tag')
      expect(await first.count()).toBe(48)
      expect(await first.locator('xpath=self::*[contains(@class, "tag-1")]').count()).toBeGreaterThan(4)
      expect(await axeFindings(page, '[data-testid="dataset-preview"]')).toEqual([])
      await page.getByTestId('dataset-preview').scrollIntoViewIfNeeded()
      await shoot(page, `new-segmentation-preview-1280x800-${colorScheme}`)
      expect(problems).toEqual([])
      await page.context().close()
    }
  })
})
