// Every contract call is wired in every door: Electron IPC, the preload's window.api, and the browser server.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { join } from 'node:path'
import WebSocket from 'ws'
import { callNames, calls, eventNames, events, type Reply } from '../../common/contract'
import { registerIpc, forwardEvents } from '../../main/doors/ipc'
import { startServer, type RunningServer } from '../../main/doors/server'
import { Services } from '../../main/services'
import { sampleArgs } from '../helpers/samples'
import { seedCompletedRun } from '../helpers/seed'
import { tempDir } from '../helpers/tmp'

const exposed: Record<string, unknown> = {}
const invoke = vi.fn(async (channel: string, arg: unknown): Promise<Reply> => ({ ok: true, value: { channel, arg } }))
const rendererListeners = new Map<string, (event: unknown, payload: unknown) => void>()
vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, value: unknown) => (exposed[key] = value) },
  ipcRenderer: {
    invoke: (channel: string, arg: unknown) => invoke(channel, arg),
    on: (channel: string, l: (event: unknown, payload: unknown) => void) => rendererListeners.set(channel, l),
    removeListener: (channel: string) => rendererListeners.delete(channel)
  }
}))

let dir: ReturnType<typeof tempDir>
let services: Services
let runId: number
beforeAll(() => {
  dir = tempDir()
  services = new Services({ home: dir.path, door: 'cli', version: '0.0.0-test' })
  runId = seedCompletedRun(services.store, { name: 'wired' })
})
afterAll(() => {
  services.close()
  dir.remove()
})

describe('Electron IPC door', () => {
  it('registers one handler per contract call and refuses untrusted senders', async () => {
    const registered = new Map<string, (event: unknown, arg: unknown) => Promise<Reply>>()
    const ipcMain = {
      handle: (channel: string, h: (event: unknown, arg: unknown) => Promise<Reply>) => void registered.set(channel, h),
      removeHandler: (channel: string) => void registered.delete(channel)
    }
    const trusted = { senderFrame: { url: 'file:///app/out/renderer/index.html' } }
    const off = registerIpc(ipcMain as never, services, (e) => e.senderFrame?.url === trusted.senderFrame.url)
    expect([...registered.keys()].sort()).toEqual([...callNames].sort())

    const list = await registered.get('runs:list')!(trusted, {})
    expect(list.ok && (list.value as { name: string }[]).map((r) => r.name)).toEqual(['wired'])
    const refused = await registered.get(callNames[1])!({ senderFrame: { url: 'https://evil.example/' } }, {})
    expect(refused).toEqual({ ok: false, error: `call ${callNames[1]} refused: unknown sender` })
    const bad = await registered.get(callNames[2])!(trusted, { id: -1 })
    expect(bad.ok).toBe(false)
    off()
    expect(registered.size).toBe(0)
  })

  // Every door survives every input: what throws inside a handler is the reply, never a rejection for Electron.
  it('turns a throwing sender check, validator or handler into an error reply, never a rejected promise', async () => {
    const registered = new Map<string, (event: unknown, arg: unknown) => Promise<Reply>>()
    const ipcMain = {
      handle: (channel: string, h: (event: unknown, arg: unknown) => Promise<Reply>) => void registered.set(channel, h),
      removeHandler: (channel: string) => void registered.delete(channel)
    }
    const off = registerIpc(ipcMain as never, services, () => {
      throw new TypeError('Invalid URL')
    })
    for (const channel of callNames) {
      await expect(registered.get(channel)!({ senderFrame: { url: '%' } }, {})).resolves.toEqual({
        ok: false,
        error: `call ${channel} failed: Invalid URL`
      })
    }
    off()
    const failing = {
      handlers: Object.fromEntries(
        callNames.map((c) => [
          calls[c].method,
          () => {
            throw Object.create(null)
          }
        ])
      )
    } as unknown as Services
    registerIpc(ipcMain as never, failing, () => true)
    await expect(registered.get('runs:list')!({}, {})).resolves.toEqual({
      ok: false,
      error: 'an error without a message'
    })
    registerIpc(ipcMain as never, services, () => true)
    let deep: unknown = {}
    for (let i = 0; i < 100_000; i++) deep = { layers: [deep] }
    // Every call but the runs list (whose query ignores keys it does not know) refuses this argument.
    for (const channel of callNames) {
      const reply = await registered.get(channel)!({}, { config: deep, id: deep, ids: [deep], dataset: deep })
      expect(reply.ok, channel).toBe(channel === 'runs:list')
    }
  })

  it('keeps a window that cannot take an event from breaking the others (or the training host that emits it)', () => {
    const got: string[] = []
    const offBroken = forwardEvents(services, () => {
      throw new Error('Object has been destroyed')
    })
    const offGood = forwardEvents(services, (channel) => got.push(channel))
    expect(() => services.emit('onRunStatus', { runId, status: 'completed', error: null })).not.toThrow()
    expect(got).toHaveLength(1)
    offBroken()
    offGood()
  })

  it('forwards every contract event to the windows', () => {
    const sent: string[] = []
    const off = forwardEvents(services, (channel) => sent.push(channel))
    services.emit('onRunStatus', { runId, status: 'completed', error: null })
    services.emit('onTrainingProgress', {
      runId,
      epoch: 1,
      epochs: 1,
      batch: 1,
      batches: 1,
      loss: 1,
      accuracy: null,
      step: 1,
      stepLoss: 1,
      stepAccuracy: null,
      stepBatches: 1,
      samplesPerSecond: 1,
      etaSeconds: null
    })
    services.emit('onTrainingEpoch', {
      runId,
      metrics: {
        epoch: 1,
        loss: 1,
        accuracy: 0.5,
        valLoss: null,
        valAccuracy: null,
        learningRate: 0.001,
        seconds: 1,
        samplesPerSecond: 10
      }
    })
    services.emit('onTrainingNote', { runId, text: 'loading data' })
    services.emit('onRunsChanged', { runs: [], removed: [runId] })
    services.emit('onAnalysisProgress', { analysisId: 'a1', kind: 'prefix', runIds: [runId], done: 1, total: 55 })
    expect(sent.sort()).toEqual([...eventNames].sort())
    off()
  })
})

