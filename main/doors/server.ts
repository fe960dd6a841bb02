// The browser door (`rnnlab serve`): the built renderer over HTTP and the contract over a WebSocket, on 127.0.0.1
// only, behind a random token. The Host and Origin checks stop other web pages (and DNS rebinding) from using it.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import { extname, join, normalize, sep } from 'node:path'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import { dispatch, eventNames, events } from '../../common/contract'
import type { Services } from '../services'
import { contentSecurityPolicy } from './csp'

export interface ServerOptions {
  services: Services
  /** The built renderer (out/renderer). */
  rendererDir: string
  port?: number
  token?: string
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

const cookieName = 'rnnlab_token'

function sameToken(given: string | undefined | null, token: string): boolean {
  if (!given) return false
  const a = Buffer.from(given)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

function cookieToken(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=')
    if (k === cookieName) return v.join('=')
  }
  return undefined
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const token = opts.token ?? randomBytes(24).toString('base64url')
  let port = 0
  const allowedHosts = () => [`127.0.0.1:${port}`, `localhost:${port}`]
  const allowedOrigins = () => allowedHosts().map((h) => `http://${h}`)

  /** Returns the reason to refuse a request, or null when it may go on. */
  function refuse(req: IncomingMessage, url: URL): string | null {
    if (!allowedHosts().includes(req.headers.host ?? '')) return 'foreign Host header'
    const origin = req.headers.origin
    if (origin !== undefined && !allowedOrigins().includes(origin)) return 'foreign Origin'
    if (!sameToken(url.searchParams.get('token'), token) && !sameToken(cookieToken(req), token))
      return 'missing or wrong token'
    return null
  }

  const root = normalize(opts.rendererDir)

  async function serveFile(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    let rel = decodeURIComponent(url.pathname)
    if (rel === '/' || rel === '') rel = '/index.html'
    const file = normalize(join(root, rel))
    if (!file.startsWith(root + sep)) return send(res, 404, 'not found')
    try {
      const s = await stat(file)
      if (!s.isFile()) return send(res, 404, 'not found')
    } catch {
      return send(res, 404, 'not found')
    }
    const headers: Record<string, string> = {
      'Content-Type': contentTypes[extname(file)] ?? 'application/octet-stream',
      'Content-Security-Policy': contentSecurityPolicy,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-store'
    }
    // The page's own requests (scripts, styles) carry the token as a cookie after the first visit.
    if (sameToken(url.searchParams.get('token'), token)) {
      headers['Set-Cookie'] = `${cookieName}=${token}; HttpOnly; SameSite=Strict; Path=/`
    }
    res.writeHead(200, headers)
    res.end(req.method === 'HEAD' ? undefined : await readFile(file))
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const reason = refuse(req, url)
    if (reason) return send(res, 403, `forbidden: ${reason}`)
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed')
    serveFile(req, res, url).catch((e) => send(res, 500, String(e)))
  })

  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 * 1024 })
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    // Browsers always send Origin on a WebSocket: require ours, so another site cannot drive the API.
    const reason =
      url.pathname !== '/api' ? 'unknown path' : req.headers.origin === undefined ? 'missing Origin' : refuse(req, url)
    if (reason) {
      socket.write(
        `HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\nforbidden: ${reason}`
      )
      socket.destroy()
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => attach(ws))
  })

  const sockets = new Set<WebSocket>()
  function attach(ws: WebSocket): void {
    sockets.add(ws)
    const offs = eventNames.map((name) =>
      opts.services.on(events[name].method, (payload) => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ event: name, payload }))
      })
    )
    ws.on('message', async (data) => {
      let msg: { id?: unknown; call?: unknown; arg?: unknown }
      try {
        msg = JSON.parse(String(data))
      } catch {
        ws.send(JSON.stringify({ id: null, ok: false, error: 'message is not JSON' }))
        return
      }
      const reply = await dispatch(opts.services.handlers, msg.call, msg.arg)
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id: msg.id ?? null, ...reply }))
    })
    ws.on('close', () => {
      sockets.delete(ws)
      offs.forEach((off) => off())
    })
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve())
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
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' })
  res.end(text)
}
