// One run as its screen shows it: the stored detail and per-batch figures, then the live events while it trains.
// Subscribes before loading, so a second window (or coming back to the screen) joins a running run without a gap.
import { onUnmounted, ref, shallowRef, triggerRef, watch, type Ref } from 'vue'
import type { BatchMetrics, EpochMetrics, RunDetail, RunStatus, TrainingProgress } from '../../../common/contract'
import { api } from '../api'
import type { Point } from '../lib/series'

export interface BatchSeries {
  loss: Point[]
  accuracy: Point[]
}

const terminal: RunStatus[] = ['completed', 'failed', 'cancelled', 'interrupted']

export function useRun(id: Ref<number>) {
  const detail = shallowRef<RunDetail | null>(null)
  const epochs = shallowRef<EpochMetrics[]>([])
  const progress = ref<TrainingProgress | null>(null)
  const status = ref<RunStatus | null>(null)
  const runError = ref<string | null>(null)
  const notes = ref<string[]>([])
  const loading = ref(true)
  const error = ref<string | null>(null)
  /**
   * Per-step figures (each the mean over the batches since the previous report), x in epochs (epoch − 1 + batch /
   * batches), broken between epochs. Live steps are pushed in place + triggerRef.
   */
  const batchSeries = shallowRef<BatchSeries>({ loss: [], accuracy: [] })
  let lastStep = 0
  let lastEpoch = 0
  let generation = 0

  function pushBatch(
    batches: BatchSeries,
    step: number,
    epoch: number,
    batch: number,
    perEpoch: number,
    loss: number,
    accuracy: number | null
  ): void {
    if (step <= lastStep) return
    lastStep = step
    // Each epoch's curve is drawn on its own: a break between epochs (runs recorded before per-step means were kept
    // have running means that restart each epoch, which would draw a cliff there).
    if (epoch !== lastEpoch && batches.loss.length > 0) {
      batches.loss.push({ x: epoch - 1, y: NaN })
      batches.accuracy.push({ x: epoch - 1, y: NaN })
    }
    lastEpoch = epoch
    const x = epoch - 1 + batch / Math.max(1, perEpoch)
    batches.loss.push({ x, y: loss })
    if (accuracy !== null) batches.accuracy.push({ x, y: accuracy })
  }

  function setEpoch(m: EpochMetrics): void {
    const list = epochs.value.filter((e) => e.epoch !== m.epoch)
    list.push(m)
    list.sort((a, b) => a.epoch - b.epoch)
    epochs.value = list
  }

  /**
   * The per-step series from the stored rows (they end at an epoch boundary), then what live events drew after them:
   * rebuilt in order. `perEpoch` is the batches of an epoch when known from live progress.
   */
  function rebuild(rows: BatchMetrics[], perEpochLive: number | undefined): BatchSeries {
    const perEpoch = new Map<number, number>()
    for (const r of rows) perEpoch.set(r.epoch, Math.max(perEpoch.get(r.epoch) ?? 0, r.batch))
    const stored = rows.length ? rows[rows.length - 1].epoch : 0
    const drawn = batchSeries.value
    const liveTail = {
      loss: drawn.loss.filter((p) => p.x > stored),
      accuracy: drawn.accuracy.filter((p) => p.x > stored)
    }
    const batches: BatchSeries = { loss: [], accuracy: [] }
    lastStep = 0
    lastEpoch = 0
    for (const r of rows)
      pushBatch(batches, r.step, r.epoch, r.batch, perEpochLive ?? perEpoch.get(r.epoch) ?? r.batch, r.loss, r.accuracy)
    const gap = (list: Point[], tail: Point[]) =>
      list.length && tail.length && Number.isFinite(tail[0].y) ? [{ x: Math.floor(tail[0].x), y: NaN }] : []
    batches.loss.push(...gap(batches.loss, liveTail.loss), ...liveTail.loss)
    batches.accuracy.push(...gap(batches.accuracy, liveTail.accuracy), ...liveTail.accuracy)
    // The next live step continues the tail's epoch (x in epoch − 1 … epoch), without a break.
    const tailEnd = liveTail.loss[liveTail.loss.length - 1]
    if (tailEnd) lastEpoch = Math.ceil(tailEnd.x)
    return batches
  }

  /**
   * At each epoch's end its steps are stored: drawn again from the database, so that a run another process trains
   * (whose live progress arrives about once a second) gets every step.
   */
  async function reloadSteps(): Promise<void> {
    const mine = generation
    const runId = id.value
    try {
      const rows = await api.getRunBatches({ id: runId })
      if (mine !== generation || runId !== id.value) return
      batchSeries.value = rebuild(rows, progress.value?.batches)
    } catch {
      // The next epoch, or the end of the run, draws them.
    }
  }

  async function load(): Promise<void> {
    const mine = ++generation
    const runId = id.value
    loading.value = true
    try {
      const [run, rows, active] = await Promise.all([
        api.getRun({ id: runId }),
        api.getRunBatches({ id: runId }),
        api.activeTraining()
      ])
      if (mine !== generation) return
      detail.value = run
      status.value = run.status
      runError.value = run.error
      for (const e of run.epochs) if (!epochs.value.some((x) => x.epoch === e.epoch)) setEpoch(e)
      const live = active.find((p) => p.runId === runId) ?? null
      if (live) progress.value = live
      batchSeries.value = rebuild(rows, live?.batches)
      error.value = null
    } catch (e) {
      if (mine === generation) error.value = e instanceof Error ? e.message : String(e)
    } finally {
      if (mine === generation) loading.value = false
    }
  }

  const offs = [
    api.onTrainingProgress((p) => {
      if (p.runId !== id.value) return
      progress.value = p
      if (status.value !== 'running') status.value = 'running'
      pushBatch(batchSeries.value, p.step, p.epoch, p.batch, p.batches, p.stepLoss, p.stepAccuracy)
      triggerRef(batchSeries)
    }),
    api.onTrainingEpoch((e) => {
      if (e.runId !== id.value) return
      setEpoch(e.metrics)
      void reloadSteps()
    }),
    api.onTrainingNote((n) => {
      if (n.runId === id.value) notes.value = [...notes.value.slice(-19), n.text]
    }),
    api.onRunsChanged((c) => {
      // Another process (or this one) changed the run: its name, figures and epochs count follow.
      const now = c.runs.find((r) => r.id === id.value)
      if (now && detail.value && detail.value.id === now.id) detail.value = { ...detail.value, ...now }
      if (c.removed.includes(id.value)) error.value = `run ${id.value} was deleted`
    }),
    api.onRunStatus((s) => {
      if (s.runId !== id.value) return
      status.value = s.status
      runError.value = s.error
      if (terminal.includes(s.status)) {
        progress.value = null
        void load()
      }
    })
  ]
  onUnmounted(() => offs.forEach((off) => off()))

  watch(
    id,
    () => {
      detail.value = null
      epochs.value = []
      progress.value = null
      notes.value = []
      batchSeries.value = { loss: [], accuracy: [] }
      lastStep = 0
      lastEpoch = 0
      void load()
    },
    { immediate: true }
  )

  async function cancel(): Promise<void> {
    try {
      await api.cancelTraining({ runId: id.value })
    } catch (e) {
      error.value = e instanceof Error ? e.message : String(e)
    }
  }

  return { detail, epochs, progress, status, runError, notes, loading, error, batchSeries, cancel, reload: load }
}
