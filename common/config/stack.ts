// Checks of a layer stack as a whole, after each layer is valid on its own: ranks chain, names are unique, the loss
// fits the head, the training fits in memory.
import { FieldError, join, show } from '../fields'
import { CELLS } from '../cells'
import { estimateTrainingMemory, formatBytes, inferInputShape, type ResolvedLayer, resolveModel } from '../model'
import { cellOf, type LayerConfig, type RunConfig } from './types'

function describeLayer(layer: LayerConfig): string {
  return layer.type === 'bidirectional' ? `bidirectional ${layer.layer.type}` : layer.type
}

/** Ranks must chain: a recurrent layer needs [batch, steps, features]; dense layers form the head. */
export function checkStack(layers: LayerConfig[], path: string): void {
  let sequence = true
  let lastRecurrent = -1
  let firstDense = -1
  const names = new Map<string, number>()
  layers.forEach((layer, i) => {
    const at = `${path}[${i}]`
    if (layer.name !== undefined) {
      const seen = names.get(layer.name)
      if (seen !== undefined) {
        throw new FieldError(join(at, 'name'), `${show(layer.name)} is already the name of ${path}[${seen}]`)
      }
      names.set(layer.name, i)
    }
    if ((layer.type === 'embedding' || layer.type === 'masking') && i > 0) {
      throw new FieldError(
        at,
        layer.type === 'embedding'
          ? 'an embedding layer reads the token ids of the data, so it must be the first layer'
          : 'a masking layer reads the data, so it must be the first layer'
      )
    }
    const cell = cellOf(layer)
    if (cell !== undefined) {
      if (firstDense >= 0) {
        throw new FieldError(
          at,
          `a ${describeLayer(layer)} layer cannot follow the dense layer ${path}[${firstDense}]; dense layers go at the end`
        )
      }
      if (!sequence) {
        throw new FieldError(
          at,
          `this ${describeLayer(layer)} layer needs a sequence [batch, steps, features], but ${path}[${lastRecurrent}] ` +
            `(${describeLayer(layers[lastRecurrent])}) returns only its last step; set returnSequences: true on it`
        )
      }
      sequence = cell.returnSequences
      lastRecurrent = i
    } else if (layer.type === 'dense' && firstDense < 0) {
      firstDense = i
    }
  })
}

/**
 * We fuse softmax with cross-entropy and sigmoid with binary cross-entropy (stable kernels), so those losses need
 * that head.
 */
export function checkLossFitsModel(run: RunConfig): void {
  const loss = run.training.loss
  const layers = run.model.layers
  const i = layers.length - 1
  const last = layers[i]
  if (loss === 'binary_crossentropy') {
    if (last.type !== 'dense') {
      throw new FieldError(
        `model.layers[${i}]`,
        `binary_crossentropy needs the model to end in a dense layer with activation sigmoid, but the last layer is ${describeLayer(last)}`
      )
    }
    if (last.activation !== 'sigmoid') {
      throw new FieldError(
        `model.layers[${i}].activation`,
        `binary_crossentropy needs the last dense layer to use sigmoid (sigmoid and cross-entropy are computed together), got ${show(last.activation)}`
      )
    }
    return
  }
  if (loss === 'mse' || loss === 'mae') {
    if (last.type === 'dense' && last.activation === 'softmax') {
      throw new FieldError(
        `model.layers[${i}].activation`,
        `${loss} forecasts numbers, but a softmax head gives class probabilities: use activation linear`
      )
    }
    return
  }
  if (loss !== 'categorical_crossentropy' && loss !== 'sparse_categorical_crossentropy') return
  if (last.type !== 'dense') {
    throw new FieldError(
      `model.layers[${i}]`,
      `${loss} needs the model to end in a dense layer with activation softmax, ` +
        `but the last layer is ${describeLayer(last)}`
    )
  }
  if (last.activation !== 'softmax') {
    throw new FieldError(
      `model.layers[${i}].activation`,
      `${loss} needs the last dense layer to use softmax ` +
        `(softmax and cross-entropy are computed together), got ${show(last.activation)}`
    )
  }
}

export function checkMemory(run: RunConfig, limitBytes: number): void {
  const input = inferInputShape(run)
  if (input === undefined) return
  const resolved = resolveModel(run.model, input)
  const estimate = estimateTrainingMemory(resolved, run.training.batchSize, input[0])
  if (estimate.totalBytes <= limitBytes) return
  const top = estimate.layers.reduce((a, b) => (b.bytes > a.bytes ? b : a))
  const layer = resolved.layers[top.index]
  throw new FieldError(
    'training.batchSize',
    `training needs about ${formatBytes(estimate.totalBytes)} at batch ${run.training.batchSize} ` +
      `(limit ${formatBytes(limitBytes)}); ` +
      `most of it is model.layers[${top.index}] (${layer.name}, ${formatBytes(top.bytes)}): lower batchSize or units`
  )
}

/** A layer as a memory message names it: "bidirectional LSTM 256", "GRU 64", "dense 10", "embedding". */
function layerLabel(layer: ResolvedLayer): string {
  const r = layer.recurrent
  if (r) return `${r.directions === 2 ? 'bidirectional ' : ''}${CELLS[r.cell].label} ${r.hidden}`
  return layer.config.type === 'dense' ? `dense ${layer.config.units}` : layer.config.type
}

/**
 * The refusal before a run starts whose training would not fit in the memory this machine has free now, naming the
 * layer that needs the most (estimateTrainingMemory, which the engine's allocation equals); undefined when it fits.
 */
export function memoryRefusal(run: RunConfig, input: [number, number], availableBytes: number): string | undefined {
  const resolved = resolveModel(run.model, input)
  const B = run.training.batchSize
  const estimate = estimateTrainingMemory(resolved, B, input[0])
  if (estimate.totalBytes <= availableBytes) return undefined
  const top = estimate.layers.reduce((a, b) => (b.bytes > a.bytes ? b : a))
  const layer = resolved.layers[top.index]
  return (
    `model.layers[${top.index}] (${layerLabel(layer)}): needs ${formatBytes(top.bytes)} for batch ${B} × ${input[0]} steps ` +
    `(training ${formatBytes(estimate.totalBytes)} in all); this machine has ${formatBytes(availableBytes)} free: ` +
    'lower training.batchSize, the units or the sequence length'
  )
}
