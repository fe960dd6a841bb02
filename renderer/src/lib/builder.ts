// The layer-stack builder's model: editable layer drafts, the operations on them, their conversion to and from the
// run config's layers, and validation mapped back to the layer at fault.
import { CELL_OPTION_DEFAULTS, CELLS, engineRefusals } from '../../../common/cells'
import {
  chainedLayers,
  ConfigError,
  normalizeModelConfig,
  preflight,
  normalizeRunConfig,
  EMBEDDING_DEFAULTS,
  MASKING_DEFAULTS,
  type CellType,
  type DenseActivation,
  type LayerConfig,
  type LayerInput,
  type MergeMode,
  type ModelConfig,
  type RecurrentActivation,
  type DataFacts,
  type PreflightFix,
  type PreflightProblem
} from '../../../common/config'
import { summarize, type ModelSummary } from '../../../common/model'

export type Direction = 'forward' | 'backward' | 'bidirectional'

interface DraftBase {
  /** Stable identity for list rendering and focus; not part of the config. */
  key: number
  /** Fields the builder does not edit (a layer name, useBias, resetAfter, …), kept so a loaded config round-trips. */
  extra: Record<string, unknown>
}

export interface RecurrentDraft extends DraftBase {
  kind: 'recurrent'
  cell: CellType
  units: number
  direction: Direction
  mergeMode: MergeMode
  sharedWeights: boolean
  returnSequences: boolean
  activation: RecurrentActivation
  dropout: number
  recurrentDropout: number
  /** Keys kept on the wrapped cell of a bidirectional layer. */
  cellExtra: Record<string, unknown>
}

export interface DropoutDraft extends DraftBase {
  kind: 'dropout'
  rate: number
}

export interface DenseDraft extends DraftBase {
  kind: 'dense'
  units: number
  activation: DenseActivation
}

/** Keras's Embedding: token ids → vectors; reads the data, so it is the first layer. */
export interface EmbeddingDraft extends DraftBase {
  kind: 'embedding'
  inputDim: number
  outputDim: number
  maskZero: boolean
}

/** Keras's Masking: steps whose features all equal maskValue are skipped by the layers after; the first layer. */
export interface MaskingDraft extends DraftBase {
  kind: 'masking'
  maskValue: number
}

export type LayerDraft = RecurrentDraft | DropoutDraft | DenseDraft | EmbeddingDraft | MaskingDraft
export type DraftKind = LayerDraft['kind']

let nextKey = 1
const key = () => nextKey++

export function newLayer(kind: DraftKind): LayerDraft {
  switch (kind) {
    case 'recurrent':
      return {
        key: key(),
        kind,
        cell: 'lstm',
        units: 50,
        direction: 'forward',
        mergeMode: 'concat',
        sharedWeights: false,
        returnSequences: false,
        activation: 'tanh',
        dropout: 0,
        recurrentDropout: 0,
        extra: {},
        cellExtra: {}
      }
    case 'dropout':
      return { key: key(), kind, rate: 0.2, extra: {} }
    case 'dense':
      return { key: key(), kind, units: 10, activation: 'softmax', extra: {} }
    case 'embedding':
      return { key: key(), kind, inputDim: 64, outputDim: 16, maskZero: EMBEDDING_DEFAULTS.maskZero, extra: {} }
    case 'masking':
      return { key: key(), kind, maskValue: MASKING_DEFAULTS.maskValue, extra: {} }
  }
}

/** The kinds that read the data themselves, so they go first in the stack. */
const FIRST_KINDS: readonly DraftKind[] = ['embedding', 'masking']

// ---------------------------------------------------------------------------------------------------------------
// Operations: each returns a new array, so a caller can keep an undo history or compare before and after.

/**
 * Adds a layer after `index` (at the end when absent). A new recurrent layer goes before the dense head; an embedding
 * or masking layer, which reads the data, goes first whatever the index.
 */
export function addLayer(layers: LayerDraft[], kind: DraftKind, index?: number): LayerDraft[] {
  const layer = newLayer(kind)
  if (FIRST_KINDS.includes(kind)) return [layer, ...layers]
  let at = index === undefined ? layers.length : index + 1
  if (index === undefined && kind !== 'dense') {
    const firstDense = layers.findIndex((l) => l.kind === 'dense')
    if (firstDense >= 0) at = firstDense
  }
  // A recurrent layer added below another one needs the one before it to hand over a sequence.
  const out = [...layers.slice(0, at), layer, ...layers.slice(at)]
  if (kind === 'recurrent') {
    for (let i = at - 1; i >= 0; i--) {
      const prev = out[i]
      if (prev.kind === 'recurrent') {
        out[i] = { ...prev, returnSequences: true }
        break
      }
      if (prev.kind === 'dense') break
    }
  }
  return out
}

