// The Electron shell: one locked-down window showing the renderer, with the contract over IPC. Kept thin on purpose:
// everything it calls is a plain Node service, tested without Electron.
import { app, BrowserWindow, dialog, ipcMain, session, shell, utilityProcess } from 'electron'
import type { BrowserWindowConstructorOptions, IpcMainInvokeEvent } from 'electron'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { errorMessage } from '../common/contract'
import { forwardEvents, registerIpc } from './doors/ipc'
import { allowedDirsFromEnv, FileAccess } from './files'
import { contentSecurityPolicy } from './doors/csp'
import { resolveHome } from './paths'
import { pickSqliteBinding } from './runs/sqlite-binding'
import { Services } from './services'
import type { SpawnWorker } from './training/host'

export function windowOptions(preload: string): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 800,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'RNN Lab',
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false
    }
  }
}

/** The page our windows show: the electron-vite dev server in development, the built file otherwise. */
export function rendererUrl(): string {
  const dev = process.env.ELECTRON_RENDERER_URL
  if (!app.isPackaged && dev) return dev
  return pathToFileURL(join(__dirname, '../renderer/index.html')).href
}

/** True when an IPC message comes from a frame showing our own page (not some page it navigated to). */
export function isTrustedSender(event: Pick<IpcMainInvokeEvent, 'senderFrame'>, expected = rendererUrl()): boolean {
  const url = event.senderFrame?.url
  if (!url) return false
  if (!URL.canParse(url) || !URL.canParse(expected)) return false
  const page = new URL(expected)
  const sender = new URL(url)
  if (page.protocol === 'file:') return sender.protocol === 'file:' && sender.pathname === page.pathname
  return sender.origin === page.origin
}

/** Training workers as Electron utility processes: off the main process, so a native fault never takes the app down. */
export function utilityWorkerSpawner(script: string): SpawnWorker {
  return () => {
    const child = utilityProcess.fork(script, [], {
      env: { ...process.env, RNNLAB_TRAINING_WORKER: '1' },
      serviceName: 'RNN Lab training',
      stdio: 'inherit'
    })
    return {
      pid: child.pid,
      send: (m) => child.postMessage(m),
      onMessage: (l) => void child.on('message', l),
      onExit: (l) => void child.on('exit', (code) => l(code, null)),
      stop: () => void child.kill()
    }
  }
}

export function createWindow(): BrowserWindow {
  const win = new BrowserWindow(windowOptions(join(__dirname, '../preload/index.js')))
  win.once('ready-to-show', () => win.show())
  void win.loadURL(rendererUrl())
  return win
}

/** Blocks navigation away from our page, new windows (links open in the system browser) and webviews. */
function lockDown(): void {
  app.on('web-contents-created', (_event, contents) => {
    contents.setWindowOpenHandler(({ url }) => {
      if (url.startsWith('https://')) void shell.openExternal(url)
      return { action: 'deny' }
    })
    contents.on('will-navigate', (event, url) => {
      if (url !== contents.getURL()) event.preventDefault()
    })
    contents.on('will-attach-webview', (event) => event.preventDefault())
  })
}

export async function startApp(): Promise<void> {
  lockDown()
  await app.whenReady()
  let services: Services
  try {
    services = new Services({
      home: resolveHome(),
      // The page reads datasets and models only in the lab folder and the RNNLAB_ALLOW_DIRS folders (files.ts).
      files: new FileAccess([resolveHome(), ...allowedDirsFromEnv()]),
      // The open dialog runs here, in main: the page gets the path the person picked, which becomes readable.
      chooseFile: async (folder) => {
        const options: Electron.OpenDialogOptions = { properties: [folder ? 'openDirectory' : 'openFile'] }
        const window = BrowserWindow.getFocusedWindow()
        const result = window ? await dialog.showOpenDialog(window, options) : await dialog.showOpenDialog(options)
        return result.canceled || result.filePaths.length === 0 ? null : result.filePaths[0]
      },
      door: 'electron',
      version: app.getVersion(),
      spawnWorker: utilityWorkerSpawner(join(__dirname, 'worker.js')),
      sqliteBinding: pickSqliteBinding({ electronVersion: process.versions.electron, appRoot: app.getAppPath() })
    })
  } catch (e) {
    dialog.showErrorBox('RNN Lab cannot start', errorMessage(e))
    app.quit()
    return
  }
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [contentSecurityPolicy] } })
  })
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false))
  registerIpc(ipcMain, services, (event) => isTrustedSender(event))
  forwardEvents(services, (channel, payload) => {
    for (const win of BrowserWindow.getAllWindows()) if (!win.isDestroyed()) win.webContents.send(channel, payload)
  })
  createWindow()
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow()
  })
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit()
  })
  app.on('will-quit', () => services.close())
}

void startApp()