describe('preload', () => {
  it('exposes exactly the contract as window.api, each method invoking its channel', async () => {
    await import('../../preload/index')
    const api = exposed.api as Record<string, (arg?: unknown) => Promise<unknown>>
    const expected = [...Object.values(calls).map((c) => c.method), ...Object.values(events).map((e) => e.method)]
    expect(Object.keys(api).sort()).toEqual(expected.sort())
    for (const channel of callNames) {
      const arg = sampleArgs(runId)[channel]
      await expect(api[calls[channel].method](arg)).resolves.toEqual({ channel, arg })
    }
    invoke.mockResolvedValueOnce({ ok: false, error: 'run 9 not found' })
    await expect(api.getRun({ id: 9 })).rejects.toThrow('run 9 not found')
    const seen: unknown[] = []
    const off = (api.onRunStatus as unknown as (l: (p: unknown) => void) => () => void)((p) => seen.push(p))
    rendererListeners.get(eventNames.find((e) => events[e].method === 'onRunStatus')!)!({}, { runId: 1 })
    expect(seen).toEqual([{ runId: 1 }])
    off()
    expect(rendererListeners.size).toBe(0)
  })
})

describe('browser server door', () => {
  let server: RunningServer
  beforeAll(async () => {
    server = await startServer({ services, rendererDir: join(dir.path, 'no-renderer') })
  })
  afterAll(() => server.close())

  function connect(): Promise<WebSocket> {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api?token=${server.token}`, {
      origin: `http://127.0.0.1:${server.port}`
    })
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(ws))
      ws.once('error', reject)
    })
  }

  it('answers every contract call over the WebSocket (none is unknown)', async () => {
    const ws = await connect()
    const replies = new Map<number, Reply>()
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as { id: number } & Reply
      if (typeof msg.id === 'number') replies.set(msg.id, msg)
    })
    const samples = sampleArgs(runId)
    // runs:delete goes last so that the calls before it still find the run.
    const order = [...callNames.filter((c) => c !== 'runs:delete'), 'runs:delete' as const]
    order.forEach((channel, i) => ws.send(JSON.stringify({ id: i, call: channel, arg: samples[channel] })))
    // Two calls read mnist-sample: on a loaded machine that takes tens of seconds, so the wait is generous.
    await vi.waitFor(() => expect(replies.size).toBe(order.length), { timeout: 100_000, interval: 50 })
    order.forEach((channel, i) => {
      const reply = replies.get(i)!
      expect(reply.ok ? 'ok' : reply.error, channel).not.toMatch(/unknown call|expected|must be/)
    })
    expect(replies.get(order.indexOf(callNames.find((c) => calls[c].method === 'listRuns')!))).toMatchObject({
      ok: true
    })
    ws.close()
    services.store.restoreRun(runId)
  }, 120_000)

  it('pushes events to connected browsers', async () => {
    const ws = await connect()
    const got = new Promise<unknown>((resolve) => ws.on('message', (d) => resolve(JSON.parse(String(d)))))
    services.emit('onRunStatus', { runId, status: 'failed', error: 'boom' })
    expect(await got).toEqual({
      event: eventNames.find((e) => events[e].method === 'onRunStatus'),
      payload: { runId, status: 'failed', error: 'boom' }
    })
    ws.close()
  })
})
