// `rnnlab inspect <run> --sample N`: the engine's inspection pass on one sample (run in a worker process): a short
// summary per recurrent layer and direction, or with --json every state, cell state and gate per step.
import { cellLabel } from '../../common/cells'
import type { InspectedDirection, RunInspection, TraceRequest, UnitTrace } from '../../common/contract'
import { count, displayText, fixed, percent } from '../../common/format'
import { UsageError } from './args'
import { command, runIds } from './command'
import { table } from './print'

export const inspect = command({
  usage: 'rnnlab inspect <run> --sample N [--checkpoint best|last] [--trace LAYER:forward|backward:UNIT] [--json]',
  summary: 'inside a run’s recurrent layers for one validation sample: states h_t, cell states c_t and gates per step',
  options: { sample: { type: 'string' }, checkpoint: { type: 'string' }, trace: { type: 'string' } },
  readsOnly: true,
  run: async (args, ctx) => {
    const [id] = runIds(args, ctx, 1, 1, inspect.usage)
    const { sample, checkpoint } = args.values
    if (sample === undefined) throw new UsageError('--sample: give the index of a validation sample (0 is the first)')
    if (!/^\d+$/.test(sample) || !Number.isSafeInteger(Number(sample)))
      throw new UsageError(`--sample: expected a sample index (0, 1, 2, …), got ${sample}`)
    if (checkpoint !== undefined && checkpoint !== 'best' && checkpoint !== 'last')
      throw new UsageError(`--checkpoint: expected best or last, got ${checkpoint}`)
    let trace: TraceRequest | undefined
    if (args.values.trace !== undefined) {
      const m = /^(\d+):(forward|backward):(\d+)$/.exec(args.values.trace)
      if (!m)
        throw new UsageError(
          `--trace: expected LAYER:forward|backward:UNIT (e.g. 0:forward:7), got ${args.values.trace}`
        )
      trace = { layer: Number(m[1]), direction: m[2] as TraceRequest['direction'], unit: Number(m[3]) }
    }
    const result = await ctx.services().handlers.inspectRun({ id, sample: Number(sample), checkpoint, trace })
    ctx.out(args.values.json ? JSON.stringify(result) : formatInspection(result))
    if (!args.values.json && result.trace) ctx.out(formatTrace(result.trace))
    return 0
  }
})

/** A class id as its name when the data names its classes. */
function className(id: number, names: string[] | null): string {
  const name = names?.[id]
  return name !== undefined && name !== String(id) ? `${id} (${displayText(name, 40)})` : String(id)
}

/** What the model answered: the class and its probability, or for a per-step head the classes of the steps. */
function prediction(r: RunInspection): string {
  const argmax = (row: number[]) => row.reduce((best, v, i) => (v > row[best] ? i : best), 0)
  const rows = r.output.values
  if (r.output.perStep) return `predicted per step: ${rows.map((row) => argmax(row)).join(' ')}`
  const row = rows[0]
  if (row.length === 1) return `output ${fixed(row[0])}`
  const k = argmax(row)
  return `predicted ${className(k, r.classNames)} (${percent(row[k], 1)})`
}

function label(r: RunInspection): string {
  if (r.label === null) return ''
  return Array.isArray(r.label) ? `, labels per step` : `, label ${className(r.label, r.classNames)}`
}

/** mean |v|, max |v| and the unit with the largest mean |v| over the steps. */
function magnitudes(rows: number[][]): { mean: number; max: number; unit: number } {
  const units = rows[0]?.length ?? 0
  const perUnit = new Array<number>(units).fill(0)
  let max = 0
  for (const row of rows)
    row.forEach((v, j) => {
      perUnit[j] += Math.abs(v)
      max = Math.max(max, Math.abs(v))
    })
  const unit = perUnit.reduce((best, v, j) => (v > perUnit[best] ? j : best), 0)
  const mean = perUnit.reduce((a, b) => a + b, 0) / Math.max(1, rows.length * units)
  return { mean, max, unit }
}

/** A gate's mean and its share of values below 0.1 and above 0.9 (Karpathy 2015's saturation); candidates: mean only. */
function gateSummary(cell: string, gate: { name: string; values: number[][] }): string {
  const values = gate.values.flat()
  const mean = values.reduce((a, b) => a + b, 0) / Math.max(1, values.length)
  const candidate = (cell === 'lstm' && gate.name === 'c') || (cell === 'gru' && gate.name === 'h')
  if (candidate) return `${gate.name}̃ ${fixed(mean, 2)}`
  const low = values.filter((v) => v < 0.1).length / Math.max(1, values.length)
  const high = values.filter((v) => v > 0.9).length / Math.max(1, values.length)
  return `${gate.name} ${fixed(mean, 2)} (${percent(low, 0)}/${percent(high, 0)})`
}

export function formatInspection(r: RunInspection): string {
  const head =
    `Run ${r.runId}, ${r.checkpoint} checkpoint (epoch ${r.epoch}): ${r.split} sample ${r.sample} of ${count(r.total)}` +
    `${label(r)}; ${prediction(r)}`
  const rows = r.layers.flatMap((l) =>
    l.directions.map((d: InspectedDirection) => {
      const h = magnitudes(d.h)
      return [
        String(l.layer),
        `${cellLabel(l.cell)}(${l.units})`,
        d.direction,
        fixed(h.mean, 3),
        fixed(h.max, 3),
        String(h.unit),
        d.c ? fixed(magnitudes(d.c).max, 3) : '—',
        d.gates.length ? d.gates.map((g) => gateSummary(l.cell, g)).join('  ') : '—'
      ]
    })
  )
  return [
    head,
    '',
    table(
      ['LAYER', 'CELL', 'DIRECTION', 'MEAN |h|', 'MAX |h|', 'MOST ACTIVE UNIT', 'MAX |c|', 'GATES: MEAN (<0.1 / >0.9)'],
      rows,
      [0, 3, 4, 5, 6]
    ),
    '',
    `${r.timeSteps} steps × ${r.features} features; the engine's pass took ${fixed(r.seconds * 1000, 1)} ms. ` +
      `--json gives every value per step.`
  ].join('\n')
}

/** A unit's most active samples (the --trace option). */
function formatTrace(t: UnitTrace): string {
  const top = t.samples
    .slice(0, 10)
    .map((s) => `${s.index} (${fixed(s.activity, 3)})`)
    .join(', ')
  const rank = t.current.rank === null ? 'not among them' : `rank ${t.current.rank}`
  return [
    '',
    `Unit ${t.unit} of layer ${t.layer}, ${t.direction}: the ${t.samples.length} most active of the first ${t.searched} samples by mean |h_t| (--json gives their h_t)`,
    `  most active: ${top}${t.samples.length > 10 ? ', …' : ''}`,
    `  sample ${t.current.index}: mean |h_t| ${fixed(t.current.activity, 3)}, ${rank}`
  ].join('\n')
}
