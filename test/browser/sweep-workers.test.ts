// The sweep page's workers panel with real workers: a real Redis (redis-server on a free port), two `rnnlab worker`
// processes (each with its own lab folder, as two machines would have) and `rnnlab sweep --redis` as the owner, on the
// database `rnnlab serve` shows. The page lists both workers — host and process, training a trial linked to its run,
// its epochs, trials done, last heartbeat — live, without a reload; cancelled from the page, no worker trains it any
// more.
/// <reference lib="dom" />
import { afterAll, beforeAll, expect, it } from 'vitest'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import type { Browser } from 'playwright-core'
import { appRoot, launchBrowser, serve, type Served } from '../helpers/browser'
import { startRedis, type StartedRedis } from '../helpers/redis.mjs'
import { tempDir } from '../helpers/tmp'
import { axeFindings, openPage, shoot } from './page'

const bin = join(appRoot, 'bin', 'rnnlab.js')
/** Far more epochs than the test lasts: the trials are still training when the page is checked, then cancelled. */
const EPOCHS = 2000
/** Waits sized for a loaded, shared machine. */
const slow = { timeout: 45_000 }

interface Child {
  child: ChildProcess
  pid: number
  log: string
  exited: Promise<number | null>
}
function start(args: string[], home: string): Child {
  mkdirSync(home, { recursive: true })
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: appRoot,
    env: { ...process.env, RNNLAB_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const c: Child = {
    child,
    pid: child.pid!,
    log: '',
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code)))
  }
  child.stdout!.on('data', (chunk) => (c.log += chunk))
  child.stderr!.on('data', (chunk) => (c.log += chunk))
  return c
}
/** Ends a process: asked first (SIGTERM), killed if it has not gone within `ms`. */
async function stop(c: Child | undefined, ms = 20_000): Promise<void> {
  if (!c || c.child.exitCode !== null || c.child.signalCode !== null) return
  c.child.kill('SIGTERM')
  const timer = setTimeout(() => c.child.kill('SIGKILL'), ms)
  await c.exited
  clearTimeout(timer)
}

/** Waits for a condition outside a test (expect.poll works only inside one). */
async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

let browser: Browser
let dir: ReturnType<typeof tempDir>
let served: Served
let db: string
let redis: StartedRedis
const workers: Child[] = []
let owner: Child | undefined
let sweepId: number | undefined

beforeAll(async () => {
  dir = tempDir()
  db = join(dir.path, 'rnnlab.db')
  ;[browser, served, redis] = await Promise.all([launchBrowser(), serve(db, dir.path), startRedis()])
  for (let i = 0; i < 2; i++)
    workers.push(start(['worker', '--redis', redis.url, '--threads', '1'], join(dir.path, `worker-${i}`)))
  await until('both workers ready', () => workers.every((w) => /worker ready/.test(w.log)), slow.timeout)
}, 90_000)

afterAll(async () => {
  // A sweep still running (the test failed before cancelling it) is cancelled, so that the workers stop its trials.
  if (owner && owner.child.exitCode === null && sweepId !== undefined)
    spawnSync(process.execPath, [bin, 'sweep', 'cancel', String(sweepId), '--db', db], {
      cwd: appRoot,
      env: { ...process.env, RNNLAB_HOME: dir.path }
    })
  await stop(owner)
  await Promise.all(workers.map((w) => stop(w)))
  await redis?.stop()
  await served?.stop()
  await browser?.close()
  dir?.remove()
}, 90_000)

/** Each trial's run id, from the owner's database. */
function trialRuns(id: number): Map<number, number> {
  const conn = new Database(db, { readonly: true })
  try {
    const rows = conn.prepare(`SELECT trial, run_id FROM sweep_trials WHERE sweep_id = ?`).all(id) as {
      trial: number
      run_id: number
    }[]
    return new Map(rows.map((r) => [r.trial, r.run_id]))
  } finally {
    conn.close()
  }
}

