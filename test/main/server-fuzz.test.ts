// A bounded fuzzer for the browser door: request targets, methods, headers, raw TCP garbage, WebSocket handshakes,
// frames and messages, from a seeded generator plus the 2026-12 probe's corpus. After each batch of cases the server
// must have thrown nothing it did not catch, and must still serve the page and answer a call with the token.
// RNNLAB_FUZZ_SEED replays another seed; the case count and the seed are printed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import WebSocket from 'ws'
import { callNames } from '../../common/contract'
import { defaultLimits, maxMessageIdLength, startServer, type RunningServer } from '../../main/doors/server'
import { Services } from '../../main/services'
import { watchCrashes, type CrashWatch } from '../helpers/crashes'
import { random } from '../helpers/random'
import { seedCompletedRun } from '../helpers/seed'
import { tempDir } from '../helpers/tmp'
import { closePayload, frame, rawExchange, rawWebSocket, statusOf, upgradeRequest } from '../helpers/wire'

const seed = Number(process.env.RNNLAB_FUZZ_SEED ?? 20261201)
const rand = random(seed)
const int = (n: number) => Math.floor(rand() * n)
const pick = <T>(items: readonly T[]): T => items[int(items.length)]
const chance = (p: number) => rand() < p
const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)))
const times = <T>(n: number, make: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => make(i))

let dir: ReturnType<typeof tempDir>
let services: Services
let server: RunningServer
let crashes: CrashWatch
let port: number
let token: string

beforeAll(async () => {
  dir = tempDir()
  const rendererDir = join(dir.path, 'renderer')
  mkdirSync(join(rendererDir, 'assets'), { recursive: true })
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>RNN Lab</title>')
  writeFileSync(join(rendererDir, 'assets', 'app.js'), 'console.log(1)')
  writeFileSync(join(dir.path, 'secret.txt'), 'do not serve')
  services = new Services({ home: dir.path, door: 'browser', version: 'test' })
  seedCompletedRun(services.store, { name: 'fuzzed' })
  // The fuzzer's cases leave the server's own log quiet: faults of the server itself would show as crashes instead.
  server = await startServer({ services, rendererDir, log: () => {} })
  port = server.port
  token = server.token
  crashes = watchCrashes()
})
afterAll(async () => {
  crashes?.stop()
  await server?.close()
  services?.close()
  dir?.remove()
})

/** A raw HTTP answer must be a 4xx, a 2xx/1xx, or nothing (a dropped connection); never a 5xx, never the token. */
function checkAnswer(answer: string, name: string): void {
  const status = statusOf(answer)
  expect(status < 500, `${name}: status ${status}`).toBe(true)
  expect(answer.includes(token), `${name}: the answer carries the token`).toBe(false)
}

function request(target: string, lines: string[] = [`Host: 127.0.0.1:${port}`], method = 'GET'): string {
  return `${method} ${target} HTTP/1.1\r\n${lines.map((l) => `${l}\r\n`).join('')}\r\n`
}

interface Case {
  name: string
  run(): Promise<void>
}

/** A raw exchange; `endAtOnce` for input that may never complete a request (the server would wait for the rest). */
function httpCase(name: string, payload: Buffer | string | (Buffer | string)[], endAtOnce = false): Case {
  return { name, run: async () => checkAnswer(await rawExchange(port, payload, { endAtOnce }), name) }
}

