// The contract is the only place channel names are written, and its validators refuse bad arguments by name.
import { describe, expect, it } from 'vitest'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { callNames, calls, dispatch, eventNames, events, maxRunIds, type Handlers } from '../../common/contract'

const root = join(__dirname, '..', '..')

function sourceFiles(dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p))
    else if (/\.(ts|vue|mjs|js)$/.test(name)) out.push(p)
  }
  return out
}

describe('the contract', () => {
  it('is the only source file where a channel name appears', () => {
    const files = ['common', 'main', 'preload', 'renderer/src'].flatMap((d) => sourceFiles(join(root, d)))
    expect(files.length).toBeGreaterThan(10)
    const offenders: string[] = []
    for (const file of files) {
      if (file.endsWith(join('common', 'contract.ts'))) continue
      const text = readFileSync(file, 'utf8')
      for (const channel of [...callNames, ...eventNames]) {
        if (text.includes(`'${channel}'`) || text.includes(`"${channel}"`) || text.includes(`\`${channel}\``)) {
          offenders.push(`${relative(root, file)}: ${channel}`)
        }
      }
    }
    expect(offenders).toEqual([])
  })

  it('covers runs, datasets, models, training, export and inference, with unique method names', () => {
    for (const area of ['runs:', 'datasets:', 'models:', 'training:', 'export:', 'inference:']) {
      expect(
        callNames.some((c) => c.startsWith(area)),
        area
      ).toBe(true)
    }
    const methods = [...Object.values(calls).map((c) => c.method), ...Object.values(events).map((e) => e.method)]
    expect(new Set(methods).size).toBe(methods.length)
  })

  it('refuses unknown calls and bad arguments with a message naming the field', async () => {
    const handlers = Object.fromEntries(callNames.map((c) => [calls[c].method, () => 'called'])) as unknown as Handlers
    expect(await dispatch(handlers, 'runs:drop', {})).toEqual({ ok: false, error: 'unknown call "runs:drop"' })
    expect(await dispatch(handlers, 'runs:get', { id: 'x' })).toEqual({
      ok: false,
      error: 'id: expected an integer, got "x"'
    })
    expect(await dispatch(handlers, 'runs:get', { id: 0 })).toMatchObject({
      ok: false,
      error: expect.stringContaining('id: must be between 1')
    })
    expect(await dispatch(handlers, 'runs:update', { id: 1, tags: ['ok', 3] })).toEqual({
      ok: false,
      error: 'update.tags[1]: expected a string, got 3'
    })
    expect(await dispatch(handlers, 'runs:compare', { ids: [] })).toEqual({
      ok: false,
      error: 'ids: give at least one run id'
    })
    expect(await dispatch(handlers, 'export:onnx', { runId: 1, checkpoint: 'worst' })).toMatchObject({
      ok: false,
      error: expect.stringContaining('request.checkpoint')
    })
    expect(await dispatch(handlers, 'inference:predict', { runId: 1, input: [[[0, Number.NaN]]] })).toEqual({
      ok: false,
      error: 'request.input[0][0][1]: expected a finite number'
    })
    expect(await dispatch(handlers, 'inference:predict', { input: [] })).toEqual({
      ok: false,
      error: 'request: give exactly one of runId or modelPath'
    })
    expect(await dispatch(handlers, 'app:info', { sneaky: true })).toMatchObject({ ok: false })
    expect(await dispatch(handlers, 'runs:list', undefined)).toEqual({ ok: true, value: 'called' })
    expect(await dispatch(handlers, 'runs:get', { id: 4 })).toEqual({ ok: true, value: 'called' })
  })

  it("checks the CLI's start options and lets an export leave its checkpoint to the run", async () => {
    const echo = Object.fromEntries(
      callNames.map((c) => [calls[c].method, (arg: unknown) => arg])
    ) as unknown as Handlers
    const start = { config: {}, threads: 2, baseDir: '/data', initFrom: '/data/model.onnx' }
    expect(await dispatch(echo, 'training:start', start)).toEqual({ ok: true, value: start })
    expect(await dispatch(echo, 'training:start', { config: {}, threads: 0 })).toMatchObject({
      ok: false,
      error: expect.stringContaining('threads: must be between 1')
    })
    expect(await dispatch(echo, 'training:start', { config: {}, initFrom: '' })).toEqual({
      ok: false,
      error: 'initFrom: must not be empty'
    })
    expect(await dispatch(echo, 'export:onnx', { runId: 1 })).toEqual({ ok: true, value: { runId: 1 } })
    expect(await dispatch(echo, 'export:onnx', { runId: 1, checkpoint: 'last' })).toEqual({
      ok: true,
      value: { runId: 1, checkpoint: 'last' }
    })
  })

  it('turns a handler error into a one-line message, never a stack trace', async () => {
    const handlers = Object.fromEntries(
      callNames.map((c) => [
        calls[c].method,
        () => {
          throw new Error('disk full\n    at somewhere (file.ts:1:1)')
        }
      ])
    ) as unknown as Handlers
    expect(await dispatch(handlers, 'runs:list', {})).toEqual({ ok: false, error: 'disk full' })
  })

  // Finding 8 of the 2026-12 probe: 100,000 ids, duplicates included, blocked main for seconds.
  it('bounds the run id lists of compare and metrics CSV, and reads a run named twice once', async () => {
    const echo = Object.fromEntries(
      callNames.map((c) => [calls[c].method, (arg: unknown) => arg])
    ) as unknown as Handlers
    for (const call of ['runs:compare', 'runs:metricsCsv'] as const) {
      const many = Array.from({ length: 100_000 }, () => 7)
      expect(await dispatch(echo, call, { ids: many })).toEqual({
        ok: false,
        error: `ids: more than ${maxRunIds} items`
      })
      expect(await dispatch(echo, call, { ids: [3, 1, 3, 3, 1] })).toEqual({ ok: true, value: { ids: [3, 1] } })
      const most = Array.from({ length: maxRunIds }, (_, i) => i + 1)
      expect(await dispatch(echo, call, { ids: most })).toEqual({ ok: true, value: { ids: most } })
    }
  })

  it('never throws and never echoes a hostile value unbounded, whatever the call name, argument or error', async () => {
    const handlers = Object.fromEntries(
      callNames.map((c) => [
        calls[c].method,
        () => {
          // A thrown value that cannot even be turned into a string.
          throw Object.create(null)
        }
      ])
    ) as unknown as Handlers
    expect(await dispatch(handlers, 'runs:list', {})).toEqual({ ok: false, error: 'an error without a message' })
    let deep: unknown = 1
    for (let i = 0; i < 100_000; i++) deep = [deep]
    expect(await dispatch(handlers, deep, {})).toEqual({ ok: false, error: 'unknown call of type object' })
    const huge = 'x'.repeat(1_000_000)
    const reply = await dispatch(handlers, huge, {})
    expect(reply.ok === false && reply.error.length).toBeLessThan(100)
    const long = await dispatch(
      Object.fromEntries(
        callNames.map((c) => [
          calls[c].method,
          () => {
            throw new Error(huge)
          }
        ])
      ) as unknown as Handlers,
      'runs:list',
      {}
    )
    expect(long.ok === false && long.error.length).toBeLessThanOrEqual(2001)
  })
})
