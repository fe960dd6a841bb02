// The gate-labelled weights view (`rnnlab weights`, weights:read): a recurrent layer's W [D, G·H, I], R [D, G·H, H]
// and B [D, 2·G·H] cut per direction and gate into named blocks (W_i, R_i, Wb_i, Rb_i, …, in ONNX's gate order: LSTM
// i o f c, GRU z r h, RNN h), with their shapes and norms; dense and embedding weights as plain blocks. Read from a
// run's checkpoint file (the engine keeps ONNX's layout and gate order, native/README.md) or from any .onnx file,
// ours or not: a recurrent node is read where its W, R and B are initializers or constants (through Identity nodes),
// and reported "not readable" with the reason otherwise. Plain file reads and sums: no engine, no runtime.
import { readFileSync, statSync } from 'node:fs'
import { basename } from 'node:path'
import { CELLS, cellOfOnnxOp, type CellType } from '../../common/cells'
import type { LayerConfig, RunConfig } from '../../common/config'
import type { WeightBlock, WeightLayer, WeightValues, WeightsView } from '../../common/contract'
import { fileErrorMessage } from '../../common/file-errors'
import { isIntactCheckpoint } from '../training/checkpoints'
import { ATTR, decodeModel, getInt, getString, onnx, OnnxFileError, readFloatTensor } from './proto'

/** Files larger than this are refused (a model this app trains is a few MB; the reader holds the whole file). */
export const maxWeightsFileBytes = 512 * 1024 * 1024
/** A heatmap shows at most this many rows and columns: a larger block is averaged over tiles. */
export const maxHeatmapSide = 128

interface Tensor {
  dims: number[]
  data: Float32Array
}

/** Where a block's values are: rows `rows` of `cols` values each, starting at `offset` of `data` (row-major). */
interface Slice {
  data: Float32Array
  offset: number
  rows: number
  cols: number
}

/** A view in the making: the layers with their blocks, and each block's values for the heatmap. */
interface Built {
  layers: WeightLayer[]
  slices: Slice[][]
}

function blockOf(
  name: string,
  s: Slice,
  extra: { gate: string | null; direction: WeightBlock['direction']; tensor: string },
  vector = false
): WeightBlock {
  let sum = 0
  let abs = 0
  let max = 0
  const n = s.rows * s.cols
  for (let k = s.offset; k < s.offset + n; k++) {
    const v = s.data[k]
    sum += v * v
    abs += Math.abs(v)
    if (Math.abs(v) > max) max = Math.abs(v)
  }
  return {
    block: name,
    ...extra,
    shape: vector ? [s.cols] : [s.rows, s.cols],
    norm: Math.sqrt(sum),
    meanAbs: n > 0 ? abs / n : 0,
    maxAbs: max
  }
}

const DIRECTION_NAMES = { forward: ['forward'], reverse: ['backward'], bidirectional: ['forward', 'backward'] }

/**
 * A recurrent layer's blocks from W, R and (optionally) B in ONNX layout. `directions` names each stored direction
 * ('shared' for a bidirectional layer whose directions share one copy).
 */
function recurrentBlocks(
  op: 'RNN' | 'LSTM' | 'GRU',
  H: number,
  directions: WeightBlock['direction'][],
  W: Tensor & { name: string },
  R: Tensor & { name: string },
  B: (Tensor & { name: string }) | null
): { blocks: WeightBlock[]; slices: Slice[] } {
  const gates = cellOfOnnxOp(op)?.gates ?? ['h']
  const G = gates.length
  const I = W.dims[2]
  const blocks: WeightBlock[] = []
  const slices: Slice[] = []
  directions.forEach((direction, d) => {
    gates.forEach((gate, g) => {
      const parts: [string, Slice, string, boolean][] = [
        [`W_${gate}`, { data: W.data, offset: (d * G + g) * H * I, rows: H, cols: I }, W.name, false],
        [`R_${gate}`, { data: R.data, offset: (d * G + g) * H * H, rows: H, cols: H }, R.name, false]
      ]
      if (B) {
        parts.push([`Wb_${gate}`, { data: B.data, offset: d * 2 * G * H + g * H, rows: 1, cols: H }, B.name, true])
        parts.push([
          `Rb_${gate}`,
          { data: B.data, offset: d * 2 * G * H + (G + g) * H, rows: 1, cols: H },
          B.name,
          true
        ])
      }
      for (const [name, slice, tensor, vector] of parts) {
        blocks.push(blockOf(name, slice, { gate, direction, tensor }, vector))
        slices.push(slice)
      }
    })
  })
  return { blocks, slices }
}

