// `rnnlab worker --redis URL`: this machine trains trials of sweeps run elsewhere, pulled from the BullMQ queue on
// Redis; it needs no run database (the sweep's owner keeps the results in its own).
import { join } from 'node:path'
import { connectRedis, redactRedisUrl } from '../sweeps/remote'
import { startRemoteWorker } from '../sweeps/remote-worker'
import { nodeWorkerSpawner } from '../training/host'
import { UsageError } from './args'
import { command } from './command'

function positiveInteger(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${flag}: expected a positive integer, got ${value}`)
  return n
}

export const worker = command({
  usage:
    'rnnlab worker --redis redis://[user:pass@]host:port[/db] [--concurrency N] [--threads N] [--stalled-after SECONDS]',
  summary: 'train trials of sweeps from other machines, pulled from a Redis queue (rediss:// for TLS)',
  options: {
    redis: { type: 'string' },
    concurrency: { type: 'string' },
    threads: { type: 'string' },
    'stalled-after': { type: 'string' }
  },
  run: async (args, ctx) => {
    if (args.positionals.length > 0) throw new UsageError(`usage: ${worker.usage}`)
    const url = args.values.redis
    if (url === undefined) throw new UsageError('--redis is required: the Redis address the sweep uses')
    const concurrency = positiveInteger('concurrency', args.values.concurrency)
    const threads = positiveInteger('threads', args.values.threads)
    // A trial whose worker has not renewed its lock for this long (it died, or lost the network) goes to another one.
    const stalledAfter = positiveInteger('stalled-after', args.values['stalled-after'])
    const connection = await connectRedis(url)
    const log = (line: string) =>
      args.values.json ? ctx.out(JSON.stringify({ event: 'log', text: line })) : ctx.err(line)
    const w = startRemoteWorker({
      connection,
      home: ctx.home,
      spawn: nodeWorkerSpawner(join(ctx.appRoot, 'out', 'main', 'worker.js')),
      concurrency,
      threads,
      lockDurationMs: stalledAfter === undefined ? undefined : stalledAfter * 1000,
      log
    })
    await w.waitUntilReady()
    log(`worker ready: pulling trials from ${redactRedisUrl(url)}`)
    await new Promise<void>((resolve) => {
      const stop = () => {
        log('stopping after the trials in hand…')
        void w.close().then(resolve)
      }
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
    })
    connection.disconnect()
    return 0
  }
})
