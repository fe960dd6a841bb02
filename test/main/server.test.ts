// The browser door's locks: a wrong token, a foreign Host and a foreign Origin are refused, over HTTP and WebSocket.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { request } from 'node:http'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import WebSocket from 'ws'
import { startServer, type RunningServer } from '../../main/doors/server'
import { Services } from '../../main/services'
import { tempDir } from '../helpers/tmp'

let dir: ReturnType<typeof tempDir>
let services: Services
let server: RunningServer

beforeAll(async () => {
  dir = tempDir()
  const rendererDir = join(dir.path, 'renderer')
  mkdirSync(join(rendererDir, 'assets'), { recursive: true })
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>RNN Lab</title>')
  writeFileSync(join(rendererDir, 'assets', 'app.js'), 'console.log(1)')
  writeFileSync(join(dir.path, 'secret.txt'), 'do not serve')
  services = new Services({ home: dir.path, door: 'browser', version: 'test' })
  server = await startServer({ services, rendererDir })
})
afterAll(async () => {
  await server.close()
  services.close()
  dir.remove()
})

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

  it('serves the page with the right token, sets a strict cookie and a Content-Security-Policy', async () => {
    const res = await get(`/?token=${server.token}`)
    expect(res.status).toBe(200)
    expect(res.body).toContain('RNN Lab')
    expect(String(res.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict/)
    expect(String(res.headers['content-security-policy'])).toContain("script-src 'self'")
    const cookie = String(res.headers['set-cookie']).split(';')[0]
    expect((await get('/assets/app.js', { cookie })).status).toBe(200)
  })

  it('refuses a missing or wrong token', async () => {
    expect((await get('/')).status).toBe(403)
    const wrong = await get('/?token=' + 'x'.repeat(server.token.length))
    expect(wrong.status).toBe(403)
    expect(wrong.body).toBe('forbidden: missing or wrong token')
    expect((await get('/assets/app.js', { cookie: 'rnnlab_token=nope' })).status).toBe(403)
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