/** A plain tensor (dense W, B, an embedding table) as one block: a matrix, or one row for a vector. */
function plainBlock(name: string, t: Tensor & { name: string }): { block: WeightBlock; slice: Slice } {
  const vector = t.dims.length <= 1
  const rows = vector ? 1 : t.dims[0]
  const cols = vector ? (t.dims[0] ?? 1) : t.data.length / Math.max(1, rows)
  const slice = { data: t.data, offset: 0, rows, cols }
  const block = blockOf(name, slice, { gate: null, direction: null, tensor: t.name }, vector)
  if (!vector) block.shape = [...t.dims]
  return { block, slice }
}

// ---------------------------------------------------------------------------------------------------------------
// A run's checkpoint

/** The tensors of a checkpoint file (native/src/checkpoint.cpp), read without the engine. */
export function readCheckpointTensors(path: string): Map<string, Tensor> {
  let bytes: Buffer
  try {
    bytes = readFileSync(path)
  } catch (e) {
    throw new Error(fileErrorMessage(e as NodeJS.ErrnoException), { cause: e })
  }
  if (!isIntactCheckpoint(bytes)) throw new Error(`${path}: not a whole RNN Lab checkpoint (bad header or checksum)`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length - 8)
  let pos = 8
  const need = (n: number) => {
    if (pos + n > view.byteLength) throw new Error(`${path}: truncated checkpoint`)
  }
  const u32 = () => {
    need(4)
    const v = view.getUint32(pos, true)
    pos += 4
    return v
  }
  const version = u32()
  if (version !== 1) throw new Error(`${path}: checkpoint version ${version} is not supported`)
  const count = u32()
  const tensors = new Map<string, Tensor>()
  for (let k = 0; k < count; k++) {
    const length = u32()
    if (length > 256) throw new Error(`${path}: corrupted tensor name`)
    need(length)
    const name = bytes.subarray(bytes.byteOffset + pos, bytes.byteOffset + pos + length).toString('utf8')
    pos += length
    const rank = u32()
    if (rank > 8) throw new Error(`${path}: corrupted tensor rank`)
    const dims: number[] = []
    for (let r = 0; r < rank; r++) dims.push(u32())
    const size = dims.reduce((a, b) => a * b, 1)
    need(size * 4)
    const data = new Float32Array(size)
    for (let i = 0; i < size; i++) data[i] = view.getFloat32(pos + 4 * i, true)
    pos += size * 4
    tensors.set(name, { dims, data })
  }
  return tensors
}

/** The blocks of a run's weights: its config's layers, with the tensors the engine names `layers.<k>.W|R|B|E`. */
export function weightsFromTensors(config: RunConfig, tensors: Map<string, Tensor>): Built {
  const layers: WeightLayer[] = []
  const slices: Slice[][] = []
  const used = new Set<string>()
  const get = (name: string) => {
    const t = tensors.get(name)
    if (t) used.add(name)
    return t ? { ...t, name } : null
  }
  config.model.layers.forEach((layer: LayerConfig, k) => {
    if (layer.type === 'dropout' || layer.type === 'masking') return
    const name = `layer ${k}`
    if (layer.type === 'dense' || layer.type === 'embedding') {
      const parts = (layer.type === 'dense' ? ['W', 'B'] : ['E']).flatMap((p) => {
        const t = get(`layers.${k}.${p}`)
        return t ? [plainBlock(p, t)] : []
      })
      layers.push({
        name,
        kind: layer.type === 'dense' ? 'Dense' : 'Embedding',
        label:
          layer.type === 'dense'
            ? `Dense(${layer.units}, ${layer.activation})`
            : `Embedding(${layer.inputDim}, ${layer.outputDim})`,
        directions: [],
        hiddenSize: null,
        inputSize: parts[0]?.block.shape[0] ?? null,
        readable: true,
        reason: null,
        blocks: parts.map((p) => p.block)
      })
      slices.push(parts.map((p) => p.slice))
      return
    }
    const bidirectional = layer.type === 'bidirectional'
    const cell = bidirectional ? layer.layer : layer
    const spec = CELLS[cell.type as CellType]
    const H = cell.units
    const [W, R, B] = ['W', 'R', 'B'].map((p) => get(`layers.${k}.${p}`))
    const directions: WeightBlock['direction'][] = bidirectional
      ? layer.sharedWeights
        ? ['shared']
        : ['forward', 'backward']
      : [cell.goBackwards ? 'backward' : 'forward']
    const label = bidirectional
      ? `Bidirectional(${spec.className}(${H}), ${layer.mergeMode}${layer.sharedWeights ? ', shared' : ''})`
      : `${spec.className}(${H}${cell.goBackwards ? ', backwards' : ''})`
    const base = { name, kind: spec.onnxOp, label, hiddenSize: H, directions: directions.map(String) }
    if (!W || !R) {
      layers.push({
        ...base,
        inputSize: null,
        readable: false,
        reason: `the checkpoint has no layers.${k}.W / .R`,
        blocks: []
      })
      slices.push([])
      return
    }
    const out = recurrentBlocks(spec.onnxOp, H, directions, W, R, B)
    layers.push({ ...base, inputSize: W.dims[2], readable: true, reason: null, blocks: out.blocks })
    slices.push(out.slices)
  })
  // Anything else the engine keeps, as it is.
  for (const [tensorName, t] of tensors) {
    if (used.has(tensorName)) continue
    const p = plainBlock(tensorName, { ...t, name: tensorName })
    layers.push({
      name: tensorName,
      kind: 'Tensor',
      label: tensorName,
      directions: [],
      hiddenSize: null,
      inputSize: null,
      readable: true,
      reason: null,
      blocks: [p.block]
    })
    slices.push([p.slice])
  }
  return { layers, slices }
}

