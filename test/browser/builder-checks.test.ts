// The builder as a new user meets it, in Chromium: the onboarding button on the empty runs page, checks before Start
// on the layer to fix with one-click fixes (B4, B10), banners that follow the draft (B9), configs through the builder
// without loss (B5), the draft kept across a reload (B13), checkboxes and the side column at 1280×800 (B14, B15),
// the validation share (B19), dialogs that keep focus (B8) and the keyboard flow (B20, Ctrl+Enter).
/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { readFileSync } from 'node:fs'
import type { Browser, Page } from 'playwright-core'
import { normalizeRunConfig } from '../../common/config'
import { launchBrowser, serve, type Served } from '../helpers/browser'
import { tempDir } from '../helpers/tmp'
import { openPage, shoot } from './page'

let browser: Browser
let dir: ReturnType<typeof tempDir>
let served: Served

beforeAll(async () => {
  dir = tempDir()
  browser = await launchBrowser()
  served = await serve(join(dir.path, 'rnnlab.db'), dir.path)
})
afterAll(async () => {
  await served?.stop()
  await browser?.close()
  dir.remove()
})

const slow = { timeout: 120_000 }
const runIdOf = (page: Page) => Number(/#\/runs\/(\d+)/.exec(page.url())?.[1])
const focused = (page: Page) =>
  page.evaluate(() => {
    const e = document.activeElement as HTMLElement | null
    return e ? e.getAttribute('aria-label') || e.textContent?.trim() || e.tagName : null
  })

/** Every field set to something other than its default, in the form the builder writes. */
const everyField = {
  name: 'every-field',
  dataset: { source: 'mnist-sample', limit: 300, validationSplit: 0.25 },
  model: {
    input: [28, 28],
    layers: [
      {
        type: 'bidirectional',
        mergeMode: 'sum',
        sharedWeights: true,
        name: 'encoder',
        layer: {
          type: 'lstm',
          units: 6,
          returnSequences: true,
          dropout: 0.1,
          recurrentDropout: 0.05,
          unitForgetBias: false
        }
      },
      { type: 'dropout', rate: 0.3, name: 'drop' },
      { type: 'gru', units: 5, resetAfter: false, goBackwards: true, name: 'gru_back' },
      { type: 'dense', units: 10, activation: 'softmax', useBias: false, name: 'head' }
    ]
  },
  training: {
    optimizer: { type: 'sgd', learningRate: 0.05, momentum: 0.9, nesterov: true, clipNorm: 1.5 },
    loss: 'categorical_crossentropy',
    batchSize: 32,
    epochs: 1,
    shuffle: false,
    seed: 7,
    earlyStopping: { monitor: 'val_accuracy', mode: 'max', patience: 3, minDelta: 0.001, restoreBestWeights: false },
    reduceLrOnPlateau: {
      monitor: 'loss',
      mode: 'min',
      factor: 0.5,
      patience: 2,
      minDelta: 0.01,
      cooldown: 1,
      minLr: 1e-4
    },
    threads: 1
  }
}

async function loadConfig(page: Page, c: unknown, file = 'config.json'): Promise<void> {
  await page
    .getByLabel('Load a config JSON file')
    .setInputFiles({ name: file, mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(c)) })
}

async function savedConfig(page: Page): Promise<unknown> {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Save config' }).click()
  ])
  return JSON.parse(readFileSync((await download.path())!, 'utf8'))
}

