// A structural validator for ONNX models: the rules that matter for our exports, and the safety rules for any file.
import { CELL_LIST, CELL_OPTIONS, cellOfOnnxOp, optionSpec, type CellOption } from '../../common/cells'
import {
  decodeModel,
  getInt,
  getString,
  getStrings,
  int,
  IR_VERSION,
  OnnxFileError,
  OPSET,
  onnx,
  sparseTensorProblem,
  tensorProblem
} from './proto'

export interface CheckOptions {
  /**
   * `export`: every rule (versions 14–17 / IR ≤ 8, only the operators our exporter writes, recurrent nodes with
   * initializer weights). `safety`: what any file must pass before a runtime sees it — no external data, no absurd
   * or inconsistent tensors, a graph whose every input is defined.
   */
  mode?: 'export' | 'safety'
}

/** The operators an export of ours may contain. */
export const EXPORT_OPS = new Set([
  'Transpose',
  'Reshape',
  'Squeeze',
  'Slice',
  'Split',
  'Mul',
  'Add',
  'MatMul',
  'ReduceSum',
  'ReduceMean',
  ...CELL_LIST.map((cell) => cell.onnxOp),
  'Softmax',
  'Relu',
  'Sigmoid',
  'Tanh',
  'Identity',
  // Embedding: token ids (float input) → int64 → rows of the table
  'Cast',
  'Gather',
  // Masks: sequence_lens from the input, the masking layer's zeros, one direction's repeated last output
  'Equal',
  'Not',
  'ReduceMax',
  'Shape',
  'Unsqueeze',
  'Range',
  'Sub',
  'Max',
  'Min',
  'Expand',
  'GatherElements'
])

/**
 * The operators of the standard ai.onnx domain (through opset 21): what the safety rules let onnxruntime run. Loop is
 * left out: its trip count is the file's to choose, so a valid Loop can run without end. Custom domains (including
 * com.microsoft's, whose EPContext reads a file named in the model) are refused by domain.
 */
export const SAFE_OPS = new Set(
  `Abs Acos Acosh Add AffineGrid And ArgMax ArgMin Asin Asinh Atan Atanh AveragePool BatchNormalization Bernoulli
  BitShift BitwiseAnd BitwiseNot BitwiseOr BitwiseXor BlackmanWindow Cast CastLike Ceil Celu CenterCropPad Clip Col2Im
  Compress Concat ConcatFromSequence Constant ConstantOfShape Conv ConvInteger ConvTranspose Cos Cosh CumSum DFT
  DeformConv DepthToSpace DequantizeLinear Det Div Dropout DynamicQuantizeLinear Einsum Elu Equal Erf Exp Expand EyeLike
  Flatten Floor GRU Gather GatherElements GatherND Gelu Gemm GlobalAveragePool GlobalLpPool GlobalMaxPool Greater
  GreaterOrEqual GridSample GroupNormalization HammingWindow HannWindow HardSigmoid HardSwish Hardmax Identity If
  InstanceNormalization IsInf IsNaN LRN LSTM LayerNormalization LeakyRelu Less LessOrEqual Log LogSoftmax
  LpNormalization LpPool MatMul MatMulInteger Max MaxPool MaxRoiPool MaxUnpool Mean MeanVarianceNormalization
  MelWeightMatrix Min Mish Mod Mul Multinomial Neg NegativeLogLikelihoodLoss NonMaxSuppression NonZero Not OneHot
  Optional OptionalGetElement OptionalHasElement Or PRelu Pad Pow QLinearConv QLinearMatMul QuantizeLinear RNN
  RandomNormal RandomNormalLike RandomUniform RandomUniformLike Range Reciprocal ReduceL1 ReduceL2 ReduceLogSum
  ReduceLogSumExp ReduceMax ReduceMean ReduceMin ReduceProd ReduceSum ReduceSumSquare RegexFullMatch Relu Reshape Resize
  ReverseSequence RoiAlign Round STFT Scan Scatter ScatterElements ScatterND Selu SequenceAt SequenceConstruct
  SequenceEmpty SequenceErase SequenceInsert SequenceLength SequenceMap Shape Shrink Sigmoid Sign Sin Sinh Size Slice
  Softmax SoftmaxCrossEntropyLoss Softplus Softsign SpaceToDepth Split SplitToSequence Sqrt Squeeze StringConcat
  StringNormalizer StringSplit Sub Sum Tan Tanh TfIdfVectorizer ThresholdedRelu Tile TopK Transpose Trilu Unique
  Unsqueeze Upsample Where Xor`.split(/\s+/)
)

