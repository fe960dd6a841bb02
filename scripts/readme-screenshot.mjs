/* global document */
// Makes the README's picture of the Inside area from a real run: `rnnlab serve` on the given database, Debian's
// Chromium through playwright-core, the run page's Inside area on its States tab, cropped to that area.
//   node scripts/readme-screenshot.mjs --db ~/.rnnlab/rnnlab.db --run 1 [--sample N] [--out docs/inside-states.png] [--dark]
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { chromium } from 'playwright-core'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const { values } = parseArgs({
  options: {
    db: { type: 'string' },
    run: { type: 'string' },
    sample: { type: 'string', default: '0' },
    out: { type: 'string', default: join(root, 'docs', 'inside-states.png') },
    dark: { type: 'boolean', default: false }
  },
  strict: true
})
if (!values.db || !values.run) {
  console.error('usage: node scripts/readme-screenshot.mjs --db FILE --run ID [--out FILE.png] [--dark]')
  process.exit(2)
}
const db = resolve(values.db)
if (!existsSync(db)) {
  console.error(`readme-screenshot: ${db}: no such database`)
  process.exit(1)
}

const server = spawn(process.execPath, [join(root, 'bin', 'rnnlab.js'), 'serve', '--json', '--db', db], {
  env: { ...process.env, RNNLAB_HOME: process.env.RNNLAB_HOME ?? dirname(db) },
  stdio: ['ignore', 'pipe', 'inherit']
})
const url = await new Promise((ok, fail) => {
  let buffer = ''
  server.stdout.on('data', (d) => {
    buffer += d
    const line = buffer.split('\n').find((l) => l.startsWith('{'))
    if (line) ok(JSON.parse(line).url)
  })
  server.on('exit', (code) => fail(new Error(`rnnlab serve ended (exit ${code})`)))
})

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking']
})
try {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 1500 },
    deviceScaleFactor: 1,
    colorScheme: values.dark ? 'dark' : 'light'
  })
  const page = await context.newPage()
  await page.goto(`${url}#/runs/${values.run}`)
  const inside = page.getByTestId('inside')
  await inside.waitFor({ timeout: 60_000 })
  await page.getByRole('tab', { name: 'States' }).click()
  await page.getByTestId('state-heatmap').first().waitFor({ timeout: 120_000 })
  if (values.sample !== '0') {
    await page.getByTestId('states-sample').fill(values.sample)
    await page.getByTestId('states-sample').press('Enter')
    await page
      .getByTestId('states-verdict')
      .getByText(`validation sample ${values.sample} of`)
      .waitFor({ timeout: 60_000 })
  }
  await page.locator('.states-sample canvas').first().waitFor({ timeout: 60_000 })
  // Let the heatmaps finish drawing (chart.js animates nothing here, but the layout settles after the image).
  await page.waitForFunction(
    () => document.querySelectorAll('[data-testid="state-heatmap"] canvas').length >= 4,
    null,
    {
      timeout: 60_000
    }
  )
  await page.waitForTimeout(500)
  mkdirSync(dirname(resolve(values.out)), { recursive: true })
  await inside.screenshot({ path: resolve(values.out) })
  console.log(`wrote ${resolve(values.out)}`)
} finally {
  await browser.close()
  server.kill()
}
