// A real Redis for the tests (Debian's redis-server): on 127.0.0.1 at a free port, in a temporary folder, no
// persistence, optionally with a password; stopped and removed after.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const redisServer = process.env.REDIS_SERVER ?? '/usr/bin/redis-server'

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}

/** Starts redis-server; resolves once it accepts connections. `url` carries the password when one is set. */
export async function startRedis({ password } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'rnnlab-redis-'))
  const port = await freePort()
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no']
  if (password) args.push('--requirepass', password)
  const child = spawn(redisServer, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  await new Promise((resolve, reject) => {
    const onData = (c) => {
      output += c
      if (/Ready to accept connections/.test(output)) resolve()
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${output}`)))
    child.once('error', reject)
  })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  return {
    port,
    url: `redis://${password ? `:${password}@` : ''}127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGTERM')
      await exited
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
