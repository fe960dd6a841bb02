// Writes a trained layer stack as a self-describing ONNX model (opset 17, IR 8) with ONNX's own RNN/LSTM/GRU nodes.
//
// Data flows time-major ([T, N, C], ONNX layout 0) between recurrent layers, so only the input, the merge of a
// bidirectional layer and a sequence output need Transposes. Weights are copied as they are: the engine keeps
// ONNX's W/R/B layout and gate orders (native/README.md).
import { CELLS, GATES, optionSpec, type CellOption } from '../../common/cells'
import type {
  DenseActivation,
  LayerConfig,
  RecurrentActivation,
  RecurrentLayerConfig,
  RunConfig
} from '../../common/config'
import { resolveModel } from '../../common/model'
import type { Tensor, Weights } from '../engine'
import { assertValidModel } from './check'
import {
  attrInt,
  attrInts,
  attrString,
  attrStrings,
  encodeModel,
  FLOAT,
  floatTensor,
  int64Tensor,
  IR_VERSION,
  onnx,
  OPSET
} from './proto'

export interface ExportMetadata {
  runId?: number | string
  classNames?: readonly string[]
  /** What to do to raw data before it is fed, e.g. "pixel/255" for the MNIST family. */
  preprocessing?: string
  checkpoint?: string
  epoch?: number
  producerVersion?: string
  /** Time-series runs: their normalization.json (the columns' z-score, windows), as JSON. */
  normalization?: string
}

export interface ExportRequest {
  config: RunConfig
  /** [timeSteps, features] the model was trained on (the ONNX input keeps time dynamic). */
  input: [number, number]
  /** The engine's tensors: `layers.<k>.W|R|B` in ONNX layout; dense `layers.<k>.W` [I, U], `.B` [U]. */
  weights: Weights
  metadata?: ExportMetadata
  /**
   * Also output every recurrent node's Y, all its states [time, D, batch, units], as `layers.<k>.Y` (the inspection
   * tests compare the engine's recorded states with them). Off in the files users get.
   */
  exposeStates?: boolean
}

export class OnnxExportError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'OnnxExportError'
  }
}

export const INPUT_NAME = 'input'
export const INPUT_LAYOUT = '[batch, time, features]'
/** Keys of the model's metadata_props. */
export const META = {
  runId: 'rnnlab.run_id',
  config: 'rnnlab.config',
  classNames: 'rnnlab.class_names',
  inputLayout: 'rnnlab.input_layout',
  inputShape: 'rnnlab.input_shape',
  preprocessing: 'rnnlab.preprocessing',
  checkpoint: 'rnnlab.checkpoint',
  epoch: 'rnnlab.epoch',
  normalization: 'rnnlab.normalization'
} as const

export const PRODUCER_NAME = 'RNN Lab'
/** ONNX's Slice takes INT64_MIN as "to the start of the axis" when stepping backward over an unknown length. */
const TO_START = -(2 ** 63)

/** The output's name: `probabilities` for a softmax head, else `output`. */
export function outputName(config: RunConfig): string {
  const last = config.model.layers[config.model.layers.length - 1]
  return last.type === 'dense' && last.activation === 'softmax' ? 'probabilities' : 'output'
}

/** The ONNX activation names one direction of a cell uses, in ONNX's order (RNN f; LSTM f, g, h; GRU f, g). */
export function cellActivations(cell: RecurrentLayerConfig, where: string): string[] {
  const name = (a: RecurrentActivation, field: string): string => {
    switch (a) {
      case 'tanh':
        return 'Tanh'
      case 'sigmoid':
        return 'Sigmoid'
      case 'relu':
        return 'Relu'
      default:
        throw new OnnxExportError(
          `${where}.${field}: ${a} has no ONNX recurrent activation here; use tanh, sigmoid or relu`
        )
    }
  }
  const fields = cell as unknown as Record<string, RecurrentActivation>
  const slots = CELLS[cell.type].onnxActivations
  // The activation is checked first, so that its error comes before a recurrent activation's.
  const names = new Map<string, string>()
  for (const field of ['activation', ...slots]) if (!names.has(field)) names.set(field, name(fields[field], field))
  return slots.map((field) => names.get(field) as string)
}

