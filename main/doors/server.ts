// The browser door (`rnnlab serve`): the built renderer over HTTP and the contract over a WebSocket, on 127.0.0.1
// only. The page is the public build; the API needs a random token. The Host and Origin checks stop other web pages
// (and DNS rebinding) from using it. No input ends the server: each request, frame and message is read inside a guard.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import { extname, join, normalize, sep } from 'node:path'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { WebSocketServer, type RawData, type WebSocket } from 'ws'
import { dispatch, errorMessage, eventNames, events, isCallName } from '../../common/contract'
import type { Services } from '../services'
import { contentSecurityPolicy } from './csp'

/** How much one WebSocket connection may make the server hold: what a hostile or stuck page can cost. */
export interface ServerLimits {
  /** The largest message a page may send, in bytes; a larger one closes its connection (1009). */
  maxMessageBytes: number
  /** Calls of one connection answered at the same time; the next ones wait their turn. */
  maxCallsInFlight: number
  /** Calls read and waiting; a connection that sends more at once is closed (1008). */
  maxCallsWaiting: number
  /** Unsent output above which the connection's calls are no longer read and its progress events are dropped. */
  highWaterBytes: number
  /** Unsent output above which the connection is closed when more is to be sent: a reader that does not drain. */
  maxUnsentBytes: number
}

export const defaultLimits: ServerLimits = {
  maxMessageBytes: 16 * 1024 * 1024,
  maxCallsInFlight: 16,
  maxCallsWaiting: 4096,
  highWaterBytes: 1024 * 1024,
  maxUnsentBytes: 32 * 1024 * 1024
}

/** A message's id is echoed in its reply, so it must be small: a number, or a string of at most this length. */
export const maxMessageIdLength = 100

export interface ServerOptions {
  services: Services
  /** The built renderer (out/renderer). */
  rendererDir: string
  port?: number
  token?: string
  limits?: Partial<ServerLimits>
  /** Where faults of the server itself (not of a request) are reported; stderr when absent. */
  log?: (line: string) => void
}

export interface RunningServer {
  url: string
  port: number
  token: string
  close(): Promise<void>
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2'
}

/** Compares in constant time, whatever the lengths: both sides are hashed to the same size first. */
function sameToken(given: string | null, token: string): boolean {
  if (given === null || given === '') return false
  const digest = (s: string) => createHash('sha256').update(s).digest()
  return timingSafeEqual(digest(given), digest(token))
}

/**
 * The path (percent-decoded) and query of a request target, or null when the target is not a plain path: `//x`,
 * `*` and `http://…` name no file here, and a bad %-escape is the sender's error, answered 400.
 */
export function parseTarget(
  target: string | undefined
): { path: string; rawPath: string; query: URLSearchParams } | null {
  if (target === undefined || !target.startsWith('/') || target.startsWith('//')) return null
  try {
    // A fixed authority in front: the target can then only be a path and a query (`\` counts as `/` in a URL).
    const url = new URL(`http://door${target}`)
    if (url.host !== 'door') return null
    return { path: decodeURIComponent(url.pathname), rawPath: url.pathname, query: url.searchParams }
  } catch {
    return null
  }
}

/** The reply to one message: its id (when it has a valid one) and the call's outcome. */
type Answer = { id: string | number | null } & ({ ok: true; value: unknown } | { ok: false; error: string })

/** What a value a page sent is, in a few words: never spelled out, since it may be huge or deeply nested. */
function kindOf(v: unknown): string {
  if (v === null || v === undefined || typeof v === 'number' || typeof v === 'boolean') return String(v)
  if (typeof v === 'string') return v.length <= 40 ? JSON.stringify(v) : `a string of ${v.length} characters`
  return Array.isArray(v) ? 'an array' : 'an object'
}

/** A reply as text; one whose value cannot be encoded becomes an error reply to the same id. */
function encode(reply: Answer): string {
  try {
    return JSON.stringify(reply)
  } catch (e) {
    return JSON.stringify({ id: reply.id, ok: false, error: `the reply could not be encoded: ${errorMessage(e)}` })
  }
}

