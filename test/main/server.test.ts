// The browser door's locks: a wrong token, a foreign Host and a foreign Origin are refused, over HTTP and WebSocket.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { request } from 'node:http'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import WebSocket from 'ws'
import { defaultLimits, maxMessageIdLength, startServer, type RunningServer } from '../../main/doors/server'
import { Services } from '../../main/services'
import { watchCrashes, type CrashWatch } from '../helpers/crashes'
import { seedCompletedRun } from '../helpers/seed'
import { tempDir } from '../helpers/tmp'
import { closePayload, frame, rawExchange, rawWebSocket, statusOf, upgradeRequest } from '../helpers/wire'

let dir: ReturnType<typeof tempDir>
let services: Services
let server: RunningServer
let rendererDir: string
let crashes: CrashWatch

beforeAll(async () => {
  dir = tempDir()
  rendererDir = join(dir.path, 'renderer')
  mkdirSync(join(rendererDir, 'assets'), { recursive: true })
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>RNN Lab</title>')
  writeFileSync(join(rendererDir, 'assets', 'app.js'), 'console.log(1)')
  writeFileSync(join(dir.path, 'secret.txt'), 'do not serve')
  services = new Services({ home: dir.path, door: 'browser', version: 'test' })
  server = await startServer({ services, rendererDir })
  crashes = watchCrashes()
})
afterAll(async () => {
  crashes.stop()
  await server.close()
  services.close()
  dir.remove()
})
// Tested in-process, so what would have ended `rnnlab serve` shows up here instead.
afterEach(() => expect(crashes.take()).toEqual([]))

function get(
  path: string,
  headers: Record<string, string> = {}
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: server.port, path, headers: { host: `127.0.0.1:${server.port}`, ...headers } },
      (res) => {
        let body = ''
        res.on('data', (c) => (body += c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }))
      }
    )
    req.on('error', reject)
    req.end()
  })
}

function wsOutcome(path: string, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}${path}`, { headers })
    ws.once('open', () => {
      ws.close()
      resolve('open')
    })
    ws.once('unexpected-response', (_req, res) => resolve(`refused ${res.statusCode}`))
    ws.once('error', (e) => resolve(`error ${e.message}`))
  })
}

describe('rnnlab serve security', () => {
  it('listens on 127.0.0.1 only', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{20,}$/)
  })

  // Finding 4 of the 2026-12 probe: the token was a cookie, and a browser sends 127.0.0.1's cookies to every port.
  it('serves the page (the public build) with a Content-Security-Policy and never sets a cookie', async () => {
    const res = await get(`/?token=${server.token}`)
    expect(res.status).toBe(200)
    expect(res.body).toContain('RNN Lab')
    expect(res.headers['set-cookie']).toBeUndefined()
    expect(String(res.headers['content-security-policy'])).toContain("script-src 'self'")
    expect(res.headers['referrer-policy']).toBe('no-referrer')
    expect((await get('/assets/app.js')).status).toBe(200)
  })

  it('keeps the token for the API: the page needs none, the WebSocket refuses a missing or wrong one', async () => {
    expect((await get('/')).status).toBe(200)
    expect((await get('/?token=' + 'x'.repeat(server.token.length))).headers['set-cookie']).toBeUndefined()
    const origin = `http://127.0.0.1:${server.port}`
    for (const wrong of ['x'.repeat(server.token.length), server.token.slice(0, -1), server.token + 'x', '']) {
      expect(await wsOutcome(`/api?token=${encodeURIComponent(wrong)}`, { origin }), wrong).toBe('refused 403')
    }
    // The cookie the earlier versions set opens nothing any more.
    expect(await wsOutcome('/api', { origin, cookie: `rnnlab_token=${server.token}` })).toBe('refused 403')
  })

  it('refuses a foreign Host header (DNS rebinding) even with the token', async () => {
    const res = await get(`/?token=${server.token}`, { host: `evil.example:${server.port}` })
    expect(res.status).toBe(403)
    expect(res.body).toBe('forbidden: foreign Host header')
  })

  it('refuses a foreign Origin even with the token', async () => {
    const res = await get(`/?token=${server.token}`, { origin: 'http://evil.example' })
    expect(res.status).toBe(403)
    expect(res.body).toBe('forbidden: foreign Origin')
  })

  it('never serves files outside the renderer folder', async () => {
    const res = await get(`/..%2fsecret.txt?token=${server.token}`)
    expect(res.status).toBe(404)
    expect(res.body).not.toContain('do not serve')
  })

  it('accepts the API WebSocket only with the token, our Host and our Origin', async () => {
    const origin = `http://127.0.0.1:${server.port}`
    expect(await wsOutcome(`/api?token=${server.token}`, { origin })).toBe('open')
    expect(await wsOutcome(`/api?token=${server.token}`, { origin: `http://localhost:${server.port}` })).toBe('open')
    expect(await wsOutcome(`/api?token=wrong`, { origin })).toBe('refused 403')
    expect(await wsOutcome(`/api`, { origin })).toBe('refused 403')
    expect(await wsOutcome(`/api?token=${server.token}`, { origin: 'http://evil.example' })).toBe('refused 403')
    expect(await wsOutcome(`/api?token=${server.token}`, {})).toBe('refused 403')
    expect(await wsOutcome(`/api?token=${server.token}`, { origin, host: 'evil.example' })).toBe('refused 403')
    expect(await wsOutcome(`/other?token=${server.token}`, { origin })).toBe('refused 403')
  })
})

