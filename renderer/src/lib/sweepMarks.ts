// "Sweep over" marks of the New experiment builder: a field of a layer or of training marked, with the values typed for
// it, becomes a parameter of a grid sweep whose base is the builder's experiment. A field is named by its dotted path
// into the run config (model.layers.0.layer.units); a layer's direction changes its shape (a bidirectional wrapper or
// not), so it becomes named alternatives of the whole layer, and the layer's other marked fields `$variables` in it.
import { toLayerInputs, type LayerDraft } from './builder'
import { parseValueList } from './sweeps'

/** Where the New sweep page finds its text when it opens. */
export const SWEEP_DRAFT_KEY = 'rnnlab.sweepDraft'

/** The fields a mark can be put on, per layer kind, with the name people read. */
export const LAYER_MARK_FIELDS = {
  recurrent: {
    cell: 'cell type',
    units: 'units',
    direction: 'direction',
    mergeMode: 'merge mode',
    activation: 'activation',
    dropout: 'input dropout',
    recurrentDropout: 'recurrent dropout'
  },
  dense: { units: 'units', activation: 'activation' },
  dropout: { rate: 'rate' },
  embedding: { outputDim: 'output dim' },
  masking: {}
} as const

export const TRAINING_MARK_FIELDS = {
  learningRate: { label: 'learning rate', path: 'training.optimizer.learningRate' },
  batchSize: { label: 'batch size', path: 'training.batchSize' },
  epochs: { label: 'epochs', path: 'training.epochs' }
} as const

export const layerMarkId = (layer: Pick<LayerDraft, 'key'>, field: string) => `layer:${layer.key}:${field}`
export const trainingMarkId = (field: string) => `training:${field}`

/** What the person reads for a marked field: "layer 1 units", "learning rate". */
export function markLabel(id: string, layers: LayerDraft[]): string {
  const [kind, a, b] = id.split(':')
  if (kind === 'training') return TRAINING_MARK_FIELDS[a as keyof typeof TRAINING_MARK_FIELDS]?.label ?? a
  const i = layers.findIndex((l) => String(l.key) === a)
  const fields = i >= 0 ? (LAYER_MARK_FIELDS[layers[i].kind] as Record<string, string>) : {}
  return `layer ${i + 1} ${fields[b] ?? b}`
}

/** The config key of a recurrent layer's field inside its cell (the wrapper's for the merge mode). */
const CELL_KEYS: Record<string, string> = {
  cell: 'type',
  units: 'units',
  activation: 'activation',
  dropout: 'dropout',
  recurrentDropout: 'recurrentDropout'
}
const DIRECTIONS = ['forward', 'backward', 'bidirectional']

export type SweepFromMarks = { ok: true; sweep: Record<string, unknown>; trials: number } | { ok: false; error: string }

/**
 * The grid sweep the marks make: the builder's config as its base (without its name), a parameter per mark (marks of
 * layers no longer in the stack are left out). An error names the field whose values are missing or wrong.
 */
export function sweepFromMarks(
  config: { name: string; model: { layers: unknown[] } } & Record<string, unknown>,
  layers: LayerDraft[],
  marks: Record<string, string>
): SweepFromMarks {
  const parameters: Record<string, unknown> = {}
  const lists = new Map<string, unknown[]>()
  for (const [id, text] of Object.entries(marks)) {
    const [kind, key] = id.split(':')
    if (kind === 'layer' && !layers.some((l) => String(l.key) === key)) continue
    const list = parseValueList(text)
    if (!list) return { ok: false, error: `Type the values of ${markLabel(id, layers)} to sweep over (e.g. 8, 16).` }
    lists.set(id, list)
  }
  if (lists.size === 0) return { ok: false, error: 'Mark a field "sweep over" and type its values first.' }
  for (const [field, f] of Object.entries(TRAINING_MARK_FIELDS)) {
    const list = lists.get(trainingMarkId(field))
    if (list) parameters[f.path] = list
  }
  const model = config.model.layers as Record<string, unknown>[]
  layers.forEach((layer, i) => {
    const marked = Object.keys(LAYER_MARK_FIELDS[layer.kind]).filter((f) => lists.has(layerMarkId(layer, f)))
    if (marked.length === 0) return
    const at = `model.layers.${i}`
    if (layer.kind !== 'recurrent') {
      for (const f of marked) parameters[`${at}.${f}`] = lists.get(layerMarkId(layer, f))
      return
    }
    const directions = lists.get(layerMarkId(layer, 'direction'))
    if (!directions) {
      const wrapped = model[i]?.type === 'bidirectional'
      for (const f of marked) {
        const list = lists.get(layerMarkId(layer, f))
        if (f === 'mergeMode') parameters[`${at}.mergeMode`] = list
        else parameters[`${at}.${wrapped ? 'layer.' : ''}${CELL_KEYS[f]}`] = list
      }
      return
    }
    // The direction picks the layer's shape: each direction is the whole layer, the other marks variables in it.
    const vars = marked.filter((f) => f !== 'direction').map((f) => [f, `$l${i + 1}_${f}`] as const)
    const alternatives: Record<string, unknown> = {}
    for (const d of directions) {
      if (typeof d !== 'string' || !DIRECTIONS.includes(d)) {
        throw new Error(`layer ${i + 1} direction: ${JSON.stringify(d)} is not one of ${DIRECTIONS.join(', ')}`)
      }
      const shaped = toLayerInputs([{ ...layer, direction: d as never }])[0] as Record<string, unknown>
      const cell = (d === 'bidirectional' ? shaped.layer : shaped) as Record<string, unknown>
      for (const [f, v] of vars) {
        if (f === 'mergeMode') {
          if (d === 'bidirectional') shaped.mergeMode = v
        } else cell[CELL_KEYS[f]] = v
      }
      alternatives[d] = shaped
    }
    parameters[at] = { alternatives }
    for (const [f, v] of vars) parameters[v] = lists.get(layerMarkId(layer, f))
  })
  const base: Record<string, unknown> = JSON.parse(JSON.stringify(config))
  delete base.name
  const trials = Object.values(parameters).reduce<number>(
    (n, p) => n * (Array.isArray(p) ? p.length : Object.keys((p as { alternatives: object }).alternatives).length),
    1
  )
  return {
    ok: true,
    trials,
    sweep: { name: `${config.name} sweep`, base, method: 'grid', parameters, objective: 'val_accuracy' }
  }
}

/** sweepFromMarks, with a wrong direction value as an error rather than a throw. */
export function trySweepFromMarks(...args: Parameters<typeof sweepFromMarks>): SweepFromMarks {
  try {
    return sweepFromMarks(...args)
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) }
  }
}
