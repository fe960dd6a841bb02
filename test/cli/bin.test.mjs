// The `rnnlab` executable end to end, as a user runs it: help, exit codes, one-line errors, serve.
import { afterAll, test } from 'vitest'
import assert from 'node:assert/strict'
import { spawnSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const bin = join(root, 'bin', 'rnnlab.js')
const home = mkdtempSync(join(tmpdir(), 'rnnlab-bin-'))
const rnnlab = (...args) =>
  spawnSync(process.execPath, [bin, ...args], { env: { ...process.env, RNNLAB_HOME: home }, encoding: 'utf8' })

afterAll(() => rmSync(home, { recursive: true, force: true }))

test('--help lists every command of the design', () => {
  const r = rnnlab('--help')
  assert.equal(r.status, 0)
  for (const command of [
    'train',
    'summary',
    'runs',
    'show',
    'compare',
    'metrics',
    'delete',
    'trash',
    'restore',
    'purge',
    'export',
    'predict',
    'serve'
  ]) {
    assert.match(r.stdout, new RegExp(`^  ${command}\\s+\\S`, 'm'), `rnnlab --help lists ${command}`)
  }
})

test('runs on a fresh home explains the empty state and creates nothing', () => {
  const r = rnnlab('runs')
  assert.equal(r.status, 0, r.stderr)
  assert.match(r.stdout, new RegExp(`No runs yet in ${join(home, 'rnnlab.db').replace(/[.]/g, '\\.')}`))
  assert.equal(existsSync(join(home, 'rnnlab.db')), false, 'a read-only command created the database')
})

test('a bad input ends with one line on stderr and a non-zero status', () => {
  const r = rnnlab('show', 'no-such-run')
  assert.equal(r.status, 1)
  // Nothing has been trained in this home: the database is not there (and `show` does not create it).
  assert.equal(
    r.stderr.trim(),
    `rnnlab: ${join(home, 'rnnlab.db')}: no run database there (check --db, or train a run first)`
  )
  const u = rnnlab('serve', '--port', 'x')
  assert.equal(u.status, 2)
  assert.equal(u.stderr.trim(), '--port: expected a port number, got x'.replace(/^/, 'rnnlab: '))
})

test('an unknown flag is refused, not ignored: named with the nearest known one, status 2, nothing trained', () => {
  const r = rnnlab('train', join(root, 'examples', 'seed-bilstm-mnist.json'), '--epoch', '3')
  assert.equal(r.status, 2)
  assert.equal(r.stderr.trim(), 'rnnlab: unknown option --epoch (did you mean --epochs?)')
  assert.equal(r.stdout, '')
  const value = rnnlab('runs', '--filter')
  assert.equal(value.status, 2)
  assert.equal(value.stderr.trim(), 'rnnlab: --filter needs a value')
})

test('serve prints a 127.0.0.1 URL with a token and stops on SIGINT', async () => {
  const child = spawn(process.execPath, [bin, 'serve', '--json'], { env: { ...process.env, RNNLAB_HOME: home } })
  const line = await new Promise((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (c) => {
      out += c
      if (out.includes('\n')) resolve(out.split('\n')[0])
    })
    child.once('exit', (code) => reject(new Error(`serve exited ${code}`)))
  })
  const { url } = JSON.parse(line)
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{20,}$/)
  const res = await fetch(url)
  assert.equal(res.status, 200)
  const page = await res.text()
  assert.match(page, /<div id="app">/)
  // The built page carries the policy as a <meta> tag too (main/doors/csp.ts; an Electron file:// page has no headers).
  assert.match(res.headers.get('content-security-policy'), /script-src 'self'/)
  assert.match(
    page,
    /<meta http-equiv="Content-Security-Policy" content="default-src &#39;self&#39;; script-src &#39;self&#39;;[^"]*">/
  )
  const code = await new Promise((resolve) => {
    child.once('exit', (c) => resolve(c))
    child.kill('SIGINT')
  })
  assert.equal(code, 0)
})
