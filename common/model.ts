// What a layer stack is in numbers: shapes, Keras parameter counts, ONNX weight layouts, the summary table, memory.
import { CELLS, CELL_LIST, GATES, kerasBiasVectors, type CellType, type EngineGemm } from './cells'
import { cellOf, type LayerConfig, type ModelConfig, type RecurrentLayerConfig, type RunConfig } from './config/types'
import { datasetInputShape } from './datasets'
import { formatBytes } from './format'

/** A tensor shape with the batch dimension first and unknown (`null`), as Keras prints it. */
export type Shape = (number | null)[]

/** One stored weight tensor. Recurrent layers use ONNX names and layout so export copies without converting. */
export interface WeightTensor {
  name: 'W' | 'R' | 'B' | 'kernel' | 'bias' | 'embeddings'
  shape: number[]
}

export interface ResolvedLayer {
  index: number
  /** Keras-style name: the config's `name`, else `lstm`, `lstm_1`, `bidirectional`, `dropout`, `dense`, … */
  name: string
  kind: LayerConfig['type']
  /** Keras class name (`Bidirectional`, `LSTM`, `GRU`, `SimpleRNN`, `Dropout`, `Dense`). */
  className: string
  /** The type column of the summary, e.g. `Bidirectional LSTM` or `Bidirectional GRU, sum, shared`. */
  typeLabel: string
  inputShape: Shape
  outputShape: Shape
  /** Keras's count: one bias per gate (two for GRU with resetAfter). */
  params: number
  trainableParams: number
  /** Storage shapes; ONNX's B holds input and recurrent biases, so it can be larger than Keras's bias. */
  weights: WeightTensor[]
  /** Set for recurrent and bidirectional layers. */
  recurrent?: {
    cell: CellType
    /** Directions computed: 2 for bidirectional (also when they share weights). */
    directions: 1 | 2
    gates: number
    hidden: number
    inputFeatures: number
  }
  config: LayerConfig
}

export interface ResolvedModel {
  input: [number, number]
  layers: ResolvedLayer[]
  outputShape: Shape
  totalParams: number
  trainableParams: number
  nonTrainableParams: number
}

const CLASS_NAMES: Record<LayerConfig['type'], string> = {
  ...(Object.fromEntries(CELL_LIST.map((cell) => [cell.type, cell.className])) as Record<CellType, string>),
  bidirectional: 'Bidirectional',
  dropout: 'Dropout',
  dense: 'Dense',
  embedding: 'Embedding',
  masking: 'Masking'
}

/** [timeSteps, features]: the model's own `input`, else what the dataset spec tells, else unknown until data is read. */
export function inferInputShape(config: Pick<RunConfig, 'model' | 'dataset'>): [number, number] | undefined {
  return config.model.input ?? datasetInputShape(config.dataset)
}

/** The parameter count of one recurrent cell as Keras reports it. */
export function recurrentParams(cell: RecurrentLayerConfig, inputFeatures: number): number {
  const G = GATES[cell.type]
  const H = cell.units
  const bias = cell.useBias ? kerasBiasVectors(cell) * G * H : 0
  return G * H * (inputFeatures + H) + bias
}

