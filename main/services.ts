// Builds the services behind the contract once; the Electron shell, the CLI and the browser server are doors to them.
import { EventEmitter } from 'node:events'
import { hostname } from 'node:os'
import { errorMessage } from '../common/contract'
import type {
  AppInfo,
  EngineInfo,
  EventKey,
  EventPayloads,
  Handlers,
  ModelSummaryReply,
  PurgeReport,
  RunComparison,
  RunId,
  WeightsRequest,
  WeightsView
} from '../common/contract'
import { configDifferences } from '../common/diff'
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { basename, join, relative, isAbsolute } from 'node:path'
import { datasetPaths, FileAccess } from './files'
import { defaultDbPath, findAppRoot, runsFolder } from './paths'
import { nodeWorkerSpawner, TrainingHost, type SpawnWorker, type TrainingEvents } from './training/host'
import { removeUnreferenced } from './training/checkpoints'
import { RunNotFoundError, RunStore } from './runs/store'
import type { Redis } from 'ioredis'
import { SweepRunner, type RemoteExecutorFactory, type RemoteRunOptions, type SweepEvent } from './sweeps/runner'
import { RemoteTrials, sweepKey, type RedisTraffic } from './sweeps/remote-owner'
import { connectRedis, redactRedisUrl } from './sweeps/remote'
import { expandSweep, normalizeSweepConfig } from '../common/sweep'
import { SweepStore } from './sweeps/store'
import { RunWatcher } from './runs/watch'
import { metricsCsv, stepsCsv } from './runs/csv'
import { loadDataset, type LoadedDataset, type MapFile, previewDataset } from './datasets'
import { forecastRun } from './onnx/forecast'
import { loadEngine } from './engine'
import { exportRun, predictWith } from './onnx/service'
import { readCheckpointWeightsView, readOnnxWeightsView } from './onnx/weights'
import { predictTexts } from './onnx/text'
import { InspectionService } from './inspect/service'
import { InferenceService } from './onnx/inference'
import { machineMemoryLimit } from './config-file'
import { normalizeRunConfig, type RunConfig } from '../common/config'
import { formatSummary, inferInputShape, summarize } from '../common/model'
import type { DatasetSpec } from '../common/datasets'
import { PREFIX_VERSION, stableJson, type CheckpointKind, type PrefixCurve } from '../common/analysis'
import { AnalysisHost } from './analysis/host'
import type { AnalysisModel } from './analysis/compute'

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
  /** For commands that only read: the database must exist already (no folder or empty database is created). */
  mustExist?: boolean
  /** See TrainingHost's dbRetryLimitMs (tests shorten it). */
  dbRetryLimitMs?: number
  /** Days a deleted run stays in the Trash before it is purged (default trashRetentionDays). */
  trashRetentionDays?: number
  /**
   * The folders the handlers may read for a door (the page): see files.ts. Absent: any path (the CLI's commands,
   * whose paths the person typed); `rnnlab serve` and Electron confine it.
   */
  files?: FileAccess
  /** The desktop app's open dialog: the path chosen, or null when cancelled. A browser has none. */
  chooseFile?: (folder: boolean) => Promise<string | null>
}

/** Days a deleted run stays in the Trash, restorable, before it and its files are removed for good. */
export const trashRetentionDays = 30

export class Services {
  readonly store: RunStore
  readonly handlers: Handlers
  readonly dbPath: string
  /** The runs' folders of this database (paths.ts runsFolder). */
  readonly runsDir: string
  readonly training: TrainingHost
  readonly sweepStore: SweepStore
  /** The inspection pass, in a worker process of its own (kept a while for the next sample). */
  readonly inspection: InspectionService
  /** The sweeps this process runs. */
  readonly sweeps: SweepRunner
  /** Redis traffic of each sweep this process ran through Redis, once it stopped running it. */
  readonly remoteTraffic = new Map<number, RedisTraffic>()
  /** onnxruntime sessions, cached; they run in a worker thread so the event loop stays free. */
  readonly inference = new InferenceService()
  /** Analyses of trained runs (confusion, diff, prefix accuracy), each in a worker process of its own. */
  readonly analyses: AnalysisHost
  private readonly emitter = new EventEmitter()
  /** What every process writes to the database, as events; started by the doors (see watchDatabase). */
  private readonly watcher: RunWatcher
  private readonly retentionTimer: ReturnType<typeof setInterval>
  readonly retentionDays: number