/** The ONNX attributes a cell's own options set (GRU's resetAfter → `linear_before_reset`), as 0 or 1. */
export function cellAttributes(cell: RecurrentLayerConfig): Record<string, number> {
  const fields = cell as unknown as Record<string, unknown>
  const attributes: Record<string, number> = {}
  for (const key of CELLS[cell.type].options as readonly CellOption[]) {
    const attribute = optionSpec(key).onnxAttribute
    if (attribute !== undefined) attributes[attribute] = fields[key] ? 1 : 0
  }
  return attributes
}

/** Builds the ModelProto and checks it with the validator (an export that breaks a rule is a bug: it throws). */
export function buildOnnxModel(request: ExportRequest): onnx.ModelProto {
  const { config, input, weights } = request
  const [T, F] = input
  const g = new GraphBuilder()
  const resolved = resolveModel(config.model, input)

  // Between layers: `tensor` is time-major [T, N, C] while `sequence`, else [N, C].
  let tensor = g.node('Transpose', [INPUT_NAME], { perm: [1, 0, 2] }, 'input.time_major')
  let sequence = true
  let features = F
  const states: onnx.IValueInfoProto[] = []
  // A mask (embedding maskZero, masking layer): each sample's length, its real steps (padding is at the end, as the
  // engine requires), int32 [N], fed to every recurrent node as ONNX's sequence_lens.
  let lens: string | undefined
  const expose = request.exposeStates
    ? (name: string, D: number, H: number) => states.push(valueInfo(name, ['time', D, 'batch', H]))
    : undefined
  config.model.layers.forEach((layer, k) => {
    const where = `model.layers[${k}]`
    switch (layer.type) {
      case 'dropout':
        return // identity at inference
      case 'masking': {
        // real [T, N, 1]: 1 where some feature differs from maskValue; masked steps' features become 0 (Keras)
        const value = g.init(`layers.${k}.mask_value`, [], Float32Array.of(layer.maskValue))
        const equal = g.node('Equal', [tensor, value], {}, `layers.${k}.equal`)
        const differs = g.node(
          'Cast',
          [g.node('Not', [equal], {}, `layers.${k}.differs`)],
          { to: FLOAT },
          `layers.${k}.differs_float`
        )
        const real = g.node('ReduceMax', [differs], { axes: [2], keepdims: 1 }, `layers.${k}.real`)
        tensor = g.node('Mul', [tensor, real], {}, `layers.${k}.masked`)
        lens = lengths(g, real, [0, 2], `layers.${k}`)
        return
      }
      case 'embedding': {
        // ids [T, N, 1] float → [T, N] int64 → rows of the table: [T, N, outputDim]
        const E = take(weights, `layers.${k}.E`, [layer.inputDim, layer.outputDim])
        const axes = g.ints([2])
        const squeezed = g.node('Squeeze', [tensor, axes], {}, `layers.${k}.squeeze`)
        if (layer.maskZero) {
          const zero = g.init(`layers.${k}.pad_id`, [], Float32Array.of(0))
          const pad = g.node('Equal', [squeezed, zero], {}, `layers.${k}.pad`)
          const real = g.node(
            'Cast',
            [g.node('Not', [pad], {}, `layers.${k}.not_pad`)],
            { to: FLOAT },
            `layers.${k}.real`
          )
          lens = lengths(g, real, [0], `layers.${k}`)
        }
        const ids = g.node('Cast', [squeezed], { to: onnx.TensorProto.DataType.INT64 }, `layers.${k}.ids`)
        tensor = g.node('Gather', [g.init(`layers.${k}.E`, E.dims, E.data), ids], { axis: 0 }, `layers.${k}.gather`)
        features = layer.outputDim
        return
      }
      case 'dense': {
        const W = take(weights, `layers.${k}.W`, [features, layer.units])
        tensor = g.node('MatMul', [tensor, g.init(`layers.${k}.W`, W.dims, W.data)], {}, `layers.${k}.matmul`)
        if (layer.useBias) {
          const B = take(weights, `layers.${k}.B`, [layer.units])
          tensor = g.node('Add', [tensor, g.init(`layers.${k}.B`, B.dims, B.data)], {}, `layers.${k}.add`)
        }
        tensor = denseActivation(g, tensor, layer.activation, k)
        features = layer.units
        return
      }
      default: {
        const out = recurrentLayer(g, tensor, layer, k, features, weights, where, expose, lens)
        tensor = out.tensor
        sequence = out.sequence
        features = out.features
      }
    }
  })

  const output = outputName(config)
  if (sequence) g.node('Transpose', [tensor], { perm: [1, 0, 2] }, output, output)
  else g.rename(tensor, output)

  const outShape = resolved.outputShape
  const graph: onnx.IGraphProto = {
    name: config.name,
    node: g.nodes,
    initializer: g.initializers,
    input: [valueInfo(INPUT_NAME, ['batch', 'time', F])],
    output: [
      valueInfo(output, sequence ? ['batch', 'time', outShape[2] as number] : ['batch', outShape[1] as number]),
      ...states
    ],
    docString: `RNN Lab model ${JSON.stringify(config.name)}: input ${INPUT_LAYOUT}, trained on [${T}, ${F}]`
  }
  const meta = request.metadata ?? {}
  const props: [string, string | undefined][] = [
    [META.runId, meta.runId === undefined ? undefined : String(meta.runId)],
    [META.config, JSON.stringify(config)],
    [META.classNames, meta.classNames ? JSON.stringify(meta.classNames) : undefined],
    [META.inputLayout, INPUT_LAYOUT],
    [META.inputShape, JSON.stringify([T, F])],
    [META.preprocessing, meta.preprocessing ?? 'none'],
    [META.checkpoint, meta.checkpoint],
    [META.epoch, meta.epoch === undefined ? undefined : String(meta.epoch)],
    [META.normalization, meta.normalization]
  ]
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: PRODUCER_NAME,
    producerVersion: meta.producerVersion ?? '',
    modelVersion: 1,
    docString: graph.docString,
    graph,
    metadataProps: props.flatMap(([key, value]) => (value === undefined ? [] : [{ key, value }]))
  })
  assertValidModel(model, `${config.name}.onnx`, { mode: 'export' })
  return model
}

