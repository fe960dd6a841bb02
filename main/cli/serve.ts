// `rnnlab serve`: the browser door, from a terminal.
import { existsSync, readFileSync, statSync } from 'node:fs'
import { delimiter, join, resolve } from 'node:path'
import { startServer } from '../doors/server'
import { allowedDirsFromEnv, FileAccess } from '../files'
import { UsageError } from './args'
import { command } from './command'

export const serve = command({
  usage: `rnnlab serve [--port N] [--allow-dir DIR[${delimiter}DIR…]]`,
  summary:
    'serve the full UI to a browser on 127.0.0.1, protected by a token in the URL; the page reads files only in the lab folder and the --allow-dir folders',
  options: { port: { type: 'string' }, 'allow-dir': { type: 'string' } },
  run: async (args, ctx) => {
    const portFlag = args.values.port
    const port = portFlag === undefined ? 0 : Number(portFlag)
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new UsageError(`--port: expected a port number, got ${String(portFlag)}`)
    // The page may read datasets and models only here (files.ts); the lab folder ($RNNLAB_HOME) always.
    const allowed = (args.values['allow-dir'] ?? '').split(delimiter).filter((d) => d !== '')
    for (const dir of allowed) {
      if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`--allow-dir: ${dir} is not a folder`)
    }
    const folders = [ctx.home, ...allowedDirsFromEnv(), ...allowed.map((d) => resolve(d))]
    const rendererDir = join(ctx.appRoot, 'out', 'renderer')
    try {
      readFileSync(join(rendererDir, 'index.html'))
    } catch {
      throw new Error(`${join(rendererDir, 'index.html')}: the UI is not built; run 'npm run build'`)
    }
    const services = ctx.services()
    services.confineFiles(new FileAccess(folders))
    const server = await startServer({ services, rendererDir, port })
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