it('lists the remote workers of a running sweep live: host and process, the trial each trains, its heartbeat', async () => {
  // Four tiny GRU trials on mnist-sample, on the queue for the two workers: two train, two wait.
  const file = join(dir.path, 'remote-tiny.json')
  writeFileSync(
    file,
    JSON.stringify({
      name: 'remote-tiny',
      base: {
        dataset: { source: 'mnist-sample', limit: 300 },
        model: {
          layers: [
            { type: 'gru', units: 4 },
            { type: 'dense', units: 10, activation: 'softmax' }
          ]
        },
        training: { optimizer: { type: 'adam' }, batchSize: 32, epochs: EPOCHS, seed: 3 }
      },
      parameters: { 'training.optimizer.learningRate': [0.01, 0.005, 0.02, 0.03] }
    })
  )
  owner = start(['sweep', file, '--redis', redis.url, '--db', db, '--checkpoints', 'end', '--json'], dir.path)
  await expect.poll(() => /"event":"started"/.test(owner!.log), slow).toBe(true)
  const started = JSON.parse(owner.log.split('\n').find((l) => l.includes('"event":"started"'))!) as {
    sweepId: number
    remote: string
  }
  sweepId = started.sweepId
  expect(started.remote).toBe(`redis://127.0.0.1:${redis.port}`)

  const { page, problems } = await openPage(browser, served, { hash: `#/sweeps/${sweepId}` })
  const panel = page.getByTestId('sweep-workers')
  const panelText = async () => (await panel.textContent())?.replace(/\s+/g, ' ')
  await expect.poll(panelText, slow).toContain(`workers through Redis at redis://127.0.0.1:${redis.port}.`)

  // Both workers, by host and process, each training one of the sweep's trials (the page was not reloaded).
  const table = page.getByTestId('sweep-workers-table')
  const host = hostname()
  const rowOf = (w: Child) => table.locator(`tbody tr[data-worker="${host}:${w.pid}"]`)
  await expect.poll(() => table.locator('tbody tr[data-state="training"]').count(), slow).toBe(2)
  expect(await table.locator('tbody tr').count()).toBe(2)
  const runs = trialRuns(sweepId)
  const trialsInHand: number[] = []
  for (const w of workers) {
    const row = rowOf(w)
    expect((await row.locator('[data-col="worker"]').textContent())?.trim()).toBe(`${host}:${w.pid}`)
    const state = row.locator('[data-col="state"]')
    expect(await state.textContent()).toBe('training')
    const link = row.locator('[data-col="trial"] a')
    const trial = Number((await link.textContent())?.match(/^trial (\d+)$/)?.[1])
    expect(runs.has(trial)).toBe(true)
    expect(await link.getAttribute('href')).toBe(`#/runs/${runs.get(trial)}`)
    trialsInHand.push(trial)
    // Its epochs (done of planned) and heartbeat follow the worker's beats, every 2 s.
    await expect.poll(() => row.locator('[data-col="epoch"]').textContent(), slow).toMatch(/^[1-9]\d*\/2000$/)
    expect(await row.locator('[data-col="trials-done"]').textContent()).toBe('0')
    expect(await row.locator('[data-col="heartbeat"]').textContent()).toMatch(/^\s*(just now|\d+ s ago)\s*$/)
  }
  expect(new Set(trialsInHand).size).toBe(2)
  // The trials table agrees: the trials in the workers' hands are the running ones.
  for (const trial of trialsInHand)
    expect(
      await page.getByTestId('sweep-trials').locator(`tbody tr[data-trial="${trial}"] [data-col="state"]`).textContent()
    ).toBe('running')

  await shoot(page, 'sweep-workers-1280x800-light')
  expect(await axeFindings(page, '[data-testid="sweep-workers"]')).toEqual([])

  // Cancelled from the page: the owner stops, and no worker trains one of the sweep's trials any more.
  await page.getByTestId('cancel-sweep').click()
  await page.getByRole('alertdialog').getByRole('button', { name: 'Cancel the sweep' }).click()
  await expect.poll(() => page.getByTestId('sweep-status').textContent(), slow).toBe('cancelled')
  await expect.poll(() => table.locator('tbody tr[data-state="training"]').count(), slow).toBe(0)
  expect(await table.locator('tbody [data-col="trial"] a').count()).toBe(0)
  expect(await owner.exited).not.toBeNull()
  expect(problems).toEqual([])
  await page.context().close()
}, 120_000)
