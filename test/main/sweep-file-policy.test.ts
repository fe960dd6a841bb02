// sweeps:create through a door (the desktop's IPC, `rnnlab serve`) obeys the file policy a run config obeys
// (main/files.ts): every expanded trial's dataset paths must lie in the lab folder, a folder the person allowed or a
// file they chose; a sweep with one trial reading elsewhere is refused, naming the trial and the field, and none of
// it is created.
import { afterAll, beforeAll, expect, test } from 'vitest'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { dispatch } from '../../common/contract'
import { FileAccess } from '../../main/files'
import { encodeNpy } from '../../main/onnx/npy'
import { Services } from '../../main/services'
import { tempDir } from '../helpers/tmp'

const home = tempDir('rnnlab-sweep-policy-home-')
const outside = tempDir('rnnlab-sweep-policy-outside-')
let services: Services

function npyPair(dir: string, name: string): { x: string; y: string } {
  const x = join(dir, `${name}-x.npy`)
  const y = join(dir, `${name}-y.npy`)
  writeFileSync(x, encodeNpy(new Float32Array(8 * 2 * 3).fill(0.5), [8, 2, 3]))
  writeFileSync(y, encodeNpy(Float32Array.from([0, 1, 0, 1, 0, 1, 0, 1]), [8]))
  return { x, y }
}

function sweep(train: unknown, parameters: Record<string, unknown>) {
  return {
    name: 'policy sweep',
    base: {
      dataset: { source: 'npy', train },
      model: {
        layers: [
          { type: 'simple_rnn', units: 2 },
          { type: 'dense', units: 2, activation: 'softmax' }
        ]
      },
      training: { epochs: 1, batchSize: 4 }
    },
    parameters
  }
}

beforeAll(() => {
  services = new Services({ home: home.path, door: 'browser', version: 'test', files: new FileAccess([home.path]) })
})
afterAll(() => {
  services.close()
  home.remove()
  outside.remove()
})

test('a trial whose dataset is outside the allowed folders is refused, naming the trial and the field', async () => {
  const inside = npyPair(home.path, 'inside')
  const secret = npyPair(outside.path, 'secret')
  const reply = await dispatch(
    services.handlers,
    'sweeps:create',
    // The base reads the lab folder; the parameter makes trial 2 read another folder.
    { config: sweep(inside, { 'dataset.train.x': [inside.x, secret.x] }), parallel: 1 }
  )
  expect(reply.ok).toBe(false)
  expect(!reply.ok && reply.error).toMatch(
    new RegExp(
      `^trial 2: dataset\\.train\\.x: ${secret.x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is outside the folders this page may read`
    )
  )
  expect(await dispatch(services.handlers, 'sweeps:list', undefined)).toEqual({ ok: true, value: [] })
})

test('relative paths count from baseDir: a baseDir outside is refused too', async () => {
  npyPair(outside.path, 'rel')
  const reply = await dispatch(services.handlers, 'sweeps:create', {
    config: sweep({ x: 'rel-x.npy', y: 'rel-y.npy' }, { 'model.layers.0.units': [2, 3] }),
    baseDir: outside.path,
    parallel: 1
  })
  expect(!reply.ok && reply.error).toMatch(/^trial 1: dataset\.train\.x: rel-x\.npy is outside the folders/)
  expect(await dispatch(services.handlers, 'sweeps:list', undefined)).toEqual({ ok: true, value: [] })
})

test('a sweep whose every trial reads the lab folder is created', async () => {
  const a = npyPair(home.path, 'a')
  const b = npyPair(home.path, 'b')
  const reply = await dispatch(services.handlers, 'sweeps:create', {
    config: sweep(a, { 'dataset.train.x': [a.x, b.x] }),
    parallel: 1,
    threadsPerTrial: 1
  })
  expect(reply.ok).toBe(true)
  const id = reply.ok ? (reply.value as { sweepId: number }).sweepId : 0
  expect(await services.sweeps.finished(id)).toBe('completed')
  expect(services.sweepStore.get(id).counts.completed).toBe(2)
}, 120_000)
