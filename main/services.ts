// Builds the services behind the contract once; the Electron shell, the CLI and the browser server are doors to them.
import { EventEmitter } from 'node:events'
import { hostname } from 'node:os'
import type {
  AppInfo,
  EngineInfo,
  EventKey,
  EventPayloads,
  Handlers,
  ModelSummaryReply,
  RunComparison
} from '../common/contract'
import { configDifferences } from '../common/diff'
import { readFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { datasetPaths, FileAccess } from './files'
import { defaultDbPath, findAppRoot } from './paths'
import { nodeWorkerSpawner, TrainingHost, type SpawnWorker } from './training/host'
import { RunStore } from './runs/store'
import { metricsCsv } from './runs/csv'
import { loadDataset, previewDataset, type LoadedDataset } from './datasets'
import { loadEngine } from './engine'
import { exportRun, predictWith } from './onnx/service'
import { InferenceService } from './onnx/inference'
import { machineMemoryLimit } from './config-file'
import { normalizeRunConfig, type RunConfig } from '../common/config'
import { formatSummary, inferInputShape, summarize } from '../common/model'
import type { DatasetSpec } from '../common/datasets'

export interface ServicesOptions {
  home: string
  dbPath?: string
  /** better-sqlite3's compiled module for Electron (see runs/sqlite-binding.ts). */
  sqliteBinding?: string
  door: AppInfo['door']
  version: string
  engine?: () => EngineInfo
  /** How training workers are started (Electron passes a utilityProcess spawner). */
  spawnWorker?: SpawnWorker
  /**
   * The folders the handlers may read for a door (the page): see files.ts. Absent: any path (the CLI's commands,
   * whose paths the person typed); `rnnlab serve` and Electron confine it.
   */
  files?: FileAccess
  /** The desktop app's open dialog: the path chosen, or null when cancelled. A browser has none. */
  chooseFile?: (folder: boolean) => Promise<string | null>
}

export class Services {
  readonly store: RunStore
  readonly handlers: Handlers
  readonly dbPath: string
  readonly training: TrainingHost
  /** onnxruntime sessions, cached; they run in a worker thread so the event loop stays free. */
  readonly inference = new InferenceService()
  private readonly emitter = new EventEmitter()

  /** See ServicesOptions.files; `rnnlab serve` sets it with confineFiles before it opens its door. */
  private files: FileAccess | undefined

  constructor(readonly opts: ServicesOptions) {
    this.files = opts.files
    this.dbPath = opts.dbPath ?? defaultDbPath(opts.home)
    this.store = new RunStore(this.dbPath, { nativeBinding: opts.sqliteBinding })
    // Runs left 'running' by a process that died are found at every start and marked interrupted.
    this.store.recoverInterrupted(isProcessAlive, hostname())
    this.emitter.setMaxListeners(100)
    const spawn = opts.spawnWorker ?? nodeWorkerSpawner(join(findAppRoot(__dirname), 'out', 'main', 'worker.js'))
    this.training = new TrainingHost(this.store, spawn, opts.home, {
      progress: (p) => this.emit('onTrainingProgress', p),
      epoch: (runId, metrics) => this.emit('onTrainingEpoch', { runId, metrics }),
      note: (runId, text) => this.emit('onTrainingNote', { runId, text }),
      status: (runId, status, error) => this.emit('onRunStatus', { runId, status, error })
    })
    this.handlers = this.buildHandlers()
  }

  /** Subscribes to a pushed event (named as the page's subscription method); returns the function that unsubscribes. */
  on<K extends EventKey>(event: K, listener: (payload: EventPayloads[K]) => void): () => void {
    this.emitter.on(event, listener)
    return () => this.emitter.off(event, listener)
  }

  /** From now on, the handlers read only what `files` allows (the CLI's commands call them unconfined before this). */
  confineFiles(files: FileAccess): void {
    this.files = files
  }

  /** Throws naming the field when a path of the dataset is one the page may not read. */
  private checkDataset(spec: DatasetSpec, baseDir?: string): void {
    for (const { field, path } of datasetPaths(spec)) this.files?.check(path, field, baseDir)
  }

  /**
   * Exports a run's checkpoint to `out` (any path: the CLI's `--out`); the page's export:onnx writes only into the
   * run's folder in the lab home.
   */
  async exportOnnxTo({ runId, checkpoint, out }: { runId: number; checkpoint?: 'best' | 'last'; out?: string }) {
    const store = this.store
    // No checkpoint asked for: the best, or the last when the run kept no best (it had no validation set).
    const kind = checkpoint ?? (store.checkpoint(runId, 'best') ? 'best' : 'last')
    const path = out ?? join(this.opts.home, 'runs', String(runId), 'exports', `run-${runId}-${kind}.onnx`)
    const loadData = (spec: DatasetSpec) => loadDataset(spec, { home: this.opts.home })
    return (
      await exportRun({
        store,
        runId,
        checkpoint: kind,
        out: path,
        loadDataset: loadData,
        inference: this.inference
      })
    ).report
  }

  emit<K extends EventKey>(event: K, payload: EventPayloads[K]): void {
    this.emitter.emit(event, payload)
  }

  close(): void {
    this.training.stopAll()
    void this.inference.close()
    this.emitter.removeAllListeners()
    this.store.close()
  }

  /** The last dataset loaded for trying models, kept so that paging through samples does not reload it. */
  private datasetCache: { key: string; data: Promise<LoadedDataset> } | null = null

  private datasetOf(config: RunConfig): Promise<LoadedDataset> {
    const key = JSON.stringify(config.dataset)
    if (this.datasetCache?.key !== key)
      this.datasetCache = { key, data: loadDataset(config.dataset, { home: this.opts.home }) }
    const cached = this.datasetCache
    cached.data.catch(() => {
      if (this.datasetCache === cached) this.datasetCache = null
    })
    return cached.data
  }

  private buildHandlers(): Handlers {
    const store = this.store
    const engine = this.opts.engine ?? engineInfo
    return {
      getAppInfo: () => ({
        version: this.opts.version,
        home: this.opts.home,
        dbPath: this.dbPath,
        door: this.opts.door,
        engine: engine()
      }),
      listRuns: (q) => store.listRuns(q),
      getRun: ({ id }) => store.getRun(id),
      getRunBatches: ({ id }) => store.getBatches(id),
      updateRun: (u) => store.updateRun(u),
      deleteRun: ({ id }) => store.deleteRun(id),
      restoreRun: ({ id }) => store.restoreRun(id),
      compareRuns: ({ ids }): RunComparison => {
        const runs = ids.map((id) => store.getRun(id))
        return { runs, differences: configDifferences(runs.map((r) => r.config)) }
      },
      metricsCsv: ({ ids }) => metricsCsv(ids.map((id) => store.getRun(id))),
      summarizeModel: async ({ config }) => {
        const normalized = normalizeRunConfig(config)
        // Without an input shape the summary reads the data: the same rule as a preview.
        if (!inferInputShape(normalized)) this.checkDataset(normalized.dataset)
        return summarizeRunConfig(normalized, this.opts.home)
      },
      previewDataset: ({ dataset }) => {
        this.checkDataset(dataset)
        return previewDataset(dataset, { home: this.opts.home })
      },
      startTraining: ({ config, resume, threads, baseDir, initFrom }) => {
        if (resume !== undefined) return { runId: this.training.resume(resume, { threads }) }
        const normalized = normalizeRunConfig(config, undefined, { memoryLimitBytes: machineMemoryLimit() })
        this.checkDataset(normalized.dataset, baseDir)
        if (initFrom !== undefined) this.files?.check(initFrom, 'initFrom', baseDir)
        return { runId: this.training.start(normalized, { threads, baseDir, initFrom }) }
      },
      cancelTraining: ({ runId }) => this.training.cancel(runId),
      activeTraining: () => this.training.activeProgress(),
      getRunArtifacts: ({ id }) => ({
        checkpoints: (['best', 'last'] as const).flatMap((kind) => {
          const c = store.checkpoint(id, kind)
          return c ? [c] : []
        }),
        exports: store.listExports(id)
      }),
      getRunSamples: async ({ id, offset, count }) => {
        const config = normalizeRunConfig(store.getRun(id).config)
        const data = await this.datasetOf(config)
        const split = data.validation.count > 0 ? data.validation : data.train
        const { timeSteps: T, features: F } = data
        const samples = []
        for (let index = offset; index < Math.min(split.count, offset + count); index++) {
          const x = Array.from({ length: T }, (_, t) =>
            Array.from(split.x.subarray((index * T + t) * F, (index * T + t + 1) * F))
          )
          const label = data.labelsPerStep ? Array.from(split.y.subarray(index * T, (index + 1) * T)) : split.y[index]
          samples.push({ index, label, x })
        }
        return {
          split: data.validation.count > 0 ? ('validation' as const) : ('train' as const),
          total: split.count,
          timeSteps: T,
          features: F,
          classNames: data.classNames ?? null,
          samples
        }
      },
      chooseFile: async ({ folder }) => {
        if (!this.opts.chooseFile)
          throw new Error(
            'choosing a file needs the desktop app; here, type a path inside the lab folder or an --allow-dir folder'
          )
        const path = await this.opts.chooseFile(folder ?? false)
        // What the person chose in the dialog is theirs to read, from now on (files.ts).
        if (path !== null) this.files?.choose(path)
        return { path }
      },
      getExportFile: ({ exportId }) => {
        // Only files the exports table names can be read this way: the page never passes a path.
        const path = store.exportPath(exportId)
        let bytes: Buffer
        try {
          bytes = readFileSync(path)
        } catch {
          throw new Error(`${path}: the exported file is no longer there`)
        }
        return { fileName: basename(path), base64: bytes.toString('base64') }
      },
      // The page never names the file: it goes into the run's folder, and Save copies it out (a download).
      exportOnnx: ({ runId, checkpoint }) => this.exportOnnxTo({ runId, checkpoint }),
      predict: async ({ runId, modelPath, input }) => {
        const n = input.length
        const T = input[0]?.length ?? 0
        const F = input[0]?.[0]?.length ?? 0
        if (n === 0 || T === 0 || F === 0)
          throw new Error('request.input: give at least one sample of at least one step')
        const x = new Float32Array(n * T * F)
        input.forEach((sample, i) => {
          if (sample.length !== T)
            throw new Error(`request.input[${i}]: ${sample.length} steps, the first sample has ${T}`)
          sample.forEach((step, t) => {
            if (step.length !== F)
              throw new Error(`request.input[${i}][${t}]: ${step.length} features, the first step has ${F}`)
            x.set(step, (i * T + t) * F)
          })
        })
        if (modelPath !== undefined) this.files?.check(modelPath, 'request.modelPath')
        const target = modelPath ?? String(runId)
        const result = await predictWith({ target, store, engine: 'onnx', inference: this.inference }, { x, n, T, F })
        const row = result.data.length / n
        return {
          probabilities: Array.from({ length: n }, (_, i) => Array.from(result.data.subarray(i * row, (i + 1) * row))),
          dims: result.dims,
          classNames: result.classNames ?? null,
          source: result.source
        }
      }
    }
  }
}

/** The model's Keras-style summary; when neither the config nor the dataset kind gives the input shape, the data does. */
export async function summarizeRunConfig(
  config: RunConfig,
  home: string,
  baseDir?: string
): Promise<ModelSummaryReply> {
  let input = inferInputShape(config)
  if (!input) {
    const data = await loadDataset(config.dataset, { home, baseDir })
    input = [data.timeSteps, data.features]
  }
  const summary = summarize(config.model, input)
  return { input, summary, text: formatSummary(summary, config.name) }
}

/** Whether the native engine loads here, and its version (training itself always runs in a worker process). */
function engineInfo(): EngineInfo {
  try {
    return { available: true, version: loadEngine().version(), reason: null }
  } catch (e) {
    return { available: false, version: null, reason: e instanceof Error ? e.message : String(e) }
  }
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}
