// The training worker: a process of its own (Node child process, or Electron utilityProcess) that loads the data,
// runs the native engine epoch by epoch, writes checkpoints atomically and reports to its host. A native fault here
// ends this process only; the host marks the run failed. The process's entry is main/worker.ts.
import { createHash } from 'node:crypto'
import {
  closeSync,
  copyFileSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync
} from 'node:fs'
import { freemem } from 'node:os'
import { dirname, join } from 'node:path'
import {
  describePreflight,
  isRegressionLoss,
  preflightRun,
  type Monitor,
  type MonitorMode,
  type ReduceLrOnPlateauConfig
} from '../../common/config'
import type { EpochMetrics } from '../../common/contract'
import { memoryRefusal } from '../../common/config/stack'
import { type loadDataset, normalizationRecord, tokenizerRecord } from '../datasets'
import { loadEngine, type EngineModel } from '../engine'
import { faultPoint } from '../fault-point'
import { engineSpec } from '../engine/spec'
import type { loadInitWeights } from '../onnx/service'
import { epochHealth } from '../inspect/health'
import type { CheckpointWritten, TrainingJob, WorkerMessage } from './protocol'

/** What the training loop uses of the other services; the worker's entry (main/worker.ts) passes them in. */
export interface TrainingServices {
  loadDataset: typeof loadDataset
  /** The weights of an ONNX file this product exported (`--init-from`). */
  loadInitWeights: typeof loadInitWeights
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

/** The host that started us; if it dies we are re-parented, and must stop: nobody would record our results. */
const hostPid = process.ppid

/** Our parent's pid now. Node's process.ppid is read once, at start, so on Linux it is read from /proc. */
function currentParent(): number | null {
  try {
    const stat = readFileSync('/proc/self/stat', 'latin1')
    // "pid (command) state ppid …": the command may hold spaces and parentheses, so read after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
    return Number.isInteger(ppid) ? ppid : null
  } catch {
    return null
  }
}

let lastLook = 0
let hostGone = false
/**
 * Whether the host has died (killed, crashed): checked between batches, at most every 100 ms. The IPC channel's
 * 'disconnect' event cannot tell us, as the engine holds the event loop for a whole epoch.
 */
function orphaned(force = false): boolean {
  const now = Date.now()
  if (hostGone || (!force && now - lastLook < 100)) return hostGone
  lastLook = now
  const parent = currentParent()
  if (parent !== null) hostGone = parent !== hostPid
  else {
    try {
      process.kill(hostPid, 0)
    } catch (e) {
      hostGone = (e as NodeJS.ErrnoException).code === 'ESRCH'
    }
  }
  return hostGone
}

/** Why a file could not be written, in a person's words. */
function writeProblem(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | null)?.code
  const message = e instanceof Error ? e.message.split('\n')[0] : String(e)
  if (code === 'ENOSPC' || /no space left/i.test(message)) return 'the disk is full'
  if (code === 'EDQUOT' || /quota/i.test(message)) return 'the disk quota is used up'
  if (code === 'EROFS' || /read-only file system/i.test(message)) return 'the disk is read-only'
  if (code === 'EACCES' || code === 'EPERM' || /permission denied/i.test(message)) return 'permission denied'
  return message
}

/**
 * Saves one checkpoint (write, sync, rename); a failure removes what it left half-written and names the file, the
 * epoch and the reason.
 */
function saveCheckpoint(path: string, epoch: number, write: (tmp: string) => void): void {
  const tmp = path + '.writing'
  try {
    write(tmp)
    commitFile(tmp, path)
  } catch (e) {
    for (const left of [tmp, tmp + '.tmp']) rmSync(left, { force: true })
    throw new Error(`${path}: cannot save the checkpoint of epoch ${epoch}: ${writeProblem(e)}`, { cause: e })
  }
}

/** Writes a file so that a crash at any moment leaves either the old complete file or the new complete file. */
function commitFile(tmp: string, final: string): void {
  fsyncPath(tmp)
  faultPoint('checkpoint', final) // the new file complete, not yet renamed into place
  renameSync(tmp, final)
  try {
    fsyncPath(dirname(final))
  } catch {
    // Some file systems cannot fsync a folder; the rename itself is still atomic.
  }
}