/** An API WebSocket with the token, our Host and our Origin. */
function connect(on: RunningServer = server): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${on.port}/api?token=${on.token}`, { origin: `http://127.0.0.1:${on.port}` })
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
  })
}

/** The next reply on `ws` (raw text), or a rejection when the connection closes first. */
function nextReply(ws: WebSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    const onClose = (code: number) => reject(new Error(`connection closed (${code}) before a reply`))
    ws.once('message', (data) => {
      ws.off('close', onClose)
      resolve(String(data))
    })
    ws.once('close', onClose)
  })
}

/** True when a fresh connection gets app:info answered: the server is alive and serving the API. */
async function answersCalls(on: RunningServer = server): Promise<boolean> {
  const ws = await connect(on)
  const reply = nextReply(ws)
  ws.send(JSON.stringify({ id: 1, call: 'app:info' }))
  const ok = (JSON.parse(await reply) as { id: number; ok: boolean }).ok
  ws.close()
  return ok
}

describe('rnnlab serve survives hostile input (the 2026-12 probe)', () => {
  // Finding 1: `new URL` threw on these before any check, and the process exited.
  it('answers 400 to a request target that is not a path (//, ///, //:99999, //@, //a%20b) and serves on', async () => {
    for (const target of ['//', '///', '//:99999', '//@', '//a%20b']) {
      const answer = await rawExchange(server.port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`)
      expect(statusOf(answer), target).toBe(400)
      const upgrade = await rawExchange(server.port, upgradeRequest(server.port, `${target}?token=${server.token}`))
      expect(statusOf(upgrade), `upgrade ${target}`).toBe(400)
      expect((await get('/')).status).toBe(200)
    }
    expect(await answersCalls()).toBe(true)
  })

  // Finding 9: a bad %-escape was a 500 quoting `URIError: URI malformed`.
  it('answers 400, not 500, to a malformed %-escape in the path', async () => {
    for (const path of ['/%E0%A4%A', '/%', '/assets/%ZZ.js', '/%C0%AF']) {
      const res = await get(path)
      expect(res.status, path).toBe(400)
      expect(res.body).toBe('bad request: the target is not a path')
    }
  })

  // Finding 3: the message `null` was an unhandled rejection; a deep id made JSON.stringify throw.
  it('answers a WebSocket message that is null, not an object, deeply nested or with a huge id, and goes on', async () => {
    const ws = await connect()
    const deep = '['.repeat(100_000) + ']'.repeat(100_000)
    const cases: [string, string | number | null, RegExp][] = [
      ['null', null, /^message: expected an object \{id, call, arg\}, got null$/],
      ['[]', null, /got an array$/],
      ['42', null, /got 42$/],
      ['"runs:list"', null, /got "runs:list"$/],
      ['not json', null, /^message is not JSON$/],
      [`{"id":${deep},"call":"app:info"}`, null, /^id: expected a number or a string .*, got an array$/],
      [`{"id":"${'i'.repeat(1_000_000)}","call":"app:info"}`, null, /got a string of 1000000 characters$/],
      [`{"call":"app:info"}`, null, /^id: expected a number or a string/],
      [`{"id":1,"call":${deep}}`, 1, /^unknown call an array$/],
      [`{"id":2,"call":"runs:nope"}`, 2, /^unknown call "runs:nope"$/],
      [`{"id":3,"call":"runs:get","arg":${deep}}`, 3, /^argument: expected an object, got an array$/],
      [
        `{"id":"${'j'.repeat(maxMessageIdLength)}","call":"runs:get","arg":{"id":"x"}}`,
        'j'.repeat(maxMessageIdLength),
        /^id: expected an integer/
      ]
    ]
    for (const [message, id, error] of cases) {
      const reply = nextReply(ws)
      ws.send(message)
      const text = await reply
      expect(text.length, message.slice(0, 40)).toBeLessThan(500)
      expect(JSON.parse(text)).toMatchObject({ id, ok: false, error: expect.stringMatching(error) })
    }
    const binary = nextReply(ws)
    ws.send(Buffer.from('{"id":4,"call":"app:info"}'), { binary: true })
    expect(JSON.parse(await binary)).toMatchObject({ id: null, ok: false, error: expect.stringMatching(/binary/) })
    const info = nextReply(ws)
    ws.send(JSON.stringify({ id: 'last', call: 'app:info' }))
    expect(JSON.parse(await info)).toMatchObject({ id: 'last', ok: true })
    ws.close()
  })

  // Finding 3: each of these was an `error` event without a listener, thrown out of the process.
  it('survives WebSocket protocol errors, closing only that connection with the code that says why', async () => {
    const cases: [string, Buffer[], number][] = [
      ['invalid UTF-8', [frame({ opcode: 1, payload: Buffer.from([0x7b, 0xc3, 0x28, 0x7d]) })], 1007],
      ['opcode 3', [frame({ opcode: 3, payload: '{}' })], 1002],
      ['an unmasked frame', [frame({ opcode: 1, payload: '{}', masked: false })], 1002],
      ['RSV1 set', [frame({ opcode: 1, payload: '{}', rsv: 4 })], 1002],
      ['close code 999', [frame({ opcode: 8, payload: closePayload(999) })], 1002],
      ['a 200-byte ping', [frame({ opcode: 9, payload: Buffer.alloc(200) })], 1002],
      ['a header announcing 2^40 bytes', [frame({ opcode: 2, announced: 2n ** 40n })], 1009],
      ['a continuation with nothing to continue', [frame({ opcode: 0, payload: 'x' })], 1002]
    ]
    for (const [name, frames, code] of cases) {
      const { upgraded, after } = await rawWebSocket(server.port, server.token, frames)
      expect(upgraded, name).toBe(true)
      expect(after[0], `${name}: a close frame`).toBe(0x88)
      expect(after.readUInt16BE(2), name).toBe(code)
      expect(await answersCalls(), name).toBe(true)
    }
  })

  it('closes a connection whose message is over the size limit (1009) and serves on', async () => {
    const ws = await connect()
    const closed = new Promise<number>((resolve) => ws.once('close', resolve))
    ws.on('error', () => {})
    ws.send('x'.repeat(defaultLimits.maxMessageBytes + 1))
    expect(await closed).toBe(1009)
    expect(await answersCalls()).toBe(true)
  })

  // Finding 8: replies piled up in memory for a page that never read them (RSS reached 640 MB).
  it('stops reading calls from a page that does not read its replies, then closes it when its output does not drain', async () => {
    const runId = seedCompletedRun(services.store, { name: 'long', epochs: 200 })
    const limits = { highWaterBytes: 64 * 1024, maxUnsentBytes: 256 * 1024, maxCallsInFlight: 4 }
    const slow = await startServer({ services, rendererDir, limits })
    try {
      const ws = await connect(slow)
      ws.on('error', () => {})
      const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()))
      let replies = 0
      ws.on('message', () => replies++)
      ws.pause()
      // Calls padded to 10 kB, each answered by a 10 kB CSV: the server must stop reading once its output backs up.
      const pad = 'p'.repeat(10_000)
      const maxCalls = 5_000
      let sent = 0
      while (ws.bufferedAmount < 1024 * 1024) {
        if (sent === maxCalls) throw new Error(`the server read all ${maxCalls} calls of a page that reads nothing`)
        ws.send(JSON.stringify({ id: sent++, call: 'runs:metricsCsv', arg: { ids: [runId], pad } }))
        if (sent % 50 === 0) await new Promise((r) => setImmediate(r))
      }
      // The page still reads nothing; events keep coming (notes are never dropped): past the bound, it is closed.
      for (let i = 0; i < 10; i++) services.emit('onTrainingNote', { runId, text: 'n'.repeat(100_000) })
      ws.resume()
      await closed
      expect(replies).toBeLessThan(sent)
      expect(await answersCalls(slow)).toBe(true)
    } finally {
      await slow.close()
    }
  })
})