/** The 0/1 attributes cells' options set (GRU's `linear_before_reset`), with the option behind each. */
const OPTION_ATTRIBUTES = (Object.keys(CELL_OPTIONS) as CellOption[]).flatMap((key) => {
  const attribute = optionSpec(key).onnxAttribute
  return attribute === undefined ? [] : [{ key, attribute }]
})
const DIRECTIONS = ['forward', 'reverse', 'bidirectional']
/** Subgraphs (If/Loop bodies) nested deeper than this are refused rather than walked. */
const MAX_GRAPH_DEPTH = 8

/** Every problem found, in graph order; empty when the model passes. */
export function listProblems(model: onnx.IModelProto, options: CheckOptions = {}): string[] {
  const strict = (options.mode ?? 'export') === 'export'
  const problems: string[] = []
  const opsets = model.opsetImport ?? []
  const main = opsets.find((o) => !o.domain || o.domain === 'ai.onnx')
  if (!main) problems.push('no ai.onnx opset is imported')
  // Versions matter for what we write (older runtimes and checkers must accept it); any runtime-loadable file may
  // be run, so the safety rules leave versions to onnxruntime.
  if (strict) {
    const ir = int(model.irVersion)
    if (ir < 7 || ir > IR_VERSION) problems.push(`IR version ${ir}; expected 7 to ${IR_VERSION}`)
    const v = main ? int(main.version) : 0
    if (main && (v < 14 || v > OPSET)) problems.push(`ai.onnx opset ${v}; expected 14 to ${OPSET}`)
    for (const o of opsets)
      if (o.domain && o.domain !== 'ai.onnx') problems.push(`imports the custom domain ${JSON.stringify(o.domain)}`)
  }
  // Local functions and training graphs hold nodes and tensors of their own, outside the graph walked below.
  const functions = model.functions ?? []
  if (functions.length > 0) {
    const names = functions.map((f) => JSON.stringify(`${f.domain ? `${f.domain}.` : ''}${f.name ?? ''}`))
    problems.push(`the model defines its own functions (${names.join(', ')}); only standard ONNX operators are run`)
  }
  if ((model.trainingInfo?.length ?? 0) > 0)
    problems.push('the model holds training graphs (training_info); only an inference graph is run')
  if (!model.graph) {
    problems.push('the model has no graph')
    return problems
  }
  checkGraph(model.graph, strict, problems, new Set(), 0, '')
  return problems
}

/** Throws an OnnxFileError naming the first problem (and how many more there are). */
export function assertValidModel(model: onnx.IModelProto, file: string, options: CheckOptions = {}): void {
  const problems = listProblems(model, options)
  if (problems.length === 0) return
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : ''
  throw new OnnxFileError(file, problems[0] + more)
}

