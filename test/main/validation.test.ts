// The probe's validation and message findings (security-probe-2026-12.md, finding 9), each as a person meets it:
// run names (length, control characters on screen, numeric names), config files (BOM, deep nesting), raw ENOENT /
// EISDIR messages, onnxruntime's C++ locations.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { NAME_MAX_LENGTH, normalizeRunConfig } from '../../common/config'
import { calls, errorMessage } from '../../common/contract'
import { fileErrorMessage } from '../../common/file-errors'
import { displayText, terminalSafe } from '../../common/format'
import { main } from '../../main/cli'
import { MAX_JSON_DEPTH, readRunConfig } from '../../main/config-file'
import { writeFileAtomic } from '../../main/onnx/npy'
import { onnxruntimeMessage } from '../../main/onnx/ort-message'
import { predictWith } from '../../main/onnx/service'
import { RunStore } from '../../main/runs/store'
import { seedCompletedRun, tutorialConfig } from '../helpers/seed'
import { tempDir } from '../helpers/tmp'

let dir: ReturnType<typeof tempDir>
let db: string
beforeEach(() => {
  dir = tempDir('rnnlab-validation-')
  db = join(dir.path, 'runs.db')
})
afterEach(() => dir.remove())

async function rnnlab(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = []
  const err: string[] = []
  const code = await main([...argv, '--db', db], { out: (s) => out.push(s), err: (s) => err.push(s) })
  return { code, out: out.join('\n'), err: err.join('\n') }
}

const config = (name: unknown) => ({ ...JSON.parse(JSON.stringify(tutorialConfig)), name })
/** Any control character but a line break and a tab (those are the output's own). */
// eslint-disable-next-line no-control-regex -- control characters are what it finds
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/

describe('run names', () => {
  it('a config name is at most 200 characters, as a rename is', () => {
    expect(normalizeRunConfig(config('n'.repeat(NAME_MAX_LENGTH))).name).toHaveLength(200)
    expect(() => normalizeRunConfig(config('n'.repeat(100_000_000 / 1000)), 'big.json')).toThrow(
      'big.json: name: must be at most 200 characters, got 100000'
    )
    expect(calls['runs:update'].validate({ id: 1, name: 'n'.repeat(200) })).toMatchObject({ id: 1 })
    expect(() => calls['runs:update'].validate({ id: 1, name: 'n'.repeat(201) })).toThrow('update.name')
  })

  it('a new name is one line without control characters, in a config and in a rename', () => {
    expect(() => normalizeRunConfig(config('red \u001b[31mrun'), 'c.json')).toThrow(
      'c.json: name: must be one line of text without control characters (U+001B at character 5)'
    )
    expect(() => normalizeRunConfig(config('two\nlines'))).toThrow('U+000A at character 4')
    expect(() => calls['runs:update'].validate({ id: 1, name: 'a\rb' })).toThrow(
      'update.name: must be one line of text without control characters (U+000D at character 2)'
    )
    // A file name gives the default name: its control characters become "_".
    expect(normalizeRunConfig({ ...config(undefined), name: undefined }, '/tmp/bad\u001bname.json').name).toBe(
      'bad_name'
    )
  })

  it('shows control characters as symbols and cuts long names, on screen and in a terminal', () => {
    expect(displayText('a\u001b[2Jb\r\nc\u0007\u009b\u202e')).toBe('a␛[2Jb␍␊c␇\ufffd\ufffd')
    expect(displayText('x'.repeat(300))).toHaveLength(200)
    expect(displayText('x'.repeat(300)).endsWith('…')).toBe(true)
    expect(terminalSafe('line one\n\tline \u001b[31mtwo\r')).toBe('line one\n\tline ␛[31mtwo␍')
  })

  it('rnnlab runs, show and compare print a name with escapes and line breaks as one visible line', async () => {
    const store = new RunStore(db)
    const evil = 'ok\u001b[2K\r\n99  forged  completed\u001b]0;title\u0007'
    const a = seedCompletedRun(store, { name: 'plain' })
    const b = seedCompletedRun(store, { name: 'placeholder' })
    // Written as an older version or another process could have: the store takes any name.
    store.updateRun({ id: b, name: evil })
    store.close()
    const runs = await rnnlab('runs')
    expect(runs.code).toBe(0)
    expect(runs.out).not.toMatch(RAW_CONTROL)
    const lines = runs.out.split('\n')
    expect(lines).toHaveLength(4) // header, rule, two runs: no forged row
    expect(lines[2]).toContain('ok␛[2K␍␊99  forged  completed␛]0;title␇')
    for (const argv of [
      ['show', String(b)],
      ['compare', String(a), String(b)]
    ]) {
      const r = await rnnlab(...argv)
      expect(r.code, argv.join(' ')).toBe(0)
      expect(r.out).not.toMatch(RAW_CONTROL)
      expect(r.out).toContain('␛[2K')
    }
  })

  it('a run named 123 is found by name; name: always means a name; --help says so', async () => {
    const store = new RunStore(db)
    const first = seedCompletedRun(store, { name: 'first' })
    const numeric = seedCompletedRun(store, { name: '123' })
    const clash = seedCompletedRun(store, { name: String(first) })
    store.close()
    expect((await rnnlab('show', '123', '--json')).out).toContain(`"id": ${numeric}`)
    expect((await rnnlab('show', 'name:123', '--json')).out).toContain(`"id": ${numeric}`)
    expect((await rnnlab('show', String(first), '--json')).out).toContain(`"id": ${first},`)
    expect((await rnnlab('show', `name:${first}`, '--json')).out).toContain(`"id": ${clash},`)
    expect((await rnnlab('show', 'name:nope')).err).toBe('rnnlab: run named "nope" not found')
    const help = await rnnlab('show', '--help')
    expect(help.out).toContain('name:TEXT is always the newest run named TEXT')
  })
})

