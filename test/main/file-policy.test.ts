// Finding 5 of the 2026-12 security probe: through the page's API, export:onnx wrote any `out` path (it overwrote a
// text file), inference:predict's modelPath and datasets:preview's paths read any file, and a CSV error quoted a
// secret file's first field. Now a door's calls write only into the run's folder and read only the lab folder, the
// folders the person allowed, or files the person chose; messages never quote a file's contents.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { normalizeRunConfig } from '../../common/config'
import { dispatch } from '../../common/contract'
import { allowedDirsFromEnv, FileAccess } from '../../main/files'
import { encodeNpy } from '../../main/onnx/npy'
import { Services } from '../../main/services'
import { tempDir } from '../helpers/tmp'

const home = tempDir('rnnlab-policy-home-')
/** A folder outside the lab: the person's other files. */
const outside = tempDir('rnnlab-policy-outside-')
const SECRET = 'hunter2-SECRET-PASSWORD'
let services: Services
let runId: number

function npyPair(dir: string, name: string): { x: string; y: string } {
  const x = join(dir, `${name}-x.npy`)
  const y = join(dir, `${name}-y.npy`)
  writeFileSync(x, encodeNpy(new Float32Array(8 * 2 * 3).fill(0.5), [8, 2, 3]))
  writeFileSync(y, encodeNpy(Float32Array.from([0, 1, 0, 1, 0, 1, 0, 1]), [8]))
  return { x, y }
}

beforeAll(async () => {
  services = new Services({ home: home.path, door: 'browser', version: 'test', files: new FileAccess([home.path]) })
  const config = normalizeRunConfig({
    name: 'policy',
    dataset: { source: 'mnist-sample', limit: 200 },
    model: {
      layers: [
        { type: 'simple_rnn', units: 4 },
        { type: 'dense', units: 10, activation: 'softmax' }
      ]
    },
    training: { epochs: 1, batchSize: 50 }
  })
  runId = services.training.start(config)
  expect(await services.training.finished(runId)).toBe('completed')
}, 120_000)
afterAll(() => {
  services.close()
  home.remove()
  outside.remove()
})

describe('export:onnx writes only into the run’s folder', () => {
  test('an `out` from the page is refused and the file there is left as it was', async () => {
    const victim = join(outside.path, 'victim.txt')
    writeFileSync(victim, 'my notes')
    const reply = await dispatch(services.handlers, 'export:onnx', { runId, checkpoint: 'last', out: victim })
    expect(reply).toEqual({
      ok: false,
      error: "request.out: not accepted: exports are written to the run's folder (use Save for a copy)"
    })
    expect(readFileSync(victim, 'utf8')).toBe('my notes')
  })

  test('without `out`, the file goes to runs/<id>/exports in the lab folder', async () => {
    const reply = await dispatch(services.handlers, 'export:onnx', { runId, checkpoint: 'last' })
    expect(reply).toMatchObject({
      ok: true,
      value: { path: join(home.path, 'runs', String(runId), 'exports', `run-${runId}-last.onnx`) }
    })
  })
})

