// The Trash (B18): deleted runs are listed with their size and purge date, restored, purged by hand with their
// files, and purged by the retention rule when their time is over; a run still training is never purged.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Services } from '../../main/services'
import { seedCompletedRun } from '../helpers/seed'
import { tempDir } from '../helpers/tmp'

let dir: ReturnType<typeof tempDir>
let outside: ReturnType<typeof tempDir>
let services: Services

/** Gives a run a folder with a checkpoint of `bytes` bytes, as training leaves it, and records the checkpoint. */
function withCheckpoint(s: Services, id: number, bytes: number): string {
  const folder = join(dir.path, 'runs', String(id))
  mkdirSync(folder, { recursive: true })
  const path = join(folder, 'last.ckpt')
  writeFileSync(path, Buffer.alloc(bytes, 1))
  s.store.db
    .prepare(
      `INSERT INTO checkpoints (run_id, kind, epoch, path, sha256, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`
    )
    .run(id, 'last', 1, path, 'x', bytes, new Date().toISOString())
  return folder
}

beforeEach(() => {
  dir = tempDir()
  outside = tempDir()
  services = new Services({ home: dir.path, door: 'cli', version: '0.0.0-test' })
})
afterEach(() => {
  services.close()
  dir.remove()
  outside.remove()
})

describe('the Trash', () => {
  it('lists deleted runs with their size and purge date, and restores them', async () => {
    const { handlers } = services
    const kept = seedCompletedRun(services.store, { name: 'kept' })
    const gone = seedCompletedRun(services.store, { name: 'gone' })
    withCheckpoint(services, gone, 2048)
    expect((await handlers.listTrash(undefined)).runs).toEqual([])
    await handlers.deleteRun({ id: gone })
    const trash = await handlers.listTrash(undefined)
    expect(trash.retentionDays).toBe(30)
    expect(trash.runs.map((r) => [r.id, r.name, r.bytes])).toEqual([[gone, 'gone', 2048]])
    const { deletedAt, purgeAt } = trash.runs[0]
    expect(Date.parse(purgeAt) - Date.parse(deletedAt)).toBe(30 * 86_400_000)
    expect((await handlers.listRuns({})).map((r) => r.id)).toEqual([kept])
    await handlers.restoreRun({ id: gone })
    expect((await handlers.listTrash(undefined)).runs).toEqual([])
    expect((await handlers.listRuns({})).map((r) => r.id)).toEqual([gone, kept])
  })

  it('purges a deleted run with its folder and its exports in the home, and keeps an export saved elsewhere', async () => {
    const { handlers } = services
    const id = seedCompletedRun(services.store, { name: 'doomed' })
    const folder = withCheckpoint(services, id, 1000)
    mkdirSync(join(dir.path, 'exports'))
    const inHome = join(dir.path, 'exports', `run-${id}-best.onnx`)
    const elsewhere = join(outside.path, 'mine.onnx')
    for (const [path, size] of [
      [inHome, 300],
      [elsewhere, 500]
    ] as const) {
      writeFileSync(path, Buffer.alloc(size))
      services.store.recordExport(id, { checkpoint: 'best', path, ok: true, report: {} })
    }
    // Not in the Trash: refused, nothing removed.
    expect(() => handlers.purgeRuns({ ids: [id] })).toThrow(`run ${id} is not in the Trash`)
    expect(existsSync(folder)).toBe(true)
    await handlers.deleteRun({ id })
    expect(await handlers.purgeRuns({ ids: [id] })).toEqual({ purged: [id], bytes: 1300 })
    expect(existsSync(folder)).toBe(false)
    expect(existsSync(inHome)).toBe(false)
    expect(existsSync(elsewhere)).toBe(true)
    expect((await handlers.listTrash(undefined)).runs).toEqual([])
    expect(() => handlers.restoreRun({ id })).toThrow(`run ${id} not found`)
    for (const table of ['epoch_metrics', 'checkpoints', 'exports', 'batch_metrics'])
      expect(services.store.db.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE run_id = ?`).get(id)).toEqual({ n: 0 })
  })

  it('never purges a run that is still training', async () => {
    const id = services.store.createRun({
      name: 'training',
      config: {},
      dataset: 'mnist-sample',
      seed: 1,
      paramCount: null,
      cell: 'lstm',
      direction: 'forward',
      layerCount: 2,
      epochsPlanned: 3,
      status: 'running'
    })
    services.store.deleteRun(id)
    expect(() => services.handlers.purgeRuns({ ids: [id] })).toThrow(
      `run ${id} is still training: cancel it before deleting it for good`
    )
  })

  it('purges at start the runs deleted longer ago than the retention, and keeps the others', async () => {
    const old = seedCompletedRun(services.store, { name: 'old' })
    const recent = seedCompletedRun(services.store, { name: 'recent' })
    const oldFolder = withCheckpoint(services, old, 10)
    const recentFolder = withCheckpoint(services, recent, 10)
    const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000).toISOString()
    const setDeleted = services.store.db.prepare(`UPDATE runs SET deleted_at = ? WHERE id = ?`)
    setDeleted.run(daysAgo(31), old)
    setDeleted.run(daysAgo(29), recent)
    const db = services.dbPath
    services.close()
    // The next process to open the database (the app, serve or the CLI) applies the rule.
    services = new Services({ home: dir.path, dbPath: db, door: 'cli', version: '0.0.0-test' })
    expect((await services.handlers.listTrash(undefined)).runs.map((r) => r.id)).toEqual([recent])
    expect(existsSync(oldFolder)).toBe(false)
    expect(existsSync(recentFolder)).toBe(true)
    // A shorter retention set by the app applies the same way.
    services.close()
    services = new Services({ home: dir.path, dbPath: db, door: 'cli', version: '0.0.0-test', trashRetentionDays: 7 })
    expect((await services.handlers.listTrash(undefined)).runs).toEqual([])
    expect(existsSync(recentFolder)).toBe(false)
  })
})

describe('two databases in one home', () => {
  it('keep their runs in folders of their own: purging run N of one leaves run N of the other', async () => {
    const homeRun = seedCompletedRun(services.store, { name: 'home run' })
    const homeFolder = withCheckpoint(services, homeRun, 1024)
    const other = new Services({
      home: dir.path,
      dbPath: join(dir.path, 'mnist.db'),
      door: 'cli',
      version: '0.0.0-test'
    })
    try {
      expect(other.runsDir).toBe(join(dir.path, 'mnist-runs'))
      const otherRun = seedCompletedRun(other.store, { name: 'other run' })
      expect(otherRun).toBe(homeRun)
      const otherFolder = join(other.runsDir, String(otherRun))
      mkdirSync(otherFolder, { recursive: true })
      writeFileSync(join(otherFolder, 'last.ckpt'), Buffer.alloc(512, 2))
      await other.handlers.deleteRun({ id: otherRun })
      expect((await other.handlers.listTrash(undefined)).runs.map((r) => r.bytes)).toEqual([512])
      expect((await other.handlers.purgeRuns({ ids: [otherRun] })).purged).toEqual([otherRun])
      expect(existsSync(otherFolder)).toBe(false)
      expect(existsSync(join(homeFolder, 'last.ckpt'))).toBe(true)
    } finally {
      other.close()
    }
    // The home's database still finds its run's checkpoint.
    expect(services.store.checkpointPaths(homeRun)).toEqual([join(homeFolder, 'last.ckpt')])
  })
})
