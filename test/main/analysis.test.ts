// The analyses of trained runs (confusion matrix, two-run diff, prefix accuracy) on real runs: tiny MNIST runs and
// the first-step-sign task written as .npy files, trained by the CLI, analysed in worker processes.
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AnalysisProgress, ConfusionReport } from '../../common/contract'
import { Services } from '../../main/services'
import { appRoot, trainTinyRun } from '../helpers/browser'
import { signConfig, writeSignTask } from '../helpers/sign-task'
import { tempDir } from '../helpers/tmp'

let dir: ReturnType<typeof tempDir>
let services: Services
let db: string
let digitsA: number
let digitsB: number
let forward: number
let bidirectional: number
/** Run A's confusion report (best checkpoint), kept for the diff. */
let reportA: ConfusionReport

function trainConfig(config: unknown, name: string): number {
  const file = join(dir.path, `${name}.json`)
  writeFileSync(file, JSON.stringify(config))
  const out = spawnSync(process.execPath, [join(appRoot, 'bin', 'rnnlab.js'), 'train', file, '--db', db], {
    cwd: appRoot,
    env: { ...process.env, RNNLAB_HOME: dir.path },
    encoding: 'utf8'
  })
  if (out.status !== 0) throw new Error(`rnnlab train failed: ${out.stderr}`)
  return Number(out.stdout.trim().split('\n').pop())
}

beforeAll(() => {
  dir = tempDir()
  db = join(dir.path, 'lab.db')
  digitsA = trainTinyRun(dir.path, db, 'digits-a', 1)
  digitsB = trainTinyRun(dir.path, db, 'digits-b', 2)
  // Step 1's sign is the class; the 11 steps after it are noise.
  const task = writeSignTask(dir.path, { timeSteps: 12, train: 1000, validation: 300, seed: 1 })
  forward = trainConfig(signConfig('sign-forward', task, false, 10), 'sign-forward')
  bidirectional = trainConfig(signConfig('sign-bidirectional', task, true, 10), 'sign-bidirectional')
  services = new Services({ home: dir.path, dbPath: db, door: 'cli', version: '0.0.0-test' })
}, 120_000)
afterAll(() => {
  services?.close()
  dir?.remove()
})

const sum = (m: number[][]) => m.flat().reduce((a, b) => a + b, 0)
const trace = (m: number[][]) => m.reduce((a, row, i) => a + row[i], 0)

describe('confusion matrix', () => {
  it("sums to the validation size; its diagonal is the accuracy recorded at the checkpoint's epoch", async () => {
    const run = services.store.getRun(digitsA)
    const report = await services.handlers.analyzeConfusion({ runId: digitsA, checkpoint: 'best' })
    expect(report.size).toBe(100) // mnist-sample limit 500, validationSplit 0.2
    expect(sum(report.matrix)).toBe(report.size)
    expect(report.matrix).toHaveLength(10)
    const recorded = run.epochs.find((e) => e.epoch === report.epoch)!.valAccuracy!
    expect(report.recordedAccuracy).toBe(recorded)
    expect(trace(report.matrix)).toBe(Math.round(recorded * report.size))
    expect(report.accuracy).toBeCloseTo(recorded, 6)
    // The gallery: every misclassified sample once, with probabilities that sum to 1 and pick the wrong class.
    expect(report.errors).toHaveLength(report.size - trace(report.matrix))
    for (const e of report.errors) {
      expect(e.predicted).not.toBe(e.label)
      expect(report.labels[e.index]).toBe(e.label)
      expect(report.predicted[e.index]).toBe(e.predicted)
      expect(e.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 3)
      expect(Math.max(...e.probabilities)).toBe(e.probabilities[e.predicted])
    }
    reportA = report
  })
})

