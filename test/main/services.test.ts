// The services behind the contract, called as a door calls them: dataset previews and app facts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dispatch } from '../../common/contract'
import { Services } from '../../main/services'
import { tempDir } from '../helpers/tmp'
import { tutorialConfig } from '../helpers/seed'
import { join } from 'node:path'
import { readFileSync } from 'node:fs'
import { normalizeRunConfig } from '../../common/config'

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
    const reply = await dispatch(services.handlers, 'datasets:preview', {
      dataset: { source: 'npy', train: { x: '/nonexistent/x.npy', y: '/nonexistent/y.npy' } }
    })
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

  it('exports a trained run and predicts with it through the contract', async () => {
    const config = normalizeRunConfig({
      name: 'contract-onnx',
      dataset: { source: 'mnist-sample', limit: 400 },
      model: {
        layers: [
          { type: 'simple_rnn', units: 8 },
          { type: 'dense', units: 10, activation: 'softmax' }
        ]
      },
      training: { epochs: 1, batchSize: 32 }
    })
    const runId = services.training.start(config)
    expect(await services.training.finished(runId)).toBe('completed')
    const exported = await dispatch(services.handlers, 'export:onnx', { runId, checkpoint: 'last' })
    expect(exported).toMatchObject({
      ok: true,
      value: { ok: true, runId, checkpoint: 'last', epoch: 1, argmaxAgreement: 1 }
    })
    const report = (exported as { value: { path: string; maxAbsDiff: number } }).value
    expect(report.path).toBe(join(dir.path, 'runs', String(runId), 'exports', `run-${runId}-last.onnx`))
    expect(report.maxAbsDiff).toBeLessThanOrEqual(1e-5)
    const digit = Array.from({ length: 28 }, (_, t) => Array.from({ length: 28 }, (_, f) => ((t * 28 + f) % 17) / 17))
    const byFile = await dispatch(services.handlers, 'inference:predict', {
      modelPath: report.path,
      input: [digit, digit]
    })
    const byRun = await dispatch(services.handlers, 'inference:predict', { runId, input: [digit] })
    expect(byFile).toMatchObject({
      ok: true,
      value: { dims: [2, 10], classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] }
    })
    const p = (byFile as { value: { probabilities: number[][] } }).value.probabilities
    expect(p[0].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5)
    expect(p[0]).toEqual(p[1])
    const q = (byRun as { value: { probabilities: number[][] } }).value.probabilities
    q[0].forEach((v, i) => expect(Math.abs(v - p[0][i])).toBeLessThan(1e-5))
    const artifacts = await dispatch(services.handlers, 'runs:artifacts', { id: runId })
    expect(artifacts).toMatchObject({
      ok: true,
      value: {
        checkpoints: [
          { kind: 'best', epoch: 1 },
          { kind: 'last', epoch: 1 }
        ],
        exports: [{ ok: true, path: report.path }]
      }
    })
    const exportId = (artifacts as { value: { exports: { id: number }[] } }).value.exports[0].id
    const file = await dispatch(services.handlers, 'export:file', { exportId })
    expect(file).toMatchObject({ ok: true, value: { fileName: `run-${runId}-last.onnx` } })
    expect(Buffer.from((file as { value: { base64: string } }).value.base64, 'base64')).toEqual(
      readFileSync(report.path)
    )
    expect(await dispatch(services.handlers, 'export:file', { exportId: 999 })).toEqual({
      ok: false,
      error: 'export 999 not found'
    })
    const samples = await dispatch(services.handlers, 'runs:samples', { id: runId, offset: 10, count: 3 })
    expect(samples).toMatchObject({ ok: true, value: { split: 'validation', total: 80, timeSteps: 28, features: 28 } })
    const got = (samples as { value: { samples: { index: number; label: number; x: number[][] }[] } }).value.samples
    expect(got.map((s) => s.index)).toEqual([10, 11, 12])
    expect(got[0].x).toHaveLength(28)
    expect(typeof got[0].label).toBe('number')
    expect(
      await dispatch(services.handlers, 'inference:predict', { runId, input: [digit.slice(0, 5), digit] })
    ).toEqual({
      ok: false,
      error: 'request.input[1]: 28 steps, the first sample has 5'
    })
  })

  it('tells the app where its database is', async () => {
    const reply = await dispatch(services.handlers, 'app:info', undefined)
    expect(reply).toMatchObject({
      ok: true,
      value: { version: '9.9.9', home: dir.path, dbPath: services.dbPath, door: 'cli' }
    })
  })
})
