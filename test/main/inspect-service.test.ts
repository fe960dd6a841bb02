// runs:inspect through the services, with a real worker process: several samples asked at once are answered each
// with its own, by one worker that keeps the run's data and model; closing the services ends it.
import { afterAll, beforeAll, expect, test } from 'vitest'
import { normalizeRunConfig } from '../../common/config'
import { Services } from '../../main/services'
import { tempDir } from '../helpers/tmp'

const dir = tempDir()
let services: Services
let runId: number
beforeAll(async () => {
  services = new Services({ home: dir.path, door: 'cli', version: 'test' })
  runId = services.training.start(
    normalizeRunConfig({
      name: 'inspected',
      dataset: { source: 'mnist-sample', limit: 200, validationSplit: 0.25 },
      model: {
        layers: [
          { type: 'lstm', units: 5, goBackwards: true },
          { type: 'dense', units: 10, activation: 'softmax' }
        ]
      },
      training: { epochs: 1, batchSize: 32, seed: 3 }
    })
  )
  expect(await services.training.finished(runId)).toBe('completed')
}, 120_000)
afterAll(() => {
  services.close()
  dir.remove()
})

test('samples asked at once come back each with its own states', async () => {
  const samples = [0, 7, 49]
  const replies = await Promise.all(samples.map((sample) => services.handlers.inspectRun({ id: runId, sample })))
  expect(replies.map((r) => [r.sample, r.split, r.total, r.checkpoint, r.epoch])).toEqual(
    samples.map((s) => [s, 'validation', 50, 'best', 1])
  )
  for (const r of replies) {
    expect(r.layers).toHaveLength(1)
    expect(r.layers[0].directions.map((d) => d.direction)).toEqual(['backward'])
  }
  // Different digits, different states.
  const firstStates = replies.map((r) => JSON.stringify(r.layers[0].directions[0].h))
  expect(new Set(firstStates).size).toBe(3)
  // The same sample again gives the same numbers.
  const again = await services.handlers.inspectRun({ id: runId, sample: 7 })
  expect(again.layers).toEqual(replies[1].layers)
  await expect(services.handlers.inspectRun({ id: runId, sample: 50 })).rejects.toThrow(
    `sample: 50 is past the end of run ${runId}'s validation set (50 samples, 0 to 49)`
  )
  await expect(services.handlers.inspectRun({ id: runId, sample: 0, checkpoint: 'last' })).resolves.toMatchObject({
    checkpoint: 'last'
  })
}, 60_000)

test('each epoch keeps its training health: the gradient flow through time and the gates’ saturation', async () => {
  const [health, ...more] = await services.handlers.getRunHealth({ id: runId })
  expect(more).toEqual([])
  expect(health).toMatchObject({ version: 1, epoch: 1, gradientFlow: { samples: 150 }, saturation: { samples: 32 } })
  const [flow] = health.gradientFlow.layers
  expect(flow.layer).toBe(0)
  expect(flow.directions.map((d) => d.direction)).toEqual(['backward'])
  const norms = flow.directions[0].norms
  expect(norms).toHaveLength(28)
  for (const v of norms) expect(Number.isFinite(v) && v >= 0).toBe(true)
  // Read backwards with only its last state used, the layer's first input step (t = 0) is nearest the loss.
  expect(norms[0]).toBeGreaterThan(0)
  const gates = health.saturation!.layers[0].directions[0].gates
  expect(gates.map((g) => g.name)).toEqual(['i', 'o', 'f'])
  for (const g of gates) expect(g.low >= 0 && g.high >= 0 && g.low + g.high <= 1).toBe(true)
})
