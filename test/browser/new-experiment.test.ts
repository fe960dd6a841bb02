// The New experiment screen in Chromium: build the tutorial's stack from the empty builder (93,010 params), see a bad
// stack explained at its layer, presets, the Keras paste dialog, the dataset preview, and the screenshots.
/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { readFileSync } from 'node:fs'
import { normalizeRunConfig } from '../../common/config'
import { CELL_TYPES, CELLS } from '../../common/cells'
import type { Browser, Page } from 'playwright-core'
import { launchBrowser, screenshotDir, serve, type Served } from '../helpers/browser'
import { tempDir } from '../helpers/tmp'
import { looks, openPage, shoot } from './page'

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

async function addRecurrent(
  page: Page,
  n: number,
  opts: { bidirectional?: boolean; units?: number } = {}
): Promise<void> {
  await page.getByRole('button', { name: '+ Recurrent layer' }).click()
  if (opts.units !== undefined) await page.getByLabel(`Layer ${n} units`).fill(String(opts.units))
  if (opts.bidirectional) await page.getByLabel(`Layer ${n} direction`).selectOption('bidirectional')
}

describe('new experiment in Chromium', () => {
  it('builds the tutorial stack from the empty builder and shows 93,010 params', async () => {
    const { page, problems } = await openPage(browser, served, { hash: '#/new' })
    await page.getByTestId('builder-empty').waitFor()
    await shoot(page, 'new-empty-1280x800-light')

    await addRecurrent(page, 1, { bidirectional: true })
    await page.getByRole('button', { name: '+ Dropout' }).click()
    await addRecurrent(page, 3, { bidirectional: true })
    await page.getByRole('button', { name: '+ Dropout' }).click()
    // Adding layer 3 turned on return sequences on layer 1, as a stacked recurrent layer needs.
    expect(await page.getByLabel('Layer 1 return sequences').isChecked()).toBe(true)
    // Without a dense head, the softmax loss is explained at the last layer.
    const bad = page.locator('.layer-row-bad')
    await expect.poll(() => bad.count()).toBe(1)
    expect(await bad.textContent()).toContain('categorical_crossentropy needs the model to end in a dense layer')
    await page.getByRole('button', { name: '+ Dense' }).click()
    await expect.poll(() => page.locator('.layer-row-bad').count()).toBe(0)

    await expect.poll(() => page.getByTestId('total-params').textContent()).toBe('93,010')
    const summary = await page.getByTestId('model-summary').textContent()
    expect(summary).toMatch(/\(None, 28, 100\).*31,600.*60,400.*1,010/s)
    expect(await page.getByTestId('stack-diagram').locator('.diagram-edge-backward').count()).toBeGreaterThan(0)
    await page.getByTestId('dataset-preview').waitFor()
    expect(await page.getByTestId('dataset-preview').textContent()).toContain('8,000 training samples')
    expect(await page.locator('.dataset-sample canvas').count()).toBeGreaterThan(0)
    // The sample's preview follows its settings.
    await page.getByLabel('Samples to use').fill('500')
    await page.getByLabel('Samples to use').press('Tab')
    await expect
      .poll(() => page.getByTestId('dataset-preview').textContent())
      .toMatch(/400 training samples\s*·\s*100 validation/)
    await shoot(page, 'new-tutorial-1280x800-light', true)

    // Shared weights halve the recurrent params of that layer: 47,010 in all for both layers shared.
    await page.getByLabel('Layer 1 shared weights').check()
    await page.getByLabel('Layer 3 shared weights').check()
    await expect.poll(() => page.getByTestId('total-params').textContent()).toBe('47,010')
    expect(problems).toEqual([])
  })

  it('adds and edits embedding and masking layers, always first in the stack', async () => {
    const { page, problems } = await openPage(browser, served, { hash: '#/new' })
    await page.getByTestId('builder-empty').waitFor()
    await addRecurrent(page, 1, { units: 8 })
    await page.getByRole('button', { name: '+ Dense' }).click()
    await page.getByLabel('Layer 2 units').fill('10')
    await page.getByRole('button', { name: '+ Embedding' }).click()
    // It reads the token ids of the data, so it went first, above the recurrent layer.
    await expect.poll(() => page.locator('.layer-row-title').allTextContents()).toEqual(['Embedding', 'LSTM', 'Dense'])
    await page.getByLabel('Layer 1 input dim').fill('100')
    await page.getByLabel('Layer 1 output dim').fill('8')
    await page.getByLabel('Layer 1 mask zero').check()
    // 100 × 8 embeddings, then an LSTM of 8 units on 8 features: 4 × (8 × 8 + 8 × 8 + 8) = 544, then 8 × 10 + 10 = 90.
    await expect.poll(() => page.getByTestId('total-params').textContent()).toBe('1,434')
    // MNIST has 28 features a step, not one token id: explained at the embedding.
    const first = page.locator('.layer-row[data-layer="0"]')
    await expect.poll(() => first.locator('.layer-row-problems').textContent()).toContain('one token id a step')
    await shoot(page, 'new-embedding-1280x800-light', true)

    await page.getByRole('button', { name: '+ Masking' }).click()
    await expect
      .poll(() => page.locator('.layer-row-title').allTextContents())
      .toEqual(['Masking', 'Embedding', 'LSTM', 'Dense'])
    await page.getByLabel('Layer 1 mask value').fill('-1')
    await page.getByRole('button', { name: 'Remove layer 2' }).click()
    await expect.poll(() => page.locator('.layer-row-title').allTextContents()).toEqual(['Masking', 'LSTM', 'Dense'])
    // A masking layer adds no parameters: LSTM 8 on 28 features, then the head.
    await expect.poll(() => page.getByTestId('total-params').textContent()).toBe('1,274')
    await expect.poll(() => page.locator('.layer-row-bad').count()).toBe(0)
    expect(problems).toEqual([])
    await page.context().close()
  })

  it('explains a stack that cannot work at the layer at fault', async () => {
    const { page, problems } = await openPage(browser, served, { hash: '#/new' })
    await page.getByLabel('Start from a preset').selectOption('tutorial-bilstm')
    await expect.poll(() => page.getByTestId('total-params').textContent()).toBe('93,010')
    await page.getByLabel('Layer 1 return sequences').uncheck()
    const bad = page.locator('.layer-row-bad')
    await expect.poll(() => bad.count()).toBe(1)
    // Marked on the layer to change, naming the one that needs the sequence.
    expect(await bad.getAttribute('data-layer')).toBe('0')
    expect(await bad.textContent()).toContain('Layer 3 (Bidirectional LSTM) reads a sequence')
    // The diagram marks that layer too.
    expect(await page.locator('.diagram-row-bad').allTextContents()).toEqual(['1. LSTM →', '1. LSTM ←'])
    await page.getByLabel('Layer 1 units').fill('')
    await expect
      .poll(() => page.locator('.layer-row[data-layer="0"] .layer-row-problems').textContent())
      .toContain('units: missing')
    await shoot(page, 'new-invalid-1280x800-light')
    // Start refuses and says why.
    await page.getByTestId('start-training').click()
    await page.getByTestId('start-message').waitFor()
    expect(await page.getByTestId('start-message').textContent()).toContain('Fix the problems')
    expect(problems).toEqual([])
  })

  it('loads presets and a pasted Keras model; Esc closes the dialog', async () => {
    const { page, problems } = await openPage(browser, served, { hash: '#/new' })
    for (const [id, total] of [
      ['tutorial-bigru', '70,610'],
      ['tutorial-birnn', '24,010'],
      ['tutorial-bilstm', '93,010']
    ]) {
      await page.getByLabel('Start from a preset').selectOption(id)
      await expect.poll(() => page.getByTestId('total-params').textContent()).toBe(total)
    }
    await page.getByRole('button', { name: 'Paste Keras JSON…' }).click()
    await page.getByLabel('Keras model JSON').waitFor()
    await page.keyboard.press('Escape')
    await expect.poll(() => page.getByLabel('Keras model JSON').count()).toBe(0)

    const keras = {
      class_name: 'Sequential',
      config: {
        name: 'seq',
        layers: [
          { class_name: 'InputLayer', config: { batch_input_shape: [null, 28, 28], dtype: 'float32', name: 'input' } },
          { class_name: 'GRU', config: { name: 'gru', units: 32, return_sequences: false, reset_after: true } },
          { class_name: 'Dense', config: { name: 'dense', units: 10, activation: 'softmax' } }
        ]
      },
      keras_version: '2.15.0',
      backend: 'tensorflow'
    }
    await page.getByRole('button', { name: 'Paste Keras JSON…' }).click()
    await page.getByLabel('Keras model JSON').fill('{ not json')
    await page.getByRole('button', { name: 'Use these layers' }).click()
    await page.locator('.dialog .error-banner').waitFor()
    expect(await page.locator('.dialog .error-banner').textContent()).toContain('Not JSON')
    await shoot(page, 'new-keras-dialog-1280x800-light')
    await page.getByLabel('Keras model JSON').fill(JSON.stringify(keras))
    await page.getByRole('button', { name: 'Use these layers' }).click()
    await expect.poll(() => page.locator('.layer-row').count()).toBe(2)
    // GRU(32) on 28 features with reset_after: 3·32·(28+32) + 2·3·32 = 5,952; dense 330.
    await expect.poll(() => page.getByTestId('total-params').textContent()).toBe('6,282')
    expect(problems).toEqual([])
  })

  it('offers each cell exactly the activations the engine runs, and marks an imported one it cannot run', async () => {
    const { page, problems } = await openPage(browser, served, { hash: '#/new' })
    await page.getByTestId('builder-empty').waitFor()
    await addRecurrent(page, 1)
    const choices = () =>
      page
        .getByLabel('Layer 1 activation')
        .locator('option')
        .evaluateAll((o) => o.map((e) => e.textContent))
    for (const cell of CELL_TYPES) {
      await page.getByLabel('Layer 1 cell').selectOption(cell)
      await expect.poll(choices).toEqual([...CELLS[cell].engineActivations])
    }
    // A cell that does not run the chosen activation falls back to its default rather than failing at Start.
    await page.getByLabel('Layer 1 cell').selectOption('simple_rnn')
    await page.getByLabel('Layer 1 activation').selectOption('relu')
    await page.getByLabel('Layer 1 cell').selectOption('gru')
    await expect.poll(() => page.getByLabel('Layer 1 activation').inputValue()).toBe('tanh')
    expect(await page.locator('.layer-row[data-layer="0"]').textContent()).not.toContain('the engine')

    // Keras brings in what the config accepts but the engine cannot run: marked at its layer, before Start.
    const keras = {
      class_name: 'Sequential',
      config: {
        name: 'seq',
        layers: [
          { class_name: 'InputLayer', config: { batch_input_shape: [null, 28, 28], dtype: 'float32', name: 'input' } },
          { class_name: 'LSTM', config: { name: 'lstm', units: 16, activation: 'relu', return_sequences: true } },
          { class_name: 'GRU', config: { name: 'gru', units: 8, recurrent_activation: 'tanh', reset_after: true } },
          { class_name: 'Dense', config: { name: 'dense', units: 10, activation: 'softmax' } }
        ]
      },
      keras_version: '2.15.0',
      backend: 'tensorflow'
    }
    await page.getByRole('button', { name: 'Paste Keras JSON…' }).click()
    await page.getByLabel('Keras model JSON').fill(JSON.stringify(keras))
    await page.getByRole('button', { name: 'Use these layers' }).click()
    await expect.poll(() => page.locator('.layer-row').count()).toBe(3)
    const bad = page.locator('.layer-row-bad')
    await expect.poll(() => bad.count()).toBe(2)
    const lstm = page.locator('.layer-row[data-layer="0"]')
    expect(await lstm.locator('.layer-row-problems').textContent()).toContain(
      'activation: the engine runs tanh here, not relu'
    )
    expect(await page.getByLabel('Layer 1 activation').inputValue()).toBe('relu')
    expect(await choices()).toEqual(['tanh', 'relu (the engine cannot run it)'])
    expect(await page.getByLabel('Layer 1 activation').getAttribute('class')).toContain('bad')
    expect(await page.locator('.layer-row[data-layer="1"] .layer-row-problems').textContent()).toContain(
      'recurrentActivation: the engine runs sigmoid here, not tanh'
    )
    await shoot(page, 'new-engine-refusal-1280x800-light')
    await page.getByTestId('start-training').click()
    await page.getByTestId('start-message').waitFor()
    expect(await page.getByTestId('start-message').textContent()).toContain('Fix the problems')
    // Choosing what the engine runs clears the mark.
    await page.getByLabel('Layer 1 activation').selectOption('tanh')
    await expect.poll(() => bad.count()).toBe(1)
    expect(await choices()).toEqual(['tanh'])
    expect(problems).toEqual([])
  })

  it('saves the config as JSON and loads one back, naming the field at fault in a bad file', async () => {
    const { page, problems } = await openPage(browser, served, { hash: '#/new' })
    await page.getByLabel('Start from a preset').selectOption('tutorial-bigru')
    await page.getByLabel('Epochs').fill('3')
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Save config' }).click()
    ])
    expect(download.suggestedFilename()).toBe('tutorial-bigru.json')
    const saved = JSON.parse(readFileSync((await download.path())!, 'utf8'))
    const c = normalizeRunConfig(saved)
    expect(c.training.epochs).toBe(3)
    expect(c.model.layers.map((l) => (l.type === 'bidirectional' ? l.layer.type : l.type))).toEqual([
      'gru',
      'dropout',
      'gru',
      'dropout',
      'dense'
    ])

    const bad = {
      ...saved,
      model: {
        layers: [
          { type: 'lstm', units: 8 },
          { type: 'dense', unit: 10 }
        ]
      }
    }
    await page
      .getByLabel('Load a config JSON file')
      .setInputFiles({ name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(bad)) })
    await expect
      .poll(() => page.locator('.error-banner').first().textContent())
      .toBe('bad.json: model.layers[1].unit: unknown key (did you mean "units"?)')
    await page
      .getByLabel('Load a config JSON file')
      .setInputFiles({ name: 'saved.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(saved)) })
    await expect.poll(() => page.locator('.error-banner').count()).toBe(0)
    await expect.poll(() => page.getByTestId('total-params').textContent()).toBe('70,610')
    expect(problems).toEqual([])
  })

  // Four fresh pages: on a loaded machine (load average near 30 on 2 cores) each takes about 25 s to open and preview.
  it('looks right at both sizes in both themes', { timeout: 240_000 }, async () => {
    for (const look of looks) {
      const { page, problems } = await openPage(browser, served, { ...look, hash: '#/new' })
      await page.getByLabel('Start from a preset').selectOption('tutorial-bilstm')
      await page.getByTestId('dataset-preview').waitFor()
      await shoot(page, `new-tutorial-${look.width}x${look.height}-${look.colorScheme}`)
      await page
        .locator('.diagram-panel')
        .screenshot({ path: join(screenshotDir, `new-diagram-${look.colorScheme}.png`) })
      await page
        .locator('.dataset-panel')
        .screenshot({ path: join(screenshotDir, `new-dataset-${look.colorScheme}.png`) })
      const overflow = await page.evaluate(
        () => document.querySelector('.app-main')!.scrollWidth - document.querySelector('.app-main')!.clientWidth
      )
      expect(overflow).toBeLessThanOrEqual(0)
      expect(problems).toEqual([])
      await page.context().close()
    }
  })
})
