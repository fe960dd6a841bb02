// The run store on a real SQLite file: lifecycle, metrics figures, search, delete/restore, crash recovery, migrations.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { RunStore } from '../../main/runs/store'
import { migrations } from '../../main/runs/migrations'
import { seedCompletedRun, tutorialConfig } from '../helpers/seed'
import { tempDir } from '../helpers/tmp'

let dir: ReturnType<typeof tempDir>
let store: RunStore
beforeEach(() => {
  dir = tempDir()
  store = new RunStore(join(dir.path, 'nested', 'rnnlab.db'))
})
afterEach(() => {
  store.close()
  dir.remove()
})

describe('RunStore', () => {
  it('creates the database file with WAL and the newest schema version', () => {
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(store.db.pragma('user_version', { simple: true })).toBe(migrations.length)
    expect(store.integrityCheck()).toBe('ok')
  })

  it('keeps a run through its lifecycle with last and best figures per metric', () => {
    const id = seedCompletedRun(store, { name: 'bilstm', epochs: 5, peakEpoch: 3 })
    const run = store.getRun(id)
    expect(run.status).toBe('completed')
    expect(run.config).toEqual({ ...tutorialConfig, name: 'bilstm' })
    expect(run.epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4, 5])
    expect(run.valAccuracy.bestEpoch).toBe(3)
    expect(run.valAccuracy.best).toBeCloseTo(0.96, 10)
    expect(run.valAccuracy.last).toBeCloseTo(0.95, 10)
    expect(run.loss.best).toBeCloseTo(1 / 6, 10)
    expect(run.loss.bestEpoch).toBe(5)
    expect(run.durationSeconds).not.toBeNull()
    expect(run.durationSeconds!).toBeGreaterThanOrEqual(0)
    expect(run.startedAt).not.toBeNull()
    expect(run.endedAt).not.toBeNull()
  })

  it('lists runs newest first, searches names and notes, hides archived and deleted runs', () => {
    const a = seedCompletedRun(store, { name: 'first lstm' })
    const b = seedCompletedRun(store, { name: 'gru sibling', cell: 'gru' })
    const c = seedCompletedRun(store, { name: 'third' })
    store.updateRun({ id: c, notes: 'tried 100% dropout_ish settings', tags: ['x'] })
    expect(store.listRuns().map((r) => r.id)).toEqual([c, b, a])
    expect(store.listRuns({ search: 'gru' }).map((r) => r.id)).toEqual([b])
    expect(store.listRuns({ search: '100%' }).map((r) => r.id)).toEqual([c])
    // % and _ are literal characters in a search, not wildcards.
    expect(store.listRuns({ search: '%' }).map((r) => r.id)).toEqual([c])
    expect(store.listRuns({ search: 'dropout_' }).map((r) => r.id)).toEqual([c])
    store.updateRun({ id: a, archived: true })
    expect(store.listRuns().map((r) => r.id)).toEqual([c, b])
    expect(store.listRuns({ includeArchived: true }).map((r) => r.id)).toEqual([c, b, a])
    store.deleteRun(b)
    expect(store.listRuns({ includeArchived: true }).map((r) => r.id)).toEqual([c, a])
    expect(() => store.getRun(b)).toThrow(`run ${b} not found`)
    store.restoreRun(b)
    expect(store.getRun(b).name).toBe('gru sibling')
  })

  it('resolves a run by id or by its newest name, and names the missing one', () => {
    seedCompletedRun(store, { name: 'twin' })
    const newer = seedCompletedRun(store, { name: 'twin' })
    expect(store.resolve('twin')).toBe(newer)
    expect(store.resolve(String(newer))).toBe(newer)
    expect(() => store.resolve('nope')).toThrow('run "nope" not found')
    expect(() => store.resolve('999')).toThrow('run 999 not found')
  })

  it('finds a run named with digits: its id first, then the name; name: always by name', () => {
    const first = seedCompletedRun(store, { name: 'first' })
    const numeric = seedCompletedRun(store, { name: '123' })
    const namedAsFirst = seedCompletedRun(store, { name: String(first) })
    expect(store.resolve('123')).toBe(numeric) // no run 123: the run named so
    expect(store.resolve('name:123')).toBe(numeric)
    expect(store.resolve(String(first))).toBe(first) // the id wins over the name
    expect(store.resolve(`name:${first}`)).toBe(namedAsFirst)
    expect(store.resolve('name:first')).toBe(first)
    expect(() => store.resolve('name:nope')).toThrow('run named "nope" not found')
    expect(() => store.resolve('name:')).toThrow('run named "" not found')
  })

  it('marks runs left running by a dead process as interrupted, keeping their finished epochs', () => {
    const id = store.createRun({
      name: 'killed',
      config: tutorialConfig,
      dataset: 'mnist-sample',
      seed: 1,
      paramCount: 93010,
      cell: 'lstm',
      direction: 'bidirectional',
      layerCount: 5,
      epochsPlanned: 10
    })
    store.markStarted(id, { engineVersion: null, threads: 1, cpu: null, pid: 999_999_999, host: 'box' })
    store.recordEpoch(id, {
      epoch: 1,
      loss: 0.5,
      accuracy: 0.8,
      valLoss: 0.4,
      valAccuracy: 0.85,
      learningRate: 0.001,
      seconds: 3,
      samplesPerSecond: 2000
    })
    const alive = store.createRun({
      name: 'alive',
      config: tutorialConfig,
      dataset: 'mnist-sample',
      seed: 1,
      paramCount: 93010,
      cell: 'lstm',
      direction: 'bidirectional',
      layerCount: 5,
      epochsPlanned: 10
    })
    store.markStarted(alive, { engineVersion: null, threads: 1, cpu: null, pid: process.pid, host: 'box' })
    const other = store.createRun({
      name: 'other host',
      config: tutorialConfig,
      dataset: 'mnist-sample',
      seed: 1,
      paramCount: 93010,
      cell: 'lstm',
      direction: 'bidirectional',
      layerCount: 5,
      epochsPlanned: 10
    })
    store.markStarted(other, { engineVersion: null, threads: 1, cpu: null, pid: 999_999_999, host: 'elsewhere' })

    expect(store.recoverInterrupted((pid) => pid === process.pid, 'box')).toEqual([id])
    const run = store.getRun(id)
    expect(run.status).toBe('interrupted')
    expect(run.error).toMatch(/stopped without finishing/)
    expect(run.epochs).toHaveLength(1)
    expect(store.getRun(alive).status).toBe('running')
    expect(store.getRun(other).status).toBe('running')
  })

  it('marks a run killed while others watch (startedOnly, as the watcher does every 2 s); a live one trains on', () => {
    const make = (name: string, pid: number) => {
      const id = store.createRun({
        name,
        config: tutorialConfig,
        dataset: 'mnist-sample',
        seed: 1,
        paramCount: 93010,
        cell: 'lstm',
        direction: 'bidirectional',
        layerCount: 5,
        epochsPlanned: 10
      })
      store.markStarted(id, { engineVersion: null, threads: 1, cpu: null, pid, host: 'box' })
      return id
    }
    const killed = make('killed', 999_999_998)
    const alive = make('alive', process.pid)
    expect(store.recoverInterrupted((pid) => pid === process.pid, 'box', { startedOnly: true })).toEqual([killed])
    expect(store.getRun(killed).status).toBe('interrupted')
    expect(store.getRun(alive).status).toBe('running')
    // Already marked: the next look finds nothing.
    expect(store.recoverInterrupted((pid) => pid === process.pid, 'box', { startedOnly: true })).toEqual([])
  })

  it('commits the record naming a new checkpoint with synchronous=FULL (it survives a power cut), then NORMAL again', () => {
    const id = seedCompletedRun(store, { name: 'durable', epochs: 1 })
    const seen: number[] = []
    const hookKey = Symbol.for('rnnlab.faultHook')
    const g = globalThis as { [hookKey]?: (point: string) => void }
    g[hookKey] = (point) => {
      if (point === 'metrics-commit') seen.push(store.db.pragma('synchronous', { simple: true }) as number)
    }
    try {
      store.recordEpochResult(
        id,
        {
          epoch: 2,
          loss: 1,
          accuracy: 0.5,
          valLoss: 1,
          valAccuracy: 0.5,
          learningRate: 0.001,
          seconds: 1,
          samplesPerSecond: 1
        },
        [{ kind: 'last', epoch: 2, path: '/x/last-2.ckpt', sha256: 'ab', bytes: 1 }],
        []
      )
    } finally {
      delete g[hookKey]
    }
    expect(seen).toEqual([2]) // FULL inside the commit
    expect(store.db.pragma('synchronous', { simple: true })).toBe(1) // NORMAL for everything else
  })

  it('survives reopening: data written by one connection is read by another', () => {
    const id = seedCompletedRun(store, { name: 'persisted', tags: ['a', 'b'] })
    store.close()
    const again = new RunStore(store.file)
    expect(again.getRun(id).tags).toEqual(['a', 'b'])
    again.close()
    store = new RunStore(store.file)
  })

  it('upgrades a database made by the first schema, keeping its runs', () => {
    const file = join(dir.path, 'v1.db')
    const old = new Database(file)
    old.exec(migrations[0])
    old.pragma('user_version = 1')
    old
      .prepare(
        `INSERT INTO runs (name, config_json, dataset, status, created_at) VALUES ('old run', '{}', 'mnist-sample', 'completed', '2026-01-01T00:00:00Z')`
      )
      .run()
    old.close()
    const upgraded = new RunStore(file)
    expect(upgraded.db.pragma('user_version', { simple: true })).toBe(migrations.length)
    expect(upgraded.listRuns().map((r) => [r.name, r.stopReason])).toEqual([['old run', null]])
    upgraded.close()
  })

  it('keeps per-step means apart from the running means older runs recorded', () => {
    const id = seedCompletedRun(store, { name: 'new', epochs: 1 })
    const step = { step: 5, epoch: 1, batch: 5, batches: 4, loss: 0.5, accuracy: 0.8, wallSeconds: 1.5 }
    store.recordBatches(id, [step])
    expect(store.getBatches(id)).toEqual([step])
    expect(() => store.recordBatches(id, [{ ...step, step: 6, batches: null }])).toThrow(/^step 6: /)
    // A run from before: its running means, said to be such (batches null).
    const old = seedCompletedRun(store, { name: 'old', epochs: 1 })
    store.db
      .prepare(
        'INSERT INTO batch_metrics (run_id, step, epoch, batch, loss, accuracy, wall_s) VALUES (?, 1, 1, 1, 2, 0.1, 0.2)'
      )
      .run(old)
    expect(store.getBatches(old)).toEqual([
      { step: 1, epoch: 1, batch: 1, batches: null, loss: 2, accuracy: 0.1, wallSeconds: 0.2 }
    ])
  })

  it('refuses a database written by a newer version, naming the file', () => {
    const file = join(dir.path, 'newer.db')
    const db = new Database(file)
    db.pragma(`user_version = ${migrations.length + 5}`)
    db.close()
    expect(() => new RunStore(file)).toThrow(`${file}: database schema version ${migrations.length + 5} is newer`)
  })

  it('refuses a file that is not a database, naming the file', () => {
    const file = join(dir.path, 'garbage.db')
    writeFileSync(file, 'this is not sqlite at all, just text that is long enough to be a header......')
    expect(() => new RunStore(file)).toThrow(`${file}: cannot open the run database`)
  })
})
