// `rnnlab`: the services from a terminal. Every command prints a table by default and JSON with --json;
// a bad input ends with one line naming it and a non-zero exit status (2 for a bad command line).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { errorMessage } from '../../common/contract'
import { terminalSafe } from '../../common/format'
import { defaultDbPath, findAppRoot, resolveHome } from '../paths'
import { Services } from '../services'
import { asksForHelp, parseCommandArgs, UsageError } from './args'
import type { Command, Context } from './command'
import { ablation, confusion, diff, prefix } from './analysis'
import { compare } from './compare'
import { inspect } from './inspect'
import { exportModel, predict } from './onnx'
import { metrics, purge, remove, restore, runs, show, trash } from './runs'
import { serve } from './serve'
import { summary } from './summary'
import { sweep, sweeps } from './sweep'
import { train } from './train'
import { weights } from './weights'
import { worker } from './worker'

const commands: Record<string, Command> = {
  train,
  summary,
  runs,
  show,
  compare,
  confusion,
  prefix,
  ablation,
  diff,
  metrics,
  delete: remove,
  trash,
  restore,
  purge,
  export: exportModel,
  predict,
  inspect,
  weights,
  sweep,
  sweeps,
  worker,
  serve
}

const globalHelp = `Global options: --db FILE (default $RNNLAB_HOME/rnnlab.db, RNNLAB_HOME defaults to ~/.rnnlab), --json, --help`

/** How a command line names a run (main/runs/store.ts resolve). */
const runHelp =
  '<run> is an id or a name: digits are the run of that id (or, if there is none, the newest run so named);\n' +
  'name:TEXT is always the newest run named TEXT (a run named 123: name:123).'

export const commandNames = Object.keys(commands)

function help(): string {
  const width = Math.max(...commandNames.map((n) => n.length))
  const lines = [
    'rnnlab — RNN Lab from a terminal',
    '',
    'Usage: rnnlab <command> [options]',
    '',
    'Commands:',
    ...commandNames.map((n) => `  ${n.padEnd(width)}  ${commands[n].summary}`),
    '',
    globalHelp,
    runHelp,
    "Run 'rnnlab <command> --help' for a command's options."
  ]
  return lines.join('\n')
}

function version(appRoot: string): string {
  return (JSON.parse(readFileSync(join(appRoot, 'package.json'), 'utf8')) as { version: string }).version
}

export async function main(
  argv: string[],
  io: { out?: (s: string) => void; err?: (s: string) => void } = {}
): Promise<number> {
  // Whatever a command prints, no control character but the line break and tab reaches the terminal raw: a run's name
  // or an error quoting one could otherwise carry ANSI escapes or a carriage return (names are cut and shown with
  // displayText where they are printed; this is the backstop).
  const rawOut = io.out ?? ((s: string) => process.stdout.write(s + '\n'))
  const rawErr = io.err ?? ((s: string) => process.stderr.write(s + '\n'))
  const out = (s: string) => rawOut(terminalSafe(s))
  const err = (s: string) => rawErr(terminalSafe(s))
  const appRoot = findAppRoot(__dirname)
  let services: Services | undefined
  try {
    const [name, ...rest] = argv
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      out(help())
      return name === undefined ? 2 : 0
    }
    if (name === '--version' || name === '-v') {
      out(version(appRoot))
      return 0
    }
    const command = Object.hasOwn(commands, name) ? commands[name] : undefined
    if (!command) throw new UsageError(`unknown command '${name}'; run 'rnnlab --help' for the list`)
    if (asksForHelp(rest, command.options)) {
      out(`usage: ${command.usage}\n${command.summary}${command.usage.includes('<run>') ? `\n${runHelp}` : ''}`)
      return 0
    }
    const args = parseCommandArgs(name, rest, command.options)
    const home = resolveHome()
    const dbPath = args.values.db ?? defaultDbPath(home)
    const ctx: Context = {
      out,
      err,
      home,
      appRoot,
      dbPath,
      services: () =>
        (services ??= new Services({
          home,
          dbPath,
          door: 'cli',
          version: version(appRoot),
          mustExist: command.readsOnly === true
        }))
    }
    return await command.run(args, ctx)
  } catch (e) {
    err(`rnnlab: ${errorMessage(e)}`)
    return e instanceof UsageError ? 2 : 1
  } finally {
    services?.close()
  }
}

if (typeof require !== 'undefined' && require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code
  })
}
