// The command line of one command: each command declares its options and Node's util.parseArgs reads them strictly,
// so that a flag the command does not know (`--epoch 3`) is an error naming it, never silently ignored.
import { parseArgs } from 'node:util'
import { nearest } from '../../common/config'

/** A command line that cannot be run as given: one line on stderr, exit status 2. */
export class UsageError extends Error {}

export interface OptionSpec {
  type: 'string' | 'boolean'
  short?: string
}

export type OptionSpecs = Record<string, OptionSpec>

/** The options every command takes. */
export const globalOptions = {
  db: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' }
} as const satisfies OptionSpecs

export type OptionValues<O extends OptionSpecs> = {
  [K in keyof O]: O[K]['type'] extends 'string' ? string | undefined : boolean
}

export interface ParsedArgs<O extends OptionSpecs = OptionSpecs> {
  positionals: string[]
  values: OptionValues<O & typeof globalOptions>
}

/** The option tokens of a command line, read leniently (never throws), for naming what is wrong in our words. */
function optionTokens(argv: string[], options: OptionSpecs) {
  const { tokens } = parseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true })
  return tokens.flatMap((t) => (t.kind === 'option' ? [t] : []))
}

/** Whether the command line asks for the command's help: that wins over anything else wrong on it. */
export function asksForHelp(argv: string[], own: OptionSpecs): boolean {
  return optionTokens(argv, { ...globalOptions, ...own }).some((t) => t.name === 'help' && t.value === undefined)
}

/**
 * Reads `rnnlab <command> ...argv` against the command's options and the global ones: `--flag value`, `--flag=value`,
 * `--` ends the options. A value that starts with '-' must be written `--flag=-value` (util.parseArgs's strict rule:
 * `--epochs --json` is a forgotten value, not the value "--json").
 */
export function parseCommandArgs<O extends OptionSpecs>(command: string, argv: string[], own: O): ParsedArgs<O> {
  const options: OptionSpecs = { ...own, ...globalOptions }
  const names = Object.keys(options)
  for (const t of optionTokens(argv, options)) {
    const spec = options[t.name]
    if (!spec) {
      const hint = nearest(t.name, names)
      throw new UsageError(
        hint !== undefined
          ? `unknown option ${t.rawName} (did you mean --${hint}?)`
          : `unknown option ${t.rawName} (rnnlab ${command} takes ${names.map((n) => `--${n}`).join(', ')})`
      )
    }
    if (spec.type === 'boolean' && t.value !== undefined)
      throw new UsageError(`--${t.name} takes no value (got ${t.rawName}=${t.value})`)
    if (spec.type === 'string' && t.value === undefined) throw new UsageError(`--${t.name} needs a value`)
    if (spec.type === 'string' && !t.inlineValue && t.value?.startsWith('-')) {
      throw new UsageError(`--${t.name} needs a value; to give one that starts with '-', write --${t.name}=${t.value}`)
    }
  }
  let parsed: ReturnType<typeof parseArgs<{ options: OptionSpecs; allowPositionals: true }>>
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: true })
  } catch (e) {
    // Everything parseArgs refuses is caught above; this keeps any other refusal a usage error in one line.
    throw new UsageError(e instanceof Error ? e.message.split('\n')[0] : String(e))
  }
  const values: Record<string, string | boolean | undefined> = {}
  for (const [name, spec] of Object.entries(options)) {
    const v = parsed.values[name]
    values[name] = spec.type === 'boolean' ? v === true : typeof v === 'string' ? v : undefined
  }
  return { positionals: parsed.positionals, values: values as OptionValues<O & typeof globalOptions> }
}
