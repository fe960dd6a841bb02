// Runs ONNX models in onnxruntime-node: a session cache, input checks, and sessions released on close.
//
// onnxruntime-node 1.30's session.run blocks the calling thread for the whole computation (measured: a 1.1 s
// batch let no timer fire), so by default sessions live in a worker thread and the main process's event loop
// stays free. Every file is decoded and passed through the safety rules of check.ts first (no external data
// anywhere, no absurd or non-finite tensors, standard operators only), and the session is made from those bytes, so
// onnxruntime never opens a path a file names. As a second wall, onnxruntime is told that external data lives in an
// empty folder of our own (not the process's working directory, where it would look for a model given as bytes).
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { createRequire } from 'node:module'
import { basename, join } from 'node:path'
import { Worker } from 'node:worker_threads'
import * as ort from 'onnxruntime-node'
import { fileErrorMessage } from '../../common/file-errors'
import { onnxruntimeMessage } from './ort-message'
import { decodeChecked } from './check'
import { firstNonFinite, OnnxFileError } from './proto'

export interface InferenceOptions {
  /** Threads onnxruntime may use inside one operator; its default (all cores) when absent. */
  intraOpNumThreads?: number
  /** Sessions kept open; the least recently used is released beyond this. Default 4. */
  maxSessions?: number
  /** 'worker' (default): sessions run in a worker thread. 'inline': in this thread (blocks it while computing). */
  thread?: 'worker' | 'inline'
}

/** What a loaded model takes and gives. `timeSteps` is null when the time dimension is dynamic. */
export interface ModelSignature {
  inputName: string
  outputName: string
  timeSteps: number | null
  features: number
  outputShape: (number | string)[]
}

export interface Prediction {
  data: Float32Array
  /** [n, units] or [n, T, units]. */
  dims: number[]
}

/** A session's inputs and outputs as plain data (it crosses the worker boundary). */
interface ValueInfo {
  name: string
  isTensor: boolean
  type?: string
  shape?: (number | string)[]
}

interface SessionInfo {
  inputs: ValueInfo[]
  outputs: ValueInfo[]
}

interface SessionOptions {
  intraOpNumThreads?: number
  /** The empty folder onnxruntime is told external data lives in. */
  externalDataFolder: string
}

/** Where sessions live: this thread or a worker. Both speak in session ids. */
interface Runner {
  open(id: number, bytes: Uint8Array, options: SessionOptions): Promise<SessionInfo>
  run(
    id: number,
    input: string,
    output: string,
    x: Float32Array,
    dims: number[]
  ): Promise<{ data: Float32Array; dims: number[]; type: string }>
  release(id: number): Promise<void>
  close(): Promise<void>
}

interface Entry {
  id: number
  signature: ModelSignature
}

/** A cached session and the predictions using it: an evicted slot is released when its last user is done. */
interface Slot {
  entry: Promise<Entry>
  users: number
  evicted: boolean
}

export class InferenceService {
  private readonly sessions = new Map<string, Slot>()
  private readonly runner: Runner
  private nextId = 1
  private closed = false
  private emptyFolder: string | undefined

  constructor(private readonly options: InferenceOptions = {}) {
    this.runner = options.thread === 'inline' ? new InlineRunner() : new WorkerRunner()
  }

  /** Probabilities (or outputs) for x [n, T, F], flat. */
  async predict(model: string | Uint8Array, x: Float32Array, n: number, T: number, F: number): Promise<Float32Array> {
    return (await this.run(model, x, n, T, F)).data
  }

  /** As predict, with the output's dims. */
  async run(model: string | Uint8Array, x: Float32Array, n: number, T: number, F: number): Promise<Prediction> {
    const label = typeof model === 'string' ? basename(model) : 'model.onnx'
    const slot = await this.acquire(model)
    try {
      return await this.runIn(await slot.entry, label, x, n, T, F)
    } finally {
      this.leave(slot)
    }
  }

