// Reads the weights back out of an ONNX file this product exported, for a config with the same architecture.
//
// The graph is walked in the config's layer order: the k-th recurrent layer is the k-th RNN/LSTM/GRU node, the
// k-th dense layer the k-th MatMul with an initializer operand. Anything that disagrees with the config is
// refused with the first mismatch named; a malformed or hostile file is refused by the validator before any
// tensor is read.
import { CELLS, cellOfOnnxOp, GATES, optionSpec, type CellOption } from '../../common/cells'
import type { LayerConfig, RunConfig } from '../../common/config'
import type { Tensor, Weights } from '../engine'
import { assertValidModel } from './check'
import { cellActivations, INPUT_NAME, META, PRODUCER_NAME } from './export'
import { decodeModel, getInt, getString, getStrings, int, OnnxFileError, readFloatTensor } from './proto'

export interface OnnxMetadata {
  producer: string
  runId?: string
  /** The run config as the exporter wrote it (JSON-parsed, not validated here). */
  config?: unknown
  classNames?: string[]
  inputShape?: [number, number]
  inputLayout?: string
  preprocessing?: string
  checkpoint?: string
}

const MERGE_OF_OP: Record<string, string> = { Transpose: 'concat', ReduceSum: 'sum', ReduceMean: 'ave', Split: 'mul' }