// ---------------------------------------------------------------------------------------------------------------
// Any ONNX file

/** Why a value cannot be read as a weight tensor; thrown inside the reader, caught per layer. */
class NotReadable extends Error {}

/**
 * The blocks of every LSTM/GRU/RNN node of an ONNX file (in graph order), and of the dense (MatMul / Gemm with a
 * constant weight, Add with a constant bias) and embedding (Gather from a constant table) layers around them.
 */
export function weightsFromOnnx(bytes: Uint8Array, file: string): Built & { producer: string } {
  const model = decodeModel(bytes, file)
  const graph = model.graph
  if (!graph) throw new OnnxFileError(file, 'the model has no graph')
  const initializers = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]))
  const sparse = new Set((graph.sparseInitializer ?? []).map((s) => s.values?.name ?? ''))
  const producers = new Map<string, onnx.INodeProto>()
  for (const node of graph.node ?? []) for (const out of node.output ?? []) if (out) producers.set(out, node)
  const graphInputs = new Set((graph.input ?? []).map((i) => i.name ?? ''))

  /** The constant tensor behind a node input: an initializer or a Constant node's value, through Identity nodes. */
  const resolve = (name: string, what: string): Tensor & { name: string } => {
    let current = name
    for (let hops = 0; hops < 64; hops++) {
      const init = initializers.get(current)
      if (init) return read(init, current, what)
      if (sparse.has(current)) throw new NotReadable(`${what} ${JSON.stringify(current)} is a sparse initializer`)
      const node = producers.get(current)
      if (!node) {
        if (graphInputs.has(current))
          throw new NotReadable(`${what} ${JSON.stringify(current)} is a graph input, fed when the model runs`)
        throw new NotReadable(`${what} ${JSON.stringify(current)} is not defined in the graph`)
      }
      if (node.opType === 'Identity' && (node.domain ?? '') === '') {
        current = node.input?.[0] ?? ''
        continue
      }
      if (node.opType === 'Constant' && (node.domain ?? '') === '') {
        const value = node.attribute?.find((a) => a.name === 'value' && a.type === ATTR.TENSOR)?.t
        if (value) return read(value, current, what)
        throw new NotReadable(`${what} ${JSON.stringify(current)} is a Constant without a dense tensor value`)
      }
      const by = node.name ? ` ${JSON.stringify(node.name)}` : ''
      throw new NotReadable(
        `${what} ${JSON.stringify(current)} is computed by the ${node.opType} node${by}; only initializers and constants are read`
      )
    }
    throw new NotReadable(`${what} ${JSON.stringify(name)}: more than 64 Identity nodes in a row`)
  }
  const read = (t: onnx.ITensorProto, name: string, what: string): Tensor & { name: string } => {
    try {
      return { ...readFloatTensor(t, file), name }
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e)
      throw new NotReadable(`${what}: ${message.startsWith(`${file}: `) ? message.slice(file.length + 2) : message}`)
    }
  }
  const tryResolve = (name: string | undefined): (Tensor & { name: string }) | null => {
    if (!name) return null
    try {
      return resolve(name, 'weight')
    } catch (e) {
      if (e instanceof NotReadable) return null
      throw e
    }
  }

  const layers: WeightLayer[] = []
  const slices: Slice[][] = []
  const consumers = (value: string) => (graph.node ?? []).filter((n) => n.input?.includes(value))
  ;(graph.node ?? []).forEach((node, index) => {
    const op = node.opType ?? ''
    if ((node.domain ?? '') !== '' && node.domain !== 'ai.onnx') return
    const name = node.name || `node ${index} (${op})`
    if (op === 'LSTM' || op === 'GRU' || op === 'RNN') {
      const cell = cellOfOnnxOp(op)!
      const G = cell.gates.length
      const direction = getString(node, 'direction') || 'forward'
      const base = { name, kind: op, hiddenSize: getInt(node, 'hidden_size') ?? null }
      try {
        if (!(direction in DIRECTION_NAMES))
          throw new NotReadable(`direction ${JSON.stringify(direction)} is not one ONNX defines`)
        const dirNames = DIRECTION_NAMES[direction as keyof typeof DIRECTION_NAMES] as WeightBlock['direction'][]
        const D = dirNames.length
        const W = resolve(node.input?.[1] ?? '', 'W')
        const R = resolve(node.input?.[2] ?? '', 'R')
        const B = node.input?.[3] ? resolve(node.input[3], 'B') : null
        const H = base.hiddenSize ?? R.dims[2]
        const shape = (t: Tensor) => `[${t.dims.join(', ')}]`
        if (W.dims.length !== 3 || W.dims[0] !== D || W.dims[1] !== G * H)
          throw new NotReadable(
            `W has shape ${shape(W)}, expected [${D}, ${G * H}, input size] for ${direction} ${op} of ${H} units`
          )
        if (R.dims.length !== 3 || R.dims[0] !== D || R.dims[1] !== G * H || R.dims[2] !== H)
          throw new NotReadable(`R has shape ${shape(R)}, expected [${D}, ${G * H}, ${H}]`)
        if (B && (B.dims.length !== 2 || B.dims[0] !== D || B.dims[1] !== 2 * G * H))
          throw new NotReadable(`B has shape ${shape(B)}, expected [${D}, ${2 * G * H}]`)
        const out = recurrentBlocks(op, H, dirNames, W, R, B)
        layers.push({
          ...base,
          hiddenSize: H,
          label: `${op}(${H}, ${direction})${B ? '' : ', no B'}`,
          directions: dirNames.map(String),
          inputSize: W.dims[2],
          readable: true,
          reason: null,
          blocks: out.blocks
        })
        slices.push(out.slices)
      } catch (e) {
        if (!(e instanceof NotReadable)) throw e
        layers.push({
          ...base,
          label: `${op}(${base.hiddenSize ?? '?'}, ${direction})`,
          directions: [],
          inputSize: null,
          readable: false,
          reason: e.message,
          blocks: []
        })
        slices.push([])
      }
      return
    }
    // Dense and embedding layers: only where the weight is a constant 2-D float matrix (anything else is not a layer).
    const plain: { block: WeightBlock; slice: Slice }[] = []
    let kind: string
    if (op === 'MatMul' || op === 'Gemm') {
      const W = tryResolve(node.input?.[1])
      if (!W || W.dims.length !== 2) return
      kind = 'Dense'
      plain.push(plainBlock('W', W))
      const bias =
        op === 'Gemm'
          ? tryResolve(node.input?.[2])
          : consumers(node.output?.[0] ?? '')
              .filter((n) => n.opType === 'Add')
              .map((n) => tryResolve(n.input?.find((i) => i !== node.output?.[0])))
              .find((t) => t !== null && t.dims.length === 1)
      if (bias) plain.push(plainBlock('B', bias))
      if (op === 'Gemm' && (getInt(node, 'transB') ?? 0) === 1) plain[0].block.tensor += ' (transB: [units, inputs])'
    } else if (op === 'Gather') {
      const E = tryResolve(node.input?.[0])
      if (!E || E.dims.length !== 2) return
      kind = 'Embedding'
      plain.push(plainBlock('E', E))
    } else return
    layers.push({
      name,
      kind,
      label: `${kind} (${op})`,
      directions: [],
      hiddenSize: null,
      inputSize: null,
      readable: true,
      reason: null,
      blocks: plain.map((p) => p.block)
    })
    slices.push(plain.map((p) => p.slice))
  })
  return { layers, slices, producer: [model.producerName, model.producerVersion].filter(Boolean).join(' ') }
}

