// The ONNX workflow from a terminal: export a run (with its parity report) and predict with a file or a run.
import { type Forecast, forecastRun } from '../onnx/forecast'
import { formatParityReport } from '../onnx/parity'
import { readFileSync } from 'node:fs'
import { fileErrorMessage } from '../../common/file-errors'
import type { TextPrediction } from '../../common/contract'
import { predictNpy } from '../onnx/service'
import { predictTexts } from '../onnx/text'
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

/** A text prediction in a terminal: a line per text, its class and probabilities, or its tokens with their tags. */
export function formatTextPrediction(p: TextPrediction): string[] {
  const name = (c: number) => p.classNames?.[c] ?? String(c)
  return p.samples.map((s) => {
    if (p.labels === 'sample') {
      const probabilities = s.probabilities as number[]
      const k = s.predicted as number
      const all = probabilities.map((v, c) => `${name(c)} ${v.toFixed(4)}`).join(', ')
      return `${s.text}\t${name(k)}\t${probabilities[k].toFixed(4)}\t(${all})`
    }
    if (s.segmented !== undefined) return s.segmented
    const tags = s.predicted as number[]
    return s.tokens.map((token, t) => `${token}/${name(tags[t])}`).join(' ')
  })
}

export const predict = command({
  usage:
    'rnnlab predict <model.onnx | run> (--input x.npy [--out probs.npy] | --text "…" | --text-file F) [--engine onnx|native] [--json]\n' +
    '       rnnlab predict <time-series run> --csv window.csv | --validation [--engine onnx|native] [--json]',
  summary:
    'run a model on samples from a .npy file, a text run on raw text (a line of --text-file a sample), or forecast a time series, and print the probabilities, tags or forecasts',
  options: {
    input: { type: 'string' },
    out: { type: 'string' },
    engine: { type: 'string' },
    text: { type: 'string' },
    'text-file': { type: 'string' },
    csv: { type: 'string' },
    validation: { type: 'boolean' }
  },
  run: async (args, ctx) => {
    if (args.positionals.length !== 1) throw new UsageError(`usage: ${predict.usage}`)
    const { input, out, csv, validation } = args.values
    const text = args.values.text
    const textFile = args.values['text-file']
    const engine = args.values.engine ?? 'onnx'
    if (engine !== 'onnx' && engine !== 'native')
      throw new UsageError(`--engine: expected onnx or native, got ${engine}`)
    if (csv !== undefined || validation) {
      if (input !== undefined || out !== undefined)
        throw new UsageError(
          '--csv and --validation forecast a time-series run; --input and --out are for .npy samples'
        )
      if (csv !== undefined && validation) throw new UsageError('give --csv or --validation, not both')
      const result = await forecastRun({ target: args.positionals[0], store: ctx.services().store, engine, csv })
      if (args.values.json) ctx.out(JSON.stringify(result))
      else ctx.out(formatForecast(result))
      return 0
    }
    const target = args.positionals[0]
    if (text !== undefined || textFile !== undefined) {
      if (input !== undefined || out !== undefined)
        throw new UsageError('--text and --text-file take no --input or --out (the samples are the texts)')
      if (text !== undefined && textFile !== undefined) throw new UsageError('give --text or --text-file, not both')
      if (target.toLowerCase().endsWith('.onnx'))
        throw new UsageError('--text needs a run (its tokenizer is stored with it), not an .onnx file')
      let texts = text !== undefined ? [text] : []
      if (textFile !== undefined) {
        let content: string
        try {
          content = readFileSync(textFile, 'utf8')
        } catch (e) {
          throw new UsageError(`--text-file: ${fileErrorMessage(e, textFile)}`)
        }
        texts = content.split(/\r?\n/)
        if (texts.at(-1) === '') texts.pop()
        if (texts.length === 0) throw new UsageError(`--text-file: ${textFile} holds no line`)
      }
      const prediction = await predictTexts(
        { target, store: ctx.services().store, engine, inference: ctx.services().inference },
        texts
      )
      if (args.values.json) ctx.out(JSON.stringify(prediction))
      else {
        ctx.err(`${prediction.source} in ${prediction.engine === 'onnx' ? 'onnxruntime' : 'the native engine'}`)
        ctx.out(formatTextPrediction(prediction).join('\n'))
      }
      return 0
    }
    if (input === undefined)
      throw new UsageError('--input: give a .npy file of samples [N, T, F] (or --text for a text run)')
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

/** A forecast for the terminal: the values after the window, or the last validation windows and the MAE figures. */
export function formatForecast(f: Forecast): string {
  const fmt = (v: number) => v.toLocaleString('en-US', { maximumFractionDigits: 3 })
  const U = f.targetColumns.length
  const lines = [`${f.source} in ${f.engine === 'onnx' ? 'onnxruntime' : 'the native engine'}`]
  if (f.mae === undefined) {
    const w = f.windows[0]
    const K = w.forecast.length / U
    for (let k = 0; k < K; k++) {
      const when = f.targetsPerStep
        ? `step ${k + 1} + ${f.horizon}`
        : `${f.horizon} step${f.horizon === 1 ? '' : 's'} after the window`
      lines.push(`${when}: ${f.targetColumns.map((c, u) => `${c} ${fmt(w.forecast[k * U + u])}`).join(', ')}`)
    }
    return lines.join('\n')
  }
  const last = f.windows.slice(-10)
  lines.push(`last ${last.length} of ${f.windows.length} validation windows (row: forecast / actual / last value):`)
  for (const w of last) {
    const j = w.forecast.length - U
    lines.push(
      `  ${w.start}: ` +
        f.targetColumns
          .map((c, u) => `${c} ${fmt(w.forecast[j + u])} / ${fmt(w.actual![j + u])} / ${fmt(w.persistence![j + u])}`)
          .join(', ')
    )
  }
  lines.push(
    `validation MAE ${fmt(f.mae)} (last-value baseline ${fmt(f.persistenceMae!)}) in the data's units over ${f.windows.length} windows`
  )
  return lines.join('\n')
}