/** The metadata_props our exporter writes; unreadable JSON in them is left out rather than trusted. */
export function readOnnxMetadata(bytes: Uint8Array, file = 'model.onnx'): OnnxMetadata {
  const model = decodeModel(bytes, file)
  const props = new Map((model.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']))
  const json = (key: string): unknown => {
    const text = props.get(key)
    if (text === undefined) return undefined
    try {
      return JSON.parse(text)
    } catch {
      return undefined
    }
  }
  const classNames = json(META.classNames)
  const inputShape = json(META.inputShape)
  return {
    producer: model.producerName ?? '',
    runId: props.get(META.runId),
    config: json(META.config),
    classNames: Array.isArray(classNames) && classNames.every((c) => typeof c === 'string') ? classNames : undefined,
    inputShape:
      Array.isArray(inputShape) && inputShape.length === 2 && inputShape.every((d) => Number.isInteger(d) && d > 0)
        ? (inputShape as [number, number])
        : undefined,
    inputLayout: props.get(META.inputLayout),
    preprocessing: props.get(META.preprocessing),
    checkpoint: props.get(META.checkpoint)
  }
}

/**
 * The engine's weights (`layers.<k>.W|R|B`, D = 1 for shared directions) from an exported file, checked against
 * `config` at input [T, F]. Throws an OnnxFileError naming the file and the first mismatch.
 */
export function readOnnxWeights(
  bytes: Uint8Array,
  config: RunConfig,
  input: [number, number],
  file = 'model.onnx'
): Weights {
  const model = decodeModel(bytes, file)
  assertValidModel(model, file, { mode: 'export' })
  if (model.producerName !== PRODUCER_NAME) {
    throw new OnnxFileError(
      file,
      `written by ${JSON.stringify(model.producerName ?? '')}, not ${PRODUCER_NAME}; only files this product exported can be imported`
    )
  }
  const graph = model.graph!
  const fail = (detail: string): never => {
    throw new OnnxFileError(file, detail)
  }
  const initializers = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]))
  const nodes = graph.node ?? []
  const consumers = (name: string) => nodes.filter((n) => n.input?.includes(name))
  const recurrentNodes = nodes.filter((n) => cellOfOnnxOp(n.opType) !== undefined)
  const denseNodes = nodes.filter((n) => n.opType === 'MatMul' && initializers.has(n.input?.[1] ?? ''))

  const dataInput = (graph.input ?? []).find((i) => i.name === INPUT_NAME)
  if (!dataInput) fail(`no graph input named ${JSON.stringify(INPUT_NAME)}`)
  const inputDims = dataInput!.type?.tensorType?.shape?.dim ?? []
  const features = inputDims.length === 3 && inputDims[2].dimValue != null ? int(inputDims[2].dimValue) : undefined
  if (features !== input[1])
    fail(`input has ${features ?? 'an unknown number of'} features, the config says ${input[1]}`)

  const weights: Weights = {}
  const read = (name: string, label: string): Tensor => {
    const t = initializers.get(name)
    if (!t) return fail(`${label}: ${JSON.stringify(name)} is not an initializer`)
    const { dims, data } = readFloatTensor(t, file)
    return { dims, data }
  }
  let r = 0
  let d = 0
  let e = 0
  const gatherNodes = nodes.filter((n) => n.opType === 'Gather' && initializers.has(n.input?.[0] ?? ''))
  let I = input[1]
  config.model.layers.forEach((layer: LayerConfig, k) => {
    if (layer.type === 'dropout' || layer.type === 'masking') return
    if (layer.type === 'embedding') {
      const label = `layer ${k} (Embedding)`
      const node = gatherNodes[e++]
      if (!node) return fail(`${label}: the graph has ${gatherNodes.length} embedding(s), the config more`)
      const E = read(node.input![0], label)
      if (E.dims.length !== 2 || E.dims[0] !== layer.inputDim || E.dims[1] !== layer.outputDim)
        fail(`${label} table has shape [${E.dims.join(', ')}], the config says [${layer.inputDim}, ${layer.outputDim}]`)
      weights[`layers.${k}.E`] = E
      I = layer.outputDim
      return
    }
    if (layer.type === 'dense') {
      const label = `layer ${k} (Dense)`
      const node = denseNodes[d++]
      if (!node) return fail(`${label}: the graph has ${denseNodes.length} dense layer(s), the config more`)
      const W = read(node.input![1], label)
      if (W.dims.length !== 2 || W.dims[0] !== I) fail(`${label} input size ${W.dims[0]}, the config says ${I}`)
      if (W.dims[1] !== layer.units) fail(`${label} units ${W.dims[1]}, the config says ${layer.units}`)
      weights[`layers.${k}.W`] = W
      const add = consumers(node.output![0]).find((n) => n.opType === 'Add' && initializers.has(n.input?.[1] ?? ''))
      if (layer.useBias !== (add !== undefined))
        fail(`${label} ${add ? 'has' : 'has no'} bias, the config says useBias ${layer.useBias}`)
      if (add) {
        const B = read(add.input![1], label)
        if (B.dims.length !== 1 || B.dims[0] !== layer.units)
          fail(`${label} bias has shape [${B.dims.join(', ')}], the config says [${layer.units}]`)
        weights[`layers.${k}.B`] = B
      }
      const after = consumers((add ?? node).output![0]).map((n) => n.opType)
      const activation =
        after.find((op) => ['Softmax', 'Relu', 'Sigmoid', 'Tanh'].includes(op ?? ''))?.toLowerCase() ?? 'linear'
      if (activation !== layer.activation)
        fail(`${label} activation ${activation}, the config says ${layer.activation}`)
      I = layer.units
      return
    }
    const bidirectional = layer.type === 'bidirectional'
    const cell = bidirectional ? layer.layer : layer
    const label = `layer ${k} (${CELLS[cell.type].className})`
    const node = recurrentNodes[r++]
    if (!node) return fail(`${label}: the graph has ${recurrentNodes.length} recurrent layer(s), the config more`)
    const op = CELLS[cell.type].onnxOp
    if (node.opType !== op) fail(`${label} is a ${node.opType} node in the file, the config says ${op}`)
    const H = getInt(node, 'hidden_size') ?? 0
    if (H !== cell.units) fail(`${label} hidden_size ${H}, the config says ${cell.units}`)
    const direction = getString(node, 'direction') ?? 'forward'
    const want = bidirectional ? 'bidirectional' : cell.goBackwards ? 'reverse' : 'forward'
    if (direction !== want) fail(`${label} direction ${direction}, the config says ${want}`)
    const D = bidirectional ? 2 : 1
    const one = cellActivations(cell, `model.layers[${k}]`)
    const activations = getStrings(node, 'activations') ?? []
    const wantActivations = D === 2 ? [...one, ...one] : one
    if (activations.join() !== wantActivations.join())
      fail(`${label} activations ${activations.join(', ')}, the config says ${wantActivations.join(', ')}`)
    const fields = cell as unknown as Record<string, unknown>
    for (const key of CELLS[cell.type].options as readonly CellOption[]) {
      const attribute = optionSpec(key).onnxAttribute
      if (attribute === undefined) continue
      const value = getInt(node, attribute) ?? 0
      if (value !== (fields[key] ? 1 : 0)) fail(`${label} ${attribute} ${value}, the config says ${key} ${fields[key]}`)
    }
    const [Y, Yh] = [node.output?.[0] ?? '', node.output?.[1] ?? '']
    const sequences = Y !== '' && consumers(Y).length > 0
    if (sequences !== cell.returnSequences) {
      fail(
        `${label} returns ${sequences ? 'every step' : 'the last step only'} in the file, the config says returnSequences ${cell.returnSequences}`
      )
    }
    if (bidirectional) {
      const merger = consumers(sequences ? Y : Yh)[0]
      const mergeMode = MERGE_OF_OP[merger?.opType ?? ''] ?? 'unknown'
      if (mergeMode !== layer.mergeMode) fail(`${label} merge mode ${mergeMode}, the config says ${layer.mergeMode}`)
    }
    const G = GATES[cell.type]
    const [W, R, B] = ['W', 'R', 'B'].map((what, i) => read(node.input?.[i + 1] ?? '', `${label} ${what}`))
    if (W.dims[2] !== I) fail(`${label} input size ${W.dims[2]}, the config says ${I}`)
    // The validator has checked W/R/B against hidden_size and direction; only sharing is left.
    const shared = bidirectional && layer.sharedWeights
    for (const [what, t] of [
      ['W', W],
      ['R', R],
      ['B', B]
    ] as const) {
      if (t.dims[1] !== (what === 'B' ? 2 * G * H : G * H))
        fail(`${label} ${what} has shape [${t.dims.join(', ')}] for ${G} gates of ${H} units`)
      let stored = t
      if (shared) {
        const half = t.data.length / 2
        const a = t.data.subarray(0, half)
        const b = t.data.subarray(half)
        if (a.some((v, i) => !Object.is(v, b[i])))
          fail(`${label} ${what}: the two directions' weights differ, the config says sharedWeights`)
        stored = { dims: [1, ...t.dims.slice(1)], data: a.slice() }
      }
      weights[`layers.${k}.${what}`] = stored
    }
    I = bidirectional && layer.mergeMode === 'concat' ? 2 * H : H
  })
  if (r < recurrentNodes.length) fail(`the graph has ${recurrentNodes.length} recurrent layers, the config ${r}`)
  if (d < denseNodes.length) fail(`the graph has ${denseNodes.length} dense layers, the config ${d}`)
  return weights
}
