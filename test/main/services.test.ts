// The services behind the contract, called as a door calls them: dataset previews and app facts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dispatch } from '../../common/contract'
import { Services } from '../../main/services'
import { tempDir } from '../helpers/tmp'
import { tutorialConfig } from '../helpers/seed'

let dir: ReturnType<typeof tempDir>
let services: Services
beforeAll(() => {
  dir = tempDir()
  services = new Services({ home: dir.path, door: 'cli', version: '9.9.9' })
})
afterAll(() => {
  services.close()
  dir.remove()
})

describe('services', () => {
  it('previews the embedded MNIST sample: shapes, class counts and a few digits', async () => {
    const reply = await dispatch(services.handlers, 'datasets:preview', { dataset: { source: 'mnist-sample' } })
    expect(reply.ok).toBe(true)
    const preview = (reply as { value: import('../../common/datasets').DatasetPreview }).value
    expect(preview.train.count).toBe(8000)
    expect(preview.validation?.count).toBe(2000)
    expect([preview.timeSteps, preview.features, preview.numClasses]).toEqual([28, 28, 10])
    expect(preview.train.classCounts.reduce((a, b) => a + b, 0)).toBe(8000)
    expect(preview.samples.length).toBeGreaterThan(0)
    expect(preview.samples[0].x).toHaveLength(28)
    expect(preview.samples[0].x[0]).toHaveLength(28)
  })

  it('refuses a bad dataset spec with the field named', async () => {
    const reply = await dispatch(services.handlers, 'datasets:preview', { dataset: { source: 'npy', train: { x: 3 } } })
    expect(reply).toMatchObject({ ok: false, error: expect.stringMatching(/^dataset\.train\.(x|y)/) })
  })

  it('reports a missing data file by name', async () => {
    const reply = await dispatch(services.handlers, 'datasets:preview', { dataset: { source: 'npy', train: { x: '/nonexistent/x.npy', y: '/nonexistent/y.npy' } } })
    expect(reply).toMatchObject({ ok: false, error: expect.stringContaining('/nonexistent/x.npy') })
  })

  it('summarizes a model for the builder, and names the layer and field of a bad one', async () => {
    const ok = await dispatch(services.handlers, 'models:summary', { config: tutorialConfig })
    expect(ok).toMatchObject({ ok: true, value: { input: [28, 28], summary: { totalParams: 93_010 } } })
    const bad = JSON.parse(JSON.stringify(tutorialConfig))
    bad.model.layers[1].rate = 1
    expect(await dispatch(services.handlers, 'models:summary', { config: bad })).toEqual({
      ok: false,
      error: 'model.layers[1].rate: must be at least 0 and below 1, got 1'
    })
  })

  it('tells the app where its database is', async () => {
    const reply = await dispatch(services.handlers, 'app:info', undefined)
    expect(reply).toMatchObject({ ok: true, value: { version: '9.9.9', home: dir.path, dbPath: services.dbPath, door: 'cli' } })
  })
})