  private async runIn(
    { id, signature }: Entry,
    label: string,
    x: Float32Array,
    n: number,
    T: number,
    F: number
  ): Promise<Prediction> {
    if (!Number.isInteger(n) || n < 1 || !Number.isInteger(T) || T < 1 || !Number.isInteger(F) || F < 1) {
      throw new Error(
        `${label}: the input must be [batch, time, features] with sizes of at least 1, got [${n}, ${T}, ${F}]`
      )
    }
    if (F !== signature.features || (signature.timeSteps !== null && T !== signature.timeSteps)) {
      const want = `[batch, ${signature.timeSteps ?? 'time'}, ${signature.features}]`
      throw new Error(`${label}: the input is [${n}, ${T}, ${F}]; the model takes ${want}`)
    }
    if (x.length !== n * T * F) throw new Error(`${label}: the input holds ${x.length} values, not ${n} × ${T} × ${F}`)
    const bad = firstNonFinite(x)
    if (bad >= 0)
      throw new Error(
        `${label}: the input ${describeNonFinite(x, bad, [n, T, F], 'feature')}; inputs must be finite numbers`
      )
    let out: Awaited<ReturnType<Runner['run']>>
    try {
      out = await this.runner.run(id, signature.inputName, signature.outputName, x, [n, T, F])
    } catch (e) {
      throw new Error(`${label}: onnxruntime failed to run it: ${runtimeMessage(e)}`, { cause: e })
    }
    if (out.type !== 'float32')
      throw new Error(`${label}: the output ${signature.outputName} is ${out.type}, not float32`)
    const wrong = firstNonFinite(out.data)
    if (wrong >= 0) {
      throw new Error(
        `${label}: the output ${signature.outputName} ${describeNonFinite(out.data, wrong, out.dims, 'unit')}; the model's weights or the input are out of range, so no prediction is given`
      )
    }
    return { data: out.data, dims: out.dims }
  }

  /** The model's input and output, after the checks a prediction would make. */
  async signature(model: string | Uint8Array): Promise<ModelSignature> {
    const slot = await this.acquire(model)
    try {
      return (await slot.entry).signature
    } finally {
      this.leave(slot)
    }
  }

  /** Releases every session (and the worker); the service refuses work afterwards. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    const slots = [...this.sessions.values()]
    this.sessions.clear()
    await Promise.all(
      slots.map((slot) =>
        slot.entry.then(
          (e) => this.runner.release(e.id),
          () => undefined
        )
      )
    )
    await this.runner.close()
    if (this.emptyFolder) rmSync(this.emptyFolder, { recursive: true, force: true })
  }

  /** The folder onnxruntime may look for external data in: made empty by us, and never written. */
  private externalDataFolder(): string {
    this.emptyFolder ??= mkdtempSync(join(tmpdir(), 'rnnlab-onnx-no-external-data-'))
    return this.emptyFolder
  }

  /** The model's slot, with one more user counted (synchronously with the lookup, so eviction cannot slip in). */
  private async acquire(model: string | Uint8Array): Promise<Slot> {
    if (this.closed) throw new Error('the inference service is closed')
    let key: string
    let load: () => Promise<Uint8Array>
    let label: string
    if (typeof model === 'string') {
      const info = await stat(model).catch((e: NodeJS.ErrnoException) => {
        throw new Error(fileErrorMessage(e, model))
      })
      // A rewritten file (same path, new mtime or size) gets a new session.
      key = `path:${model}:${info.mtimeMs}:${info.size}`
      load = () => readFile(model)
      label = basename(model)
    } else {
      key = `bytes:${createHash('sha256').update(model).digest('hex')}`
      load = async () => model
      label = 'model.onnx'
    }
    if (this.closed) throw new Error('the inference service is closed')
    let slot = this.sessions.get(key)
    if (slot) {
      // Most recently used goes last.
      this.sessions.delete(key)
    } else {
      const created: Slot = { entry: load().then((bytes) => this.open(bytes, label)), users: 0, evicted: false }
      created.entry.catch(() => {
        if (this.sessions.get(key) === created) this.sessions.delete(key)
      })
      slot = created
    }
    this.sessions.set(key, slot)
    slot.users++
    this.evict()
    return slot
  }