/** Reads an .onnx file (any producer) as a weights view; a file it cannot parse is one line naming it. */
export function readOnnxWeightsView(path: string, select?: { layer: number; block: number }): WeightsView {
  let stat: { size: number; mtimeMs: number }
  try {
    stat = statSync(path)
  } catch (e) {
    throw new Error(fileErrorMessage(e as NodeJS.ErrnoException), { cause: e })
  }
  if (stat.size > maxWeightsFileBytes)
    throw new OnnxFileError(path, `${stat.size} bytes; the weights view reads files up to ${maxWeightsFileBytes} bytes`)
  const built = cached(`onnx:${path}`, stat, () => {
    let bytes: Buffer
    try {
      bytes = readFileSync(path)
    } catch (e) {
      throw new Error(fileErrorMessage(e as NodeJS.ErrnoException), { cause: e })
    }
    return weightsFromOnnx(bytes, path)
  })
  return {
    source: 'onnx',
    file: path,
    fileName: basename(path),
    runId: null,
    checkpoint: null,
    epoch: null,
    producer: built.producer || null,
    layers: built.layers,
    values: valuesOf(built, select)
  }
}

/**
 * The last file read, kept while its size and modification time stay the same: showing another block of it (a click
 * in the table) then costs no second read of a large file.
 */
