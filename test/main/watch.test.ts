// Live across processes: a door's Services sees what another connection or another process writes to the same
// database file (runs created, progressing, finishing, deleted), and re-reads only the runs that changed.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import type { EventKey, EventPayloads, RunsChanged } from '../../common/contract'
import { normalizeRunConfig } from '../../common/config'
import { Services } from '../../main/services'
import { RunStore } from '../../main/runs/store'
import { RunWatcher, type WatchEvents } from '../../main/runs/watch'
import { seedCompletedRun, tutorialConfig } from '../helpers/seed'
import { tempDir } from '../helpers/tmp'

let dir: ReturnType<typeof tempDir>
let dbPath: string
let writer: RunStore
beforeEach(() => {
  dir = tempDir()
  dbPath = join(dir.path, 'rnnlab.db')
  writer = new RunStore(dbPath)
})
afterEach(() => {
  writer.close()
  dir.remove()
})

/** Waits for a condition, polling; the deadline is generous for a loaded machine. */
async function until<T>(what: string, check: () => T | undefined | null | false, deadlineMs = 20_000): Promise<T> {
  const end = Date.now() + deadlineMs
  for (;;) {
    const v = check()
    if (v) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

function newRun(store: RunStore, name: string): number {
  return store.createRun({
    name,
    config: { ...tutorialConfig, name },
    dataset: 'mnist-sample',
    seed: 1,
    paramCount: 10,
    cell: 'lstm',
    direction: 'forward',
    layerCount: 2,
    epochsPlanned: 2
  })
}

const epoch = (e: number) => ({
  epoch: e,
  loss: 1 / e,
  accuracy: 0.5 + e / 10,
  valLoss: 1.1 / e,
  valAccuracy: 0.5 + e / 20,
  learningRate: 0.001,
  seconds: 1,
  samplesPerSecond: 100
})

describe('live across processes', () => {
  it('a door sees a run another connection creates, trains, finishes and deletes', async () => {
    const services = new Services({ home: dir.path, dbPath, door: 'browser', version: 'test' })
    try {
      const seen: { event: EventKey; payload: unknown }[] = []
      for (const event of ['onRunsChanged', 'onRunStatus', 'onTrainingEpoch', 'onTrainingProgress'] as const)
        services.on(event, (payload: EventPayloads[typeof event]) => seen.push({ event, payload }))
      services.watchDatabase(50)
      const changed = (id: number, test: (r: RunsChanged['runs'][number]) => boolean) =>
        seen.some(
          (s) => s.event === 'onRunsChanged' && (s.payload as RunsChanged).runs.some((r) => r.id === id && test(r))
        )

      const id = newRun(writer, 'from the cli')
      await until('the new run', () => changed(id, (r) => r.name === 'from the cli'))
      writer.markStarted(id, { engineVersion: null, threads: 1, cpu: null, pid: 1, host: 'elsewhere' })
      await until('running', () =>
        seen.some((s) => s.event === 'onRunStatus' && (s.payload as { status: string }).status === 'running')
      )
      const progress = { runId: id, epoch: 1, epochs: 2, batch: 3, batches: 10, loss: 2, accuracy: 0.2 }
      writer.setProgress(id, {
        ...progress,
        step: 3,
        stepLoss: 1.9,
        stepAccuracy: 0.25,
        stepBatches: 2,
        samplesPerSecond: 50,
        etaSeconds: 4
      })
      await until('the progress', () => seen.some((s) => s.event === 'onTrainingProgress'))
      expect(seen.find((s) => s.event === 'onTrainingProgress')!.payload).toMatchObject(progress)
      // A page opened now gets the other process's run as training, with its last progress.
      expect(await services.handlers.activeTraining(undefined)).toEqual([expect.objectContaining(progress)])

      writer.recordEpochResult(id, epoch(1), [], [])
      await until('epoch 1', () => seen.some((s) => s.event === 'onTrainingEpoch'))
      expect(seen.find((s) => s.event === 'onTrainingEpoch')!.payload).toEqual({ runId: id, metrics: epoch(1) })
      await until('the list row at 1/2 epochs', () =>
        changed(id, (r) => r.epochsDone === 1 && r.valAccuracy.best === epoch(1).valAccuracy)
      )
      writer.recordEpochResult(id, epoch(2), [], [])
      writer.finishRun(id, 'completed')
      await until('completed', () =>
        seen.some((s) => s.event === 'onRunStatus' && (s.payload as { status: string }).status === 'completed')
      )
      expect(
        seen
          .filter((s) => s.event === 'onTrainingEpoch')
          .map((s) => (s.payload as { metrics: { epoch: number } }).metrics.epoch)
      ).toEqual([1, 2])
      expect(await services.handlers.activeTraining(undefined)).toEqual([])

      writer.deleteRun(id)
      await until('the deletion', () =>
        seen.some((s) => s.event === 'onRunsChanged' && (s.payload as RunsChanged).removed.includes(id))
      )
      // Each status once, in order, for the run trained elsewhere.
      const statuses = seen
        .filter((s) => s.event === 'onRunStatus')
        .map((s) => (s.payload as { status: string }).status)
      expect(statuses).toEqual(['queued', 'running', 'completed'])
    } finally {
      services.close()
    }
  })

  it('says each thing once of a run this process trains: its host says it, the watcher does not repeat it', async () => {
    const services = new Services({ home: dir.path, dbPath, door: 'browser', version: 'test' })
    try {
      const statuses: string[] = []
      const epochs: number[] = []
      const rows: RunsChanged['runs'] = []
      services.on('onRunStatus', (s) => statuses.push(s.status))
      services.on('onTrainingEpoch', (e) => epochs.push(e.metrics.epoch))
      services.on('onRunsChanged', (c) => rows.push(...c.runs))
      services.watchDatabase(20)
      const config = normalizeRunConfig({
        name: 'here',
        dataset: { source: 'mnist-sample', limit: 300 },
        model: {
          layers: [
            { type: 'simple_rnn', units: 8 },
            { type: 'dense', units: 10, activation: 'softmax' }
          ]
        },
        training: { epochs: 2, batchSize: 32, seed: 1 }
      })
      const runId = services.training.start(config)
      expect(await services.training.finished(runId)).toBe('completed')
      // The list hears of the end through the database too.
      await until('the completed row', () => rows.some((r) => r.id === runId && r.status === 'completed'))
      await new Promise((r) => setTimeout(r, 200)) // ten more ticks: nothing more may come
      expect(statuses).toEqual(['running', 'completed'])
      expect(epochs).toEqual([1, 2])
    } finally {
      services.close()
    }
  })

  it('re-reads only the runs that changed, and no run when nothing did', () => {
    for (let i = 0; i < 30; i++) seedCompletedRun(writer, { name: `run ${i}` })
    const reader = new RunStore(dbPath)
    try {
      const sent: RunsChanged[] = []
      const events: WatchEvents = {
        changed: (c) => sent.push(c),
        status: () => undefined,
        epoch: () => undefined,
        progress: () => undefined
      }
      const watcher = new RunWatcher(reader, events, () => false)
      expect(watcher.poll()).toBe(0)
      writer.updateRun({ id: 7, name: 'renamed elsewhere' })
      expect(watcher.poll()).toBe(1)
      expect(sent).toEqual([{ runs: [expect.objectContaining({ id: 7, name: 'renamed elsewhere' })], removed: [] }])
      expect(watcher.poll()).toBe(0)
      // This connection's own writes count too (data_version only moves for other connections' commits).
      reader.updateRun({ id: 8, tags: ['mine'] })
      expect(watcher.poll()).toBe(1)
      expect(sent.at(-1)!.runs.map((r) => [r.id, r.tags])).toEqual([[8, ['mine']]])
      // A run changed twice between two looks is read once, with its newest state.
      writer.updateRun({ id: 9, name: 'a' })
      writer.updateRun({ id: 9, name: 'b' })
      writer.deleteRun(10)
      expect(watcher.poll()).toBe(2)
      expect(sent.at(-1)).toEqual({ runs: [expect.objectContaining({ id: 9, name: 'b' })], removed: [10] })
    } finally {
      reader.close()
    }
  })

  it('sees a write by another process, through the triggers, whatever wrote it', async () => {
    const id = seedCompletedRun(writer, { name: 'before' })
    const reader = new RunStore(dbPath)
    try {
      const sent: RunsChanged[] = []
      const watcher = new RunWatcher(
        reader,
        { changed: (c) => sent.push(c), status: () => undefined, epoch: () => undefined, progress: () => undefined },
        () => false
      )
      const script = `const D = require('better-sqlite3'); const db = new D(process.argv[1]);
        db.prepare("UPDATE runs SET name = 'renamed by another process' WHERE id = ?").run(Number(process.argv[2]));
        db.close()`
      const out = spawnSync(process.execPath, ['-e', script, dbPath, String(id)], { encoding: 'utf8' })
      expect(out.stderr).toBe('')
      expect(watcher.poll()).toBe(1)
      expect(sent[0].runs[0]).toMatchObject({ id, name: 'renamed by another process' })
    } finally {
      reader.close()
    }
  })
})