describe('config files', () => {
  it('accepts a UTF-8 byte order mark', () => {
    const file = join(dir.path, 'bom.json')
    writeFileSync(file, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(config('bom')))]))
    expect(readRunConfig(file).name).toBe('bom')
  })

  it('refuses a deeply nested config in one line naming the file and place, not "Maximum call stack"', () => {
    const file = join(dir.path, 'deep.json')
    for (const model of [
      '['.repeat(200_000) + ']'.repeat(200_000),
      '{"a":'.repeat(200_000) + '1' + '}'.repeat(200_000)
    ]) {
      writeFileSync(file, `{"name": "x",\n "model": ${model}}`)
      expect(() => readRunConfig(file)).toThrow(
        // The config's own `{` is the first level: the model's 100th bracket is the 101st.
        `${file}:2:${model[0] === '[' ? 10 + MAX_JSON_DEPTH : 11 + 5 * (MAX_JSON_DEPTH - 1)}: nested deeper than 100 levels; not a run config`
      )
    }
    // Strings holding brackets are not nesting.
    writeFileSync(file, JSON.stringify(config('['.repeat(150))))
    expect(readRunConfig(file).name).toBe('['.repeat(150))
  })

  it('a deep value reaching the check another way (the page, the WebSocket) gives a field error', () => {
    let deep: unknown = 1
    for (let i = 0; i < 200_000; i++) deep = [deep]
    expect(() => normalizeRunConfig({ ...config('x'), model: deep })).toThrow('model: expected an object, got an array')
  })
})

