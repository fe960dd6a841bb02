// The Electron shell's wiring with `electron` mocked: window security options, IPC handlers, navigation and
// window-open blocking, the CSP header and the sender check.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { callNames } from '../../common/contract'
import { tempDir } from '../helpers/tmp'

type Listener = (...args: unknown[]) => unknown
const state = vi.hoisted(() => ({
  windows: [] as { options: Record<string, unknown>; url?: string; sent: unknown[] }[],
  handlers: new Map<string, Listener>(),
  appEvents: new Map<string, Listener>(),
  headerHook: null as null | Listener,
  permissionHook: null as null | Listener,
  opened: [] as string[],
  forked: [] as { script: string; options: Record<string, unknown> }[]
}))

vi.mock('electron', () => {
  class BrowserWindow {
    record: { options: Record<string, unknown>; url?: string; sent: unknown[] }
    webContents = { send: (...a: unknown[]) => this.record.sent.push(a) }
    constructor(options: Record<string, unknown>) {
      this.record = { options, sent: [] }
      state.windows.push(this.record)
    }
    once() {}
    show() {}
    loadURL(url: string) {
      this.record.url = url
      return Promise.resolve()
    }
    static getAllWindows() {
      return []
    }
  }
  return {
    app: {
      isPackaged: false,
      whenReady: () => Promise.resolve(),
      getVersion: () => '0.1.0-test',
      getAppPath: () => process.cwd(),
      on: (name: string, l: Listener) => state.appEvents.set(name, l),
      quit: vi.fn()
    },
    BrowserWindow,
    ipcMain: {
      handle: (channel: string, l: Listener) => state.handlers.set(channel, l),
      removeHandler: (channel: string) => state.handlers.delete(channel)
    },
    session: {
      defaultSession: {
        webRequest: { onHeadersReceived: (l: Listener) => (state.headerHook = l) },
        setPermissionRequestHandler: (l: Listener) => (state.permissionHook = l)
      }
    },
    dialog: { showErrorBox: vi.fn() },
    utilityProcess: {
      fork: (script: string, _args: string[], options: Record<string, unknown>) => {
        state.forked.push({ script, options })
        return { pid: 1, postMessage: vi.fn(), on: vi.fn(), kill: vi.fn() }
      }
    },
    shell: { openExternal: (url: string) => state.opened.push(url) }
  }
})

let home: ReturnType<typeof tempDir>
let shell: typeof import('../../main/index')
beforeAll(async () => {
  home = tempDir()
  process.env.RNNLAB_HOME = home.path
  shell = await import('../../main/index')
  await vi.waitFor(() => expect(state.windows).toHaveLength(1))
})
afterAll(() => {
  ;(state.appEvents.get('will-quit') as Listener | undefined)?.()
  delete process.env.RNNLAB_HOME
  home.remove()
})

describe('Electron shell', () => {
  it('opens one window with context isolation, sandbox on and Node integration off', () => {
    const prefs = state.windows[0].options.webPreferences as Record<string, unknown>
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false
    })
    expect(String(prefs.preload)).toMatch(/preload[/\\]index\.js$/)
    expect(state.windows[0].url).toMatch(/^file:.*renderer\/index\.html$/)
  })

  it('registers an IPC handler for every contract call', () => {
    expect([...state.handlers.keys()].sort()).toEqual([...callNames].sort())
  })

  it('answers a call from its own page and refuses one from elsewhere', async () => {
    const page = state.windows[0].url!
    const list = state.handlers.get(callNames[1])!
    await expect(list({ senderFrame: { url: page } }, {})).resolves.toMatchObject({ ok: true })
    await expect(list({ senderFrame: { url: 'https://evil.example/' } }, {})).resolves.toMatchObject({ ok: false })
    await expect(list({ senderFrame: null }, {})).resolves.toMatchObject({ ok: false })
    expect(shell.isTrustedSender({ senderFrame: { url: 'file:///elsewhere/index.html' } } as never, page)).toBe(false)
    // A frame address that is not a URL is refused, not thrown.
    expect(shell.isTrustedSender({ senderFrame: { url: 'http://[::1' } } as never, page)).toBe(false)
    await expect(list({ senderFrame: { url: 'http://[::1' } }, {})).resolves.toMatchObject({ ok: false })
    expect(
      shell.isTrustedSender({ senderFrame: { url: 'http://localhost:5173/#/runs' } } as never, 'http://localhost:5173/')
    ).toBe(true)
    expect(
      shell.isTrustedSender({ senderFrame: { url: 'http://localhost:5174/' } } as never, 'http://localhost:5173/')
    ).toBe(false)
  })

  it('sets a strict Content-Security-Policy on every response and denies permission requests', () => {
    let headers: Record<string, string[]> = {}
    state.headerHook!(
      { responseHeaders: { 'X-Other': ['1'] } },
      (r: { responseHeaders: Record<string, string[]> }) => (headers = r.responseHeaders)
    )
    expect(headers['Content-Security-Policy'][0]).toContain("default-src 'self'")
    expect(headers['Content-Security-Policy'][0]).toContain("script-src 'self';")
    expect(headers['Content-Security-Policy'][0]).not.toContain('unsafe')
    let granted: boolean | undefined
    state.permissionHook!({}, 'camera', (ok: boolean) => (granted = ok))
    expect(granted).toBe(false)
  })

  it('trains in an Electron utility process, never in the main process', async () => {
    const reply = await state.handlers.get('training:start')!(
      { senderFrame: { url: state.windows[0].url } },
      {
        config: {
          dataset: { source: 'mnist-sample', limit: 100 },
          model: {
            layers: [
              { type: 'gru', units: 3 },
              { type: 'dense', units: 10, activation: 'softmax' }
            ]
          }
        }
      }
    )
    expect(reply).toMatchObject({ ok: true, value: { runId: expect.any(Number) } })
    expect(state.forked).toHaveLength(1)
    expect(state.forked[0].script).toMatch(/[/\\]worker\.js$/)
    expect(state.forked[0].options.env).toMatchObject({ RNNLAB_TRAINING_WORKER: '1' })
  })

  it('blocks navigation away from the page, new windows and webviews', () => {
    const contents = {
      handlers: new Map<string, Listener>(),
      openHandler: null as null | Listener,
      setWindowOpenHandler(l: Listener) {
        this.openHandler = l
      },
      on(name: string, l: Listener) {
        this.handlers.set(name, l)
      },
      getURL: () => 'file:///app/out/renderer/index.html'
    }
    state.appEvents.get('web-contents-created')!({}, contents)
    expect(contents.openHandler!({ url: 'https://keras.io/' })).toEqual({ action: 'deny' })
    expect(contents.openHandler!({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' })
    expect(state.opened).toEqual(['https://keras.io/'])
    const nav = { preventDefault: vi.fn() }
    contents.handlers.get('will-navigate')!(nav, 'https://evil.example/')
    expect(nav.preventDefault).toHaveBeenCalled()
    const webview = { preventDefault: vi.fn() }
    contents.handlers.get('will-attach-webview')!(webview)
    expect(webview.preventDefault).toHaveBeenCalled()
  })
})