export function removeLayer(layers: LayerDraft[], index: number): LayerDraft[] {
  return layers.filter((_, i) => i !== index)
}

export function moveLayer(layers: LayerDraft[], index: number, delta: -1 | 1): LayerDraft[] {
  const to = index + delta
  if (to < 0 || to >= layers.length) return layers
  const out = [...layers]
  ;[out[index], out[to]] = [out[to], out[index]]
  return out
}

export function duplicateLayer(layers: LayerDraft[], index: number): LayerDraft[] {
  const copy = structuredClone({ ...layers[index] }) as LayerDraft
  copy.key = key()
  // Two layers may not share a name.
  if ('name' in copy.extra) delete copy.extra.name
  return [...layers.slice(0, index + 1), copy, ...layers.slice(index + 1)]
}

export function updateLayer(layers: LayerDraft[], index: number, patch: Partial<LayerDraft>): LayerDraft[] {
  return layers.map((l, i) => (i === index ? ({ ...l, ...patch } as LayerDraft) : l))
}

/** The activations offered for a cell: those the engine runs (common/cells.ts), nothing it would refuse at Start. */
export function activationChoices(cell: CellType): readonly RecurrentActivation[] {
  return CELLS[cell].engineActivations
}

/** The patch for choosing another cell: an activation the new cell does not run becomes its default. */
export function cellPatch(layer: RecurrentDraft, cell: CellType): Partial<RecurrentDraft> {
  return activationChoices(cell).includes(layer.activation) ? { cell } : { cell, activation: CELLS[cell].activation }
}

// ---------------------------------------------------------------------------------------------------------------
// Conversion

/** The run config's layers, with only the fields that differ from Keras's defaults written out. */
export function toLayerInputs(layers: LayerDraft[]): LayerInput[] {
  return layers.map((l): LayerInput => {
    switch (l.kind) {
      case 'dropout':
        return { type: 'dropout', rate: given(l.rate), ...l.extra } as LayerInput
      case 'dense':
        return { type: 'dense', units: given(l.units), activation: l.activation, ...l.extra } as LayerInput
      case 'embedding': {
        const out: Record<string, unknown> = {
          type: 'embedding',
          inputDim: given(l.inputDim),
          outputDim: given(l.outputDim)
        }
        if (l.maskZero !== EMBEDDING_DEFAULTS.maskZero) out.maskZero = l.maskZero
        return { ...out, ...l.extra } as LayerInput
      }
      case 'masking': {
        // An emptied field is written as missing, which reads as Keras's default (0): say so rather than hide it.
        const out: Record<string, unknown> = { type: 'masking' }
        if (!Number.isFinite(l.maskValue) || l.maskValue !== MASKING_DEFAULTS.maskValue) out.maskValue = l.maskValue
        return { ...out, ...l.extra } as LayerInput
      }
      case 'recurrent': {
        const cell: Record<string, unknown> = { type: l.cell, units: given(l.units) }
        if (l.returnSequences) cell.returnSequences = true
        if (l.activation !== 'tanh') cell.activation = l.activation
        if (l.dropout) cell.dropout = l.dropout
        if (l.recurrentDropout) cell.recurrentDropout = l.recurrentDropout
        if (l.direction !== 'bidirectional') {
          if (l.direction === 'backward') cell.goBackwards = true
          return { ...cell, ...l.cellExtra, ...l.extra } as LayerInput
        }
        return {
          type: 'bidirectional',
          mergeMode: l.mergeMode,
          sharedWeights: l.sharedWeights,
          ...l.extra,
          layer: { ...cell, ...l.cellExtra }
        } as LayerInput
      }
    }
  })
}

/** An emptied number field reads as missing, so the message says what to give rather than "got NaN". */
function given(n: number): number | undefined {
  return Number.isFinite(n) ? n : undefined
}

const RECURRENT_EDITED = [
  'type',
  'units',
  'returnSequences',
  'activation',
  'dropout',
  'recurrentDropout',
  'goBackwards'
]

function rest(o: Record<string, unknown>, edited: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([k]) => !edited.includes(k)))
}