// Request targets: the probe's five that killed the server, %-escapes, traversal, absolute and odd forms.
const targetCorpus = [
  '//',
  '///',
  '//:99999',
  '//@',
  '//a%20b',
  '/%',
  '/%E0%A4%A',
  '/%C0%AF',
  '/%00',
  '/%ff%fe',
  '/..%2f..%2f..%2fetc%2fpasswd',
  '/../../etc/passwd',
  '/..%5c..%5csecret.txt',
  '/\\..\\..\\secret.txt',
  '/\\\\evil.example',
  '/\\\\:99999',
  '*',
  'http://evil.example/',
  'http://127.0.0.1:1/',
  '?token=x',
  '/?token=' + 'a'.repeat(8000),
  '/' + 'a'.repeat(15_000),
  '/assets/%2e%2e/%2e%2e/secret.txt',
  '/index.html%00.js',
  '/api',
  '/api?token=TOKEN',
  '/#fragment',
  '/é',
  '/\u2028'
]
const targetPieces = [
  '/',
  '/',
  '/',
  '//',
  '%',
  '%2f',
  '%00',
  '%zz',
  '%E0',
  '@',
  ':',
  '?',
  '#',
  '\\',
  '.',
  '..',
  'a',
  'Z',
  '0',
  '"',
  '<',
  '~',
  '[',
  ']',
  '&',
  '=',
  '+',
  'token=',
  'é',
  '\u0000',
  '\t',
  ' '
]
const randomTarget = () => times(1 + int(30), () => pick(targetPieces)).join('')

function targetCases(): Case[] {
  const targets = [...targetCorpus, ...times(250, randomTarget)]
  return targets.map((t, i) => httpCase(`target ${i}`, Buffer.from(request(t.replace('TOKEN', token)), 'utf8')))
}

function methodCases(): Case[] {
  const corpus = ['POST', 'PUT', 'DELETE', 'OPTIONS', 'TRACE', 'PATCH', 'get', 'GETT', 'PRI', 'M-SEARCH', 'PROPFIND']
  const cases = corpus.map((m) => httpCase(`method ${m}`, request('/', undefined, m)))
  cases.push(httpCase('CONNECT', request(`127.0.0.1:${port}`, undefined, 'CONNECT')))
  cases.push(httpCase('empty method', request('/', undefined, '')))
  cases.push(httpCase('NUL in method', request('/', undefined, 'G\u0000T')))
  cases.push(
    httpCase('POST with a 1 MB body', [
      request('/', [`Host: 127.0.0.1:${port}`, 'Content-Length: 1048576']),
      Buffer.alloc(1024 * 1024, 'x')
    ])
  )
  cases.push(
    httpCase('POST shorter than it says', request('/', [`Host: 127.0.0.1:${port}`, 'Content-Length: 500']), true)
  )
  const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_!#$%&*+.^`|~0123456789 \t\u00ff\u0000'
  for (let i = 0; i < 34; i++) {
    const method = times(1 + int(12), () => pick([...letters])).join('')
    cases.push(
      httpCase(
        `random method ${i}`,
        Buffer.from(request(pick(['/', '//', '/api', randomTarget()]), undefined, method), 'latin1')
      )
    )
  }
  return cases
}

