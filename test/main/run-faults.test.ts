// The training host when the run database or the run's files go wrong, through real worker processes on real MNIST
// digits: a lock held beyond the host's bound, a run deleted or cancelled from another process, a swapped or missing
// checkpoint at resume, files left behind by killed processes, and the checkpoint loader given a folder.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { normalizeRunConfig, type RunConfig } from '../../common/config'
import { Services } from '../../main/services'
import { loadEngine } from '../../main/engine'
import { engineSpec } from '../../main/engine/spec'
import { isIntactCheckpoint } from '../../main/training/checkpoints'
import { writeFileAtomic } from '../../main/onnx/npy'
import { holdAt } from '../helpers/faults.mjs'
import { tempDir } from '../helpers/tmp'

const root = join(__dirname, '..', '..')
const bin = join(root, 'bin', 'rnnlab.js')
const locker = join(root, 'test', 'helpers', 'db-locker.cjs')

let dir: ReturnType<typeof tempDir>
let services: Services
const others: Services[] = []
const children: ChildProcess[] = []
beforeEach(() => {
  dir = tempDir()
  services = new Services({ home: dir.path, door: 'cli', version: 'test', dbRetryLimitMs: 2000 })
})
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL')
  for (const s of others.splice(0)) s.close()
  services.close()
  dir.remove()
})

function tinyConfig(epochs = 3, limit = 1000, seed = 9): RunConfig {
  return normalizeRunConfig({
    name: 'faulty',
    dataset: { source: 'mnist-sample', limit },
    model: {
      layers: [
        { type: 'gru', units: 12 },
        { type: 'dense', units: 10, activation: 'softmax' }
      ]
    },
    training: { optimizer: 'adam', batchSize: 32, epochs, seed }
  })
}

/** Polls `check` every 20 ms until it returns a value; fails after `ms`. */
async function until<T>(what: string, check: () => T | undefined | null | false, ms = 40_000): Promise<T> {
  const t0 = Date.now()
  for (;;) {
    const v = check()
    if (v) return v
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** The environment the host gives the workers it starts, for one start. */
function withEnv<T>(env: Record<string, string>, fn: () => T): T {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]))
  Object.assign(process.env, env)
  try {
    return fn()
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  }
}

/** Files in a run's folder, and the checkpoint files the database names for it. */
function folderAndRows(runId: number): { files: string[]; named: string[] } {
  const runDir = join(dir.path, 'runs', String(runId))
  const files = existsSync(runDir) ? readdirSync(runDir).map((f) => join(runDir, f)) : []
  const named = (
    services.store.db.prepare('SELECT path FROM checkpoints WHERE run_id = ?').all(runId) as { path: string }[]
  ).map((r) => r.path)
  return { files: files.sort(), named: named.sort() }
}