function describeCheckpoint(kind: 'last' | 'best', epoch: number, path: string): CheckpointWritten {
  const bytes = readFileSync(path)
  return { kind, epoch, path, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') }
}

function isBetter(value: number, best: number | null, monitor: Monitor, mode: MonitorMode, minDelta: number): boolean {
  if (!Number.isFinite(value)) return false
  if (best === null) return true
  const maximize = mode === 'max' || (mode === 'auto' && monitor.endsWith('accuracy'))
  return maximize ? value > best + minDelta : value < best - minDelta
}

/**
 * Keras's ReduceLROnPlateau: after `patience` epochs without improvement of the monitored figure, multiply the
 * learning rate by `factor` (not below `minLr`), then wait `cooldown` epochs before counting again.
 */
export class PlateauSchedule {
  private best: number | null = null
  private wait = 0
  private cooldownLeft = 0

  constructor(private readonly c: ReduceLrOnPlateauConfig) {}

  /** Takes the epoch's figure and the rate it used; returns the rate for the next epoch. */
  next(value: number | null, lr: number): number {
    if (this.cooldownLeft > 0) {
      this.cooldownLeft--
      this.wait = 0
    }
    if (value !== null && isBetter(value, this.best, this.c.monitor, this.c.mode, this.c.minDelta)) {
      this.best = value
      this.wait = 0
      return lr
    }
    if (this.cooldownLeft > 0) return lr
    this.wait++
    if (this.wait < this.c.patience || lr <= this.c.minLr) return lr
    this.cooldownLeft = this.c.cooldown
    this.wait = 0
    return Math.max(lr * this.c.factor, this.c.minLr)
  }
}

/**
 * Turns the engine's per-batch running means (over the epoch so far, weighted by samples) into the mean over the
 * batches since the previous report: the loss of each reported step, as trackers plot it. Exact up to rounding:
 * mean × samples is the epoch's running sum, and two sums differ by the window's sum.
 */
export class StepWindow {
  private batch = 0
  private samples = 0
  private lossSum = 0
  private accuracySum = 0

  /** A new epoch: its first window starts at its first batch. */
  reset(): void {
    this.batch = this.samples = this.lossSum = this.accuracySum = 0
  }

  /** Closes the window at this batch: its means and the number of batches it holds. */
  take(p: { batch: number; samples: number; loss: number; accuracy: number }): {
    loss: number
    accuracy: number | null
    batches: number
  } {
    const lossSum = p.loss * p.samples
    const accuracySum = p.accuracy * p.samples
    const n = p.samples - this.samples
    const out = {
      loss: (lossSum - this.lossSum) / n,
      accuracy: Number.isFinite(p.accuracy) ? (accuracySum - this.accuracySum) / n : null,
      batches: p.batch - this.batch
    }
    this.batch = p.batch
    this.samples = p.samples
    this.lossSum = lossSum
    this.accuracySum = accuracySum
    return out
  }
}

export async function train(
  job: TrainingJob,
  send: (m: WorkerMessage) => void,
  services: TrainingServices
): Promise<void> {
  const { config } = job
  const t = config.training
  send({ type: 'status', phase: 'loading data' })
  let lastReport = 0
  const engine = loadEngine()
  const data = await services.loadDataset(config.dataset, {
    home: job.home,
    baseDir: job.baseDir,
    // A large .npy x is read through a memory map by the engine, not copied into memory (NpyDatasetSpec.memoryMap).
    mapFile: (path, byteOffset, length) => engine.mapFloat32(path, byteOffset, length),
    onNotice: (message) => send({ type: 'status', phase: message }),
    onProgress: (p) => {
      const now = Date.now()
      if (now - lastReport > 250) {
        lastReport = now
        send({
          type: 'status',
          phase: `${p.phase} ${p.total ? Math.round((100 * p.done) / p.total) + '%' : ''}`.trim()
        })
      }
    }
  })
  const input: [number, number] = [data.timeSteps, data.features]
  const regression = isRegressionLoss(t.loss)
  const targets = data.timeseries?.normalization.targetColumns
  if (targets && !regression) {
    throw new Error(
      `training.loss: a time series is forecast with a regression loss (mse or mae, with a linear dense head), not ${t.loss}`
    )
  }
  if (regression && !data.train.targets) {
    throw new Error(
      `training.loss: ${t.loss} needs numbers to forecast (dataset source timeseries); the ${data.source} dataset has class labels: use a cross-entropy loss`
    )
  }
  // The builder's checks before Start, against the data as read: the same words, before the engine says it its way.
  const facts = targets
    ? { targets: targets.length, labelsPerStep: data.labelsPerStep, input }
    : { numClasses: data.numClasses, labelsPerStep: data.labelsPerStep, input }
  const problem = preflightRun(config, facts)[0]
  if (problem) throw new Error(describePreflight(config.model.layers, problem))
  if (data.train.count === 0) throw new Error('dataset: the training set is empty')
  // Before any allocation: a run whose training memory (weights, optimizer state, a batch's activations) would not
  // fit in the memory free now is refused, naming the layer that needs the most (the config check allowed it against
  // the machine's total memory). os.freemem() is the kernel's available memory (MemAvailable on Linux).
  const refusal = memoryRefusal(config, input, freemem())
  if (refusal) throw new Error(refusal)
  const first = config.model.layers[0]
  const vocabulary = data.text?.tokenizer.vocabulary.length
  if (first?.type === 'embedding' && vocabulary !== undefined && first.inputDim < vocabulary) {
    throw new Error(
      `model.layers[0].inputDim: the vocabulary has ${vocabulary} tokens (ids 0..${vocabulary - 1}, built on the training split); set inputDim to at least ${vocabulary}, or cap the vocabulary with dataset.maxTokens`
    )
  }

  send({ type: 'status', phase: 'building the model' })
  const model: EngineModel = new engine.Model(engineSpec(config, input, job.threads))
  model.init(t.seed)
  if (job.initFrom) {
    send({ type: 'status', phase: `loading weights from ${job.initFrom}` })
    model.setWeights(services.loadInitWeights(job.initFrom, config, input))
  }
  let startEpoch = 1
  if (job.resume) {
    model.loadCheckpoint(job.resume.checkpoint)
    startEpoch = job.resume.epoch + 1
  }
  const batches = Math.ceil(data.train.count / t.batchSize)
  const described = model.describe()
  send({
    type: 'ready',
    engineVersion: `${engine.version()}, ${described.threads} thread${described.threads === 1 ? '' : 's'}`,
    threads: described.threads,
    paramCount: model.paramCount(),
    input,
    trainCount: data.train.count,
    validationCount: data.validation.count,
    batches,
    startEpoch
  })

  mkdirSync(job.runDir, { recursive: true })
  // A text run keeps its tokenizer (vocabulary built on the training split) beside its checkpoints.
  const tokenizer = tokenizerRecord(data)
  if (tokenizer) writeFileSync(join(job.runDir, 'tokenizer.json'), JSON.stringify(tokenizer))
  // A time-series run keeps the normalisation fitted on its training rows, to read new windows and answer in units.
  const normalization = normalizationRecord(data)
  if (normalization) writeFileSync(join(job.runDir, 'normalization.json'), JSON.stringify(normalization, null, 1))
  // Each epoch's checkpoints get their own names; the host prunes old ones once the database points at the new
  // ones, so a crash between the file and the database never leaves a row naming a file with other contents.
  const lastPath = (epoch: number) => join(job.runDir, `last-${epoch}.ckpt`)
  const bestPath = (epoch: number) => join(job.runDir, `best-${epoch}.ckpt`)
  const hasValidation = data.validation.count > 0
  const stop = t.earlyStopping
  const monitor: Monitor = stop?.monitor ?? (hasValidation ? 'val_loss' : 'loss')
  const mode: MonitorMode = stop?.mode ?? 'auto'
  if (monitor.startsWith('val_') && !hasValidation) {
    throw new Error(
      `training.earlyStopping.monitor: ${monitor} needs a validation set; the dataset has none (set dataset.validationSplit)`
    )
  }
  let best: number | null = null
  let bestEpoch = 0
  let waited = 0
  const figure = (m: EpochMetrics, name: Monitor) =>
    ({
      loss: m.loss,
      accuracy: m.accuracy,
      val_loss: m.valLoss,
      val_accuracy: m.valAccuracy,
      mae: m.mae ?? null,
      val_mae: m.valMae ?? null
    })[name]
  const monitored = (m: EpochMetrics) => figure(m, monitor)
  const plateau = t.reduceLrOnPlateau
  if (plateau?.monitor.startsWith('val_') && !hasValidation) {
    throw new Error(
      `training.reduceLrOnPlateau.monitor: ${plateau.monitor} needs a validation set; the dataset has none (set dataset.validationSplit)`
    )
  }
  const schedule = plateau ? new PlateauSchedule(plateau) : null
  let lr = t.optimizer.learningRate
  // A resumed run picks up the early-stopping and learning-rate state where the interrupted one left it.
  for (const m of job.resume?.history ?? []) {
    const value = monitored(m)
    if (value !== null && isBetter(value, best, monitor, mode, stop?.minDelta ?? 0)) {
      best = value
      bestEpoch = m.epoch
      waited = 0
    } else waited++
    if (schedule && plateau) lr = schedule.next(figure(m, plateau.monitor), m.learningRate ?? lr)
  }
  model.setLearningRate(lr)

  const window = new StepWindow()
  // Reports are ~100 ms apart across epochs too; a window never spans two epochs (each epoch's last batch reports).
  let lastSent = 0
  for (let epoch = startEpoch; epoch <= t.epochs; epoch++) {
    let nonFinite: { batch: number; loss: number } | null = null
    window.reset()
    const stats = model.trainEpoch(data.train.x, data.train.targets ?? data.train.y, data.train.count, {
      batchSize: t.batchSize,
      shuffle: t.shuffle,
      progressIntervalMs: 0,
      onProgress: (p) => {
        if (orphaned()) return false
        if (!Number.isFinite(p.loss)) {
          nonFinite = { batch: p.batch, loss: p.loss }
          return false
        }
        const now = Date.now()
        // At most ~10 reports a second, and always an epoch's first and last batch (so that each epoch's curve has
        // its start and its end, however fast it trains).
        if (now - lastSent >= 100 || p.batch === 1 || p.batch === p.batches) {
          lastSent = now
          const step = window.take(p)
          send({
            type: 'progress',
            epoch,
            batch: p.batch,
            batches: p.batches,
            loss: p.loss,
            accuracy: Number.isFinite(p.accuracy) ? p.accuracy : null,
            stepLoss: step.loss,
            stepAccuracy: step.accuracy,
            stepBatches: step.batches,
            samplesPerSecond: p.samplesPerSec,
            seconds: p.seconds
          })
        }
        return true
      }
    })
    if (orphaned(true)) process.exit(0)
    if (nonFinite !== null) {
      const { batch, loss } = nonFinite as { batch: number; loss: number }
      const kept = epoch > startEpoch ? ` (the checkpoint of epoch ${epoch - 1} is kept)` : ''
      throw new Error(`the loss became ${loss} at epoch ${epoch}, batch ${batch}; try a smaller learning rate${kept}`)
    }
    const val = hasValidation
      ? model.evaluate(data.validation.x, data.validation.targets ?? data.validation.y, data.validation.count, {
          batchSize: 256
        })
      : null
    const seconds = stats.seconds ?? 0
    const metrics: EpochMetrics = {
      epoch,
      loss: stats.loss,
      accuracy: Number.isFinite(stats.accuracy) ? stats.accuracy : null,
      valLoss: val ? val.loss : null,
      valAccuracy: val && Number.isFinite(val.accuracy) ? val.accuracy : null,
      ...(regression
        ? {
            mae: Number.isFinite(stats.mae) ? stats.mae : null,
            valMae: val && Number.isFinite(val.mae) ? val.mae : null
          }
        : {}),
      learningRate: lr,
      seconds,
      samplesPerSecond: seconds > 0 ? data.train.count / seconds : null
    }
    const checkpoints: CheckpointWritten[] = []
    saveCheckpoint(lastPath(epoch), epoch, (tmp) => model.saveCheckpoint(tmp))
    checkpoints.push(describeCheckpoint('last', epoch, lastPath(epoch)))
    const value = monitored(metrics)
    const improved = value !== null && isBetter(value, best, monitor, mode, stop?.minDelta ?? 0)
    if (improved) {
      best = value
      waited = 0
      bestEpoch = epoch
      saveCheckpoint(bestPath(epoch), epoch, (tmp) => copyFileSync(lastPath(epoch), tmp))
      checkpoints.push(describeCheckpoint('best', epoch, bestPath(epoch)))
    } else waited++
    send({ type: 'epoch', metrics, checkpoints, health: epochHealth(model, epoch, data.validation) })
    if (schedule && plateau) {
      const next = schedule.next(figure(metrics, plateau.monitor), lr)
      if (next !== lr) {
        send({
          type: 'status',
          phase: `reducing the learning rate to ${next.toPrecision(3)} (${plateau.monitor} did not improve for ${plateau.patience} epochs)`
        })
        lr = next
        model.setLearningRate(lr)
      }
    }
    // Let the event loop run between epochs, so the host's messages and a closed channel are noticed.
    await new Promise((resolve) => setImmediate(resolve))
    if (stop && waited > stop.patience) {
      if (stop.restoreBestWeights && best !== null) model.loadCheckpoint(bestPath(bestEpoch))
      send({ type: 'done', reason: `early stopping: ${monitor} did not improve for ${waited} epochs` })
      return
    }
  }
  send({ type: 'done', reason: null })
}
