// The Electron door: one ipcMain handler per contract call, each checking its sender; events pushed to windows.
import type { IpcMain, IpcMainInvokeEvent } from 'electron'
import { callNames, dispatch, eventNames, events, type Reply } from '../../common/contract'
import type { Services } from '../services'

/**
 * Registers every call of the contract. `isTrustedSender` decides whether a message comes from one of our own
 * windows showing our own page; anything else is refused before its argument is even read.
 */
export function registerIpc(
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>,
  services: Services,
  isTrustedSender: (event: IpcMainInvokeEvent) => boolean
): () => void {
  for (const channel of callNames) {
    ipcMain.handle(channel, async (event, arg): Promise<Reply> => {
      if (!isTrustedSender(event)) return { ok: false, error: `call ${channel} refused: unknown sender` }
      return dispatch(services.handlers, channel, arg)
    })
  }
  return () => {
    for (const channel of callNames) ipcMain.removeHandler(channel)
  }
}

/** Forwards every contract event to `send` (which delivers it to each open window). */
export function forwardEvents(services: Services, send: (channel: string, payload: unknown) => void): () => void {
  const offs = eventNames.map((name) => services.on(events[name].method, (payload) => send(name, payload)))
  return () => offs.forEach((off) => off())
}
