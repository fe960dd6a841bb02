// The Electron door: one ipcMain handler per contract call, each checking its sender; events pushed to windows.
import type { IpcMain, IpcMainInvokeEvent } from 'electron'
import { callNames, dispatch, errorMessage, eventNames, events, type Reply } from '../../common/contract'
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
    // Whatever throws in here becomes the reply: a rejected handler would only surface as a rejection in the page.
    ipcMain.handle(channel, async (event, arg): Promise<Reply> => {
      try {
        if (!isTrustedSender(event)) return { ok: false, error: `call ${channel} refused: unknown sender` }
        return await dispatch(services.handlers, channel, arg)
      } catch (e) {
        return { ok: false, error: `call ${channel} failed: ${errorMessage(e)}` }
      }
    })
  }
  return () => {
    for (const channel of callNames) ipcMain.removeHandler(channel)
  }
}

/** Forwards every contract event to `send` (which delivers it to each open window). */
export function forwardEvents(services: Services, send: (channel: string, payload: unknown) => void): () => void {
  // The windows see what other processes (the CLI, `rnnlab serve`) write to the database too.
  services.watchDatabase()
  // `send` runs inside the training host's callbacks: a window that cannot take an event must not break a run.
  const offs = eventNames.map((name) =>
    services.on(events[name].method, (payload) => {
      try {
        send(name, payload)
      } catch {
        // The window is closing or gone; the others still get the event.
      }
    })
  )
  return () => offs.forEach((off) => off())
}
