// `rnnlab serve`: the browser door, from a terminal.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { startServer } from '../doors/server'
import { UsageError } from './args'
import { command } from './command'

export const serve = command({
  usage: 'rnnlab serve [--port N]',
  summary: 'serve the full UI to a browser on 127.0.0.1, protected by a token in the URL',
  options: { port: { type: 'string' } },
  run: async (args, ctx) => {
    const portFlag = args.values.port
    const port = portFlag === undefined ? 0 : Number(portFlag)
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new UsageError(`--port: expected a port number, got ${String(portFlag)}`)
    const rendererDir = join(ctx.appRoot, 'out', 'renderer')
    try {
      readFileSync(join(rendererDir, 'index.html'))
    } catch {
      throw new Error(`${join(rendererDir, 'index.html')}: the UI is not built; run 'npm run build'`)
    }
    const server = await startServer({ services: ctx.services(), rendererDir, port })
    ctx.out(
      args.values.json
        ? JSON.stringify({ url: server.url, port: server.port })
        : `RNN Lab is serving on ${server.url}\nOpen that address in a browser (the token is required). Ctrl-C stops.`
    )
    await new Promise<void>((resolve) => {
      const stop = () => void server.close().then(resolve)
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
    })
    return 0
  }
})
