// `rnnlab train`: a run from a config file (or `--resume` an earlier one), with Keras-style progress on stderr.
import { dirname, resolve } from 'node:path'
import { LIMITS } from '../../common/config'
import { inRange, rangeText } from '../../common/fields'
import { displayText, percent } from '../../common/format'
import { readRunConfig } from '../config-file'
import { RunNotFoundError } from '../runs/store'
import { UsageError } from './args'
import { command } from './command'
import { epochLine, progressLine } from './progress'

export const train = command({
  usage: 'rnnlab train <config.json> [--db FILE] [--epochs N] [--threads N] [--json]  |  rnnlab train --resume <run>',
  summary: 'train a model from a run config, with a progress bar; prints the run id',
  options: {
    epochs: { type: 'string' },
    threads: { type: 'string' },
    'init-from': { type: 'string' },
    resume: { type: 'string' }
  },
  run: async (args, ctx) => {
    const { json, resume: resumeRef, 'init-from': initFrom, threads: threadsFlag } = args.values
    const threads = threadsFlag === undefined ? undefined : Number(threadsFlag)
    if (threads !== undefined && (!/^\d+$/.test(threadsFlag ?? '') || !inRange(threads, LIMITS.threads)))
      throw new UsageError(`--threads: expected ${rangeText(LIMITS.threads)}, got ${threadsFlag}`)
    const services = ctx.services()
    const { handlers } = services
    let runId: number
    let name: string
    if (resumeRef !== undefined) {
      if (args.positionals.length > 0) throw new UsageError('--resume takes a run, not a config file')
      runId = services.store.resolve(resumeRef)
      name = (await handlers.getRun({ id: runId })).name
    } else {
      if (args.positionals.length !== 1) throw new UsageError(`usage: ${train.usage}`)
      const file = args.positionals[0]
      // Read here so that its errors name the file and line; the handler checks the config again, as for the page.
      const config = readRunConfig(file)
      const epochsFlag = args.values.epochs
      if (epochsFlag !== undefined) {
        const epochs = Number(epochsFlag)
        if (!/^\d+$/.test(epochsFlag) || !inRange(epochs, LIMITS.epochs))
          throw new UsageError(`--epochs: expected ${rangeText(LIMITS.epochs)}, got ${epochsFlag}`)
        config.training.epochs = epochs
      }
      name = config.name
      // The worker's first message arrives on a later tick, after the listeners below are in place.
      const started = await handlers.startTraining({
        config,
        threads,
        baseDir: dirname(resolve(file)),
        initFrom: initFrom === undefined ? undefined : resolve(initFrom)
      })
      runId = started.runId
    }
    const tty = !json && process.stderr.isTTY === true
    let batches = 0
    let lastEpoch = 0
    const offs = [
      services.on('onTrainingNote', (n) => {
        if (n.runId !== runId) return
        if (json) ctx.out(JSON.stringify({ event: 'note', ...n }))
        else ctx.err(n.text)
      }),
      services.on('onTrainingProgress', (p) => {
        if (p.runId !== runId) return
        batches = p.batches
        if (json) ctx.out(JSON.stringify({ event: 'progress', ...p }))
        else {
          if (p.epoch !== lastEpoch) {
            lastEpoch = p.epoch
            ctx.err(`Epoch ${p.epoch}/${p.epochs}`)
          }
          if (tty) process.stderr.write(`\r${progressLine(p)}\x1b[K`)
        }
      }),
      services.on('onTrainingEpoch', (e) => {
        if (e.runId !== runId) return
        if (json) ctx.out(JSON.stringify({ event: 'epoch', ...e }))
        else {
          if (tty) process.stderr.write('\r\x1b[K')
          ctx.err(epochLine(e.metrics, batches))
        }
      })
    ]
    if (resumeRef !== undefined) await handlers.startTraining({ config: undefined, resume: runId, threads })
    if (json) ctx.out(JSON.stringify({ event: 'started', runId, name }))
    else ctx.err(`Run ${runId}: ${displayText(name)}${resumeRef !== undefined ? ' (resumed)' : ''}`)
    // Ctrl-C cancels the run cleanly: the worker stops, the run is marked cancelled, the database stays intact.
    const onSigint = async () => {
      if (!json) ctx.err('\nCancelling…')
      try {
        await handlers.cancelTraining({ runId })
      } catch {
        // already finished
      }
    }
    process.on('SIGINT', onSigint)
    try {
      // No contract call waits for a run's end (the page follows the runs:status event): the training host does.
      const status = await services.training.finished(runId)
      let run: Awaited<ReturnType<typeof handlers.getRun>>
      try {
        run = await handlers.getRun({ id: runId })
      } catch (e) {
        if (!(e instanceof RunNotFoundError)) throw e
        // Deleted while it trained (here, in the app, or by `rnnlab delete`): its training stopped.
        if (json) ctx.out(JSON.stringify({ event: 'finished', runId, status, error: null, deleted: true }))
        else ctx.err(`Run ${runId} ${status}: it was deleted while it trained.`)
        return 130
      }
      if (json) ctx.out(JSON.stringify({ event: 'finished', runId, status, error: run.error }))
      else {
        ctx.err(
          `Run ${runId} ${status}${run.error ? `: ${run.error}` : ''}.${run.valMae?.best != null ? ` Best val_mae ${run.valMae.best.toFixed(4)} at epoch ${run.valMae.bestEpoch}.` : run.valAccuracy.best !== null ? ` Best val_accuracy ${percent(run.valAccuracy.best)} at epoch ${run.valAccuracy.bestEpoch}.` : ''}`
        )
        ctx.out(String(runId))
      }
      return status === 'completed' ? 0 : status === 'cancelled' ? 130 : 1
    } finally {
      process.off('SIGINT', onSigint)
      offs.forEach((off) => off())
    }
  }
})
