// `rnnlab summary`: a config's model as Keras's model.summary() prints it.
import { dirname, resolve } from 'node:path'
import { readRunConfig } from '../config-file'
import { summarizeRunConfig } from '../services'
import { UsageError } from './args'
import { command } from './command'

export const summary = command({
  usage: 'rnnlab summary <config.json> [--json]',
  summary: 'print the Keras-style table of a config’s model: layer, output shape, params; totals',
  options: {},
  run: async (args, ctx) => {
    if (args.positionals.length !== 1) throw new UsageError(`usage: ${summary.usage}`)
    const file = args.positionals[0]
    const config = readRunConfig(file)
    // The function behind the models:summary call, called directly: a summary must not need (or create) the run
    // database the services open, and relative dataset paths start from the config file's folder, not the cwd.
    const reply = await summarizeRunConfig(config, ctx.home, dirname(resolve(file)))
    ctx.out(args.values.json ? JSON.stringify({ input: reply.input, ...reply.summary }, null, 2) : reply.text)
    return 0
  }
})