describe('the builder for a new user', () => {
  it('offers the tutorial run on the empty runs page; Undo of a delete is one key away', slow, async () => {
    const { page, problems } = await openPage(browser, served, { hash: '#/runs' })
    await page.getByTestId('runs-empty').waitFor()
    expect(await page.title()).toBe('Runs · RNN Lab')
    // The skip link is the first Tab stop.
    await page.keyboard.press('Tab')
    expect(await focused(page)).toBe('Skip to content')
    await shoot(page, 'runs-onboarding-1280x800-light')
    await page.getByTestId('train-tutorial').click()
    await page.waitForURL(/#\/runs\/\d+$/)
    const id = runIdOf(page)
    // The new screen's heading has focus and the title names it.
    await expect.poll(() => page.evaluate(() => document.activeElement?.tagName)).toBe('H1')
    expect(await page.title()).toBe(`Run #${id} · RNN Lab`)
    await expect
      .poll(() => page.locator('#run-title .status').textContent(), { timeout: 110_000, interval: 500 })
      .toBe('completed')
    expect(await page.getByTestId('epoch-table').locator('tbody tr').count()).toBe(2)

    // Delete by keyboard: focus lands on Undo, and Enter restores; Ctrl+Z does it too.
    await page.goto(served.url + '#/runs')
    const box = page.getByLabel(new RegExp(`^Select run ${id}\\b`))
    await box.waitFor()
    await box.check()
    await page.getByRole('button', { name: 'Delete' }).focus()
    await page.keyboard.press('Enter')
    await page.getByTestId('undo-toast').waitFor()
    await expect.poll(() => focused(page)).toBe('Undo')
    await page.keyboard.press('Enter')
    await expect.poll(() => page.locator(`tr[data-run-id="${id}"]`).count()).toBe(1)
    await page.getByLabel(new RegExp(`^Select run ${id}\\b`)).check()
    await page.getByRole('button', { name: 'Delete' }).click()
    await page.getByTestId('undo-toast').waitFor()
    await page.keyboard.press('Control+z')
    await expect.poll(() => page.locator(`tr[data-run-id="${id}"]`).count()).toBe(1)

    // The edit dialog keeps focus inside, closes with Esc wherever focus is, and gives focus back to ✎.
    const edit = page.getByRole('button', { name: `Edit run ${id} name, tags and notes` })
    await edit.focus()
    await page.keyboard.press('Enter')
    await expect.poll(() => focused(page)).toBe('Run name')
    for (let i = 0; i < 7; i++) {
      await page.keyboard.press('Tab')
      expect(await page.evaluate(() => !!document.activeElement?.closest('.dialog'))).toBe(true)
    }
    await page.keyboard.press('Shift+Tab')
    expect(await page.evaluate(() => !!document.activeElement?.closest('.dialog'))).toBe(true)
    await page.keyboard.press('Escape')
    await expect.poll(() => page.locator('.dialog').count()).toBe(0)
    expect(await focused(page)).toBe(`Edit run ${id} name, tags and notes`)
    expect(problems).toEqual([])
  })

  it('marks a head that does not match the classes, and a stack with no recurrent layer, before Start', async () => {
    const { page, problems } = await openPage(browser, served, { hash: '#/new' })
    await page.getByLabel('Start from a preset').selectOption('tutorial-birnn')
    await expect.poll(() => page.getByTestId('total-params').textContent()).toBe('24,010')
    await page.getByLabel('Layer 5 units').fill('5')
    const head = page.locator('.layer-row[data-layer="4"]')
    await expect
      .poll(() => head.locator('.layer-row-problems').textContent())
      .toContain('The data has 10 classes, but this head gives 5 outputs: set Units to 10')
    expect(await page.locator('.layer-row-bad').count()).toBe(1)
    // The stack is valid, so the summary is whole.
    expect(await page.getByTestId('summary-partial').count()).toBe(0)
    await shoot(page, 'new-check-head-classes-1280x800-light')
    await page.getByTestId('start-training').click()
    await page.getByTestId('start-message').waitFor()
    expect(page.url()).toMatch(/#\/new$/)
    await head.getByRole('button', { name: 'Set units to 10' }).click()
    await expect.poll(() => page.locator('.layer-row-bad').count()).toBe(0)
    expect(await page.getByLabel('Layer 5 units').inputValue()).toBe('10')
    expect(await focused(page)).toBe('Layer 5 units')
    // The banner spoke of the draft as it was: gone with the change.
    expect(await page.getByTestId('start-message').count()).toBe(0)

    // Only a dense layer: said once, for the stack, with its summary shown.
    await page.getByTestId('reset-draft').click()
    await page.getByTestId('builder-empty').waitFor()
    await page.getByRole('button', { name: '+ Dense' }).click()
    await expect
      .poll(() => page.getByTestId('stack-problems').textContent())
      .toContain('The model needs at least one recurrent layer (LSTM, GRU or SimpleRNN)')
    expect(await page.getByTestId('model-summary').textContent()).toContain('(None, 28, 10)')
    await page.getByTestId('start-training').click()
    await expect
      .poll(() => page.getByTestId('start-message').textContent())
      .toContain('needs at least one recurrent layer')
    await page.getByRole('button', { name: '+ Recurrent layer' }).click()
    await expect.poll(() => page.getByTestId('start-message').count()).toBe(0)
    await expect.poll(() => page.getByTestId('stack-problems').count()).toBe(0)
    expect(problems).toEqual([])
  })

  it('puts a missing return sequences on the layer to fix, keeps the summary, fixes it in one click', async () => {
    const { page, problems } = await openPage(browser, served, { hash: '#/new' })
    await page.getByLabel('Start from a preset').selectOption('tutorial-bilstm')
    await expect.poll(() => page.getByTestId('total-params').textContent()).toBe('93,010')
    await page.getByLabel('Layer 1 return sequences').uncheck()
    const bad = page.locator('.layer-row-bad')
    await expect.poll(() => bad.count()).toBe(1)
    expect(await bad.getAttribute('data-layer')).toBe('0')
    expect(await bad.locator('.layer-row-problems').textContent()).toContain(
      'Layer 3 (Bidirectional LSTM) reads a sequence, but this layer hands on only its last step: turn on Return sequences.'
    )
    // Layers 1 and 2 stay in the summary; the rest is said to follow.
    const summary = page.getByTestId('model-summary')
    expect(await summary.locator('tbody tr').count()).toBe(2)
    expect(await page.getByTestId('summary-partial').textContent()).toContain('Layers 3–5 show once')
    expect(await page.getByTestId('total-params').textContent()).toBe('31,600')
    await shoot(page, 'new-check-return-sequences-1280x800-light')
    await page.emulateMedia({ colorScheme: 'dark' })
    await shoot(page, 'new-check-return-sequences-1280x800-dark')
    await page.emulateMedia({ colorScheme: 'light' })

    // Start refuses; re-checking the box clears the banner (B9).
    await page.getByTestId('start-training').click()
    await expect.poll(() => page.getByTestId('start-message').textContent()).toContain('Fix the problems')
    await bad.getByRole('button', { name: 'Turn on return sequences' }).click()
    await expect.poll(() => bad.count()).toBe(0)
    expect(await page.getByLabel('Layer 1 return sequences').isChecked()).toBe(true)
    expect(await focused(page)).toBe('Layer 1 return sequences')
    expect(await page.getByTestId('start-message').count()).toBe(0)
    await expect.poll(() => page.getByTestId('total-params').textContent()).toBe('93,010')

    // An empty name is named in the banner.
    await page.getByLabel('Experiment name').fill('')
    await page.getByTestId('start-training').click()
    await expect.poll(() => page.getByTestId('start-message').textContent()).toMatch(/^Experiment name: /)
    expect(problems).toEqual([])
  })

  it('keeps every setting of a loaded config and of a run edited as a new experiment', slow, async () => {
    const { page, problems } = await openPage(browser, served, { hash: '#/new' })
    await loadConfig(page, everyField, 'every-field.json')
    await expect.poll(() => page.getByLabel('Experiment name').inputValue()).toBe('every-field')
    // The Advanced section opens by itself and shows what the form does not show at first.
    const advanced = page.getByTestId('training-advanced')
    await expect.poll(() => advanced.getAttribute('open')).not.toBeNull()
    expect(await page.getByLabel('Momentum', { exact: true }).inputValue()).toBe('0.9')
    expect(await page.getByLabel('Nesterov momentum').isChecked()).toBe(true)
    expect(await page.getByLabel('Clip gradient norm').inputValue()).toBe('1.5')
    expect(await page.getByLabel('Engine threads').inputValue()).toBe('1')
    expect(await page.getByLabel('Early stopping mode').inputValue()).toBe('max')
    expect(await page.getByLabel('Early stopping min delta').inputValue()).toBe('0.001')
    expect(await page.getByLabel('Reduce learning rate on plateau').isChecked()).toBe(true)
    expect(await page.getByLabel('Plateau factor').inputValue()).toBe('0.5')
    expect(await page.getByLabel('Minimum learning rate').inputValue()).toBe('0.0001')
    await advanced.scrollIntoViewIfNeeded()
    await shoot(page, 'new-advanced-1280x800-light')
    expect(await savedConfig(page)).toEqual(everyField)

    // A run of it, edited as a new experiment, trains the same way.
    await page.getByTestId('start-training').click()
    await page.waitForURL(/#\/runs\/\d+$/)
    const id = runIdOf(page)
    await expect
      .poll(() => page.locator('#run-title .status').textContent(), { timeout: 90_000, interval: 500 })
      .toMatch(/completed/)
    await page.goto(`${served.url}#/new?from=${id}`)
    await expect.poll(() => page.getByLabel('Experiment name').inputValue()).toBe('every-field-again')
    const again = (await savedConfig(page)) as typeof everyField
    expect(normalizeRunConfig({ ...again, name: 'every-field' })).toEqual(normalizeRunConfig(everyField))
    expect(problems).toEqual([])
  })

  it('keeps the draft across a reload until Reset; Enter no longer starts, Ctrl+Enter does', slow, async () => {
    const { page, problems } = await openPage(browser, served, { hash: '#/new' })
    await page.getByLabel('Start from a preset').selectOption('tutorial-bigru')
    await page.getByLabel('Experiment name').fill('my-draft')
    await page.getByLabel('Layer 1 units').fill('12')
    await page.getByLabel('Epochs').fill('1')
    await page.getByLabel('Validation share').fill('0')
    await page.getByLabel('Validation share').press('Tab')
    // B19: 0 is no validation set, all 10,000 samples train.
    await expect.poll(() => page.getByTestId('dataset-preview').textContent()).toContain('10,000 training samples')
    expect(await page.locator('.error-banner').count()).toBe(0)
    await page.getByLabel('Layer 3 units').fill('')

    await page.reload()
    await expect.poll(() => page.getByLabel('Experiment name').inputValue()).toBe('my-draft')
    expect(await page.getByTestId('draft-restored').count()).toBe(1)
    expect(await page.getByLabel('Layer 1 units').inputValue()).toBe('12')
    // A half-typed field comes back as it was: empty, and marked.
    expect(await page.getByLabel('Layer 3 units').inputValue()).toBe('')
    await expect
      .poll(() => page.locator('.layer-row[data-layer="2"] .layer-row-problems').textContent())
      .toContain('units: missing')
    expect(await page.getByLabel('Epochs').inputValue()).toBe('1')
    expect(await page.getByLabel('Validation share').inputValue()).toBe('0')
    await page.getByLabel('Layer 3 units').fill('8')

    // Enter in a field does not start; Ctrl+Enter does, and the run trains with the draft's settings.
    await page.getByLabel('Layer 1 units').press('Enter')
    await page.waitForTimeout(500) // nothing should happen: a short look is all a person takes
    expect(page.url()).toMatch(/#\/new$/)
    await page.getByLabel('Layer 1 units').press('Control+Enter')
    await page.waitForURL(/#\/runs\/\d+$/)
    await expect.poll(() => page.evaluate(() => document.activeElement?.tagName)).toBe('H1')

    // Reset empties the builder, also after a reload.
    await page.goto(served.url + '#/new')
    await expect.poll(() => page.getByLabel('Experiment name').inputValue()).toBe('my-draft')
    await page.getByTestId('reset-draft').click()
    await page.getByTestId('builder-empty').waitFor()
    await page.reload()
    await page.getByTestId('builder-empty').waitFor()
    expect(await page.getByLabel('Experiment name').inputValue()).toBe('experiment')
    expect(problems).toEqual([])
  })

  it('fits the checkboxes and the side column at 1280×800; removing a layer keeps focus; dialogs keep it', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      const { page, problems } = await openPage(browser, served, { hash: '#/new', colorScheme })
      await page.getByLabel('Start from a preset').selectOption('tutorial-bilstm')
      await page.getByRole('button', { name: '+ Recurrent layer' }).click()
      await page.getByRole('button', { name: '+ Recurrent layer' }).click()
      await expect.poll(() => page.locator('.layer-row').count()).toBe(7)
      // B14: the checkbox is its own size, not stretched to the row's field height.
      const boxSize = await page.getByLabel('Layer 1 return sequences').boundingBox()
      expect(boxSize!.height).toBeLessThanOrEqual(20)
      expect(boxSize!.width).toBeLessThanOrEqual(20)
      // B15: the side column never outgrows the window; its diagram scrolls inside it.
      const side = await page.evaluate(() => {
        const e = document.querySelector<HTMLElement>('.experiment-side')!
        return { height: e.getBoundingClientRect().height, scroll: e.scrollHeight, client: e.clientHeight }
      })
      expect(side.height).toBeLessThanOrEqual(800)
      expect(side.scroll).toBeGreaterThan(side.client)
      await shoot(page, `new-seven-layers-1280x800-${colorScheme}`)
      await page.locator('.experiment-side').evaluate((e) => (e.scrollTop = e.scrollHeight))
      await shoot(page, `new-seven-layers-side-scrolled-1280x800-${colorScheme}`)
      expect(problems).toEqual([])
      if (colorScheme === 'dark') break

      // B20: removing a layer moves focus to the layer now in its place.
      await page.getByRole('button', { name: 'Remove layer 3' }).click()
      await expect.poll(() => page.locator('.layer-row').count()).toBe(6)
      expect(await focused(page)).toBe('Remove layer 3')

      // B8: Tab stays in the Keras dialog, Esc closes it, focus returns to its button.
      const open = page.getByRole('button', { name: 'Paste Keras JSON…' })
      await open.focus()
      await page.keyboard.press('Enter')
      await expect.poll(() => focused(page)).toBe('Keras model JSON')
      for (let i = 0; i < 5; i++) {
        await page.keyboard.press('Tab')
        expect(await page.evaluate(() => !!document.activeElement?.closest('.dialog'))).toBe(true)
      }
      await page.keyboard.press('Escape')
      await expect.poll(() => page.locator('.dialog').count()).toBe(0)
      expect(await focused(page)).toBe('Paste Keras JSON…')

      // B20: the long form has jumps to its sections; from Training, one Tab reaches the optimizer.
      await page.locator('.jump-links').getByRole('button', { name: 'Training' }).click()
      expect(await focused(page)).toBe('Training')
      await page.keyboard.press('Tab')
      expect(await focused(page)).toBe('Optimizer')
      await page.context().close()
    }
  })
})