function checkGraph(
  graph: onnx.IGraphProto,
  strict: boolean,
  problems: string[],
  outer: Set<string>,
  depth: number,
  /** Where a subgraph sits (`node 3 (If) then_branch: `), before each of its problems; '' for the main graph. */
  at: string
): void {
  if (depth > MAX_GRAPH_DEPTH) {
    problems.push(`subgraphs nest deeper than ${MAX_GRAPH_DEPTH} levels`)
    return
  }
  const defined = new Set(outer)
  const initializers = new Map<string, onnx.ITensorProto>()
  for (const t of graph.initializer ?? []) {
    const name = t.name ?? ''
    if (initializers.has(name)) problems.push(`${at}initializer ${JSON.stringify(name)} is defined twice`)
    initializers.set(name, t)
    const problem = tensorProblem(t)
    if (problem) problems.push(`${at}initializer ${JSON.stringify(name)} ${problem}`)
    defined.add(name)
  }
  for (const s of graph.sparseInitializer ?? []) {
    const name = s.values?.name ?? s.indices?.name ?? ''
    const problem = sparseTensorProblem(s)
    if (problem) problems.push(`${at}sparse initializer ${JSON.stringify(name)} ${problem}`)
    defined.add(name)
  }
  if ((graph.sparseInitializer?.length ?? 0) > 0) problems.push(`${at}sparse initializers are not supported`)
  for (const input of graph.input ?? []) defined.add(input.name ?? '')
  if (strict && (graph.input ?? []).filter((i) => !initializers.has(i.name ?? '')).length !== 1) {
    problems.push('the graph must have exactly one data input')
  }
  ;(graph.node ?? []).forEach((node, index) => {
    const label = `${at}node ${index} (${node.opType}${node.name ? ` ${JSON.stringify(node.name)}` : ''})`
    if (strict && node.domain) problems.push(`${label} is in the custom domain ${JSON.stringify(node.domain)}`)
    if (strict && !EXPORT_OPS.has(node.opType ?? '')) problems.push(`${label}: operator not used by our exporter`)
    for (const name of node.input ?? []) {
      if (name !== '' && !defined.has(name))
        problems.push(`${label} reads ${JSON.stringify(name)} before anything defines it`)
    }
    // Every field that can hold a tensor or a graph is walked, whatever the attribute's declared type says.
    for (const a of node.attribute ?? []) {
      const where = `${label} attribute ${a.name}`
      if (a.t) {
        const problem = tensorProblem(a.t)
        if (problem) problems.push(`${where}: tensor ${problem}`)
      }
      const tensors = a.tensors ?? []
      tensors.forEach((t, i) => {
        const problem = tensorProblem(t)
        if (problem) problems.push(`${where}: tensor ${i} ${problem}`)
      })
      const sparse = [...(a.sparseTensor ? [a.sparseTensor] : []), ...(a.sparseTensors ?? [])]
      sparse.forEach((s, i) => {
        const problem = sparseTensorProblem(s)
        const which = a.sparseTensor ? 'sparse tensor' : `sparse tensor ${i}`
        problems.push(`${where}: ${which} ${problem ?? 'is not supported (sparse tensors are not run)'}`)
      })
      const subgraphs = [...(a.g ? [a.g] : []), ...(a.graphs ?? [])]
      if (subgraphs.length > 0 && strict) problems.push(`${label} has a subgraph attribute ${a.name}`)
      subgraphs.forEach((g, i) => {
        const which = a.g && i === 0 ? a.name : `${a.name}[${a.g ? i - 1 : i}]`
        checkGraph(g, false, problems, defined, depth + 1, `${label} ${which}: `)
      })
    }
    if (!strict) {
      if (node.domain && node.domain !== 'ai.onnx')
        problems.push(`${label} is in the domain ${JSON.stringify(node.domain)}; only standard ONNX operators are run`)
      else if (node.opType === 'Loop')
        problems.push(`${label}: Loop is not run (its trip count is the file's to choose, without bound)`)
      else if (!SAFE_OPS.has(node.opType ?? ''))
        problems.push(`${label}: ${node.opType ?? ''} is not a standard ONNX operator`)
    }
    if (cellOfOnnxOp(node.opType) !== undefined && !node.domain)
      checkRecurrent(node, label, initializers, strict, problems)
    for (const name of node.output ?? []) {
      if (name === '') continue
      if (defined.has(name)) problems.push(`${label} writes ${JSON.stringify(name)}, which is already defined`)
      defined.add(name)
    }
  })
  for (const output of graph.output ?? []) {
    if (!defined.has(output.name ?? ''))
      problems.push(`${at}graph output ${JSON.stringify(output.name)} is never computed`)
  }
}