/** Drafts from a normalized model; non-default fields the builder does not edit are kept in `extra`. */
export function fromModelConfig(model: ModelConfig): LayerDraft[] {
  return model.layers.map((layer: LayerConfig): LayerDraft => {
    switch (layer.type) {
      case 'dropout':
        return { key: key(), kind: 'dropout', rate: layer.rate, extra: layer.name ? { name: layer.name } : {} }
      case 'dense':
        return {
          key: key(),
          kind: 'dense',
          units: layer.units,
          activation: layer.activation,
          extra: { ...(layer.name ? { name: layer.name } : {}), ...(layer.useBias ? {} : { useBias: false }) }
        }
      case 'embedding':
        return {
          key: key(),
          kind: 'embedding',
          inputDim: layer.inputDim,
          outputDim: layer.outputDim,
          maskZero: layer.maskZero,
          extra: layer.name ? { name: layer.name } : {}
        }
      case 'masking':
        return {
          key: key(),
          kind: 'masking',
          maskValue: layer.maskValue,
          extra: layer.name ? { name: layer.name } : {}
        }
      default: {
        const bidirectional = layer.type === 'bidirectional'
        const cell = layer.type === 'bidirectional' ? layer.layer : layer
        const cellExtra = nonDefaults(rest(cell as unknown as Record<string, unknown>, [...RECURRENT_EDITED, 'name']))
        return {
          key: key(),
          kind: 'recurrent',
          cell: cell.type,
          units: cell.units,
          direction: bidirectional ? 'bidirectional' : cell.goBackwards ? 'backward' : 'forward',
          mergeMode: layer.type === 'bidirectional' ? layer.mergeMode : 'concat',
          sharedWeights: layer.type === 'bidirectional' ? layer.sharedWeights : false,
          returnSequences: cell.returnSequences,
          activation: cell.activation,
          dropout: cell.dropout,
          recurrentDropout: cell.recurrentDropout,
          extra: layer.name ? { name: layer.name } : {},
          cellExtra
        }
      }
    }
  })
}

/** Keras defaults of the fields kept in `cellExtra`: written out only when they differ. */
function nonDefaults(o: Record<string, unknown>): Record<string, unknown> {
  const defaults: Record<string, unknown> = { useBias: true, ...CELL_OPTION_DEFAULTS }
  return Object.fromEntries(Object.entries(o).filter(([k, v]) => defaults[k] !== v))
}

// ---------------------------------------------------------------------------------------------------------------
// Validation and summary

export interface StackProblem {
  /** The layer at fault, or null for the stack as a whole or the training settings. */
  layer: number | null
  /** The field within the layer (`units`, `layer.units`, `activation`) or the config path when not a layer's. */
  field: string
  message: string
  /** A check before Start (common/config/preflight.ts): a whole sentence, shown without the field in front. */
  sentence?: boolean
  /** A one-click change that makes the problem go away. */
  fix?: PreflightFix
}

export interface StackCheck {
  problems: StackProblem[]
  /** The normalized model when the stack is valid. */
  model: ModelConfig | null
  /** The rows of the layers that chain from the input (all of them when the stack is valid), when the input is known. */
  summary: ModelSummary | null
  /** How many leading layers the summary covers; fewer than the layers when one of them is at fault. */
  summarized: number
}

/** The rest of a run config as the builder holds it (written form, not normalized). */
export interface RunSettings {
  name?: string
  dataset?: unknown
  training?: unknown
}

const LAYER_PATH = /^model\.layers\[(\d+)\](?:\.(.*))?$/

/** Where a ConfigError points: a layer and field when it names one. Indices inside a check are shifted by `offset`. */
export function problemFromError(e: unknown, offset = 0): StackProblem {
  if (e instanceof ConfigError) {
    const m = LAYER_PATH.exec(e.path)
    if (m) return { layer: Number(m[1]) + offset, field: m[2] ?? '', message: shiftIndices(e.detail, offset) }
    return { layer: null, field: e.path, message: e.detail }
  }
  return { layer: null, field: '', message: e instanceof Error ? e.message.split('\n')[0] : String(e) }
}

/** Messages name other layers as `model.layers[i]`; a person reads them as "layer i + 1". */
function shiftIndices(detail: string, offset: number): string {
  return detail.replace(/model\.layers\[(\d+)\]/g, (_, i: string) => `layer ${Number(i) + offset + 1}`)
}

function fromPreflight(p: PreflightProblem): StackProblem {
  return {
    layer: p.layer,
    field: p.layer === null ? p.field || 'model.layers' : p.field,
    message: p.message,
    sentence: true,
    ...(p.fix ? { fix: p.fix } : {})
  }
}

/** Each layer normalized on its own, or the problem that stops it. */
function eachLayer(inputs: LayerInput[]): (LayerConfig | StackProblem)[] {
  return inputs.map((layer, i) => {
    try {
      return normalizeModelConfig({ layers: [layer] }).layers[0]
    } catch (e) {
      return problemFromError(e, i)
    }
  })
}

function isProblem(x: LayerConfig | StackProblem): x is StackProblem {
  return 'message' in x
}

