// The renderer's one way to reach main: window.api from the Electron preload, or the same interface over a WebSocket
// when the page is served by `rnnlab serve`.
import { buildApi } from '../../common/client'
import type { Api, Reply } from '../../common/contract'

const tokenKey = 'rnnlab.token'

/**
 * The token `rnnlab serve` printed in the address. It is kept in this tab's sessionStorage (which no other port can
 * read, and no request carries) and taken out of the address bar, so that it is not in the history or in a copied
 * link. Never a cookie: a browser sends 127.0.0.1's cookies to every port on it.
 */
function serverToken(): string {
  const params = new URLSearchParams(location.search)
  const fromUrl = params.get('token')
  if (fromUrl !== null) {
    if (fromUrl) sessionStorage.setItem(tokenKey, fromUrl)
    params.delete('token')
    const rest = params.toString()
    const search = rest ? `?${rest}` : ''
    history.replaceState(history.state, '', `${location.pathname}${search}${location.hash}`)
  }
  return fromUrl || (sessionStorage.getItem(tokenKey) ?? '')
}

const noToken =
  'this page needs the address `rnnlab serve` printed, which ends in ?token=…: open that address (a new tab needs it too)'

/** A WebSocket transport that queues calls until connected and reconnects after the server restarts. */
function socketApi(): Api {
  const token = serverToken()
  if (!token) {
    return buildApi(
      async () => ({ ok: false, error: noToken }),
      () => () => {}
    )
  }
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api?token=${encodeURIComponent(token)}`
  const pending = new Map<number, (reply: Reply) => void>()
  const listeners = new Map<string, Set<(payload: unknown) => void>>()
  let queue: string[] = []
  let socket: WebSocket | null = null
  let nextId = 1
  let retryMs = 250

  function connect(): void {
    const ws = new WebSocket(url)
    socket = ws
    ws.onopen = () => {
      retryMs = 250
      for (const m of queue) ws.send(m)
      queue = []
    }
    ws.onmessage = (ev) => {
      const msg = JSON.parse(String(ev.data)) as { id?: number; event?: string; payload?: unknown } & Reply
      if (msg.event) {
        listeners.get(msg.event)?.forEach((l) => l(msg.payload))
        return
      }
      const resolve = msg.id !== undefined ? pending.get(msg.id) : undefined
      if (resolve && msg.id !== undefined) {
        pending.delete(msg.id)
        resolve(msg.ok ? { ok: true, value: msg.value } : { ok: false, error: msg.error })
      }
    }
    ws.onclose = () => {
      socket = null
      for (const [id, resolve] of pending) {
        pending.delete(id)
        resolve({ ok: false, error: 'lost the connection to RNN Lab; is `rnnlab serve` still running?' })
      }
      setTimeout(connect, retryMs)
      retryMs = Math.min(retryMs * 2, 5000)
    }
  }
  connect()

  return buildApi(
    (channel, arg) =>
      new Promise<Reply>((resolve) => {
        const id = nextId++
        pending.set(id, resolve)
        const message = JSON.stringify({ id, call: channel, arg })
        if (socket && socket.readyState === WebSocket.OPEN) socket.send(message)
        else queue.push(message)
      }),
    (channel, listener) => {
      const set = listeners.get(channel) ?? new Set()
      set.add(listener)
      listeners.set(channel, set)
      return () => set.delete(listener)
    }
  )
}

export const api: Api = window.api ?? socketApi()
export const door: 'electron' | 'browser' = window.api ? 'electron' : 'browser'