function headerCases(): Case[] {
  const host = `Host: 127.0.0.1:${port}`
  const corpus: [string, string[]][] = [
    ['a 100 kB header', [host, `X-Big: ${'b'.repeat(100_000)}`]],
    ['5000 headers', [host, ...times(5000, (i) => `X-${i}: ${i}`)]],
    ['a good Host then a foreign one', [host, 'Host: evil.example']],
    ['a foreign Host then a good one', ['Host: evil.example', host]],
    ['no Host', []],
    ['an empty Host', ['Host: ']],
    ['Host localhost', [`Host: localhost:${port}`]],
    ['Host with a suffix', [`Host: 127.0.0.1:${port}.evil.example`]],
    ['Host [::1]', [`Host: [::1]:${port}`]],
    ['Host with spaces', [`Host: 127.0.0.1 : ${port}`]],
    ['Origin null', [host, 'Origin: null']],
    ['a foreign Origin', [host, 'Origin: http://evil.example']],
    ['an Origin with a suffix', [host, `Origin: http://127.0.0.1:${port}.evil.example`]],
    ['another port as Origin', [host, `Origin: http://127.0.0.1:${port + 1}`]],
    ['two Origins', [host, `Origin: http://127.0.0.1:${port}`, 'Origin: http://evil.example']],
    ['a unicode Origin', [host, 'Origin: http://ëvil.example']],
    ['a bad chunk', [host, 'Transfer-Encoding: chunked', '', 'zz\r\nhello\r\n0']],
    ['Transfer-Encoding gzip', [host, 'Transfer-Encoding: gzip']],
    ['Content-Length and chunked', [host, 'Content-Length: 4', 'Transfer-Encoding: chunked']],
    ['Content-Length -1', [host, 'Content-Length: -1']],
    ['Content-Length abc', [host, 'Content-Length: abc']],
    ['a 20-digit Content-Length', [host, 'Content-Length: 99999999999999999999']],
    ['two Content-Lengths', [host, 'Content-Length: 1', 'Content-Length: 2']],
    ['a space in a header name', [host, 'X Bad: 1']],
    ['a header without a colon', [host, 'NoColon']],
    ['a folded header', [host, 'X-Fold: a', ' b']],
    ['NUL in a value', [host, 'X-Nul: a\u0000b']],
    ['Upgrade h2c', [host, 'Connection: Upgrade, HTTP2-Settings', 'Upgrade: h2c', 'HTTP2-Settings: AAMAAABkAAQAAP__']],
    ['the old token cookie', [host, `Cookie: rnnlab_token=${token}`]],
    ['a 12 kB cookie', [host, `Cookie: ${'c=1; '.repeat(2400)}`]]
  ]
  const cases = corpus.map(([name, lines]) => httpCase(name, Buffer.from(request('/', lines), 'latin1')))
  cases.push(httpCase('bare LF line ends', `GET / HTTP/1.1\nHost: 127.0.0.1:${port}\n\n`))
  const names = ['Host', 'Origin', 'Cookie', 'Content-Length', 'Transfer-Encoding', 'Connection', 'Upgrade', 'X-A']
  const values = [`127.0.0.1:${port}`, 'evil.example', 'null', '-1', 'chunked', 'Upgrade', 'websocket', '\u00ff', '']
  for (let i = 0; i < 40; i++) {
    const lines = times(
      int(8),
      () => `${pick(names)}: ${chance(0.2) ? bytes(int(40)).toString('latin1') : pick(values)}`
    )
    cases.push(
      httpCase(`random headers ${i}`, Buffer.from(request(chance(0.5) ? '/' : randomTarget(), lines), 'latin1'))
    )
  }
  return cases
}

function garbageCases(): Case[] {
  const clientHello = Buffer.from('160301002c010000280303' + '00'.repeat(32) + '0000020035010000', 'hex')
  const cases = [
    httpCase('a TLS ClientHello', clientHello, true),
    httpCase('the HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'),
    httpCase('an SSH banner', 'SSH-2.0-OpenSSH_9.6\r\n', true),
    httpCase('blank lines', '\r\n\r\n\r\n', true),
    httpCase('one byte', Buffer.from([0xff]), true),
    httpCase('64 kB of zeros', Buffer.alloc(65536)),
    httpCase('a request line only', 'GET / HTTP/1.1\r\n', true),
    httpCase('HTTP/9.9', `GET / HTTP/9.9\r\nHost: 127.0.0.1:${port}\r\n\r\n`),
    httpCase('HTTP/1.0 without Host', 'GET / HTTP/1.0\r\n\r\n'),
    httpCase('headers without their end', `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}`, true),
    httpCase('100 pipelined requests', request('/').repeat(100)),
    httpCase(
      'a request a byte at a time',
      [...request('/')].map((c) => c)
    )
  ]
  for (let i = 0; i < 80; i++) {
    const junk = bytes(1 + int(chance(0.2) ? 4096 : 64))
    cases.push(httpCase(`random bytes ${i}`, chance(0.3) ? [request('/'), junk] : junk, true))
  }
  return cases
}

