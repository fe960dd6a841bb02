// `rnnlab weights <run | file.onnx>`: a model's weights cut per layer, direction and gate into named blocks (W_i,
// R_i, Wb_i, Rb_i, … in ONNX's gate order), with shapes and norms; any .onnx file's LSTM/GRU/RNN nodes too.
import type { WeightsView } from '../../common/contract'
import { fixed } from '../../common/format'
import { isOnnxPath, readOnnxWeightsView } from '../onnx/weights'
import { UsageError } from './args'
import { command, runIds } from './command'
import { table } from './print'

export const weights = command({
  usage: 'rnnlab weights <run | file.onnx> [--checkpoint best|last] [--json]',
  summary: 'a model’s weights per layer, direction and gate (W, R and bias blocks) with shapes and norms',
  options: { checkpoint: { type: 'string' } },
  readsOnly: true,
  run: (args, ctx) => {
    const { checkpoint } = args.values
    if (checkpoint !== undefined && checkpoint !== 'best' && checkpoint !== 'last')
      throw new UsageError(`--checkpoint: expected best or last, got ${checkpoint}`)
    if (args.positionals.length !== 1) throw new UsageError(`usage: ${weights.usage}`)
    const target = args.positionals[0]
    let view: WeightsView
    if (isOnnxPath(target)) {
      if (checkpoint !== undefined)
        throw new UsageError('--checkpoint: only for a run (a file holds one set of weights)')
      // A file the person typed: read as it is, with no run database.
      view = readOnnxWeightsView(target)
    } else {
      const [runId] = runIds(args, ctx, 1, 1, weights.usage)
      view = ctx.services().readWeights({ runId, checkpoint })
    }
    ctx.out(args.values.json ? JSON.stringify(view) : formatWeights(view))
    return 0
  }
})

export function formatWeights(view: WeightsView): string {
  const head =
    view.source === 'checkpoint'
      ? `Run ${view.runId}, ${view.checkpoint} checkpoint (epoch ${view.epoch}): ${view.file}`
      : `${view.file}${view.producer ? ` (made by ${view.producer})` : ''}`
  const rows = view.layers.flatMap((l) =>
    l.readable
      ? l.blocks.map((b) => [
          l.name,
          l.label,
          b.direction ?? '—',
          b.gate ?? '—',
          b.block,
          `[${b.shape.join(', ')}]`,
          fixed(b.norm, 4),
          fixed(b.meanAbs, 4),
          fixed(b.maxAbs, 4)
        ])
      : [[l.name, l.label, '—', '—', 'not readable (below)', '—', '—', '—', '—']]
  )
  const unreadable = view.layers.filter((l) => !l.readable)
  return [
    head,
    '',
    table(['LAYER', 'KIND', 'DIRECTION', 'GATE', 'BLOCK', 'SHAPE', 'NORM', 'MEAN |w|', 'MAX |w|'], rows, [6, 7, 8]),
    '',
    ...unreadable.map((l) => `${l.name}: not readable: ${l.reason}`),
    `${view.layers.length} layer${view.layers.length === 1 ? '' : 's'}` +
      (unreadable.length ? `, ${unreadable.length} not readable` : '') +
      '. Gates in ONNX order: LSTM i o f c, GRU z r h; Wb/Rb: input/recurrent bias. NORM: Frobenius norm.'
  ].join('\n')
}
