// The ONNX workflow from a terminal: export a run (with its parity report) and predict with a file or a run.
import { formatParityReport } from '../onnx/parity'
import { predictNpy } from '../onnx/service'
import { UsageError } from './args'
import { command, runIds } from './command'

export const exportModel = command({
  usage: 'rnnlab export <run> --out model.onnx [--checkpoint best|last] [--json]',
  summary: 'export a run’s model to ONNX and print the parity report against the engine',
  options: { out: { type: 'string' }, checkpoint: { type: 'string' } },
  run: async (args, ctx) => {
    const [runId] = runIds(args, ctx, 1, 1, exportModel.usage)
    const { out, checkpoint } = args.values
    if (out === undefined) throw new UsageError('--out: give the .onnx file to write')
    if (checkpoint !== undefined && checkpoint !== 'best' && checkpoint !== 'last') {
      throw new UsageError(`--checkpoint: expected best or last, got ${checkpoint}`)
    }
    if (!args.values.json) ctx.err(`Exporting run ${runId} and checking it against the engine in onnxruntime…`)
    const report = await ctx.services().exportOnnxTo({ runId, checkpoint, out })
    if (args.values.json) ctx.out(JSON.stringify(report, null, 2))
    else {
      ctx.out(formatParityReport(report))
      ctx.out(
        `${report.ok ? 'Wrote' : 'Wrote (parity check FAILED)'} ${report.path} (${report.bytes.toLocaleString('en-US')} bytes, ${report.checkpoint} checkpoint, epoch ${report.epoch})`
      )
    }
    return report.ok ? 0 : 1
  }
})

export const predict = command({
  usage: 'rnnlab predict <model.onnx | run> --input x.npy [--out probs.npy] [--engine onnx|native] [--json]',
  summary: 'run a model on samples from a .npy file and print or save the probabilities',
  options: { input: { type: 'string' }, out: { type: 'string' }, engine: { type: 'string' } },
  run: async (args, ctx) => {
    if (args.positionals.length !== 1) throw new UsageError(`usage: ${predict.usage}`)
    const { input, out } = args.values
    if (input === undefined) throw new UsageError('--input: give a .npy file of samples [N, T, F]')
    const engine = args.values.engine ?? 'onnx'
    if (engine !== 'onnx' && engine !== 'native')
      throw new UsageError(`--engine: expected onnx or native, got ${engine}`)
    const target = args.positionals[0]
    // The ONNX service itself rather than the inference:predict call, which serves the page's "try it" with a few
    // samples as JSON arrays (at most 4,096) in onnxruntime: here the samples are a .npy file of any size, the engine
    // may be the native one, the output may go to a .npy file, and a model file needs no run database opened.
    const services = target.toLowerCase().endsWith('.onnx') ? undefined : ctx.services()
    const result = await predictNpy({
      target,
      store: services?.store,
      engine,
      input,
      out,
      inference: services?.inference
    })
    const units = result.dims.at(-1) ?? 1
    const rows = result.data.length / units
    const argmax = Array.from({ length: rows }, (_, r) => {
      let best = 0
      for (let u = 1; u < units; u++) if (result.data[r * units + u] > result.data[r * units + best]) best = u
      return best
    })
    if (args.values.json) {
      ctx.out(
        JSON.stringify({
          source: result.source,
          engine: result.engine,
          dims: result.dims,
          out: result.out ?? null,
          argmax,
          classNames: result.classNames ?? null
        })
      )
    } else {
      ctx.err(
        `${result.source} in ${result.engine === 'onnx' ? 'onnxruntime' : 'the native engine'}: output [${result.dims.join(', ')}]`
      )
      if (result.out) ctx.out(`Wrote ${result.out}`)
      else
        ctx.out(
          argmax
            .map((a, i) => `${i}\t${result.classNames?.[a] ?? a}\t${result.data[i * units + a].toFixed(4)}`)
            .join('\n')
        )
    }
    return 0
  }
})
