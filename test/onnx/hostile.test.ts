// Finding 2 of the 2026-12 security probe: a hostile ONNX file made onnxruntime read a file named in it (a Constant's
// sparse_value stored "externally" in ./secret.bin) and `rnnlab predict` returned its bytes. The corpus of
// scripts/make-hostile-onnx.mjs puts external data in every place ONNX allows it, absurd shapes, non-finite weights
// and operators we do not run; each file must be refused with its message by `rnnlab predict`, by the import path
// (--init-from) and by the service behind the page's inference:predict, run from a folder holding the canary file the
// models name, and the canary's bytes must never come back in any output.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import * as ort from 'onnxruntime-node'
import { dispatch } from '../../common/contract'
import { sessionOptions } from '../../main/onnx/inference'
import { loadInitWeights } from '../../main/onnx/service'
import { encodeNpy } from '../../main/onnx/npy'
import { Services } from '../../main/services'
import { tempDir } from '../helpers/tmp'
import { makeConfig } from './helpers'

const root = resolve(__dirname, '..', '..')
const bin = join(root, 'bin', 'rnnlab.js')
const home = tempDir('rnnlab-hostile-home-')
/** The working directory of every run: the canary the models name, and the samples. */
const cwd = tempDir('rnnlab-hostile-cwd-')
const corpus = join(home.path, 'models')
/** 32 bytes = the 8 float32 values the models read; as text, easy to find in any output. */
const CANARY = 'RNNLAB-CANARY-SECRET-0123456789!'
const canaryFloats = Array.from(new Float32Array(new Uint8Array(Buffer.from(CANARY, 'latin1')).buffer))

interface Case {
  file: string
  what: string
  message: string | null
}
let cases: Case[] = []

function generate(): Case[] {
  const made = spawnSync(process.execPath, [join(root, 'scripts', 'make-hostile-onnx.mjs'), corpus], {
    encoding: 'utf8'
  })
  if (made.status !== 0) throw new Error(`make-hostile-onnx.mjs failed: ${made.stderr}`)
  return JSON.parse(readFileSync(join(corpus, 'manifest.json'), 'utf8')) as Case[]
}
// The case list must exist when the tests are collected, before beforeAll runs.
cases = generate()
const hostile = cases.filter((c) => c.message !== null)

beforeAll(() => {
  // A source checkout rebuilds the app on the first command when a source changed; not during a case.
  rnnlab(['--help'])
  writeFileSync(join(cwd.path, 'canary.bin'), CANARY, 'latin1')
  writeFileSync(join(cwd.path, 'x.npy'), encodeNpy(new Float32Array(3 * 8).fill(0.5), [3, 1, 8]))
  const nan = new Float32Array(3 * 8).fill(0.5)
  nan[13] = NaN
  writeFileSync(join(cwd.path, 'nan.npy'), encodeNpy(nan, [3, 1, 8]))
}, 300_000)
afterAll(() => {
  home.remove()
  cwd.remove()
})

/** No output may hold the canary: not its text, nor its values printed as numbers. */
function assertNoCanary(output: string, where: string): void {
  expect(output, where).not.toContain(CANARY)
  expect(output, where).not.toContain('CANARY')
  for (const v of canaryFloats) expect(output, where).not.toContain(String(v))
}

function rnnlab(args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], {
    cwd: cwd.path,
    env: { ...process.env, RNNLAB_HOME: home.path },
    encoding: 'utf8',
    timeout: 120_000
  })
}

test('the corpus has a file for every place ONNX allows external data, and a control that runs', () => {
  const names = cases.map((c) => c.file.replace(/\.onnx$/, ''))
  for (const place of [
    'initializer-external',
    'constant-value-external',
    'constant-sparse-values-external',
    'constant-sparse-indices-external',
    'attribute-tensors-external',
    'attribute-sparse-tensors-external',
    'sparse-initializer-external',
    'if-branch-external',
    'if-nested-deep-external',
    'loop-body-external',
    'scan-body-external',
    'graphs-attribute-external',
    'function-external',
    'huge-initializer',
    'huge-sparse-constant',
    'nan-weights',
    'inf-constant',
    'nan-output',
    'custom-domain-op',
    'unknown-op',
    'loop-unbounded'
  ])
    expect(names).toContain(place)
  expect(cases.filter((c) => c.message === null).map((c) => c.file)).toEqual(['control.onnx'])
})

describe('rnnlab predict refuses each hostile file, in a folder holding the file it names', () => {
  test('the control runs (the harness reaches onnxruntime and writes its output)', () => {
    const out = join(cwd.path, 'control-out.npy')
    const run = rnnlab(['predict', join(corpus, 'control.onnx'), '--input', 'x.npy', '--out', out])
    expect(run.status, run.stderr).toBe(0)
    expect(existsSync(out)).toBe(true)
  })

  test.each(hostile)('$file: $what', ({ file, message }) => {
    const out = join(cwd.path, `${file}.npy`)
    const run = rnnlab(['predict', join(corpus, file), '--input', 'x.npy', '--out', out])
    expect(run.status, run.stderr).toBe(1)
    // One line, naming the file, in our words (no onnxruntime log lines, no C++ source paths).
    const lines = run.stderr.trim().split('\n')
    expect(lines, run.stderr).toHaveLength(1)
    expect(lines[0]).toMatch(new RegExp(`^rnnlab: ${file.replace(/\./g, '\\.')}: .*${message}`))
    expect(lines[0]).not.toMatch(/onnxruntime_src|\.cc:\d+/)
    expect(existsSync(out)).toBe(false)
    assertNoCanary(run.stdout + run.stderr, 'CLI output')
  })

  test('nothing but the canary and the inputs was left in the folder, and the canary is unchanged', () => {
    expect(readdirSync(cwd.path).sort()).toEqual(['canary.bin', 'control-out.npy', 'nan.npy', 'x.npy'])
    expect(readFileSync(join(cwd.path, 'canary.bin'), 'latin1')).toBe(CANARY)
    for (const name of ['control-out.npy'])
      assertNoCanary(readFileSync(join(cwd.path, name), 'latin1'), `${name} (the control's output)`)
  })
})