function upgradeCases(): Case[] {
  const api = `/api?token=${token}`
  const corpus: [string, string, Record<string, string>][] = [
    ['no token', '/api', {}],
    ['a wrong token', '/api?token=wrong', {}],
    ['the token under another name', `/api?tok=${token}`, {}],
    ['two tokens', `/api?token=wrong&token=${token}`, {}],
    ['no Origin', api, { Origin: '' }],
    ['a foreign Origin', api, { Origin: 'http://evil.example' }],
    ['Origin null', api, { Origin: 'null' }],
    ['a foreign Host', api, { Host: 'evil.example' }],
    ['version 8', api, { 'Sec-WebSocket-Version': '8' }],
    ['version abc', api, { 'Sec-WebSocket-Version': 'abc' }],
    ['no key', api, { 'Sec-WebSocket-Key': '' }],
    ['a bad key', api, { 'Sec-WebSocket-Key': 'abc' }],
    ['a 200-character key', api, { 'Sec-WebSocket-Key': 'k'.repeat(200) }],
    ['Upgrade WebSocket2', api, { Upgrade: 'WebSocket2' }],
    ['no Connection: Upgrade', api, { Connection: 'keep-alive' }],
    ['a bad deflate offer', api, { 'Sec-WebSocket-Extensions': 'permessage-deflate; server_max_window_bits=99' }],
    ['extension garbage', api, { 'Sec-WebSocket-Extensions': ';;;,,=' }],
    ['protocol garbage', api, { 'Sec-WebSocket-Protocol': ', , ,' }],
    ['/api/', `/api/?token=${token}`, {}],
    ['/API', `/API?token=${token}`, {}],
    ['/api/../api', `/api/../api?token=${token}`, {}],
    ['/api%00', `/api%00?token=${token}`, {}],
    ['//api', `//api?token=${token}`, {}],
    ['a bad %-escape', `/api?token=%E0%A4%A`, {}],
    ['a valid handshake', api, {}]
  ]
  const cases = corpus.map(([name, path, headers]) => httpCase(`upgrade: ${name}`, upgradeRequest(port, path, headers)))
  cases.push(httpCase('upgrade with garbage after it', [upgradeRequest(port, api), bytes(300)]))
  cases.push(httpCase('upgrade over HTTP/1.0', upgradeRequest(port, api).replace('HTTP/1.1', 'HTTP/1.0')))
  cases.push(httpCase('upgrade by POST', upgradeRequest(port, api).replace('GET', 'POST')))
  const mutations: Record<string, string>[] = [
    { Origin: 'http://evil.example' },
    { 'Sec-WebSocket-Version': String(int(20)) },
    { 'Sec-WebSocket-Key': bytes(int(30)).toString('base64') },
    { Upgrade: pick(['websocket', 'h2c', 'WEBSOCKET', '']) },
    { 'Sec-WebSocket-Extensions': pick(['permessage-deflate', 'x-webkit-deflate-frame', 'permessage-deflate; a=b']) },
    { Host: pick([`localhost:${port}`, 'evil.example', '']) }
  ]
  for (let i = 0; i < 30; i++) {
    const headers = Object.assign({}, ...times(1 + int(3), () => pick(mutations))) as Record<string, string>
    const path = pick([api, '/api', randomTarget(), `${randomTarget()}?token=${token}`])
    cases.push(httpCase(`random upgrade ${i}`, upgradeRequest(port, path, headers)))
  }
  return cases
}

function frameCase(name: string, frames: Buffer[]): Case {
  return {
    name,
    run: async () => {
      const { upgraded } = await rawWebSocket(port, token, frames)
      expect(upgraded, `${name}: the handshake`).toBe(true)
    }
  }
}