describe('inference:predict reads a model only inside the allowed folders', () => {
  const input = [Array.from({ length: 28 }, () => new Array(28).fill(0.1))]

  test('a model outside is refused before it is opened, naming the field and the folders', async () => {
    const model = join(outside.path, 'secret.onnx')
    writeFileSync(model, SECRET)
    const reply = await dispatch(services.handlers, 'inference:predict', { modelPath: model, input })
    expect(reply).toEqual({
      ok: false,
      error: `request.modelPath: ${model} is outside the folders this page may read (${home.path}); pick it with Browse… in the desktop app, add its folder to RNNLAB_ALLOW_DIRS, or start rnnlab serve with --allow-dir FOLDER`
    })
  })

  test('climbing out with .. or a symbolic link inside the lab folder is refused too', async () => {
    const model = join(outside.path, 'secret.onnx')
    writeFileSync(model, SECRET)
    symlinkSync(model, join(home.path, 'link.onnx'))
    for (const modelPath of [
      join(home.path, '..', outside.path.split('/').pop()!, 'secret.onnx'),
      join(home.path, 'link.onnx')
    ]) {
      const reply = await dispatch(services.handlers, 'inference:predict', { modelPath, input })
      expect(reply.ok).toBe(false)
      expect(reply.ok ? '' : reply.error).toMatch(/^request\.modelPath: .* is outside the folders this page may read/)
      expect(JSON.stringify(reply)).not.toContain('hunter2')
    }
  })

  test('the run’s own export (in the lab folder) is read', async () => {
    const modelPath = join(home.path, 'runs', String(runId), 'exports', `run-${runId}-last.onnx`)
    const reply = await dispatch(services.handlers, 'inference:predict', { modelPath, input })
    expect(reply).toMatchObject({ ok: true, value: { dims: [1, 10] } })
  })
})

describe('dataset paths from the page: datasets:preview, training:start, models:summary', () => {
  test('files outside are refused, naming the field; the same files inside the lab folder are read', async () => {
    const out = npyPair(outside.path, 'data')
    const reply = await dispatch(services.handlers, 'datasets:preview', { dataset: { source: 'npy', train: out } })
    expect(reply.ok).toBe(false)
    expect(reply.ok ? '' : reply.error).toMatch(
      /^dataset\.train\.x: .*data-x\.npy is outside the folders this page may read/
    )

    mkdirSync(join(home.path, 'data'), { recursive: true })
    const inside = npyPair(join(home.path, 'data'), 'data')
    const ok = await dispatch(services.handlers, 'datasets:preview', { dataset: { source: 'npy', train: inside } })
    expect(ok).toMatchObject({ ok: true, value: { timeSteps: 2, features: 3, numClasses: 2 } })
  })

  test('training:start and models:summary refuse a dataset outside; no run is created', async () => {
    const out = npyPair(outside.path, 'train')
    const config = {
      name: 'outside',
      dataset: { source: 'npy', train: out },
      model: {
        layers: [
          { type: 'lstm', units: 4 },
          { type: 'dense', units: 2, activation: 'softmax' }
        ]
      }
    }
    const before = services.store.listRuns({}).length
    const started = await dispatch(services.handlers, 'training:start', { config })
    expect(started.ok ? '' : started.error).toMatch(/^dataset\.train\.x: .* is outside the folders this page may read/)
    const fromOnnx = await dispatch(services.handlers, 'training:start', {
      config: { ...config, dataset: { source: 'mnist-sample', limit: 100 } },
      initFrom: join(outside.path, 'secret.onnx')
    })
    expect(fromOnnx.ok ? '' : fromOnnx.error).toMatch(/^initFrom: .* is outside the folders this page may read/)
    expect(services.store.listRuns({}).length).toBe(before)
    const summary = await dispatch(services.handlers, 'models:summary', { config })
    expect(summary.ok ? '' : summary.error).toMatch(/^dataset\.train\.x: .* is outside the folders this page may read/)
  })

  test('a file the person chose (the open dialog) is readable from then on', async () => {
    const access = new FileAccess([home.path])
    const chosen = npyPair(outside.path, 'chosen')
    expect(() => access.check(chosen.x, 'dataset.train.x')).toThrow(/outside the folders/)
    access.choose(chosen.x)
    expect(() => access.check(chosen.x, 'dataset.train.x')).not.toThrow()
    expect(() => access.check(chosen.y, 'dataset.train.y')).toThrow(/outside the folders/)
    access.choose(outside.path)
    expect(() => access.check(chosen.y, 'dataset.train.y')).not.toThrow()
  })

  test('a CSV error names the line and the column, never the text in it', async () => {
    const csv = join(home.path, 'data', 'secret.csv')
    writeFileSync(csv, `${SECRET},1,2\n0,abc-${SECRET},3\n`)
    for (const [dataset, want] of [
      [
        { source: 'csv', train: csv, timeSteps: 1, features: 2 },
        /secret\.csv:1:1: label \(field 1\) is not a class id \(a non-negative integer\): it is text/
      ],
      [
        { source: 'csv', train: csv, timeSteps: 1, features: 2, header: true },
        /secret\.csv:2:\d+: value at step 0, feature 0 \(field 2\) is not a number \(text\)/
      ]
    ] as const) {
      const reply = await dispatch(services.handlers, 'datasets:preview', { dataset })
      expect(reply.ok ? '' : reply.error).toMatch(want)
      expect(JSON.stringify(reply)).not.toContain('hunter2')
    }
  })
})