  private leave(slot: Slot): void {
    slot.users--
    if (slot.evicted && slot.users === 0)
      slot.entry.then(
        (e) => this.runner.release(e.id),
        () => undefined
      )
  }

  private async open(bytes: Uint8Array, label: string): Promise<Entry> {
    decodeChecked(bytes, label, { mode: 'safety' })
    const id = this.nextId++
    let info: SessionInfo
    try {
      info = await this.runner.open(id, bytes, {
        intraOpNumThreads: this.options.intraOpNumThreads,
        externalDataFolder: this.externalDataFolder()
      })
    } catch (e) {
      throw new OnnxFileError(label, `onnxruntime cannot load it: ${runtimeMessage(e)}`)
    }
    try {
      return { id, signature: readSignature(info, label) }
    } catch (e) {
      await this.runner.release(id)
      throw e
    }
  }

  private evict(): void {
    const max = this.options.maxSessions ?? 4
    while (this.sessions.size > max) {
      const [oldest, slot] = this.sessions.entries().next().value as [string, Slot]
      this.sessions.delete(oldest)
      slot.evicted = true
      if (slot.users === 0)
        slot.entry.then(
          (e) => this.runner.release(e.id),
          () => undefined
        )
    }
  }
}

/** How every session is made (exported for the test that checks the second wall on its own). */
export function sessionOptions(options: SessionOptions): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    // onnxruntime would print a failed node's error to stderr, C++ source paths and all; the error reaches the caller.
    logSeverityLevel: 4,
    extra: { session: { model_external_initializers_file_folder_path: options.externalDataFolder } },
    ...(options.intraOpNumThreads ? { intraOpNumThreads: options.intraOpNumThreads } : {})
  }
}

/**
 * onnxruntime's message without its C++ source locations and signatures
 * (`/onnxruntime_src/…/graph.cc:1295 onnxruntime::Graph::Graph(…) [ONNXRuntimeError] : 1 : FAIL : `), one line.
 */