describe('non-finite numbers are refused, not turned into class 0', () => {
  test('predict with a NaN in the input fails with one line naming the file and the place', () => {
    const run = rnnlab(['predict', join(corpus, 'control.onnx'), '--input', 'nan.npy', '--json'])
    expect(run.status).toBe(1)
    expect(run.stdout).toBe('')
    expect(run.stderr.trim()).toBe(
      'rnnlab: nan.npy: holds NaN at sample 1, step 0, feature 5; inputs must be finite numbers'
    )
  })

  test('predict with a model whose output is NaN fails, with no classes printed', () => {
    const run = rnnlab(['predict', join(corpus, 'nan-output.onnx'), '--input', 'x.npy', '--json'])
    expect(run.status).toBe(1)
    expect(run.stdout).toBe('')
    expect(run.stderr.trim()).toMatch(
      /^rnnlab: nan-output\.onnx: the output leak holds NaN at sample 0, unit 0; the model's weights or the input are out of range, so no prediction is given$/
    )
  })
})

describe('the import path (--init-from) refuses each too', () => {
  const config = makeConfig([{ type: 'dense', units: 8, activation: 'softmax' }], [1, 8])
  test.each(hostile.filter((c) => c.file !== 'nan-output.onnx'))('$file', ({ file }) => {
    let message = ''
    try {
      loadInitWeights(join(corpus, file), config, [1, 8])
    } catch (e) {
      message = (e as Error).message
    }
    // The export rules refuse more than the safety rules (any operator we do not write), so the first problem may
    // differ; what matters is a refusal naming the file, holding nothing of the canary.
    expect(message).toMatch(new RegExp(`^${file.replace(/\./g, '\\.')}: `))
    assertNoCanary(message, 'import error')
  })
})

describe('the service behind inference:predict refuses each, with the canary in its working directory', () => {
  let services: Services
  let before: string
  beforeAll(() => {
    before = process.cwd()
    process.chdir(cwd.path)
    services = new Services({ home: home.path, door: 'browser', version: 'test' })
  })
  afterAll(() => {
    services.close()
    process.chdir(before)
  })
  const input = [[[0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]]]

  test('the control runs through the same door', async () => {
    const reply = await dispatch(services.handlers, 'inference:predict', {
      modelPath: join(corpus, 'control.onnx'),
      input
    })
    expect(reply).toMatchObject({ ok: true })
  })

  test.each(hostile)('$file', async ({ file, message }) => {
    const reply = await dispatch(services.handlers, 'inference:predict', { modelPath: join(corpus, file), input })
    expect(reply.ok).toBe(false)
    const error = reply.ok ? '' : reply.error
    expect(error).toMatch(new RegExp(`^${file.replace(/\./g, '\\.')}: .*${message}`))
    assertNoCanary(JSON.stringify(reply), 'service reply')
  })
})

test('a copy of the exploit beside the canary, named relative to it, is refused as well', () => {
  mkdirSync(join(cwd.path, 'sub'), { recursive: true })
  copyFileSync(join(corpus, 'constant-sparse-values-external.onnx'), join(cwd.path, 'sub', 'model.onnx'))
  const run = rnnlab(['predict', 'sub/model.onnx', '--input', 'x.npy', '--out', 'sub/out.npy'])
  expect(run.status).toBe(1)
  expect(run.stderr).toMatch(/^rnnlab: model\.onnx: .*sparse tensor values stores its data outside the file/)
  expect(existsSync(join(cwd.path, 'sub', 'out.npy'))).toBe(false)
})

describe('the second wall: onnxruntime itself, should a file get past the validator', () => {
  let before: string
  const empty = tempDir('rnnlab-hostile-empty-')
  beforeAll(() => {
    before = process.cwd()
    process.chdir(cwd.path)
  })
  afterAll(() => {
    process.chdir(before)
    empty.remove()
  })
  const run = async (file: string, options: ort.InferenceSession.SessionOptions) => {
    const session = await ort.InferenceSession.create(readFileSync(join(corpus, file)), options)
    try {
      const out = await session.run({ input: new ort.Tensor('float32', new Float32Array(8).fill(0.5), [1, 1, 8]) })
      return Buffer.from((out.leak.data as Float32Array).buffer).toString('latin1')
    } finally {
      await session.release()
    }
  }

  test('the probe’s exploit, given as bytes without our options, reads the canary from the working directory', async () => {
    expect(
      await run('constant-sparse-values-external.onnx', { executionProviders: ['cpu'], logSeverityLevel: 4 })
    ).toBe(CANARY)
  })

  test.each(['constant-sparse-values-external.onnx', 'initializer-external.onnx', 'if-branch-external.onnx'])(
    'with the service’s options (external data only from an empty folder) %s reads nothing',
    async (file) => {
      await expect(run(file, sessionOptions({ externalDataFolder: empty.path }))).rejects.toThrow(
        /External data path does not exist/
      )
    }
  )
})
