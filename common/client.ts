// Builds the renderer's `Api` object from a transport (Electron IPC in the preload, a WebSocket in a browser).
import { calls, events, type Api, type Reply } from './contract'

export type Invoke = (channel: string, arg: unknown) => Promise<Reply>
export type Subscribe = (channel: string, listener: (payload: unknown) => void) => () => void

export function buildApi(invoke: Invoke, subscribe: Subscribe): Api {
  const api: Record<string, unknown> = {}
  for (const [channel, spec] of Object.entries(calls)) {
    api[spec.method] = async (arg?: unknown) => {
      const reply = await invoke(channel, arg)
      if (!reply.ok) throw new Error(reply.error)
      return reply.value
    }
  }
  for (const [channel, spec] of Object.entries(events)) {
    api[spec.method] = (listener: (payload: unknown) => void) => subscribe(channel, listener)
  }
  return api as Api
}