function frameCases(): Case[] {
  const text = (payload: Buffer | string, more: Partial<Parameters<typeof frame>[0]> = {}) =>
    frame({ opcode: 1, payload, ...more })
  const invalidUtf8 = [[0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf5, 0x80, 0x80, 0x80], [0xff]]
  const cases: Case[] = [
    ...invalidUtf8.map((b, i) => frameCase(`invalid UTF-8 ${i}`, [text(Buffer.from([0x7b, ...b, 0x7d]))])),
    ...[3, 4, 5, 6, 7, 11, 12, 13, 14, 15].map((op) =>
      frameCase(`opcode ${op}`, [frame({ opcode: op, payload: 'x' })])
    ),
    ...[1, 2, 8, 9, 10].map((op) =>
      frameCase(`unmasked opcode ${op}`, [frame({ opcode: op, payload: 'x', masked: false })])
    ),
    ...[1, 2, 3, 4, 5, 6, 7].map((rsv) => frameCase(`RSV ${rsv}`, [text('{}', { rsv })])),
    frameCase('RSV1 on a ping', [frame({ opcode: 9, rsv: 4 })]),
    ...[0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535].map((code) =>
      frameCase(`close code ${code}`, [frame({ opcode: 8, payload: closePayload(code) })])
    ),
    frameCase('a 1-byte close', [frame({ opcode: 8, payload: Buffer.from([3]) })]),
    frameCase('a close reason in bad UTF-8', [frame({ opcode: 8, payload: closePayload(1000, '\u0000') })]),
    frameCase('a close reason in invalid UTF-8', [
      frame({ opcode: 8, payload: Buffer.concat([closePayload(1000), Buffer.from([0xc0])]) })
    ]),
    frameCase('a 126-byte close', [
      frame({ opcode: 8, payload: Buffer.concat([closePayload(1000), Buffer.alloc(124)]) })
    ]),
    frameCase('a 200-byte ping', [frame({ opcode: 9, payload: Buffer.alloc(200) })]),
    frameCase('a 126-byte pong', [frame({ opcode: 10, payload: Buffer.alloc(126) })]),
    frameCase('a fragmented ping', [
      frame({ opcode: 9, fin: false, payload: 'a' }),
      frame({ opcode: 0, payload: 'b' })
    ]),
    frameCase('a continuation with nothing to continue', [frame({ opcode: 0, payload: 'x' })]),
    frameCase('a new message inside another', [text('{"id"', { fin: false }), text(':1}')]),
    frameCase('a binary continuation of text', [text('{"id"', { fin: false }), frame({ opcode: 2, payload: ':1}' })]),
    ...[2n ** 16n, 2n ** 31n, 2n ** 40n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n].map((n) =>
      frameCase(`a header announcing ${n} bytes`, [frame({ opcode: 2, announced: n })])
    ),
    frameCase('a frame cut short', [frame({ opcode: 1, payload: 'x'.repeat(100) }).subarray(0, 20)]),
    frameCase('a message in 1000 one-byte fragments', [
      text('{', { fin: false }),
      ...times(998, () => frame({ opcode: 0, fin: false, payload: ' ' })),
      frame({ opcode: 0, payload: '}' })
    ]),
    frameCase('a valid call, then garbage', [text(JSON.stringify({ id: 1, call: 'app:info' })), bytes(64)]),
    frameCase('a ping, a pong and a clean close', [
      frame({ opcode: 9, payload: 'p' }),
      frame({ opcode: 10 }),
      frame({ opcode: 8, payload: closePayload(1000, 'bye') })
    ])
  ]
  for (let i = 0; i < 150; i++) {
    const frames = times(1 + int(4), () =>
      frame({
        opcode: chance(0.5) ? pick([0, 1, 2, 8, 9, 10]) : int(16),
        fin: chance(0.8),
        rsv: chance(0.8) ? 0 : int(8),
        masked: chance(0.9),
        payload: chance(0.5) ? bytes(int(300)) : JSON.stringify(randomJson(3)),
        announced: chance(0.1) ? BigInt(int(2 ** 31)) : undefined
      })
    )
    cases.push(frameCase(`random frames ${i}`, frames))
  }
  return cases
}

/** A random JSON value; sometimes shaped like a call, with one of the contract's names or a near miss. */
function randomJson(depth: number): unknown {
  const leaf = () =>
    pick<() => unknown>([
      () => null,
      () => chance(0.5),
      () => int(1000) - 500,
      () => rand() * 1e12,
      () => pick([0, -0, 1.5, 2 ** 53, -(2 ** 63), 1e308]),
      () => times(int(20), () => pick([...'abc:!{}"\\\u0000é\ud800'])).join(''),
      () => pick(callNames),
      () => pick(['__proto__', 'constructor', 'toString', 'runs:', 'RUNS:LIST'])
    ])()
  if (depth === 0 || chance(0.4)) return leaf()
  if (chance(0.3)) return times(int(5), () => randomJson(depth - 1))
  const o: Record<string, unknown> = {}
  for (const key of times(int(5), () => pick(['id', 'call', 'arg', 'ids', 'config', 'runId', 'x', '__proto__']))) {
    o[key] = randomJson(depth - 1)
  }
  return o
}