/** The exported file's bytes. */
export function exportOnnx(request: ExportRequest): Uint8Array {
  return encodeModel(buildOnnxModel(request))
}

// ---------------------------------------------------------------------------------------------------------------

function recurrentLayer(
  g: GraphBuilder,
  x: string,
  layer: Exclude<LayerConfig, { type: 'dropout' | 'dense' | 'embedding' | 'masking' }>,
  k: number,
  inputFeatures: number,
  weights: Weights,
  where: string,
  expose?: (name: string, D: number, H: number) => void,
  lens?: string
): { tensor: string; sequence: boolean; features: number } {
  const bidirectional = layer.type === 'bidirectional'
  const cell = bidirectional ? layer.layer : layer
  const shared = bidirectional && layer.sharedWeights
  const D = bidirectional ? 2 : 1
  const stored = bidirectional && !shared ? 2 : 1
  const G = GATES[cell.type]
  const H = cell.units
  const direction = bidirectional ? 'bidirectional' : cell.goBackwards ? 'reverse' : 'forward'
  const W = take(weights, `layers.${k}.W`, [stored, G * H, inputFeatures])
  const R = take(weights, `layers.${k}.R`, [stored, G * H, H])
  // The engine keeps B even without useBias (all zeros); ONNX gets B always (an onnxruntime GRU bug without it).
  const B = weights[`layers.${k}.B`]
    ? take(weights, `layers.${k}.B`, [stored, 2 * G * H])
    : { dims: [stored, 2 * G * H], data: new Float32Array(stored * 2 * G * H) }
  // Shared direction weights: ONNX has no sharing, so both direction slices get the same copy.
  const slices = (t: Tensor): Float32Array => (shared ? concat(t.data, t.data) : t.data)
  const names = ['W', 'R', 'B'].map((n, i) => {
    const t = [W, R, B][i]
    return g.init(`layers.${k}.${n}`, [D, ...t.dims.slice(1)], slices(t))
  })
  const activations = cellActivations(cell, bidirectional ? `${where}.layer` : where)
  const attrs: Record<string, number | number[] | string | string[]> = {
    hidden_size: H,
    direction,
    activations: D === 2 ? [...activations, ...activations] : activations
  }
  Object.assign(attrs, cellAttributes(cell))
  const op = CELLS[cell.type].onnxOp
  const mergeMode = bidirectional ? layer.mergeMode : 'concat'
  const features = bidirectional && mergeMode === 'concat' ? 2 * H : H
  const base = `layers.${k}`
  expose?.(`${base}.Y`, D, H)
  if (lens && cell.goBackwards && cell.returnSequences)
    throw new OnnxExportError(
      `${where}.goBackwards: with returnSequences under a mask is not supported (as in the engine)`
    )
  // With a mask, sequence_lens: each direction runs the sample's real steps (the reverse one from its last real step),
  // Y is zero at the padded steps and Y_h the state after the last real step, as the engine.
  const inputs = [x, ...names, ...(lens ? [lens] : [])]

  if (cell.returnSequences) {
    // Y [T, D, N, H]: every direction's state, time-aligned with the input (ONNX and the engine agree).
    const Y = g.multi(op, inputs, attrs, [`${base}.Y`], base)[0]
    if (D === 1) {
      let y = g.node('Squeeze', [Y, g.ints([1])], {}, `${base}.sequence`)
      // Keras (and the engine): one direction repeats its last real output at the padded steps, where ONNX has zeros
      if (lens && !cell.goBackwards) y = repeatLastReal(g, y, lens, base)
      // The engine (as Keras) outputs a lone go_backwards layer's steps in reading order: last input step first.
      if (cell.goBackwards)
        y = g.node(
          'Slice',
          [y, g.ints([-1]), g.ints([TO_START]), g.ints([0]), g.ints([-1])],
          {},
          `${base}.reading_order`
        )
      return { tensor: y, sequence: true, features }
    }
    return { tensor: merge(g, Y, 1, mergeMode, base), sequence: true, features }
  }
  // Y_h [D, N, H]: forward's state after the last step; a reverse direction's after step 0 — the engine's "last".
  const Yh = g.multi(op, inputs, attrs, [expose ? `${base}.Y` : '', `${base}.Y_h`], base)[1]
  if (D === 1) return { tensor: g.node('Squeeze', [Yh, g.ints([0])], {}, `${base}.last`), sequence: false, features }
  return { tensor: merge(g, Yh, 0, mergeMode, base), sequence: false, features }
}

