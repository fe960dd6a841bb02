// Checks before Start: a layer stack against itself (ranks chain, a recurrent layer reads the sequence) and against
// the data it will train on (the head gives one output per class, per step only when the labels are per step, the
// input shape matches). Pure and non-throwing: each problem names the layer to change, says what to do in the words
// the builder shows, and carries a one-click fix when the fix is obvious. The builder shows them at the layer; the
// training worker refuses a run with the first one; an engine error that still happens is put in the same words.
import { cellLabel } from '../cells'
import { datasetClassNames, datasetInputShape, type DatasetSpec } from '../datasets'
import { cellOf, type LayerConfig, type RunConfig } from './types'

/** What is known of the data before training: from the dataset spec, its preview, or the loaded data. */
export interface DataFacts {
  numClasses?: number
  /** Regression data (time series): how many values the head forecasts (the target columns). */
  targets?: number
  labelsPerStep?: boolean
  /** [timeSteps, features] */
  input?: [number, number]
}

/** What the dataset spec alone tells (MNIST's 10 classes, one label per sample); files must be read for the rest. */
export function specFacts(spec: DatasetSpec): DataFacts {
  const declared = (spec as { numClasses?: number }).numClasses
  const numClasses = declared ?? datasetClassNames(spec)?.length
  const builtIn =
    spec.source === 'mnist-sample' ||
    spec.source === 'mnist' ||
    spec.source === 'fashion-mnist' ||
    spec.source === 'names'
  const perStep = spec.source === 'segmentation' || (spec.source === 'text' && spec.tagsColumn !== undefined)
  const input = datasetInputShape(spec)
  return {
    ...(numClasses !== undefined ? { numClasses } : {}),
    ...(builtIn ? { labelsPerStep: false } : perStep ? { labelsPerStep: true } : {}),
    ...(input ? { input } : {})
  }
}

/** A change to one layer that makes a problem go away. */
export interface PreflightFix {
  /** The button's text, e.g. "Turn on return sequences". */
  label: string
  layer: number
  patch: { returnSequences?: boolean; units?: number }
}

export interface PreflightProblem {
  /** The layer to change (0-based), or null for the stack as a whole. */
  layer: number | null
  /** The layer's field to change, as the config names it (`returnSequences`, `units`), or '' for the layer. */
  field: string
  /** A sentence in the builder's words, about the layer it is shown on. */
  message: string
  fix?: PreflightFix
}

/** "LSTM", "Bidirectional GRU", "Dense": a layer as the builder titles it. */
export function layerTitle(layer: LayerConfig): string {
  if (layer.type === 'dropout') return 'Dropout'
  if (layer.type === 'dense') return 'Dense'
  if (layer.type === 'embedding') return 'Embedding'
  if (layer.type === 'masking') return 'Masking'
  if (layer.type === 'bidirectional') return `Bidirectional ${cellLabel(layer.layer.type)}`
  return cellLabel(layer.type)
}

function named(layers: LayerConfig[], i: number): string {
  return `layer ${i + 1} (${layerTitle(layers[i])})`
}

const RECURRENT_WORDS = `${cellLabel('lstm')}, ${cellLabel('gru')} or ${cellLabel('simple_rnn')}`

/**
 * How far the layers chain: the number of leading layers whose input is what they need (a recurrent layer needs
 * [batch, steps, features]; nothing recurrent after a dense layer). The summary can show that many rows.
 */
export function chainedLayers(layers: LayerConfig[]): number {
  let sequence = true
  let dense = false
  for (let i = 0; i < layers.length; i++) {
    const cell = cellOf(layers[i])
    if (cell === undefined) {
      if (layers[i].type === 'dense') dense = true
      continue
    }
    if (dense || !sequence) return i
    sequence = cell.returnSequences
  }
  return layers.length
}