/** Walks a normalized model from an input [timeSteps, features], giving each layer its shape, params and weights. */
export function resolveModel(model: ModelConfig, input: [number, number]): ResolvedModel {
  const [timeSteps, features] = input
  let shape: Shape = [null, timeSteps, features]
  const taken = new Set(model.layers.flatMap((layer) => (layer.name === undefined ? [] : [layer.name])))
  const counters = new Map<string, number>()
  const autoName = (base: string): string => {
    for (;;) {
      const n = counters.get(base) ?? 0
      counters.set(base, n + 1)
      const name = n === 0 ? base : `${base}_${n}`
      if (!taken.has(name)) {
        taken.add(name)
        return name
      }
    }
  }

  const layers = model.layers.map((config, index): ResolvedLayer => {
    const inputShape = shape
    const last = inputShape[inputShape.length - 1] as number
    const base = {
      index,
      name: config.name ?? autoName(config.type),
      kind: config.type,
      className: CLASS_NAMES[config.type],
      inputShape,
      config
    }
    switch (config.type) {
      case 'dropout':
        return { ...base, typeLabel: 'Dropout', outputShape: inputShape, params: 0, trainableParams: 0, weights: [] }
      case 'masking':
        return { ...base, typeLabel: 'Masking', outputShape: inputShape, params: 0, trainableParams: 0, weights: [] }
      case 'embedding': {
        // Keras: inputDim × outputDim. Its input is [batch, steps] of ids (ours [batch, steps, 1]).
        const params = config.inputDim * config.outputDim
        shape = [null, inputShape[1], config.outputDim]
        const weights: WeightTensor[] = [{ name: 'embeddings', shape: [config.inputDim, config.outputDim] }]
        return { ...base, typeLabel: 'Embedding', outputShape: shape, params, trainableParams: params, weights }
      }
      case 'dense': {
        const params = last * config.units + (config.useBias ? config.units : 0)
        shape = [...inputShape.slice(0, -1), config.units]
        const weights: WeightTensor[] = [{ name: 'kernel', shape: [last, config.units] }]
        if (config.useBias) weights.push({ name: 'bias', shape: [config.units] })
        return { ...base, typeLabel: 'Dense', outputShape: shape, params, trainableParams: params, weights }
      }
      default: {
        const bidirectional = config.type === 'bidirectional'
        const cell = bidirectional ? config.layer : config
        const directions = bidirectional ? 2 : 1
        const stored = bidirectional && !config.sharedWeights ? 2 : 1
        const G = GATES[cell.type]
        const H = cell.units
        const params = stored * recurrentParams(cell, last)
        const outFeatures = bidirectional && config.mergeMode === 'concat' ? 2 * H : H
        shape = cell.returnSequences ? [null, inputShape[1], outFeatures] : [null, outFeatures]
        const weights: WeightTensor[] = [
          { name: 'W', shape: [stored, G * H, last] },
          { name: 'R', shape: [stored, G * H, H] }
        ]
        if (cell.useBias) weights.push({ name: 'B', shape: [stored, 2 * G * H] })
        // Only non-default wrapper options are shown, so the tutorial's rows read like Keras's.
        const typeLabel = bidirectional
          ? [
              `Bidirectional ${CLASS_NAMES[cell.type]}`,
              ...(config.mergeMode === 'concat' ? [] : [config.mergeMode]),
              ...(config.sharedWeights ? ['shared'] : [])
            ].join(', ')
          : CLASS_NAMES[cell.type]
        return {
          ...base,
          typeLabel,
          outputShape: shape,
          params,
          trainableParams: params,
          weights,
          recurrent: { cell: cell.type, directions, gates: G, hidden: H, inputFeatures: last }
        }
      }
    }
  })

  const totalParams = layers.reduce((sum, layer) => sum + layer.params, 0)
  const trainableParams = layers.reduce((sum, layer) => sum + layer.trainableParams, 0)
  return {
    input: [timeSteps, features],
    layers,
    outputShape: shape,
    totalParams,
    trainableParams,
    nonTrainableParams: totalParams - trainableParams
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Summary

export interface SummaryRow {
  index: number
  name: string
  type: string
  outputShape: Shape
  params: number
}

export interface ModelSummary {
  rows: SummaryRow[]
  totalParams: number
  trainableParams: number
  nonTrainableParams: number
}

export function summarize(model: ModelConfig, input: [number, number]): ModelSummary {
  const resolved = resolveModel(model, input)
  return {
    rows: resolved.layers.map((layer) => ({
      index: layer.index,
      name: layer.name,
      type: layer.typeLabel,
      outputShape: layer.outputShape,
      params: layer.params
    })),
    totalParams: resolved.totalParams,
    trainableParams: resolved.trainableParams,
    nonTrainableParams: resolved.nonTrainableParams
  }
}

/** The facts the runs table shows about a model: its cells, directions and depth. */
export function modelFacts(config: RunConfig): { cell: string | null; direction: string | null; layerCount: number } {
  const cells: string[] = []
  const directions: string[] = []
  for (const layer of config.model.layers) {
    const cell = cellOf(layer)
    if (cell === undefined) continue
    cells.push(cell.type)
    directions.push(layer.type === 'bidirectional' ? 'bidirectional' : cell.goBackwards ? 'backward' : 'forward')
  }
  const unique = (xs: string[]) => [...new Set(xs)].join('+') || null
  return { cell: unique(cells), direction: unique(directions), layerCount: config.model.layers.length }
}

/** `(None, 28, 100)`, as Keras prints shapes. */
export function formatShape(shape: Shape): string {
  return `(${shape.map((d) => (d === null ? 'None' : String(d))).join(', ')})`
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US')
}

export { formatBytes } from './format'

/** The Keras 3 `model.summary()` table; params are float32, so memory is params × 4 bytes. */
export function formatSummary(summary: ModelSummary, title?: string): string {
  const header = ['Layer (type)', 'Output Shape', 'Param #']
  const cells = summary.rows.map((row) => [
    `${row.name} (${row.type})`,
    formatShape(row.outputShape),
    formatCount(row.params)
  ])
  const widths = [31, 22, 13].map((min, c) => Math.max(min, header[c].length, ...cells.map((r) => r[c].length)))
  const line = (left: string, fill: string, mid: string, right: string) =>
    left + widths.map((w) => fill.repeat(w + 2)).join(mid) + right
  const row = (values: string[], bar: string) =>
    bar + values.map((v, c) => ' ' + (c === 2 ? v.padStart(widths[c]) : v.padEnd(widths[c])) + ' ').join(bar) + bar
  const lines: string[] = []
  if (title !== undefined) lines.push(`Model: "${title}"`)
  lines.push(line('┏', '━', '┳', '┓'), row(header, '┃'), line('┡', '━', '╇', '┩'))
  cells.forEach((values, i) => {
    if (i > 0) lines.push(line('├', '─', '┼', '┤'))
    lines.push(row(values, '│'))
  })
  lines.push(line('└', '─', '┴', '┘'))
  const figure = (n: number) => `${formatCount(n)} (${formatBytes(n * 4)})`
  lines.push(
    ` Total params: ${figure(summary.totalParams)}`,
    ` Trainable params: ${figure(summary.trainableParams)}`,
    ` Non-trainable params: ${figure(summary.nonTrainableParams)}`
  )
  return lines.join('\n')
}

// ---------------------------------------------------------------------------------------------------------------
// Memory

export interface TrainingMemoryEstimate {
  totalBytes: number
  /** The batch the engine gathers and the input gradient beside it, the labels (or targets) and the output gradient. */
  batchBytes: number
  /** Per layer: its weights with gradients and optimizer state, plus its activations and kernel workspaces. */
  layers: { index: number; name: string; bytes: number; weightBytes: number; activationBytes: number }[]
}

const FLOAT_BYTES = 4
/** Weights, gradients and the optimizer's two moment buffers (the engine keeps both for every optimizer). */
const WEIGHT_COPIES = 4

// The engine's matrix-product buffers (native/src/kernels/simd.h), from which each cell's workspace (its row in
// common/cells.ts) is built. test/native/memory.test.ts checks the estimate against the engine.
const GEMM_MAX_MR = 8
const GEMM_MAX_NR = 32
const ENGINE_GEMM: EngineGemm = {
  packed: (K, N) => K * Math.ceil(N / GEMM_MAX_NR) * GEMM_MAX_NR,
  aPanel: (GEMM_MAX_MR + GEMM_MAX_NR) * 256
}

/**
 * What the engine allocates to train at this batch size (its `memoryBytes()` after a step), to refuse a config
 * that cannot fit before the engine starts; the layer with the most bytes is the one to shrink. Every layer keeps
 * its output and the gradient flowing back through it, plus: recurrent layers per direction h and its gradient, the
 * cell's cache and the kernels' workspace (and with dropout the masked inputs), dense layers their pre-activation
 * gradient, dropout layers their mask. Evaluation at a larger batch grows the activations to that batch.
 */
export function estimateTrainingMemory(
  resolved: ResolvedModel,
  batchSize: number,
  timeSteps: number
): TrainingMemoryEstimate {
  const B = batchSize
  const T = timeSteps
  const elements = (shape: Shape) => shape.reduce<number>((n, d) => n * (d === null ? B : d), 1)
  const [, features] = resolved.input
  const outputs = elements(resolved.outputShape)
  const last = resolved.layers[resolved.layers.length - 1]?.config
  // class ids (one per output row) with a softmax head, else target rows
  const targets = last?.type === 'dense' && last.activation === 'softmax' ? outputs / last.units : outputs
  const batchBytes = FLOAT_BYTES * (2 * T * B * features + targets + outputs)
  const first = resolved.layers[0]?.config
  const masked = first?.type === 'masking' || (first?.type === 'embedding' && first.maskZero)
  const layers = resolved.layers.map((layer) => {
    const output = elements(layer.outputShape)
    let weights = 0
    let kept = 3 * output // dense: output, its gradient, the pre-activation's; dropout: output, gradient, mask
    const config = layer.config
    if (layer.recurrent !== undefined) {
      const { cell, directions: D, gates: G, hidden: H, inputFeatures: I } = layer.recurrent
      const shared = config.type === 'bidirectional' && config.sharedWeights
      const options = config.type === 'bidirectional' ? config.layer : (config as RecurrentLayerConfig)
      const { cachePerUnit, workspace } = CELLS[cell].engine
      weights = (shared ? 1 : D) * G * H * (I + H + 2) // W, R and both bias halves, stored whatever useBias says
      const perDirection =
        T * B * H * (2 + cachePerUnit) +
        (options.dropout > 0 ? 2 * T * B * I + B * I : 0) +
        (options.recurrentDropout > 0 ? B * H : 0) +
        workspace(T, B, I, H, ENGINE_GEMM)
      // under a mask a backward direction reads each sample's real steps reversed: their copy and its gradient
      const reversed = masked ? (D === 2 || (config.type !== 'bidirectional' && options.goBackwards) ? 1 : 0) : 0
      kept =
        2 * output +
        D * perDirection +
        (D === 2 ? T * B * I : 0) +
        (shared ? G * H * (I + H + 2) : 0) +
        reversed * 2 * T * B * I
    } else if (config.type === 'dense') {
      const I = layer.inputShape[layer.inputShape.length - 1] as number
      weights = I * config.units + config.units // the bias is stored whatever useBias says
    } else if (config.type === 'embedding') {
      weights = config.inputDim * config.outputDim
      kept = 2 * output // output and its gradient
    } else if (config.type === 'masking') {
      kept = 2 * output
    }
    const weightBytes = FLOAT_BYTES * WEIGHT_COPIES * weights
    const activationBytes = FLOAT_BYTES * kept
    return { index: layer.index, name: layer.name, bytes: weightBytes + activationBytes, weightBytes, activationBytes }
  })
  const totalBytes = batchBytes + layers.reduce((n, layer) => n + layer.bytes, 0)
  return { totalBytes, batchBytes, layers }
}

/** The number of elements in a tensor of this shape. */
export function size(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1)
}

export function estimateTrainingMemoryBytes(resolved: ResolvedModel, batchSize: number, timeSteps: number): number {
  return estimateTrainingMemory(resolved, batchSize, timeSteps).totalBytes
}