  /** What the training host reports (remote sweep trials report the same). */
  private readonly trainingEvents: TrainingEvents

  /** See ServicesOptions.files; `rnnlab serve` sets it with confineFiles before it opens its door. */
  private files: FileAccess | undefined

  constructor(readonly opts: ServicesOptions) {
    this.files = opts.files
    this.dbPath = opts.dbPath ?? defaultDbPath(opts.home)
    this.store = new RunStore(this.dbPath, { nativeBinding: opts.sqliteBinding, mustExist: opts.mustExist })
    // Runs left 'running' by a process that died are found at every start and marked interrupted, and the files
    // such a process left (unfinished writes, checkpoints no run names) are removed.
    this.store.recoverInterrupted(isProcessAlive, hostname())
    this.runsDir = runsFolder(this.dbPath)
    if (!opts.mustExist) removeStaleFiles(opts.home, this.runsDir, this.store)
    this.sweepStore = new SweepStore(this.store)
    this.sweepStore.recoverInterrupted(isProcessAlive, hostname())
    this.emitter.setMaxListeners(100)
    const spawn = opts.spawnWorker ?? nodeWorkerSpawner(join(findAppRoot(__dirname), 'out', 'main', 'worker.js'))
    this.inspection = new InspectionService(this.store, spawn, opts.home)
    this.trainingEvents = {
      progress: (p) => this.emit('onTrainingProgress', p),
      epoch: (runId, metrics) => {
        this.watcher.noteEpoch(runId, metrics.epoch)
        this.emit('onTrainingEpoch', { runId, metrics })
        this.sweeps.onEpoch(runId, metrics)
      },
      note: (runId, text) => this.emit('onTrainingNote', { runId, text }),
      status: (runId, status, error) => {
        this.watcher.noteStatus(runId, status)
        this.emit('onRunStatus', { runId, status, error })
      }
    }
    this.training = new TrainingHost(this.store, spawn, opts.home, this.runsDir, this.trainingEvents, {
      dbRetryLimitMs: opts.dbRetryLimitMs
    })
    this.watcher = new RunWatcher(
      this.store,
      {
        changed: (c) => this.emit('onRunsChanged', c),
        status: (s) => this.emit('onRunStatus', s),
        epoch: (runId, metrics) => this.emit('onTrainingEpoch', { runId, metrics }),
        progress: (p) => this.emit('onTrainingProgress', p)
      },
      (runId) => this.training.isTraining(runId),
      () => this.store.recoverInterrupted(isProcessAlive, hostname(), { startedOnly: true })
    )
    this.sweeps = new SweepRunner(
      this.store,
      this.sweepStore,
      this.training,
      isProcessAlive,
      () => ({ memoryLimitBytes: machineMemoryLimit() }),
      this.remoteExecutor
    )
    this.analyses = new AnalysisHost(spawn, (p) => this.emit('onAnalysisProgress', p))
    this.handlers = this.buildHandlers()
    // The retention rule: runs deleted more than retentionDays ago are purged at start, then every hour.
    this.retentionDays = opts.trashRetentionDays ?? trashRetentionDays
    if (!opts.mustExist) this.purgeExpired()
    this.retentionTimer = setInterval(() => this.purgeExpired(), 3_600_000)
    this.retentionTimer.unref()
  }

  /** A sweep's trials through Redis: connects (a wrong address or password is one line), then takes the queues. */
  private readonly remoteExecutor: RemoteExecutorFactory = async (opts) => {
    const connection = await connectRedis(opts.redis)
    return (sweepId, emit) => this.remoteTrials(connection, sweepId, opts, emit)
  }

