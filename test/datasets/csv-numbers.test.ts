// CSV numbers are decimal only (main/datasets/csv.ts DECIMAL): what JavaScript's Number() reads besides (`0x10` as
// 16, `Infinity`) is refused, naming file:line:column; spaces around a value are ignored; a UTF-8 BOM is accepted.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, describe, expect, it } from 'vitest'
import { loadDataset } from '../../main/datasets'
import { tempDir } from '../helpers/tmp'

const dir = tempDir('rnnlab-csv-numbers-')
afterAll(() => dir.remove())

/** Three samples of 2 steps × 1 feature; `cell` replaces the value of the second row's second step. */
function csvWith(cell: string, label = '1'): string {
  return ['0,0.5,1', `${label},2,${cell}`, '2,-1,0'].join('\n') + '\n'
}

async function load(text: string | Buffer, name = 'x.csv') {
  writeFileSync(join(dir.path, name), text)
  return loadDataset({ source: 'csv', train: name, timeSteps: 2, features: 1 }, { home: dir.path, baseDir: dir.path })
}

describe('CSV numbers are decimal', () => {
  it.each([
    ['12', 12],
    [' 12 ', 12],
    ['\t-0.25 ', -0.25],
    ['+3', 3],
    ['.5', 0.5],
    ['5.', 5],
    ['1e-3', 0.001],
    ['2E+2', 200],
    ['-0', -0]
  ])('reads %j as %d', async (cell, value) => {
    const data = await load(csvWith(cell))
    expect(data.train.x[3]).toBe(Math.fround(value))
  })

  it.each([
    ['0x10', 'not a decimal number'],
    ['0b1', 'not a decimal number'],
    ['0o7', 'not a decimal number'],
    ['1_000', 'not a decimal number'],
    ['1e', 'not a decimal number'],
    ['1e5.5', 'not a decimal number'],
    ['Infinity', 'Infinity'],
    ['-inf', 'Infinity'],
    ['1e999', 'Infinity'],
    ['NaN', 'NaN'],
    ['', 'empty value'],
    ['abc', 'is not a number']
  ])('refuses %j, naming file:line:column', async (cell, what) => {
    // Line 2, `1,2,` then the cell: column 5 (past the spaces of a padded cell).
    await expect(load(csvWith(cell))).rejects.toThrow(`x.csv:2:5: `)
    await expect(load(csvWith(cell))).rejects.toThrow(what)
  })

  it('says what 0x10 is and where: the probe read it as 16', async () => {
    await expect(load(csvWith('0x10'))).rejects.toThrow(
      'x.csv:2:5: value at step 1, feature 0 (field 3) is not a decimal number (write numbers as 16, -0.5 or 1e-3)'
    )
  })

  it('reads a label written 3.0, refuses one written 0x1, naming its column', async () => {
    expect(Array.from((await load(csvWith('1', '1.0'))).train.y)).toEqual([0, 1, 2])
    await expect(load(csvWith('1', '0x1'))).rejects.toThrow(
      'x.csv:2:1: label (field 1) is not a class id (a non-negative integer): it is not a decimal number'
    )
    await expect(load(csvWith('1', '  1e'))).rejects.toThrow(
      'x.csv:2:3: label (field 1) is not a class id (a non-negative integer): it is not a decimal number'
    )
  })
})

describe('a UTF-8 BOM', () => {
  const bom = Buffer.from([0xef, 0xbb, 0xbf])

  it('is accepted before the first row, plain and gzipped', async () => {
    for (const [name, bytes] of [
      ['bom.csv', Buffer.concat([bom, Buffer.from(csvWith('7'))])],
      ['bom.csv.gz', gzipSync(Buffer.concat([bom, Buffer.from(csvWith('7'))]))]
    ] as const) {
      const data = await load(bytes, name)
      expect(Array.from(data.train.y)).toEqual([0, 1, 2])
      expect(data.train.x[3]).toBe(7)
    }
  })

  it('is accepted before a header line', async () => {
    writeFileSync(join(dir.path, 'h.csv'), Buffer.concat([bom, Buffer.from('label,a,b\n' + csvWith('7'))]))
    const data = await loadDataset(
      { source: 'csv', train: 'h.csv', timeSteps: 2, features: 1, header: true },
      { home: dir.path, baseDir: dir.path }
    )
    expect(data.train.count).toBe(3)
  })
})