let last: { key: string; size: number; mtimeMs: number; built: Built & { producer: string } } | null = null
function cached(
  key: string,
  stat: { size: number; mtimeMs: number },
  read: () => Built & { producer: string }
): Built & { producer: string } {
  if (last && last.key === key && last.size === stat.size && last.mtimeMs === stat.mtimeMs) return last.built
  last = null
  const built = read()
  last = { key, size: stat.size, mtimeMs: stat.mtimeMs, built }
  return built
}

/** A run's checkpoint as a weights view. */
export function readCheckpointWeightsView(
  config: RunConfig,
  checkpoint: { path: string; kind: 'best' | 'last'; epoch: number },
  runId: number,
  select?: { layer: number; block: number }
): WeightsView {
  let stat: { size: number; mtimeMs: number }
  try {
    stat = statSync(checkpoint.path)
  } catch (e) {
    throw new Error(fileErrorMessage(e as NodeJS.ErrnoException), { cause: e })
  }
  // The config is part of the key: the layers' names and kinds come from it.
  const key = `checkpoint:${checkpoint.path}:${JSON.stringify(config.model)}`
  const built = cached(key, stat, () => ({
    ...weightsFromTensors(config, readCheckpointTensors(checkpoint.path)),
    producer: 'RNN Lab'
  }))
  return {
    source: 'checkpoint',
    file: checkpoint.path,
    fileName: basename(checkpoint.path),
    runId,
    checkpoint: checkpoint.kind,
    epoch: checkpoint.epoch,
    producer: 'RNN Lab',
    layers: built.layers,
    values: valuesOf(built, select)
  }
}

/** The selected block's values for a heatmap (tiles averaged when a side passes maxHeatmapSide); null without one. */
export function valuesOf(built: Built, select?: { layer: number; block: number }): WeightValues | null {
  if (!select) return null
  const layer = built.layers[select.layer]
  if (!layer) throw new Error(`layer: there is no layer ${select.layer} (the view has ${built.layers.length})`)
  const slice = built.slices[select.layer][select.block]
  if (!slice)
    throw new Error(`block: layer ${select.layer} has no block ${select.block} (it has ${layer.blocks.length})`)
  const rowStep = Math.ceil(slice.rows / maxHeatmapSide)
  const colStep = Math.ceil(slice.cols / maxHeatmapSide)
  const rows = Math.ceil(slice.rows / rowStep)
  const cols = Math.ceil(slice.cols / colStep)
  const data: number[][] = []
  for (let r = 0; r < rows; r++) {
    const row: number[] = []
    for (let c = 0; c < cols; c++) {
      let sum = 0
      let n = 0
      for (let i = r * rowStep; i < Math.min(slice.rows, (r + 1) * rowStep); i++)
        for (let j = c * colStep; j < Math.min(slice.cols, (c + 1) * colStep); j++) {
          sum += slice.data[slice.offset + i * slice.cols + j]
          n++
        }
      row.push(sum / n)
    }
    data.push(row)
  }
  return { layer: select.layer, block: select.block, tile: [rowStep, colStep], values: data }
}

/** Whether a `<run | file.onnx>` argument names a file rather than a run. */
export function isOnnxPath(target: string): boolean {
  return target.toLowerCase().endsWith('.onnx')
}