  private async remoteTrials(
    connection: Redis,
    sweepId: number,
    opts: RemoteRunOptions,
    emit: (e: SweepEvent) => void
  ): Promise<RemoteTrials> {
    const detail = this.sweepStore.get(sweepId)
    const exec = new RemoteTrials({
      sweepId,
      key: sweepKey(hostname(), this.dbPath, sweepId, detail.createdAt),
      connection,
      runs: this.store,
      sweeps: this.sweepStore,
      runsDir: this.runsDir,
      checkpoints: opts.checkpoints ?? 'epoch',
      label: redactRedisUrl(opts.redis),
      events: {
        epoch: (runId, metrics) => this.trainingEvents.epoch(runId, metrics),
        status: (runId, status, error) => this.trainingEvents.status(runId, status, error)
      },
      emit
    })
    try {
      await exec.init()
    } catch (e) {
      connection.disconnect()
      throw e
    }
    const close = exec.close.bind(exec)
    exec.close = async (ended) => {
      await close(ended)
      if (exec.traffic) this.remoteTraffic.set(sweepId, exec.traffic)
    }
    return exec
  }

  /** Purges the runs whose time in the Trash is over; a failure is left for the next pass, never thrown. */
  purgeExpired(): PurgeReport {
    const cutoff = new Date(Date.now() - this.retentionDays * 86_400_000).toISOString()
    try {
      return this.purge(this.store.deletedBefore(cutoff))
    } catch {
      return { purged: [], bytes: 0 }
    }
  }