/**
 * Checks each layer on its own (so every bad field is reported, not only the first), then the checks before Start
 * (the stack's shape, the head against the data: common/config/preflight.ts), then the whole run (loss against the
 * head). `input` is [timeSteps, features] when known, for the summary; `facts` is what is known of the data.
 */
export function checkStack(
  layers: LayerDraft[],
  run: RunSettings | null,
  input: [number, number] | undefined,
  facts: DataFacts = {}
): StackCheck {
  const inputs = toLayerInputs(layers)
  if (inputs.length === 0) {
    return {
      problems: [
        { layer: null, field: 'model.layers', message: 'Add a layer to start: a recurrent layer, then a dense head.' }
      ],
      model: null,
      summary: null,
      summarized: 0
    }
  }
  const each = eachLayer(inputs)
  const problems: StackProblem[] = each.filter(isProblem)
  const firstBad = each.findIndex(isProblem)
  const summarizedUpTo = (normalized: LayerConfig[], upTo: number): Pick<StackCheck, 'summary' | 'summarized'> => {
    const n = Math.min(upTo, chainedLayers(normalized))
    return input && n > 0
      ? { summary: summarize({ layers: normalized.slice(0, n) }, input), summarized: n }
      : { summary: null, summarized: 0 }
  }
  if (problems.length > 0) {
    // Still check how the layers chain, with the bad numbers replaced by harmless ones, so a stack fault shows too.
    const bad = new Set(problems.map((p) => p.layer))
    const probe = eachLayer(toLayerInputs(layers.map((l, i) => (bad.has(i) ? harmless(l) : l))))
    if (!probe.some(isProblem)) {
      const normalized = probe as LayerConfig[]
      for (const p of preflight(normalized).map(fromPreflight)) {
        if (!problems.some((q) => q.layer === p.layer && q.message === p.message)) problems.push(p)
      }
      return { problems, model: null, ...summarizedUpTo(normalized, firstBad) }
    }
    return { problems, model: null, summary: null, summarized: 0 }
  }
  const normalized = each as LayerConfig[]
  const before = preflight(normalized, facts).map(fromPreflight)
  const chained = chainedLayers(normalized)
  if (chained < normalized.length) {
    return { problems: before, model: null, ...summarizedUpTo(normalized, chained) }
  }
  let model: ModelConfig
  try {
    model = normalizeModelConfig({ layers: inputs })
  } catch (e) {
    return { problems: [...before, problemFromError(e)], model: null, ...summarizedUpTo(normalized, chained) }
  }
  problems.push(...before)
  // What the config allows but the engine cannot run (a loaded or Keras-imported cell): marked here, not at Start.
  model.layers.forEach((layer, i) => {
    if (layer.type === 'dropout' || layer.type === 'dense' || layer.type === 'embedding' || layer.type === 'masking')
      return
    const [cell, prefix] = layer.type === 'bidirectional' ? [layer.layer, 'layer.'] : [layer, '']
    for (const r of engineRefusals(cell)) problems.push({ layer: i, field: prefix + r.field, message: r.detail })
  })
  if (run) {
    try {
      normalizeRunConfig({ ...run, model: { layers: inputs } })
    } catch (e) {
      const p = problemFromError(e)
      if (!problems.some((q) => q.layer === p.layer && q.field === p.field)) problems.push(p)
    }
  }
  const summary = input ? summarize(model, input) : null
  return { problems, model, summary, summarized: summary ? layers.length : 0 }
}

/** A copy of a layer whose number fields hold valid values: only its shape matters to the stack check. */
function harmless(l: LayerDraft): LayerDraft {
  const rate = (v: number) => (Number.isFinite(v) && v >= 0 && v < 1 ? v : 0)
  const units = (v: number) => (Number.isSafeInteger(v) && v > 0 ? v : 1)
  switch (l.kind) {
    case 'dropout':
      return { ...l, rate: rate(l.rate), extra: {} }
    case 'dense':
      return { ...l, units: units(l.units), activation: 'softmax', extra: {} }
    case 'embedding':
      return { ...l, inputDim: units(l.inputDim), outputDim: units(l.outputDim), extra: {} }
    case 'masking':
      return { ...l, maskValue: Number.isFinite(l.maskValue) ? l.maskValue : 0, extra: {} }
    case 'recurrent':
      return {
        ...l,
        units: units(l.units),
        dropout: rate(l.dropout),
        recurrentDropout: rate(l.recurrentDropout),
        activation: CELLS[l.cell].activation,
        extra: {},
        cellExtra: {}
      }
  }
}

/** Shown under a layer row: its problems joined. */
export function problemsAt(check: StackCheck, layer: number): StackProblem[] {
  return check.problems.filter((p) => p.layer === layer)
}