function isMessageId(id: unknown): id is string | number {
  return (typeof id === 'number' && Number.isFinite(id)) || (typeof id === 'string' && id.length <= maxMessageIdLength)
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const token = opts.token ?? randomBytes(24).toString('base64url')
  const limits = { ...defaultLimits, ...opts.limits }
  const log = opts.log ?? ((line: string) => void process.stderr.write(`rnnlab serve: ${line}\n`))
  let port = 0
  const allowedHosts = () => [`127.0.0.1:${port}`, `localhost:${port}`]
  const allowedOrigins = () => allowedHosts().map((h) => `http://${h}`)

  /** Why a request comes from somewhere else than our page on our address, or null when it does not. */
  function foreign(req: IncomingMessage): string | null {
    if ((req.headersDistinct.host?.length ?? 0) > 1) return 'more than one Host header'
    if (!allowedHosts().includes(req.headers.host ?? '')) return 'foreign Host header'
    const origin = req.headers.origin
    if (origin !== undefined && !allowedOrigins().includes(origin)) return 'foreign Origin'
    return null
  }

  const root = normalize(opts.rendererDir)
  // Pages see what other processes (the CLI, the app) write to the database too.
  opts.services.watchDatabase()

  async function serveFile(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const file = normalize(join(root, path === '/' ? '/index.html' : path))
    if (!file.startsWith(root + sep)) return send(res, 404, 'not found')
    try {
      const s = await stat(file)
      if (!s.isFile()) return send(res, 404, 'not found')
    } catch {
      return send(res, 404, 'not found')
    }
    const body = req.method === 'HEAD' ? undefined : await readFile(file)
    // No cookie: a browser sends 127.0.0.1's cookies to every port on it. The token stays in the page.
    res.writeHead(200, {
      'Content-Type': contentTypes[extname(file)] ?? 'application/octet-stream',
      'Content-Security-Policy': contentSecurityPolicy,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-store'
    })
    res.end(body)
  }

  /** A fault of ours while answering: the sender gets a line, the log gets the reason; the server goes on. */
  function failed(res: ServerResponse, e: unknown): void {
    log(`request failed: ${errorMessage(e)}`)
    send(res, 500, 'internal error')
  }

  // The page and its assets are the public build, served without the token to our own address only.
  const server = createServer((req, res) => {
    try {
      const reason = foreign(req)
      if (reason) return send(res, 403, `forbidden: ${reason}`)
      const target = parseTarget(req.url)
      if (!target) return send(res, 400, 'bad request: the target is not a path')
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed')
      serveFile(req, res, target.path).catch((e: unknown) => failed(res, e))
    } catch (e) {
      failed(res, e)
    }
  })
  // A request Node cannot parse (bad method, huge or broken headers, garbage): answered here, never thrown.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request'
    if (err.code !== 'ECONNRESET' && socket.writable) {
      socket.write(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
    }
    socket.destroy()
  })
  server.on('error', (e) => log(`server error: ${errorMessage(e)}`))

  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxMessageBytes })
  wss.on('error', (e) => log(`WebSocket server error: ${errorMessage(e)}`))
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Until ws takes the socket over, its errors are ours to catch.
    socket.on('error', () => socket.destroy())
    try {
      const target = parseTarget(req.url)
      // Browsers always send Origin on a WebSocket: require ours, so another site cannot drive the API.
      const reason = !target
        ? 'the target is not a path'
        : target.rawPath !== '/api'
          ? 'unknown path'
          : req.headers.origin === undefined
            ? 'missing Origin'
            : (foreign(req) ?? (sameToken(target.query.get('token'), token) ? null : 'missing or wrong token'))
      if (reason) {
        const status = target ? '403 Forbidden' : '400 Bad Request'
        socket.write(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\nforbidden: ${reason}`)
        socket.destroy()
        return
      }
      wss.handleUpgrade(req, socket, head, (ws) => attach(ws))
    } catch (e) {
      log(`upgrade failed: ${errorMessage(e)}`)
      socket.destroy()
    }
  })

  const sockets = new Set<WebSocket>()

  /**
   * One page's connection. Its calls run at most `maxCallsInFlight` at a time; while that many run, or while its
   * unsent output is above `highWaterBytes`, no more of its messages are read (backpressure on the page), and
   * progress events to it are dropped (the next one says more). A connection whose unsent output is still above
   * `maxUnsentBytes` when something more is to be sent is closed: it holds at most that plus one reply.
   */
  function attach(ws: WebSocket): void {
    sockets.add(ws)
    // Protocol errors (bad frames, invalid UTF-8, an oversized message): ws closes the connection itself, with the
    // close code that says why. Without a listener the error would be thrown, and the process would end.
    ws.on('error', () => {})
    const waiting: { data: RawData; isBinary: boolean }[] = []
    let inFlight = 0
    const congested = () => ws.bufferedAmount > limits.highWaterBytes

    function push(text: string, droppable: boolean): void {
      if (ws.readyState !== ws.OPEN) return
      if (ws.bufferedAmount > limits.maxUnsentBytes) return void ws.terminate()
      if (droppable && congested()) return
      ws.send(text, () => pump())
    }

    /** Starts the calls that may start, and reads more messages only when there is room. */
    function pump(): void {
      while (waiting.length > 0 && inFlight < limits.maxCallsInFlight && !congested()) {
        const next = waiting.shift()!
        inFlight++
        void answer(next.data, next.isBinary).then((reply) => {
          inFlight--
          push(encode(reply), false)
          pump()
        })
      }
      if (waiting.length === 0 && inFlight < limits.maxCallsInFlight && !congested()) ws.resume()
      else ws.pause()
    }

    const offs = eventNames.map((name) =>
      opts.services.on(events[name].method, (payload) => {
        // Called from inside the training host: a fault here must not reach it.
        try {
          push(JSON.stringify({ event: name, payload }), events[name].method === 'onTrainingProgress')
        } catch (e) {
          log(`event ${name} not sent: ${errorMessage(e)}`)
        }
      })
    )
    ws.on('message', (data, isBinary) => {
      if (ws.readyState !== ws.OPEN) return
      // Messages already read when reading paused still arrive; a page that sends this many at once is not ours.
      if (waiting.length >= limits.maxCallsWaiting) {
        waiting.length = 0
        return ws.close(1008, 'too many calls at once')
      }
      waiting.push({ data, isBinary })
      pump()
    })
    ws.on('close', () => {
      sockets.delete(ws)
      waiting.length = 0
      offs.forEach((off) => off())
    })
  }

  /** Checks a message's shape before any use and runs its call; never throws, never echoes a large id. */
  async function answer(data: RawData, isBinary: boolean): Promise<Answer> {
    try {
      if (isBinary) return { id: null, ok: false, error: 'message: expected JSON text, got binary data' }
      let msg: unknown
      try {
        // Text frames: ws has checked the UTF-8 and the size (maxPayload) already.
        msg = JSON.parse(String(data))
      } catch {
        return { id: null, ok: false, error: 'message is not JSON' }
      }
      if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
        return { id: null, ok: false, error: `message: expected an object {id, call, arg}, got ${kindOf(msg)}` }
      }
      const { id, call, arg } = msg as Record<string, unknown>
      if (!isMessageId(id)) {
        return {
          id: null,
          ok: false,
          error: `id: expected a number or a string of at most ${maxMessageIdLength} characters, got ${kindOf(id)}`
        }
      }
      if (!isCallName(call)) return { id, ok: false, error: `unknown call ${kindOf(call)}` }
      return { id, ...(await dispatch(opts.services.handlers, call, arg)) }
    } catch (e) {
      return { id: null, ok: false, error: errorMessage(e) }
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of sockets) ws.terminate()
        wss.close()
        server.close(() => resolve())
        server.closeAllConnections()
      })
  }
}

function send(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent) return void res.destroy()
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' })
  res.end(text)
}