  /** Removes deleted runs for good: their rows, their folder of checkpoints and the exports written into the home. */
  purge(ids: RunId[]): PurgeReport {
    const report: PurgeReport = { purged: [], bytes: 0 }
    for (const id of ids) {
      const dir = join(this.runsDir, String(id))
      const bytes = folderBytes(dir)
      const { files } = this.store.purgeRun(id)
      rmSync(dir, { recursive: true, force: true })
      // Files the run wrote into the home folder go with it; an export saved elsewhere is the user's to keep.
      for (const f of files) {
        if (!isInside(this.opts.home, f) || !existsSync(f)) continue
        report.bytes += fileBytes(f)
        rmSync(f, { force: true })
      }
      report.bytes += bytes
      report.purged.push(id)
    }
    return report
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
    const path = out ?? join(this.runsDir, String(runId), 'exports', `run-${runId}-${kind}.onnx`)
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

  /**
   * The gate-labelled weights view: a run's checkpoint, one of its exports, or an .onnx file (the page's paths are
   * confined as every path it sends). A plain read of the file and a few sums, on this event loop.
   */
  readWeights(request: WeightsRequest): WeightsView {
    const { store } = this
    if (request.path !== undefined) {
      this.files?.check(request.path, 'request.path')
      return readOnnxWeightsView(request.path, request.select)
    }
    if (request.exportId !== undefined) return readOnnxWeightsView(store.exportPath(request.exportId), request.select)
    const runId = request.runId as number
    const config = normalizeRunConfig(store.getRun(runId).config, `run ${runId} config`)
    const kind = request.checkpoint ?? (store.checkpoint(runId, 'best') ? 'best' : 'last')
    const checkpoint = store.checkpoint(runId, kind)
    if (!checkpoint)
      throw new Error(
        request.checkpoint === 'best' && store.checkpoint(runId, 'last')
          ? `run ${runId} has no best checkpoint (it had no validation set); use --checkpoint last`
          : `run ${runId} has no ${kind} checkpoint (no epoch has finished)`
      )
    return readCheckpointWeightsView(
      config,
      { path: checkpoint.path, kind, epoch: checkpoint.epoch },
      runId,
      request.select
    )
  }

  emit<K extends EventKey>(event: K, payload: EventPayloads[K]): void {
    this.emitter.emit(event, payload)
  }

  /**
   * Sends as events what any process writes to the database (runs created, progressing, finished, deleted), within
   * `intervalMs`. The doors call it; a one-shot CLI command does not need it.
   */
  watchDatabase(intervalMs = 250): void {
    this.watcher.start(intervalMs)
  }

  close(): void {
    clearInterval(this.retentionTimer)
    this.watcher.stop()
    // A sweep running here stays resumable: its trials are interrupted, not cancelled.
    this.sweeps.detachAll()
    this.training.stopAll()
    this.analyses.stopAll()
    this.inspection.close()
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

  /** A run's checkpoint (default the best, else the last) as an analysis job takes it. */
  analysisModel(runId: RunId, kind?: CheckpointKind): AnalysisModel {
    const run = this.store.getRun(runId)
    const chosen = kind ?? (this.store.checkpoint(runId, 'best') ? 'best' : 'last')
    const checkpoint = this.store.checkpoint(runId, chosen)
    if (!checkpoint)
      throw new Error(`run ${runId} has no ${chosen} checkpoint (it ended before its first epoch finished)`)
    return {
      runId,
      config: normalizeRunConfig(run.config, `run ${runId} config`),
      checkpoint: { kind: chosen, epoch: checkpoint.epoch, path: checkpoint.path },
      recordedAccuracy: run.epochs.find((e) => e.epoch === checkpoint.epoch)?.valAccuracy ?? null
    }
  }

  /** A stored prefix curve still describes the run: same computation, and the checkpoint it read is unchanged. */
  private freshPrefix(runId: RunId): PrefixCurve | null {
    const c = this.store.prefixCurve(runId)
    if (!c || c.version !== PREFIX_VERSION) return null
    const checkpoint = this.store.checkpoint(runId, c.checkpoint)
    return checkpoint && checkpoint.epoch === c.epoch ? c : null
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
      getRun: ({ id }) => {
        const run = store.getRun(id)
        const sweep = this.sweepStore.ofRun(id)
        return sweep ? { ...run, sweep } : run
      },
      getRunBatches: ({ id }) => store.getBatches(id),
      updateRun: (u) => store.updateRun(u),
      deleteRun: ({ id }) => store.deleteRun(id),
      restoreRun: ({ id }) => store.restoreRun(id),
      listTrash: () => ({
        retentionDays: this.retentionDays,
        runs: store.listTrash().map((r) => ({
          ...r,
          purgeAt: new Date(Date.parse(r.deletedAt) + this.retentionDays * 86_400_000).toISOString(),
          bytes: folderBytes(join(this.runsDir, String(r.id)))
        }))
      }),
      purgeRuns: ({ ids }) => this.purge(ids),
      compareRuns: ({ ids }): RunComparison => {
        // A bookmarked comparison outlives a deleted run: the others are compared, the missing ones named.
        const missing: number[] = []
        const runs = ids.flatMap((id) => {
          try {
            return [store.getRun(id)]
          } catch (e) {
            if (!(e instanceof RunNotFoundError)) throw e
            missing.push(id)
            return []
          }
        })
        if (runs.length === 0) throw new RunNotFoundError(ids.length === 1 ? ids[0] : ids.join(', '))
        return { runs, differences: configDifferences(runs.map((r) => r.config)), missing }
      },
      metricsCsv: ({ ids, per }) =>
        per === 'step'
          ? stepsCsv(ids.map((id) => ({ run: store.getSummary(id), steps: store.getBatches(id) })))
          : metricsCsv(ids.map((id) => store.getRun(id))),
      summarizeModel: async ({ config }) => {
        const normalized = normalizeRunConfig(config)
        // Without an input shape the summary reads the data: the same rule as a preview.
        if (!inferInputShape(normalized)) this.checkDataset(normalized.dataset)
        return summarizeRunConfig(normalized, this.opts.home)
      },
      previewDataset: ({ dataset }) => {
        this.checkDataset(dataset)
        return previewDataset(dataset, { home: this.opts.home, ...engineMapFile() })
      },
      startTraining: ({ config, resume, threads, baseDir, initFrom }) => {
        if (resume !== undefined) return { runId: this.training.resume(resume, { threads }) }
        const normalized = normalizeRunConfig(config, undefined, { memoryLimitBytes: machineMemoryLimit() })
        this.checkDataset(normalized.dataset, baseDir)
        if (initFrom !== undefined) this.files?.check(initFrom, 'initFrom', baseDir)
        return { runId: this.training.start(normalized, { threads, baseDir, initFrom }) }
      },
      cancelTraining: ({ runId }) => {
        // Trained by another process: that process stops it when it sees the request in the database, unless it
        // is dead (then the run is marked interrupted here, and there is nothing to stop).
        if (!this.training.isTraining(runId)) store.recoverInterrupted(isProcessAlive, hostname())
        this.training.cancel(runId)
      },
      activeTraining: () => {
        // This process's runs, then those another process trains (their progress as it last saved it).
        const local = this.training.activeProgress()
        const others = store.runningProgress().filter((p) => !this.training.isTraining(p.runId))
        return [...local, ...others]
      },
      listSweeps: () => this.sweepStore.list(),
      getSweep: ({ id }) => this.sweepStore.get(id),
      createSweep: async ({ config, parallel, threadsPerTrial, baseDir, redis, checkpoints }) => {
        // Through a door, every trial's dataset paths obey the file policy, as a run config's do.
        if (this.files) {
          const trials = expandSweep(normalizeSweepConfig(config), { memoryLimitBytes: machineMemoryLimit() })
          for (const t of trials) {
            try {
              this.checkDataset(t.config.dataset, baseDir)
            } catch (e) {
              throw new Error(`trial ${t.index + 1}: ${errorMessage(e)}`, { cause: e })
            }
          }
        }
        if (redis !== undefined)
          return { sweepId: await this.sweeps.createRemote(config, { redis, checkpoints, baseDir }) }
        return { sweepId: this.sweeps.create(config, { parallel, threadsPerTrial, baseDir }) }
      },
      cancelSweep: ({ id }) => this.sweeps.cancel(id),
      resumeSweep: async ({ id, parallel, threadsPerTrial, redis, checkpoints }) => {
        if (redis !== undefined) await this.sweeps.resumeRemote(id, { redis, checkpoints })
        else this.sweeps.resume(id, { parallel, threadsPerTrial })
      },
      addSweepTrials: ({ id, values, trials, parallel, threadsPerTrial, redis, checkpoints }) =>
        this.sweeps.addTrials(
          id,
          values !== undefined ? { values } : { trials: trials! },
          { parallel, threadsPerTrial, redis, checkpoints },
          (plans) => {
            // Through a door, every new trial's dataset paths obey the file policy, as a sweep's do.
            if (!this.files) return
            const { baseDir } = this.sweepStore.config(id)
            for (const t of plans) {
              try {
                this.checkDataset(t.config.dataset, baseDir ?? undefined)
              } catch (e) {
                throw new Error(`trial ${t.index + 1}: ${errorMessage(e)}`, { cause: e })
              }
            }
          }
        ),
      sweepWorkers: ({ id }) => this.sweepStore.workers(id),
      getRunArtifacts: ({ id }) => ({
        checkpoints: (['best', 'last'] as const).flatMap((kind) => {
          const c = store.checkpoint(id, kind)
          return c ? [c] : []
        }),
        exports: store.listExports(id)
      }),
      getRunForecast: async ({ id }) => {
        const f = await forecastRun({ target: String(id), store, engine: 'native' })
        return {
          source: f.source,
          targetColumns: f.targetColumns,
          horizon: f.horizon,
          targetsPerStep: f.targetsPerStep,
          sequenceLength: f.sequenceLength,
          windows: f.windows.map((w) => ({
            start: w.start,
            history: w.history ?? [],
            forecast: w.forecast,
            actual: w.actual ?? [],
            persistence: w.persistence ?? []
          })),
          mae: f.mae ?? NaN,
          persistenceMae: f.persistenceMae ?? NaN
        }
      },
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
      analyzeConfusion: async ({ runId, checkpoint, analysisId }) => {
        const model = this.analysisModel(runId, checkpoint)
        const result = await this.analyses.run({ kind: 'confusion', home: this.opts.home, models: [model] }, analysisId)
        if (result.kind !== 'confusion') throw new Error('the analysis worker answered another question')
        return result.report
      },
      analyzeDiff: async ({ a, b, checkpoint, analysisId }) => {
        const [ma, mb] = [this.analysisModel(a, checkpoint), this.analysisModel(b, checkpoint)]
        if (stableJson(ma.config.dataset) !== stableJson(mb.config.dataset))
          throw new Error(
            `runs ${a} and ${b} do not share their validation data (dataset ${stableJson(ma.config.dataset)} and ${stableJson(mb.config.dataset)}); a diff compares the same samples`
          )
        const result = await this.analyses.run({ kind: 'diff', home: this.opts.home, models: [ma, mb] }, analysisId)
        if (result.kind !== 'diff') throw new Error('the analysis worker answered another question')
        return result.diff
      },
      analyzePrefix: async ({ runId, recompute, analysisId }) => {
        const stored = recompute ? null : this.freshPrefix(runId)
        if (stored) return stored
        const model = this.analysisModel(runId)
        const result = await this.analyses.run({ kind: 'prefix', home: this.opts.home, models: [model] }, analysisId)
        if (result.kind !== 'prefix') throw new Error('the analysis worker answered another question')
        const curve: PrefixCurve = { ...result.curve, createdAt: new Date().toISOString() }
        store.savePrefixCurve(curve)
        return curve
      },
      storedPrefixCurves: ({ ids }) => ids.map((id) => this.freshPrefix(id)),
      analyzeAblation: async ({ runId, checkpoint, analysisId }) => {
        const model = this.analysisModel(runId, checkpoint)
        const result = await this.analyses.run({ kind: 'ablation', home: this.opts.home, models: [model] }, analysisId)
        if (result.kind !== 'ablation') throw new Error('the analysis worker answered another question')
        return result.report
      },
      cancelAnalysis: ({ analysisId }) => {
        if (!this.analyses.cancel(analysisId))
          throw new Error(`analysisId ${analysisId}: no analysis of that id is running`)
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
      inspectRun: (request) => this.inspection.inspect(request),
      getRunHealth: ({ id }) => store.getHealth(id),
      readWeights: (request) => this.readWeights(request),
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
      predictText: ({ runId, texts }) =>
        predictTexts({ target: String(runId), store, engine: 'onnx', inference: this.inference }, texts),
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
    const data = await loadDataset(config.dataset, { home, baseDir, ...engineMapFile() })
    input = [data.timeSteps, data.features]
  }
  const summary = summarize(config.model, input)
  return { input, summary, text: formatSummary(summary, config.name) }
}

/**
 * The engine's memory map for a large .npy dataset (so that a preview or a summary does not read it into this process),
 * when the engine loads here; else nothing, and the data is read as before.
 */
function engineMapFile(): { mapFile: MapFile } | Record<string, never> {
  try {
    const engine = loadEngine()
    return { mapFile: (path, byteOffset, length) => engine.mapFloat32(path, byteOffset, length) }
  } catch {
    return {}
  }
}

/** Whether the native engine loads here, and its version (training itself always runs in a worker process). */
function engineInfo(): EngineInfo {
  try {
    return { available: true, version: loadEngine().version(), reason: null }
  } catch (e) {
    return { available: false, version: null, reason: e instanceof Error ? e.message : String(e) }
  }
}

/**
 * Removes what killed or failed processes left in the lab's folders: unfinished checkpoint writes and checkpoints no
 * run names in this database's runs' folders (not in those of runs training now), and temporary export files of dead
 * processes.
 */
export function removeStaleFiles(home: string, runsDir: string, store: RunStore): void {
  try {
    const known = new Map(store.runFolders().map((r) => [String(r.id), r]))
    for (const name of existsSync(runsDir) ? readdirSync(runsDir) : []) {
      const run = known.get(name)
      if (run?.training) continue
      const dir = join(runsDir, name)
      // A folder no run of this database has keeps its checkpoints (fromEpoch Infinity): only unfinished writes go.
      removeUnreferenced(dir, run ? store.checkpointPaths(run.id) : [], run ? 0 : Infinity)
      removeDeadTemporaries(dir)
    }
    removeDeadTemporaries(join(home, 'exports'))
  } catch {
    // A clean-up that cannot finish (a folder it may not read) leaves the files for the next start.
  }
}

/** `x.onnx.tmp-PID`, `probs.npy.tmp-PID`: the atomic writes of a process that no longer runs. */
function removeDeadTemporaries(dir: string): void {
  if (!existsSync(dir)) return
  for (const name of readdirSync(dir)) {
    const m = /\.tmp-(\d+)$/.exec(name)
    if (m && Number(m[1]) !== process.pid && !isProcessAlive(Number(m[1]))) rmSync(join(dir, name), { force: true })
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

/** The bytes of the files under a folder (0 when it does not exist). */
function folderBytes(dir: string): number {
  let total = 0
  let entries
  try {
    entries = readdirSync(dir, { withFileTypes: true })
  } catch {
    return 0
  }
  for (const e of entries) {
    const p = join(dir, e.name)
    total += e.isDirectory() ? folderBytes(p) : e.isFile() ? fileBytes(p) : 0
  }
  return total
}

function fileBytes(file: string): number {
  try {
    return statSync(file).size
  } catch {
    return 0
  }
}

function isInside(folder: string, file: string): boolean {
  const r = relative(folder, file)
  return r !== '' && !r.startsWith('..') && !isAbsolute(r)
}
