// The token of `rnnlab serve` in a real Chromium: it opens the API, leaves the address bar, and no other server on
// 127.0.0.1 ever receives it (finding 4 of the 2026-12 probe: as a cookie it went to every port).
/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { launchBrowser, serve } from '../helpers/browser'
import { shoot } from './page'
import { tempDir } from '../helpers/tmp'

let browser: Browser
let dir: ReturnType<typeof tempDir>

beforeAll(async () => {
  dir = tempDir()
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
  dir.remove()
})

describe('the token of rnnlab serve in Chromium', () => {
  it('reaches the API, leaves the address bar and history, and never reaches another port on 127.0.0.1', async () => {
    const home = join(dir.path, 'home')
    const served = await serve(join(home, 'rnnlab.db'), home)
    const token = new URL(served.url).searchParams.get('token')!
    // Another local web server, as on a shared machine: it records every request it gets, whole.
    const seen: string[] = []
    const other = createServer((req, res) => {
      seen.push([`${req.method} ${req.url}`, ...req.rawHeaders].join('\n'))
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' })
      res.end('<!doctype html><title>another server</title><img src="/pixel.png" alt="">')
    })
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve))
    const otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}/`
    try {
      const context = await browser.newContext()
      const page = await context.newPage()
      await page.goto(served.url)
      // The runs list came over the API: the token reached the WebSocket.
      await page.getByTestId('runs-empty').waitFor()
      // The address keeps the page's own state (the runs table's, after the #), never the token.
      expect(page.url()).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${served.port}/(#/runs)?$`))
      expect(await context.cookies()).toEqual([])
      await shoot(page, 'token-out-of-the-address-bar')
      // A reload keeps working: the tab holds the token, the address stays clean.
      await page.reload()
      await page.getByTestId('runs-empty').waitFor()
      expect(page.url()).not.toContain(token)

      // From the app's own tab to the other port, as a person following a link would.
      await Promise.all([page.waitForURL(otherUrl), page.evaluate((url) => void (location.href = url), otherUrl)])
      await expect.poll(() => seen.some((r) => r.startsWith('GET /pixel.png'))).toBe(true)
      // A second tab of the same browser opens the other port directly.
      const second = await context.newPage()
      await second.goto(otherUrl)
      expect(seen.length).toBeGreaterThanOrEqual(3)
      for (const request of seen) expect(request).not.toContain(token)

      // Back to the app: no history entry holds the token either.
      await page.goBack()
      await page.getByTestId('runs-empty').waitFor()
      expect(page.url()).not.toContain(token)
    } finally {
      other.close()
      await served.stop()
    }
  })
})
