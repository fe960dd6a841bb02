// The bridge: exposes exactly the contract's methods to the page as `window.api`, nothing else of Electron.
import { contextBridge, ipcRenderer } from 'electron'
import { buildApi } from '../common/client'
import type { Reply } from '../common/contract'

const api = buildApi(
  (channel, arg) => ipcRenderer.invoke(channel, arg) as Promise<Reply>,
  (channel, listener) => {
    const handler = (_event: Electron.IpcRendererEvent, payload: unknown) => listener(payload)
    ipcRenderer.on(channel, handler)
    return () => {
      ipcRenderer.removeListener(channel, handler)
    }
  }
)

contextBridge.exposeInMainWorld('api', api)
