// Time-series datasets: windows as Keras's timeseries_dataset_from_array makes them for forecasting (checked against
// an independent count and by value), the split by time, the normalisation fitted on the training rows only, and
// bad files refused with file:line.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { normalizeDatasetSpec } from '../../common/datasets'
import { loadDataset, previewOf } from '../../main/datasets'

const dir = mkdtempSync(join(tmpdir(), 'rnnlab-ts-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let files = 0
const write = (content: string): string => {
  const name = `series-${files++}.csv`
  writeFileSync(join(dir, name), content)
  return name
}
/** Columns t, a = 10 t, b = -t for t = 0 .. n-1: every value tells its row. */
const ramp = (n: number): string => {
  const rows = ['t,a,b']
  for (let t = 0; t < n; t++) rows.push(`${t},${10 * t},${-t}`)
  return rows.join('\n') + '\n'
}
const load = (spec: Record<string, unknown>) =>
  loadDataset(normalizeDatasetSpec({ source: 'timeseries', normalize: false, ...spec }), { home: dir, baseDir: dir })

describe('windows', () => {
  it('stride 2, horizon 2: starts 0, 2, 4 of 10 rows; the target is h rows after the window (Keras targets = data[L+h-1:])', async () => {
    // Keras: timeseries_dataset_from_array(data, targets=data[L + h - 1:], sequence_length=L, sequence_stride=2)
    // takes min(n - L + 1, n - L - h + 1) = 6 start positions, every 2nd: 0, 2, 4.
    const d = await load({
      train: write(ramp(10)),
      sequenceLength: 3,
      sequenceStride: 2,
      horizon: 2,
      targetColumns: ['t']
    })
    expect(d.train.count).toBe(3)
    expect(d.timeseries!.trainStarts).toEqual([0, 2, 4])
    expect([d.timeSteps, d.features]).toEqual([3, 3])
    // window 2 holds rows 4, 5, 6 of every column; its target is row 6 + 2 = 8
    expect(Array.from(d.train.x.subarray(2 * 9, 3 * 9))).toEqual([4, 40, -4, 5, 50, -5, 6, 60, -6])
    expect(Array.from(d.train.targets!)).toEqual([4, 6, 8])
    expect(d.validation.count).toBe(0)
  })

  it('counts windows as floor((n - L - h) / stride) + 1 over many shapes', async () => {
    const text = write(ramp(23))
    for (const [L, h, stride] of [
      [1, 1, 1],
      [5, 1, 3],
      [4, 3, 4],
      [22, 1, 1],
      [7, 16, 2]
    ]) {
      const d = await load({ train: text, sequenceLength: L, horizon: h, sequenceStride: stride, targetColumns: ['a'] })
      expect(d.train.count, `L ${L} h ${h} stride ${stride}`).toBe(Math.floor((23 - L - h) / stride) + 1)
      const last = d.timeseries!.trainStarts.at(-1)!
      expect(d.train.targets!.at(-1)).toBe(10 * (last + L - 1 + h))
      expect(last + L - 1 + h).toBeLessThanOrEqual(22)
    }
  })

  it('several targets in the order given, feature columns chosen by name', async () => {
    const d = await load({
      train: write(ramp(6)),
      sequenceLength: 2,
      featureColumns: ['b'],
      targetColumns: ['b', 'a']
    })
    expect(d.features).toBe(1)
    expect(d.train.count).toBe(4)
    expect(Array.from(d.train.x.subarray(0, 2))).toEqual([0, -1])
    expect(Array.from(d.train.targets!.subarray(0, 4))).toEqual([-2, 20, -3, 30])
  })

  it('targets per step: step t of the window starting at s has row s + t + h', async () => {
    const d = await load({
      train: write(ramp(8)),
      sequenceLength: 3,
      horizon: 2,
      targetsPerStep: true,
      targetColumns: ['t']
    })
    expect(d.labelsPerStep).toBe(true)
    expect(d.train.count).toBe(4)
    expect(Array.from(d.train.targets!.subarray(0, 6))).toEqual([2, 3, 4, 3, 4, 5])
  })

  it('exactly one window: n = L + h rows give one, one row fewer is refused', async () => {
    const one = await load({ train: write(ramp(7)), sequenceLength: 5, horizon: 2, targetColumns: ['t'] })
    expect(one.train.count).toBe(1)
    expect(Array.from(one.train.targets!)).toEqual([6])
    const short = write(ramp(6))
    await expect(load({ train: short, sequenceLength: 5, horizon: 2, targetColumns: ['t'] })).rejects.toThrow(
      `${short}: 6 rows, too short for one window: sequenceLength 5 + horizon 2 needs at least 7 rows`
    )
  })
})

describe('split by time and normalisation', () => {
  it('validation is the last share of the rows; no window or target crosses the boundary', async () => {
    const d = await load({ train: write(ramp(20)), sequenceLength: 3, validationSplit: 0.25, targetColumns: ['t'] })
    const ts = d.timeseries!
    expect(ts.boundary).toBe(15)
    // training windows: targets on rows < 15; validation windows start at row 15 or later
    expect(Math.max(...d.train.targets!)).toBe(14)
    expect(ts.trainStarts).toEqual(Array.from({ length: 12 }, (_, i) => i))
    expect(ts.validationStarts).toEqual([15, 16])
    expect(Array.from(d.validation.targets!)).toEqual([18, 19])
  })

  it('z-scores every column with the training rows only, and keeps the statistics', async () => {
    const d = await loadDataset(
      normalizeDatasetSpec({
        source: 'timeseries',
        train: write(ramp(10)),
        sequenceLength: 2,
        validationSplit: 0.5,
        targetColumns: ['a']
      }),
      { home: dir, baseDir: dir }
    )
    const rec = d.timeseries!.normalization
    // training rows t = 0..4: mean 2, population std sqrt(2)
    expect(rec.fittedRows).toBe(5)
    expect(rec.columns.t.mean).toBeCloseTo(2, 12)
    expect(rec.columns.t.std).toBeCloseTo(Math.SQRT2, 12)
    expect(rec.columns.a.mean).toBeCloseTo(20, 12)
    // the first validation window starts at row 5: t = (5 - 2) / sqrt 2
    expect(d.validation.x[0]).toBeCloseTo(3 / Math.SQRT2, 6)
    // its target a at row 7: (70 - 20) / (10 sqrt 2)
    expect(d.validation.targets![0]).toBeCloseTo(50 / (10 * Math.SQRT2), 6)
    expect(rec).toMatchObject({ format: 'rnnlab-normalization-1', method: 'z-score', targetColumns: ['a'] })
    const preview = previewOf(d, 2)
    expect(preview.timeseries).toMatchObject({ rows: 10, boundary: 5, targetColumns: ['a'] })
    expect(preview.timeseries!.series).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90])
    expect(preview.samples[0].target).toHaveLength(1)
  })

  it('a constant column scales by 1 instead of dividing by zero', async () => {
    const d = await loadDataset(
      normalizeDatasetSpec({
        source: 'timeseries',
        train: write('x,c\n1,5\n2,5\n3,5\n4,5\n'),
        sequenceLength: 2,
        targetColumns: ['x']
      }),
      { home: dir, baseDir: dir }
    )
    expect(d.timeseries!.normalization.columns.c).toEqual({ mean: 5, std: 1 })
    expect(d.train.x[1]).toBe(0)
  })
})