/** ONNX's RNN/LSTM/GRU rules: attributes agree with each other and with the W, R, B shapes. */
function checkRecurrent(
  node: onnx.INodeProto,
  label: string,
  initializers: Map<string, onnx.ITensorProto>,
  strict: boolean,
  problems: string[]
): void {
  const op = node.opType as string
  const cell = cellOfOnnxOp(op)!
  const G = cell.gates.length
  /** Activations per direction: RNN f; LSTM f, g, h; GRU f, g. */
  const A = cell.onnxActivations.length
  const H = getInt(node, 'hidden_size')
  const direction = getString(node, 'direction') ?? 'forward'
  if (!DIRECTIONS.includes(direction))
    problems.push(`${label}: direction ${JSON.stringify(direction)} is not one of ${DIRECTIONS.join(', ')}`)
  const D = direction === 'bidirectional' ? 2 : 1
  if (H === undefined || H < 1) problems.push(`${label}: hidden_size must be a positive integer, got ${H}`)
  const layout = getInt(node, 'layout') ?? 0
  if (layout !== 0)
    problems.push(`${label}: layout ${layout}; onnxruntime runs recurrent nodes on CPU with layout 0 only`)
  const activations = getStrings(node, 'activations')
  if (activations !== undefined && activations.length !== D * A) {
    problems.push(`${label}: ${activations.length} activations for ${D} direction(s); expected ${D * A}`)
  }
  if (strict && activations === undefined) problems.push(`${label}: activations not written explicitly`)
  for (const { key, attribute } of OPTION_ATTRIBUTES) {
    const value = getInt(node, attribute)
    const valid = (cell.options as readonly CellOption[]).includes(key) && (value === 0 || value === 1)
    if (value !== undefined && !valid) problems.push(`${label}: ${attribute} ${value} is not valid for ${op}`)
  }
  const inputs = node.input ?? []
  if (inputs.length < 3) problems.push(`${label}: needs inputs X, W and R`)
  if (strict && (inputs.length < 4 || inputs[3] === ''))
    problems.push(`${label}: B not given (always emitted: onnxruntime mishandles a GRU without it)`)
  if (strict && inputs.length > 5) problems.push(`${label}: initial states are not used by our exports`)
  if (H === undefined || H < 1) return
  const expect: [string, number[] | undefined][] = [
    ['W', [D, G * H, -1]],
    ['R', [D, G * H, H]],
    ['B', [D, 2 * G * H]]
  ]
  expect.forEach(([what, shape], i) => {
    const name = inputs[i + 1]
    if (name === undefined || name === '') return
    const t = initializers.get(name)
    if (!t) {
      if (strict) problems.push(`${label}: ${what} (${JSON.stringify(name)}) is not an initializer`)
      return
    }
    const dims = (t.dims ?? []).map(int)
    const fits =
      shape !== undefined &&
      dims.length === shape.length &&
      shape.every((d, j) => (d === -1 ? dims[j] >= 1 : dims[j] === d))
    if (!fits) {
      const want = shape!.map((d) => (d === -1 ? 'I' : String(d))).join(', ')
      problems.push(`${label}: ${what} has shape [${dims.join(', ')}]; hidden_size ${H}, ${direction} needs [${want}]`)
    }
  })
}

/** Decodes and checks; returns the model. Used by import and by the inference service before a runtime sees a file. */
export function decodeChecked(bytes: Uint8Array, file: string, options: CheckOptions = {}): onnx.ModelProto {
  const model = decodeModel(bytes, file)
  assertValidModel(model, file, options)
  return model
}