describe('two-run diff', () => {
  it('lists the samples one run gets right and the other wrong, and the confusion cells that changed', async () => {
    const a = reportA
    const [b, diff] = await Promise.all([
      services.handlers.analyzeConfusion({ runId: digitsB }),
      services.handlers.analyzeDiff({ a: digitsA, b: digitsB })
    ])
    expect(diff.size).toBe(100)
    expect(diff.onlyA.length - diff.onlyB.length).toBe(trace(a.matrix) - trace(b.matrix))
    for (const s of diff.onlyA) expect([s.a === s.label, s.b === s.label]).toEqual([true, false])
    for (const s of diff.onlyB) expect([s.a === s.label, s.b === s.label]).toEqual([false, true])
    expect(diff.onlyA.map((s) => s.index)).toEqual(
      a.labels.flatMap((l, i) => (a.predicted[i] === l && b.predicted[i] !== l ? [i] : []))
    )
    // A's matrix with the changed cells applied is B's.
    const changed = a.matrix.map((row) => [...row])
    for (const c of diff.changedCells) {
      expect(changed[c.label][c.predicted]).toBe(c.a)
      changed[c.label][c.predicted] = c.b
    }
    expect(changed).toEqual(b.matrix)
  })

  it('refuses two runs that do not share their validation data', async () => {
    await expect(services.handlers.analyzeDiff({ a: digitsA, b: forward })).rejects.toThrow(
      `runs ${digitsA} and ${forward} do not share their validation data`
    )
  })
})

describe('prefix accuracy', () => {
  it('equals the validation accuracy at k = T, and is kept with the run', async () => {
    const seen: AnalysisProgress[] = []
    const off = services.on('onAnalysisProgress', (p) => seen.push(p))
    const curve = await services.handlers.analyzePrefix({ runId: digitsA, analysisId: 'digits-prefix' })
    off()
    expect(curve.timeSteps).toBe(28)
    expect(curve.first).toHaveLength(28)
    expect(curve.last).toHaveLength(28)
    const recorded = services.store.getRun(digitsA).epochs.find((e) => e.epoch === curve.epoch)!.valAccuracy!
    expect(curve.first[27]).toBeCloseTo(recorded, 6)
    expect(curve.last[27]).toBeCloseTo(recorded, 6)
    expect(seen.at(-1)).toMatchObject({ analysisId: 'digits-prefix', kind: 'prefix', done: 55, total: 55 })
    // Stored: asked again, the same curve without computing; listed for the comparison.
    expect(await services.handlers.analyzePrefix({ runId: digitsA })).toEqual(curve)
    expect(await services.handlers.storedPrefixCurves({ ids: [digitsA, digitsB] })).toEqual([curve, null])
  })

  it('on the first-step-sign task: only the last k steps is chance until k = T; bidirectional reads step 1 at every k', async () => {
    const fw = await services.handlers.analyzePrefix({ runId: forward })
    const bi = await services.handlers.analyzePrefix({ runId: bidirectional })
    for (const [id, curve] of [
      [forward, fw],
      [bidirectional, bi]
    ] as const) {
      const recorded = services.store.getRun(id).epochs.find((e) => e.epoch === curve.epoch)!.valAccuracy!
      expect(recorded).toBeGreaterThan(0.9)
      expect(curve.first[11]).toBeCloseTo(recorded, 6)
      expect(curve.last[11]).toBeCloseTo(recorded, 6)
      // Without step 1 the class cannot be known: chance (300 samples, about half of each class).
      for (const a of curve.last.slice(0, 11)) expect(Math.abs(a - 0.5)).toBeLessThan(0.15)
    }
    // The backward direction of x[:, :k] ends on step 1, whatever k.
    for (const a of bi.first) expect(a).toBeGreaterThan(0.9)
  })

  it('is cancelled mid-way: the call fails as cancelled and nothing is stored', async () => {
    const off = services.on('onAnalysisProgress', (p) => {
      if (p.analysisId === 'to-cancel') void services.handlers.cancelAnalysis({ analysisId: 'to-cancel' })
    })
    await expect(
      services.handlers.analyzePrefix({ runId: digitsB, analysisId: 'to-cancel', recompute: true })
    ).rejects.toThrow('analysis to-cancel was cancelled')
    off()
    expect(services.store.prefixCurve(digitsB)).toBeNull()
    expect(services.analyses.isActive('to-cancel')).toBe(false)
  })
})
