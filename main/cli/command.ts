// What a command is, and what it runs with: its parsed command line, the output streams and the services.
import type { Services } from '../services'
import { UsageError, type OptionSpecs, type ParsedArgs } from './args'

export interface Context {
  out: (text: string) => void
  err: (text: string) => void
  /**
   * The services, built on first use: a command that needs no run database never opens one, and a command that only
   * reads (readsOnly) never creates one: a database that is not there is an error naming the file.
   */
  services: () => Services
  /** The run database's file (--db, or the home folder's). */
  dbPath: string
  /** RNNLAB_HOME. */
  home: string
  appRoot: string
}

export interface Command<O extends OptionSpecs = OptionSpecs> {
  usage: string
  summary: string
  /** The command's own options; every command also takes --db, --json and --help. */
  options: O
  /** The command only reads the run database: it never creates a folder or a database. */
  readsOnly?: boolean
  run: (args: ParsedArgs<O>, ctx: Context) => Promise<number> | number
}

/** A command whose `run` reads only the options it declares (checked when it is written, not when it runs). */
export function command<O extends OptionSpecs>(spec: Command<O>): Command {
  return spec as unknown as Command
}

/**
 * The runs named on the command line (ids or names) as ids. Names are a terminal convenience (the page always has
 * ids), so no contract call resolves them: the store does, here.
 */
export function runIds(args: ParsedArgs, ctx: Context, min: number, max: number, usage: string): number[] {
  if (args.positionals.length < min || args.positionals.length > max) throw new UsageError(`usage: ${usage}`)
  const store = ctx.services().store
  return args.positionals.map((ref) => store.resolve(ref))
}