/** The problems of a stack of layers (each valid on its own) before Start, in stack order. */
export function preflight(layers: LayerConfig[], facts: DataFacts = {}): PreflightProblem[] {
  const problems: PreflightProblem[] = []
  if (layers.length === 0) return problems
  let sequence = true
  let lastRecurrent = -1
  let firstDense = -1
  layers.forEach((layer, i) => {
    const cell = cellOf(layer)
    if (cell === undefined) {
      if (layer.type === 'dense' && firstDense < 0) firstDense = i
      return
    }
    if (firstDense >= 0) {
      problems.push({
        layer: i,
        field: '',
        message:
          `This recurrent layer comes after the dense ${named(layers, firstDense)}; ` +
          'dense layers go at the end: move it up.'
      })
    } else if (!sequence) {
      const prev = lastRecurrent
      problems.push({
        layer: prev,
        field: 'returnSequences',
        message:
          `${cap(named(layers, i))} reads a sequence, but this layer hands on only its last step: ` +
          'turn on Return sequences.',
        fix: { label: 'Turn on return sequences', layer: prev, patch: { returnSequences: true } }
      })
    }
    sequence = cell.returnSequences
    lastRecurrent = i
  })
  if (lastRecurrent < 0) {
    problems.push({
      layer: null,
      field: '',
      message:
        `The model needs at least one recurrent layer (${RECURRENT_WORDS}) to read the sequence: ` +
        'add one before the dense head.'
    })
    // Without one, every layer works on each step alone: the output checks below would only repeat this.
    return problems
  }
  if (problems.length > 0) return problems

  const head = layers.length - 1
  const last = layers[head]
  // A single sigmoid unit is the binary head (binary_crossentropy): the probability of class 1 of 2.
  const binaryHead = last.type === 'dense' && last.activation === 'sigmoid' && last.units === 1
  const fitsBinary = binaryHead && facts.numClasses === 2
  const first = layers[0]
  if (first.type === 'embedding' && facts.input !== undefined && facts.input[1] !== 1) {
    problems.push({
      layer: 0,
      field: '',
      message:
        `An embedding reads one token id a step, but the data has ${facts.input[1]} features a step: ` +
        'use a text dataset, or remove this layer.'
    })
  }
  if (last.type === 'dense' && facts.numClasses !== undefined && last.units !== facts.numClasses && !fitsBinary) {
    const n = facts.numClasses
    problems.push({
      layer: head,
      field: 'units',
      message:
        `The data has ${n} ${n === 1 ? 'class' : 'classes'}, but this head gives ${last.units} ` +
        `${last.units === 1 ? 'output' : 'outputs'}: set Units to ${n}, one per class.`,
      fix: { label: `Set units to ${n}`, layer: head, patch: { units: n } }
    })
  }
  if (last.type === 'dense' && facts.targets !== undefined && last.units !== facts.targets) {
    const n = facts.targets
    problems.push({
      layer: head,
      field: 'units',
      message:
        `The data has ${n} target ${n === 1 ? 'column' : 'columns'} to forecast, but this head gives ${last.units} ` +
        `${last.units === 1 ? 'output' : 'outputs'}: set Units to ${n}, one per target.`,
      fix: { label: `Set units to ${n}`, layer: head, patch: { units: n } }
    })
  }
  if (facts.labelsPerStep !== undefined) {
    const perStep = sequence
    if (perStep && !facts.labelsPerStep) {
      problems.push({
        layer: lastRecurrent,
        field: 'returnSequences',
        message:
          'The data has one label per sample, but this layer hands every step on, so the model gives one ' +
          'output per step: turn off Return sequences.',
        fix: { label: 'Turn off return sequences', layer: lastRecurrent, patch: { returnSequences: false } }
      })
    } else if (!perStep && facts.labelsPerStep) {
      problems.push({
        layer: lastRecurrent,
        field: 'returnSequences',
        message:
          'The data has one label per step, but this layer hands on only its last step, so the model gives one ' +
          'output per sample: turn on Return sequences.',
        fix: { label: 'Turn on return sequences', layer: lastRecurrent, patch: { returnSequences: true } }
      })
    }
  }
  return problems
}

/** The problems of a run against its data, as a whole config names them. */
export function preflightRun(config: Pick<RunConfig, 'model'>, facts: DataFacts): PreflightProblem[] {
  const problems = preflight(config.model.layers, facts)
  const want = config.model.input
  if (want && facts.input && (want[0] !== facts.input[0] || want[1] !== facts.input[1])) {
    problems.unshift({
      layer: null,
      field: 'model.input',
      message:
        `The model expects ${want[0]} steps of ${want[1]} features, but the data has ` +
        `${facts.input[0]} steps of ${facts.input[1]} features.`
    })
  }
  return problems
}

/** One line for a run's error or the CLI: the layer, then the same sentence the builder shows. */
export function describePreflight(layers: LayerConfig[], p: PreflightProblem): string {
  if (p.layer === null) return p.field ? `${p.field}: ${p.message}` : p.message
  return `${cap(named(layers, p.layer))}: ${p.message}`
}

/**
 * The engine's own wording of a mismatch between the model and the labels (it checks them too, in its terms:
 * "y[1]: label 7 is outside 0..4", "y: expected 1344 labels (n*T), got 48"), put in the preflight's words. Other
 * messages are returned as they are.
 */
export function explainEngineError(message: string, config: Pick<RunConfig, 'model'>): string {
  const layers = config.model.layers
  const outside = /^y\[\d+\]: label (\d+) is outside 0\.\.(\d+)/.exec(message)
  if (outside) {
    const label = Number(outside[1])
    const units = Number(outside[2]) + 1
    const head = layers.length - 1
    return (
      `${cap(named(layers, head))}: The data has a class ${label}, but this head gives ${units} ` +
      `${units === 1 ? 'output' : 'outputs'}: set Units to the number of classes (at least ${label + 1}).`
    )
  }
  const count = /^y: expected (\d+) labels \(n(\*T)?\), got (\d+)/.exec(message)
  if (count) {
    const perStepModel = count[2] !== undefined
    let lastRecurrent = -1
    layers.forEach((l, i) => {
      if (cellOf(l) !== undefined) lastRecurrent = i
    })
    if (lastRecurrent < 0) {
      return preflight(layers).map((p) => describePreflight(layers, p))[0] ?? message
    }
    const p = preflight(layers, { labelsPerStep: !perStepModel })
    const found = p.find((q) => q.field === 'returnSequences' && q.layer === lastRecurrent)
    if (found) return describePreflight(layers, found)
  }
  return message
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1)
}