/** Each sample's real steps, int32 [N]: `real` (1 at a real step, else 0; time on axis 0) summed over `axes`. */
function lengths(g: GraphBuilder, real: string, axes: number[], base: string): string {
  const sum = g.node('ReduceSum', [real, g.ints(axes)], { keepdims: 0 }, `${base}.length`)
  return g.node('Cast', [sum], { to: onnx.TensorProto.DataType.INT32 }, `${base}.sequence_lens`)
}

/** y [T, N, H] with step t of sample n read from step min(t, max(len_n - 1, 0)): the last real output repeated. */
function repeatLastReal(g: GraphBuilder, y: string, lens: string, base: string): string {
  const shape = g.node('Shape', [y], {}, `${base}.shape`)
  const steps = g.node(
    'Squeeze',
    [g.node('Slice', [shape, g.ints([0]), g.ints([1])], {}, `${base}.steps1`)],
    {},
    `${base}.steps`
  )
  const zero = g.int64Scalar(0)
  const one = g.int64Scalar(1)
  const t = g.node(
    'Unsqueeze',
    [g.node('Range', [zero, steps, one], {}, `${base}.t`), g.ints([1])],
    {},
    `${base}.t_column`
  )
  const len = g.node('Cast', [lens], { to: onnx.TensorProto.DataType.INT64 }, `${base}.lens64`)
  const last = g.node('Max', [g.node('Sub', [len, one], {}, `${base}.len_minus_1`), zero], {}, `${base}.last_real`)
  const index = g.node('Min', [t, last], {}, `${base}.source_step`)
  const expanded = g.node(
    'Expand',
    [g.node('Unsqueeze', [index, g.ints([2])], {}, `${base}.source_step3`), shape],
    {},
    `${base}.source_index`
  )
  return g.node('GatherElements', [y, expanded], { axis: 0 }, `${base}.repeat_last`)
}