test('files:choose: what the person picks in the desktop app’s open dialog becomes readable; a browser has no dialog', async () => {
  const picked = npyPair(outside.path, 'picked')
  const answers: (string | null)[] = [null, picked.x, picked.y]
  // The stand-in for Electron's dialog.showOpenDialog: the person cancels, then picks x, then y.
  const app = new Services({
    home: home.path,
    door: 'electron',
    version: 'test',
    files: new FileAccess([home.path]),
    chooseFile: async () => answers.shift() ?? null
  })
  try {
    const dataset = { source: 'npy', train: picked }
    const before = await dispatch(app.handlers, 'datasets:preview', { dataset })
    expect(before.ok ? '' : before.error).toMatch(/^dataset\.train\.x: .* is outside the folders this page may read/)
    expect(await dispatch(app.handlers, 'files:choose', {})).toEqual({ ok: true, value: { path: null } })
    expect(await dispatch(app.handlers, 'files:choose', {})).toEqual({ ok: true, value: { path: picked.x } })
    const half = await dispatch(app.handlers, 'datasets:preview', { dataset })
    expect(half.ok ? '' : half.error).toMatch(/^dataset\.train\.y: .* is outside the folders this page may read/)
    expect(await dispatch(app.handlers, 'files:choose', { folder: false })).toEqual({
      ok: true,
      value: { path: picked.y }
    })
    expect(await dispatch(app.handlers, 'datasets:preview', { dataset })).toMatchObject({ ok: true })
  } finally {
    app.close()
  }
  expect(await dispatch(services.handlers, 'files:choose', {})).toEqual({
    ok: false,
    error: 'choosing a file needs the desktop app; here, type a path inside the lab folder or an --allow-dir folder'
  })
})

test('RNNLAB_ALLOW_DIRS names more folders the page may read (the desktop app and rnnlab serve)', () => {
  const dirs = allowedDirsFromEnv({ RNNLAB_ALLOW_DIRS: `${outside.path}:relative/data::` })
  expect(dirs).toEqual([outside.path, resolve('relative/data')])
  const access = new FileAccess([home.path, ...dirs])
  expect(() => access.check(join(outside.path, 'x.npy'), 'dataset.train.x')).not.toThrow()
  expect(() => access.check('/etc/passwd', 'dataset.train.x')).toThrow(
    `dataset.train.x: /etc/passwd is outside the folders this page may read (${[home.path, ...dirs].join(', ')})`
  )
})

test('rnnlab serve --allow-dir refuses a folder that is not there, before serving', () => {
  const bin = resolve(__dirname, '..', '..', 'bin', 'rnnlab.js')
  const run = spawnSync(process.execPath, [bin, 'serve', '--allow-dir', join(outside.path, 'nope')], {
    env: { ...process.env, RNNLAB_HOME: home.path },
    encoding: 'utf8',
    timeout: 300_000
  })
  expect(run.status).toBe(2)
  expect(run.stderr.trim().split('\n').at(-1)).toBe(
    `rnnlab: --allow-dir: ${join(outside.path, 'nope')} is not a folder`
  )
  expect(existsSync(join(outside.path, 'nope'))).toBe(false)
})