function deep(n: number, open: string, close: string, inner = '1'): string {
  return open.repeat(n) + inner + close.repeat(n)
}

interface MessageCase {
  name: string
  message: string | Buffer
  /** The id the reply must carry: the message's own when it is valid, else null. */
  id: string | number | null
  /** The connection is closed instead of answered. */
  closes?: number
}

function messageCases(): MessageCase[] {
  const cases: MessageCase[] = [
    ...['null', 'true', '0', '-1', '1e309', '"x"', '[]', '{}', '[{}]', '', ' ', '\ufeff{}', 'not json', '{"id":1,'].map(
      (m) => ({ name: `message ${JSON.stringify(m)}`, message: m, id: null })
    ),
    { name: '100,000-deep id', message: `{"id":${deep(100_000, '[', ']')},"call":"app:info"}`, id: null },
    { name: '100,000-deep call', message: `{"id":1,"call":${deep(100_000, '{"a":', '}')}}`, id: 1 },
    { name: '100,000-deep arg', message: `{"id":2,"call":"runs:get","arg":${deep(100_000, '[', ']')}}`, id: 2 },
    {
      name: '100,000-deep config',
      message: `{"id":3,"call":"models:summary","arg":{"config":${deep(100_000, '{"model":', '}')}}}`,
      id: 3
    },
    { name: 'a 1 MB id', message: JSON.stringify({ id: 'i'.repeat(1_000_000), call: 'app:info' }), id: null },
    {
      name: 'the longest id',
      message: JSON.stringify({ id: 'i'.repeat(maxMessageIdLength), call: 'app:info' }),
      id: 'i'.repeat(maxMessageIdLength)
    },
    {
      name: 'one character too long an id',
      message: JSON.stringify({ id: 'i'.repeat(maxMessageIdLength + 1), call: 'app:info' }),
      id: null
    },
    { name: 'an object id', message: '{"id":{},"call":"app:info"}', id: null },
    { name: 'an infinite id', message: '{"id":1e400,"call":"app:info"}', id: null },
    { name: 'a boolean id', message: '{"id":true,"call":"app:info"}', id: null },
    { name: 'no id', message: '{"call":"app:info"}', id: null },
    ...['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'runs:', 'x'.repeat(100_000)].map((call, i) => ({
      name: `call ${call.slice(0, 20)}`,
      message: JSON.stringify({ id: 10 + i, call }),
      id: 10 + i
    })),
    { name: '__proto__ holding the call', message: '{"__proto__":{"call":"app:info"},"id":20}', id: 20 },
    {
      name: '__proto__ in an argument',
      message: '{"id":21,"call":"runs:update","arg":{"__proto__":{"id":1}}}',
      id: 21
    },
    { name: 'a lone surrogate id', message: '{"id":"\\ud800","call":"app:info"}', id: '\ud800' },
    { name: 'a binary message', message: Buffer.from('{"id":22,"call":"app:info"}'), id: null },
    { name: 'over the size limit', message: 'x'.repeat(defaultLimits.maxMessageBytes + 1), id: null, closes: 1009 }
  ]
  // Every call with wrong argument types.
  const wrongArgs: unknown[] = [
    null,
    1,
    'x',
    [],
    {},
    true,
    { id: '1' },
    { id: -1 },
    { id: 1.5 },
    { id: 2 ** 60 },
    { ids: 'x' },
    { ids: [1, '2'] }
  ]
  let id = 100
  for (const call of callNames) {
    for (const arg of wrongArgs) {
      cases.push({ name: `${call} with ${JSON.stringify(arg)}`, message: JSON.stringify({ id, call, arg }), id: id++ })
    }
  }
  for (let i = 0; i < 200; i++) {
    const message = JSON.stringify(randomJson(5))
    // What the server reads: JSON.parse makes every key an own property (`__proto__` included).
    const read = JSON.parse(message) as unknown
    const isObject = typeof read === 'object' && read !== null && !Array.isArray(read)
    const candidate = isObject && Object.hasOwn(read, 'id') ? (read as { id: unknown }).id : undefined
    const valid =
      (typeof candidate === 'number' && Number.isFinite(candidate)) ||
      (typeof candidate === 'string' && candidate.length <= maxMessageIdLength)
    cases.push({ name: `random message ${i}`, message, id: valid ? candidate : null })
  }
  return cases
}