/** Merges the direction axis (1 of Y [T, 2, N, H], 0 of Y_h [2, N, H]) as the engine does. */
function merge(g: GraphBuilder, y: string, axis: 0 | 1, mode: 'concat' | 'sum' | 'mul' | 'ave', base: string): string {
  switch (mode) {
    case 'concat': {
      // Forward's units first: move the direction axis next to the units, then fold the two together.
      const perm = axis === 1 ? [0, 2, 1, 3] : [1, 0, 2]
      const moved = g.node('Transpose', [y], { perm }, `${base}.directions_last`)
      return g.node('Reshape', [moved, g.ints(axis === 1 ? [0, 0, -1] : [0, -1])], {}, `${base}.concat`)
    }
    case 'sum':
      return g.node('ReduceSum', [y, g.ints([axis])], { keepdims: 0 }, `${base}.sum`)
    case 'ave':
      // ReduceMean takes its axes as an attribute up to opset 17.
      return g.node('ReduceMean', [y], { axes: [axis], keepdims: 0 }, `${base}.ave`)
    case 'mul': {
      const [a, b] = g.multi('Split', [y], { axis }, [`${base}.forward`, `${base}.backward`], `${base}.split`)
      const product = g.node('Mul', [a, b], {}, `${base}.product`)
      return g.node('Squeeze', [product, g.ints([axis])], {}, `${base}.mul`)
    }
  }
}

function denseActivation(g: GraphBuilder, x: string, activation: DenseActivation, k: number): string {
  switch (activation) {
    case 'linear':
      return x
    case 'softmax':
      return g.node('Softmax', [x], { axis: -1 }, `layers.${k}.softmax`)
    case 'relu':
      return g.node('Relu', [x], {}, `layers.${k}.relu`)
    case 'sigmoid':
      return g.node('Sigmoid', [x], {}, `layers.${k}.sigmoid`)
    case 'tanh':
      return g.node('Tanh', [x], {}, `layers.${k}.tanh`)
  }
}

/** A weight tensor, checked against the shape the config implies. */
function take(weights: Weights, name: string, dims: number[]): Tensor {
  const t = weights[name]
  if (!t) throw new OnnxExportError(`weights: ${name} is missing`)
  const size = dims.reduce((n, d) => n * d, 1)
  if (t.dims.length !== dims.length || t.dims.some((d, i) => d !== dims[i]) || t.data.length !== size) {
    throw new OnnxExportError(
      `weights: ${name} has shape [${t.dims.join(', ')}]; the config needs [${dims.join(', ')}]`
    )
  }
  return t
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length)
  out.set(a)
  out.set(b, a.length)
  return out
}

function valueInfo(name: string, dims: (number | string)[]): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) }
      }
    }
  }
}

/** Collects nodes and initializers; names every value after the layer it belongs to. */
class GraphBuilder {
  readonly nodes: onnx.INodeProto[] = []
  readonly initializers: onnx.ITensorProto[] = []
  private readonly constants = new Map<string, string>()

  init(name: string, dims: number[], data: Float32Array): string {
    this.initializers.push(floatTensor(name, dims, data))
    return name
  }

  /** A scalar int64 constant (Range's bounds), one initializer per value. */
  int64Scalar(value: number): string {
    const name = `const.scalar_${value}`
    if (!this.initializers.some((t) => t.name === name)) this.initializers.push(int64Tensor(name, [], [value]))
    return name
  }

  /** An int64 constant (axes, shapes, slice bounds), one initializer per distinct value. */
  ints(values: number[]): string {
    const key = values.join(',')
    let name = this.constants.get(key)
    if (!name) {
      name = `const.${values.map((v) => (v === TO_START ? 'start' : String(v))).join('_')}`
      this.initializers.push(int64Tensor(name, [values.length], values))
      this.constants.set(key, name)
    }
    return name
  }

  node(
    op: string,
    inputs: string[],
    attrs: Record<string, number | number[] | string | string[]>,
    name: string,
    output = name
  ): string {
    return this.multi(op, inputs, attrs, [output], name)[0]
  }

  multi(
    op: string,
    inputs: string[],
    attrs: Record<string, number | number[] | string | string[]>,
    outputs: string[],
    name: string
  ): string[] {
    const attribute = Object.entries(attrs).map(([key, v]) =>
      typeof v === 'number'
        ? attrInt(key, v)
        : typeof v === 'string'
          ? attrString(key, v)
          : typeof v[0] === 'string'
            ? attrStrings(key, v as string[])
            : attrInts(key, v as number[])
    )
    this.nodes.push({ opType: op, name, input: inputs, output: outputs, attribute })
    return outputs
  }

  /** Gives the value `from` a new name (the graph output's), in the node that writes it. */
  rename(from: string, to: string): void {
    const writer = this.nodes.find((n) => n.output?.includes(from))
    if (!writer) {
      this.node('Identity', [from], {}, to)
      return
    }
    writer.output = writer.output!.map((o) => (o === from ? to : o))
  }
}
