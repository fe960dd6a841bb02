// Starts `rnnlab serve` as a real child process and Chromium through playwright-core, for the browser tests.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser } from 'playwright-core'

export const appRoot = join(__dirname, '..', '..')
export const screenshotDir = join(appRoot, 'test-results', 'screenshots')

export function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(
    Boolean
  ) as string[]
  const found = candidates.find((p) => existsSync(p))
  if (!found) throw new Error('Chromium not found: install it (apt-get install chromium) or set CHROMIUM_PATH')
  return found
}

export async function launchBrowser(): Promise<Browser> {
  mkdirSync(screenshotDir, { recursive: true })
  return chromium.launch({
    executablePath: chromiumPath(),
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync'
    ]
  })
}

export interface Served {
  url: string
  port: number
  process: ChildProcess
  stop(): Promise<void>
}

/** Runs `rnnlab serve --json` on a database and waits for the URL it prints. */
export function serve(db: string, home: string): Promise<Served> {
  const child = spawn(process.execPath, [join(appRoot, 'bin', 'rnnlab.js'), 'serve', '--json', '--db', db], {
    cwd: appRoot,
    env: { ...process.env, RNNLAB_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stderr = ''
  child.stderr!.on('data', (c) => (stderr += c))
  return new Promise((resolve, reject) => {
    let buffered = ''
    child.stdout!.on('data', (chunk) => {
      buffered += chunk
      const line = buffered.split('\n')[0]
      if (!buffered.includes('\n')) return
      const { url, port } = JSON.parse(line) as { url: string; port: number }
      resolve({
        url,
        port,
        process: child,
        stop: () =>
          new Promise((done) => {
            if (child.exitCode !== null) return done()
            child.once('exit', () => done())
            child.kill('SIGINT')
          })
      })
    })
    child.once('exit', (code) => reject(new Error(`rnnlab serve exited with ${code}: ${stderr}`)))
  })
}

/**
 * Trains a tiny real run with the CLI, as a person would before opening the app; returns its id. `layers` replaces
 * the model (a SimpleRNN of 16 units and a softmax head).
 */
export function trainTinyRun(home: string, database: string, name: string, seed: number, layers?: unknown[]): number {
  const config = {
    name,
    dataset: { source: 'mnist-sample', limit: 500 },
    model: {
      layers: layers ?? [
        { type: 'simple_rnn', units: 16 },
        { type: 'dense', units: 10, activation: 'softmax' }
      ]
    },
    training: { epochs: 2, batchSize: 32, seed }
  }
  const file = join(home, `${name}.json`)
  writeFileSync(file, JSON.stringify(config))
  const out = spawnSync(process.execPath, [join(appRoot, 'bin', 'rnnlab.js'), 'train', file, '--db', database], {
    cwd: appRoot,
    env: { ...process.env, RNNLAB_HOME: home },
    encoding: 'utf8'
  })
  if (out.status !== 0) throw new Error(`rnnlab train failed: ${out.stderr}`)
  // Without a terminal, train prints only the run id on stdout (the progress goes to stderr).
  const id = Number(out.stdout.trim().split('\n').pop())
  if (!Number.isInteger(id)) throw new Error(`rnnlab train printed no run id: ${out.stdout}`)
  return id
}