describe('file errors in the product’s words', () => {
  it('a missing or folder config, model or output names the path, not ENOENT or EISDIR', async () => {
    expect(() => readRunConfig(join(dir.path, 'nope.json'))).toThrow(`${join(dir.path, 'nope.json')}: no such file`)
    const folder = join(dir.path, 'folder')
    mkdirSync(folder)
    expect(() => writeFileAtomic(folder, new Uint8Array(4))).toThrow(
      new Error(`${folder}: is a folder; name a file to write`)
    )
    expect(readdirSync(dir.path).filter((f) => f.includes('.tmp-'))).toEqual([]) // no temporary left beside it
    const samples = { x: new Float32Array(28 * 28), n: 1, T: 28, F: 28 }
    await expect(predictWith({ target: join(dir.path, 'nope.onnx') }, samples)).rejects.toThrow(
      new Error(`${join(dir.path, 'nope.onnx')}: no such file`)
    )
    await expect(predictWith({ target: folder }, samples)).rejects.toThrow(
      new Error(`${folder}: is a folder, not a file`)
    )
  })

  it('rnnlab predict and export to a folder or a missing model: one line naming it', async () => {
    const folder = join(dir.path, 'out')
    mkdirSync(folder)
    const r = await rnnlab('predict', join(dir.path, 'nope.onnx'), '--input', join(dir.path, 'x.npy'))
    expect(r.err).toMatch(/^rnnlab: .*: (no such file|file not found)$/)
    expect(r.err).not.toMatch(/ENOENT|EISDIR/)
  })

  it('any raw Node file error that reaches a door is worded: path and reason', () => {
    const raw = Object.assign(new Error("EISDIR: illegal operation on a directory, rename '/w/o.tmp-1' -> '/w/o'"), {
      code: 'EISDIR',
      syscall: 'rename',
      path: '/w/o.tmp-1',
      dest: '/w/o'
    })
    expect(errorMessage(raw)).toBe('/w/o: is a folder; name a file to write')
    const missing = Object.assign(new Error("ENOENT: no such file or directory, open '/w/m.onnx'"), {
      code: 'ENOENT',
      syscall: 'open',
      path: '/w/m.onnx'
    })
    expect(errorMessage(missing)).toBe('/w/m.onnx: no such file')
    expect(fileErrorMessage(Object.assign(new Error('EACCES: x'), { code: 'EACCES' }), 'a.csv')).toBe(
      'a.csv: permission denied'
    )
  })
})

describe("onnxruntime's messages", () => {
  /** Real onnxruntime errors: a model it cannot load, and one that fails while running. */
  async function ortError(kind: 'ir' | 'broadcast' | 'reshape'): Promise<unknown> {
    const { onnx } = await import('onnx-proto')
    const vi = (name: string, dims: (number | string)[]) => ({
      name,
      type: {
        tensorType: {
          elemType: 1,
          shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) }
        }
      }
    })
    const graph =
      kind === 'reshape'
        ? {
            node: [{ opType: 'Reshape', input: ['x', 's'], output: ['y'], name: 'r1' }],
            initializer: [{ name: 's', dims: [1], dataType: 7, int64Data: [7] }]
          }
        : {
            node: [{ opType: 'Add', input: ['x', 'c'], output: ['y'] }],
            initializer: [{ name: 'c', dims: [5], dataType: 1, floatData: [1, 2, 3, 4, 5] }]
          }
    const bytes = onnx.ModelProto.encode(
      onnx.ModelProto.create({
        irVersion: kind === 'ir' ? 99 : 8,
        opsetImport: [{ domain: '', version: 17 }],
        graph: { name: 'g', input: [vi('x', ['n', 'k'])], output: [vi('y', ['n'])], ...graph }
      })
    ).finish()
    try {
      const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 4 })
      await session.run({ x: new ort.Tensor('float32', new Float32Array(6), [2, 3]) })
    } catch (e) {
      return e
    }
    throw new Error('onnxruntime took it')
  }

  it('drop C++ source paths and signatures, keep what is wrong, on one line', async () => {
    const ir = await ortError('ir')
    expect(String(ir)).toContain('onnxruntime_src') // what the probe saw
    expect(onnxruntimeMessage(ir)).toBe('Unsupported model IR version: 99, max supported IR version: 13')
    expect(onnxruntimeMessage(await ortError('broadcast'))).toBe(
      'the Add node: Attempting to broadcast an axis by a dimension other than 1. 3 by 5'
    )
    expect(onnxruntimeMessage(await ortError('reshape'))).toBe(
      'the Reshape node "r1": The input tensor cannot be reshaped to the requested shape. Input shape:{2,3}, requested shape:{7}'
    )
    expect(onnxruntimeMessage(new Error('concat.cc:47 PrepareForCompute Non concat axis dimensions must match'))).toBe(
      'Non concat axis dimensions must match'
    )
  })
})