export function runtimeMessage(e: unknown): string {
  let text = (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ')
  for (;;) {
    const at = text.search(/\/onnxruntime_src\/\S+:\d+ /)
    if (at < 0) break
    // Skip the location, then a signature up to its balanced closing parenthesis (and any `::<lambda(…)>` tail).
    let i = text.indexOf(' ', at) + 1
    let depth = 0
    let j = i
    for (; j < text.length; j++) {
      const c = text[j]
      if (c === '(' || c === '<') depth++
      else if (c === ')' || c === '>') depth--
      else if (c === ' ' && depth === 0 && text[j - 1] === ')') break
    }
    if (j >= text.length) j = i
    i = j
    text = text.slice(0, at) + text.slice(i).trimStart()
  }
  text = text.replace(/\[ONNXRuntimeError\] : \d+ : \w+ : /g, '').replace(/\b\w+\.(cc|h):\d+ (\w+ )?/g, '')
  return text.trim() || 'an error without a message'
}

/** "holds NaN at sample 2, step 0, unit 5" for a flat [n, …] array. */
export function describeNonFinite(data: ArrayLike<number>, index: number, dims: number[], last: string): string {
  const names = dims.length === 3 ? ['sample', 'step', last] : ['sample', last]
  const place: string[] = []
  let rest = index
  for (let k = dims.length - 1; k >= 0; k--) {
    place.unshift(`${names[k] ?? 'index'} ${rest % dims[k]}`)
    rest = Math.floor(rest / dims[k])
  }
  return `holds ${data[index]} at ${place.join(', ')}`
}

function plainInfo(session: ort.InferenceSession): SessionInfo {
  const plain = (m: ort.InferenceSession.ValueMetadata): ValueInfo =>
    m.isTensor ? { name: m.name, isTensor: true, type: m.type, shape: [...m.shape] } : { name: m.name, isTensor: false }
  return { inputs: session.inputMetadata.map(plain), outputs: session.outputMetadata.map(plain) }
}

class InlineRunner implements Runner {
  private readonly sessions = new Map<number, ort.InferenceSession>()
  /** Runs in flight per session: a release (an evicted cache entry) waits for them. */
  private readonly running = new Map<number, Set<Promise<unknown>>>()

  async open(id: number, bytes: Uint8Array, options: SessionOptions): Promise<SessionInfo> {
    const session = await ort.InferenceSession.create(bytes, sessionOptions(options)).catch((e: unknown) => {
      throw new Error(onnxruntimeMessage(e))
    })
    this.sessions.set(id, session)
    return plainInfo(session)
  }

  async run(id: number, input: string, output: string, x: Float32Array, dims: number[]) {
    const session = this.sessions.get(id)
    if (!session) throw new Error('the session was released')
    const pending = session.run({ [input]: new ort.Tensor('float32', x, dims) }, [output])
    const set = this.running.get(id) ?? new Set()
    this.running.set(id, set)
    const settled = pending.then(
      () => undefined,
      () => undefined
    )
    set.add(settled)
    void settled.then(() => set.delete(settled))
    const out = (
      await pending.catch((e: unknown) => {
        throw new Error(onnxruntimeMessage(e))
      })
    )[output]
    return { data: out.data as Float32Array, dims: out.dims.map(Number), type: out.type }
  }

  async release(id: number): Promise<void> {
    const session = this.sessions.get(id)
    this.sessions.delete(id)
    await Promise.all([...(this.running.get(id) ?? [])])
    this.running.delete(id)
    await session?.release()
  }

  async close(): Promise<void> {
    await Promise.all([...this.sessions.keys()].map((id) => this.release(id)))
  }
}

// The worker's code, as plain CommonJS text: evaluated, it needs no bundler entry of its own, and it loads the same
// onnxruntime-node the main thread resolves.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const ort = require(workerData.ort)
const sessions = new Map()
// Runs in flight per session: a release (an evicted cache entry) waits for them.
const running = new Map()
const track = (id, promise) => {
  const set = running.get(id) || new Set()
  running.set(id, set)
  const settled = promise.then(() => undefined, () => undefined)
  set.add(settled)
  settled.then(() => set.delete(settled))
  return promise
}
const plain = (m) => m.isTensor ? { name: m.name, isTensor: true, type: m.type, shape: [...m.shape] } : { name: m.name, isTensor: false }
parentPort.on('message', async (m) => {
  try {
    if (m.type === 'open') {
      const session = await ort.InferenceSession.create(m.bytes, m.options)
      sessions.set(m.id, session)
      parentPort.postMessage({ seq: m.seq, value: { inputs: session.inputMetadata.map(plain), outputs: session.outputMetadata.map(plain) } })
    } else if (m.type === 'run') {
      const session = sessions.get(m.id)
      if (!session) throw new Error('the session was released')
      const out = (await track(m.id, session.run({ [m.input]: new ort.Tensor('float32', m.x, m.dims) }, [m.output])))[m.output]
      // A copy in memory this thread owns, so that it can be transferred rather than copied again.
      const data = new Float32Array(out.data)
      parentPort.postMessage({ seq: m.seq, value: { data, dims: out.dims.map(Number), type: out.type } }, [data.buffer])
    } else if (m.type === 'release') {
      const session = sessions.get(m.id)
      sessions.delete(m.id)
      await Promise.all([...(running.get(m.id) || [])])
      running.delete(m.id)
      if (session) await session.release()
      parentPort.postMessage({ seq: m.seq, value: null })
    }
  } catch (e) {
    parentPort.postMessage({ seq: m.seq, error: e && e.message ? e.message : String(e) })
  }
})
`

class WorkerRunner implements Runner {
  private worker: Worker | undefined
  private seq = 0
  private readonly pending = new Map<number, { resolve: (v: never) => void; reject: (e: Error) => void }>()

  open(id: number, bytes: Uint8Array, options: SessionOptions): Promise<SessionInfo> {
    return this.call({ type: 'open', id, bytes, options: sessionOptions(options) })
  }

  run(id: number, input: string, output: string, x: Float32Array, dims: number[]) {
    // A copy of just these values, transferred: posting a view would clone its whole underlying buffer.
    const copy = x.slice()
    return this.call<{ data: Float32Array; dims: number[]; type: string }>(
      { type: 'run', id, input, output, x: copy, dims },
      [copy.buffer]
    )
  }

  async release(id: number): Promise<void> {
    if (this.worker) await this.call({ type: 'release', id })
  }

  async close(): Promise<void> {
    const worker = this.worker
    this.worker = undefined
    if (worker) await worker.terminate()
  }

  private call<T>(message: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<T> {
    const worker = this.start()
    const seq = ++this.seq
    return new Promise<T>((resolve, reject) => {
      this.pending.set(seq, { resolve: resolve as (v: never) => void, reject })
      // Keep the process alive only while a request is outstanding.
      worker.ref()
      worker.postMessage({ ...message, seq }, transfer)
    })
  }

  private start(): Worker {
    if (this.worker) return this.worker
    const ortPath = createRequire(import.meta.url).resolve('onnxruntime-node')
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { ort: ortPath } })
    worker.on('message', (m: { seq: number; value?: unknown; error?: string }) => {
      const p = this.pending.get(m.seq)
      this.pending.delete(m.seq)
      if (this.pending.size === 0) worker.unref()
      if (!p) return
      if (m.error !== undefined) p.reject(new Error(onnxruntimeMessage(m.error)))
      else p.resolve(m.value as never)
    })
    const fail = (e: Error) => {
      if (this.worker === worker) this.worker = undefined
      for (const p of this.pending.values()) p.reject(new Error(`the inference worker stopped: ${e.message}`))
      this.pending.clear()
    }
    worker.on('error', fail)
    worker.on('exit', (code) => fail(new Error(`exit code ${code}`)))
    this.worker = worker
    return worker
  }
}

/** One float input [batch, T, F] (T may be symbolic), and the first output. Anything else is refused. */
function readSignature(info: SessionInfo, label: string): ModelSignature {
  const inputs = info.inputs
  if (inputs.length !== 1) {
    throw new OnnxFileError(
      label,
      `the model has ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')}); RNN Lab runs models with one float input [batch, time, features]`
    )
  }
  const input = inputs[0]
  if (!input.isTensor || input.type !== 'float32') {
    throw new OnnxFileError(
      label,
      `the input ${input.name} is ${input.isTensor ? input.type : 'not a tensor'}; RNN Lab runs models with one float input [batch, time, features]`
    )
  }
  const shape = input.shape ?? []
  if (shape.length !== 3 || typeof shape[2] !== 'number' || shape[2] < 1) {
    throw new OnnxFileError(
      label,
      `the input ${input.name} has shape [${shape.join(', ')}]; expected [batch, time, features] with a fixed feature count`
    )
  }
  if (typeof shape[0] === 'number' && shape[0] !== -1) {
    // A fixed batch is legal ONNX but the services feed any batch size; say so now rather than at run time.
    throw new OnnxFileError(
      label,
      `the input ${input.name} has a fixed batch size ${shape[0]}; expected a dynamic batch dimension`
    )
  }
  const output = info.outputs[0]
  if (!output) throw new OnnxFileError(label, 'the model has no output')
  return {
    inputName: input.name,
    outputName: output.name,
    timeSteps: typeof shape[1] === 'number' && shape[1] > 0 ? shape[1] : null,
    features: shape[2],
    outputShape: output.shape ?? []
  }
}