/** An API WebSocket with the token, our Host and our Origin. */
function connect(): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api?token=${token}`, { origin: `http://127.0.0.1:${port}` })
  ws.on('error', () => {})
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws))
    ws.once('unexpected-response', () => reject(new Error('the API WebSocket was refused')))
  })
}

/** Sends one message and waits for what the server does: one reply (text) or the connection's close code. */
function exchange(ws: WebSocket, message: string | Buffer): Promise<{ reply?: string; closed?: number }> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const text = String(data)
      // Events pushed meanwhile are not replies.
      if (text.startsWith('{"event"')) return
      ws.off('message', onMessage)
      ws.off('close', onClose)
      resolve({ reply: text })
    }
    const onClose = (code: number) => {
      ws.off('message', onMessage)
      resolve({ closed: code })
    }
    ws.on('message', onMessage)
    ws.once('close', onClose)
    ws.send(message, { binary: Buffer.isBuffer(message) })
  })
}

/** The server is alive: nothing uncaught, the page served, and a call with the token answered. */
async function alive(after: string): Promise<void> {
  expect(crashes.take(), `uncaught in the server during ${after}`).toEqual([])
  const page = await rawExchange(port, request('/'))
  expect(statusOf(page), `the page after ${after}`).toBe(200)
  const ws = await connect()
  const { reply } = await exchange(ws, JSON.stringify({ id: 'alive', call: 'app:info' }))
  expect(JSON.parse(reply ?? '{}'), `a call after ${after}`).toMatchObject({ id: 'alive', ok: true })
  ws.terminate()
}

const batchSize = 20
const counts: Record<string, number> = {}

async function runBatches(kind: string, cases: Case[]): Promise<void> {
  counts[kind] = cases.length
  for (let i = 0; i < cases.length; i += batchSize) {
    const batch = cases.slice(i, i + batchSize)
    for (const c of batch) await c.run()
    await alive(`${kind} ${batch[0].name} … ${batch[batch.length - 1].name}`)
  }
}

describe(`rnnlab serve under fuzzing (seed ${seed})`, () => {
  it('survives malformed request targets', () => runBatches('targets', targetCases()))
  it('survives odd methods and bodies', () => runBatches('methods', methodCases()))
  it('survives huge, duplicated and malformed headers', () => runBatches('headers', headerCases()))
  it('survives raw TCP garbage', () => runBatches('garbage', garbageCases()))
  it('survives malformed WebSocket handshakes', () => runBatches('upgrades', upgradeCases()))
  it('survives malformed WebSocket frames', () => runBatches('frames', frameCases()))

  it('answers every WebSocket message once, with its id only when valid, or closes an oversized one', async () => {
    const cases = messageCases()
    counts.messages = cases.length
    let ws = await connect()
    for (let i = 0; i < cases.length; i++) {
      const c = cases[i]
      const outcome = await exchange(ws, c.message)
      if (c.closes !== undefined) {
        expect(outcome.closed, c.name).toBe(c.closes)
        ws = await connect()
      } else {
        expect(outcome.reply, `${c.name}: no reply (closed ${outcome.closed})`).toBeDefined()
        const reply = JSON.parse(outcome.reply!) as { id: unknown; ok: boolean; error?: string }
        expect(reply.id, c.name).toEqual(c.id)
        if (!reply.ok) expect(reply.error!.length, c.name).toBeLessThanOrEqual(2001)
      }
      if (i % batchSize === batchSize - 1 || i === cases.length - 1) await alive(`messages up to ${c.name}`)
    }
    ws.terminate()
  })

  it('ran a bounded number of cases', () => {
    const total = Object.values(counts).reduce((a, b) => a + b, 0)
    console.log(`server fuzzer, seed ${seed}: ${total} cases (${JSON.stringify(counts)})`)
    expect(total).toBeGreaterThan(1000)
    expect(total).toBeLessThan(3000)
  })
})