/** `rnnlab train --json` in another process, on this test's home folder. */
function cliTrain(config: RunConfig) {
  const file = join(dir.path, 'config.json')
  writeFileSync(file, JSON.stringify(config))
  const child = spawn(process.execPath, [bin, 'train', file, '--json'], {
    env: { ...process.env, RNNLAB_HOME: dir.path, RNNLAB_NO_REBUILD: '1' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  children.push(child)
  const events: { event: string; runId?: number; [k: string]: unknown }[] = []
  let buffer = ''
  let stderr = ''
  child.stdout!.on('data', (c) => {
    buffer += c
    const lines = buffer.split('\n')
    buffer = lines.pop()!
    for (const line of lines) if (line.trim()) events.push(JSON.parse(line))
  })
  child.stderr!.on('data', (c) => (stderr += c))
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.once('exit', (code) => resolve({ code, stderr }))
  )
  return { child, events, exited }
}

describe('the database locked beyond the host bound', () => {
  it('stops the worker and ends the run failed with the reason; nothing orphaned; resume finishes it', async () => {
    const release = join(dir.path, 'release')
    const notes: string[] = []
    services.on('onTrainingNote', (n) => notes.push(n.text))
    // The worker waits inside epoch 2's checkpoint write while another process takes the lock for 8 s (bound: 2 s).
    const runId = withEnv(holdAt('checkpoint', release, 2), () => services.training.start(tinyConfig(4)))
    await until('epoch 2', () => existsSync(join(dir.path, 'runs', String(runId), 'holding-checkpoint')))
    const lockHolder = spawn(process.execPath, [locker, services.dbPath, '8000'], {
      stdio: ['ignore', 'pipe', 'inherit']
    })
    children.push(lockHolder)
    const lockReleased = new Promise((r) => lockHolder.once('exit', r))
    let out = ''
    lockHolder.stdout!.on('data', (c) => (out += c))
    await until('the lock', () => out.includes('locked'))
    writeFileSync(release, '')
    expect(await services.training.finished(runId)).toBe('failed')
    await lockReleased
    rmSync(join(dir.path, 'runs', String(runId), 'holding-checkpoint'))
    // The end is recorded once the other process lets go of the lock.
    await until('the end recorded', () => services.store.getSummary(runId).status !== 'running')
    const run = services.store.getRun(runId)
    expect(run.status).toBe('failed')
    expect(run.error).toBe(
      `could not record epoch 2: the run database ${services.dbPath} is locked by another process for more than 2 s; epoch 1 is kept and the run can be resumed`
    )
    expect(run.epochs.map((e) => e.epoch)).toEqual([1])
    expect(notes).toContain(
      `the run database ${services.dbPath} is locked by another process; waiting up to 2 s to record epoch 2`
    )
    const { files, named } = folderAndRows(runId)
    expect(files).toEqual(named)
    expect(named.length).toBeGreaterThan(0)

    services.training.resume(runId)
    expect(await services.training.finished(runId)).toBe('completed')
    expect(services.store.getRun(runId).epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4])
  })
})

describe('Start while another process holds the lock', () => {
  it('refuses in one line naming the database, after a short wait, and creates nothing', async () => {
    const lockHolder = spawn(process.execPath, [locker, services.dbPath, '4000'], {
      stdio: ['ignore', 'pipe', 'inherit']
    })
    children.push(lockHolder)
    const lockReleased = new Promise((r) => lockHolder.once('exit', r))
    let out = ''
    lockHolder.stdout!.on('data', (c) => (out += c))
    await until('the lock', () => out.includes('locked'))
    expect(() => services.training.start(tinyConfig())).toThrow(
      `cannot start the run: the run database ${services.dbPath} is locked by another process`
    )
    await lockReleased
    expect(services.store.listRuns()).toEqual([])
  })
})

describe('stopping a run from another process', () => {
  it('rnnlab delete of a run the CLI trains stops its training; the CLI says so', async () => {
    const { events, exited } = cliTrain(tinyConfig(60, 2000))
    const runId = await until('the first epoch', () => events.find((e) => e.event === 'epoch')?.runId)
    const del = spawn(process.execPath, [bin, 'delete', String(runId)], {
      env: { ...process.env, RNNLAB_HOME: dir.path, RNNLAB_NO_REBUILD: '1' },
      stdio: 'ignore'
    })
    await new Promise((r) => del.once('exit', r))
    const { code } = await exited
    expect(code).toBe(130)
    expect(events.at(-1)).toMatchObject({ event: 'finished', runId, status: 'cancelled', deleted: true })
    const row = services.store.db.prepare('SELECT status, stop_reason, deleted_at FROM runs WHERE id = ?').get(runId)
    expect(row).toMatchObject({ status: 'cancelled', stop_reason: 'the run was deleted while it trained' })
    // It stopped long before its 60 epochs.
    expect(events.filter((e) => e.event === 'epoch').length).toBeLessThan(60)
    const { files, named } = folderAndRows(runId)
    expect(files).toEqual(named)
  })

  it('Cancel of a run another process trains asks it through the database, and that process stops it', async () => {
    const { events, exited } = cliTrain(tinyConfig(60, 2000))
    const runId = await until('the first epoch', () => events.find((e) => e.event === 'epoch')?.runId)
    expect(services.training.isTraining(runId)).toBe(false)
    await services.handlers.cancelTraining({ runId })
    const { code } = await exited
    expect(code).toBe(130)
    expect(services.store.getRun(runId).status).toBe('cancelled')
    // Nothing is training it any more: a second Cancel says so.
    expect(() => services.handlers.cancelTraining({ runId })).toThrow(`run ${runId} is not training (it is cancelled)`)
  })

  it('a deleted run whose process died is found interrupted at the next start', async () => {
    const a = services.store.createRun({
      name: 'gone',
      config: {},
      dataset: 'mnist-sample',
      seed: 1,
      paramCount: null,
      cell: null,
      direction: null,
      layerCount: 0,
      epochsPlanned: 3
    })
    services.store.markStarted(a, { engineVersion: null, threads: null, cpu: null, pid: 2 ** 22 + 1, host: null })
    services.store.db.prepare(`UPDATE runs SET host = ? WHERE id = ?`).run(hostname(), a)
    services.store.deleteRun(a)
    const next = new Services({ home: dir.path, door: 'cli', version: 'test' })
    others.push(next)
    services.store.restoreRun(a)
    expect(services.store.getSummary(a).status).toBe('interrupted')
  })
})

describe('resume', () => {
  // Killed when epoch 2 is reported: the run has epochs enough that its worker cannot finish them all before the kill
  // lands, even on a quick machine.
  async function failedRun(epochs: number, seed = 9): Promise<number> {
    const pids: number[] = []
    const host = services.training as unknown as { spawn: () => { pid: number } }
    const spawnWorker = host.spawn
    host.spawn = () => {
      const h = spawnWorker()
      pids.push(h.pid)
      return h
    }
    const runId = services.training.start(tinyConfig(epochs, 1000, seed))
    await new Promise<void>((resolve) => {
      const off = services.on('onTrainingEpoch', (e) => {
        if (e.runId === runId && e.metrics.epoch === 2) {
          off()
          process.kill(pids[0], 'SIGKILL')
          resolve()
        }
      })
    })
    expect(await services.training.finished(runId)).toBe('failed')
    host.spawn = spawnWorker
    return runId
  }

  it('refuses a checkpoint swapped for another run’s, naming it', async () => {
    const a = await failedRun(12)
    const b = await failedRun(12, 10)
    const last = services.store.checkpoint(a, 'last')!
    copyFileSync(services.store.checkpoint(b, 'last')!.path, last.path)
    expect(() => services.training.resume(a)).toThrow(
      `${last.path}: this is not the checkpoint run ${a} saved (its sha256 differs from the one recorded); refusing to resume from it`
    )
  })

  it('falls back to the newest whole checkpoint on disk when the recorded one is gone', async () => {
    const a = await failedRun(12)
    const last = services.store.checkpoint(a, 'last')!
    const best = services.store.checkpoint(a, 'best')!
    rmSync(last.path)
    services.training.resume(a)
    expect(await services.training.finished(a)).toBe('completed')
    const run = services.store.getRun(a)
    expect(run.epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
    // Training went on from the epoch of the checkpoint it found (the best one's).
    expect(best.epoch).toBeLessThanOrEqual(last.epoch)
  })
})

describe('files left behind', () => {
  it('are removed at start: unfinished writes, checkpoints no run names, dead processes’ temporaries', async () => {
    const runId = services.training.start(tinyConfig(2))
    expect(await services.training.finished(runId)).toBe('completed')
    const runDir = join(dir.path, 'runs', String(runId))
    const kept = folderAndRows(runId).named
    const junk = [
      join(runDir, 'last-3.ckpt.writing'),
      join(runDir, 'last-3.ckpt.writing.tmp'),
      join(runDir, 'last-1.ckpt'),
      join(dir.path, 'exports', `run-${runId}-best.onnx.tmp-${2 ** 22 + 3}`)
    ]
    mkdirSync(join(dir.path, 'exports'), { recursive: true })
    for (const f of junk) writeFileSync(f, 'left behind')
    // A folder of a run this database does not have (another database in the same home) keeps its checkpoints.
    mkdirSync(join(dir.path, 'runs', '999'))
    writeFileSync(join(dir.path, 'runs', '999', 'last-1.ckpt'), 'not ours')
    services.close()
    services = new Services({ home: dir.path, door: 'cli', version: 'test' })
    for (const f of junk) expect(existsSync(f), f).toBe(false)
    expect(folderAndRows(runId).files).toEqual(kept)
    expect(existsSync(join(dir.path, 'runs', '999', 'last-1.ckpt'))).toBe(true)
  })

  it('an orphaned worker stops within a step report when its host is killed, not at the end of the epoch', async () => {
    // One long epoch (seconds): the host (a CLI) is killed during it.
    const config = tinyConfig(1, 6000)
    config.model.layers[0] = normalizeRunConfig({
      ...config,
      model: { layers: [{ type: 'bidirectional', layer: { type: 'lstm', units: 48 } }, config.model.layers[1]] }
    }).model.layers[0]
    const { child, events, exited } = cliTrain(config)
    const runId = await until('training', () => events.find((e) => e.event === 'progress')?.runId)
    const workers = readdirSync('/proc').filter((p) => {
      try {
        return (
          /^\d+$/.test(p) &&
          readFileSync(`/proc/${p}/stat`, 'latin1').split(') ')[1].split(' ')[1] === String(child.pid)
        )
      } catch {
        return false
      }
    })
    expect(workers).toHaveLength(1)
    child.kill('SIGKILL')
    await exited
    await until('the worker to stop', () => !existsSync(`/proc/${workers[0]}`), 20_000)
    // It stopped inside the epoch: no checkpoint of epoch 1 was written.
    expect(readdirSync(join(dir.path, 'runs', String(runId))).filter((f) => f.startsWith('last-1'))).toEqual([])
  })

  it('an atomic write that fails (a folder in the way) leaves no temporary file beside it', () => {
    const out = join(dir.path, 'model.onnx')
    mkdirSync(out)
    expect(() => writeFileAtomic(out, new Uint8Array([1, 2, 3]))).toThrow()
    expect(readdirSync(dir.path).filter((f) => f.includes('.tmp-'))).toEqual([])
  })

  it('the checkpoint loader given a folder says so in one line naming it', () => {
    const engine = loadEngine()
    const model = new engine.Model(engineSpec(tinyConfig(), [28, 28]))
    model.init(1)
    const path = join(dir.path, 'a.ckpt')
    model.saveCheckpoint(path)
    expect(isIntactCheckpoint(readFileSync(path))).toBe(true)
    mkdirSync(join(dir.path, 'folder.ckpt'))
    expect(() => model.loadCheckpoint(join(dir.path, 'folder.ckpt'))).toThrow(
      `${join(dir.path, 'folder.ckpt')}: cannot read checkpoint: Is a directory`
    )
  })
})