describe('bad files', () => {
  const spec = { sequenceLength: 2, targetColumns: ['a'] }
  it.each([
    ['t,a\n0,1\n1,\n2,3\n', ':3: column "a": is empty'],
    ['t,a\n0,1\n1,2\n2,NaN\n', ':4: column "a": "NaN" is not a finite number'],
    ['t,a\n0,1\n1,two\n2,3\n', ':3: column "a": "two" is not a finite number'],
    ['t,a\n0,1\n\n2,3\n3,4\n', ':3: empty line between rows'],
    ['t,a\n0,1\n1,2,3\n', ':3: 3 cells, but the header names 2 columns'],
    ['t,b\n0,1\n1,2\n2,3\n', ':1: dataset.targetColumns names the column "a", which the header lacks (columns: t, b)'],
    ['', ': is empty']
  ])('%j is refused with %s', async (content, message) => {
    const name = write(content)
    await expect(load({ train: name, ...spec })).rejects.toThrow(`${name}${message}`)
  })

  it('a validation part too short for one window is named', async () => {
    const name = write(ramp(12))
    await expect(load({ train: name, sequenceLength: 3, validationSplit: 0.2, targetColumns: ['a'] })).rejects.toThrow(
      `${name}: the validation part (the last 2 rows) is too short for one window`
    )
  })

  it('the spec is checked field by field', () => {
    const read = (o: Record<string, unknown>) =>
      normalizeDatasetSpec({ source: 'timeseries', train: 'x.csv', sequenceLength: 3, targetColumns: ['a'], ...o })
    expect(() => read({ sequenceLength: 0 })).toThrow(/dataset\.sequenceLength/)
    expect(() => read({ targetColumns: [] })).toThrow(/dataset\.targetColumns: must name at least one column/)
    expect(() => read({ featureColumns: ['a', 'a'] })).toThrow(/names the column "a" twice/)
    expect(() => read({ horizon: 1.5 })).toThrow(/dataset\.horizon/)
    expect(() => read({ window: 3 })).toThrow(/dataset\.window: unknown field for source timeseries/)
    expect(read({ sequenceStride: 2, horizon: 3 })).toMatchObject({ sequenceStride: 2, horizon: 3 })
  })
})
