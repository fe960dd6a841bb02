// Text datasets: CSV/TSV/JSONL and folder-per-class reading, the tokenizer, the names example, and bad input refused
// with file:line.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { normalizeDatasetSpec } from '../../common/datasets'
import { loadDataset, previewOf, tokenizerRecord } from '../../main/datasets'
import { tokenize } from '../../main/datasets/text'

const dir = mkdtempSync(join(tmpdir(), 'rnnlab-text-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const write = (name: string, content: string | Buffer): string => {
  const path = join(dir, name)
  mkdirSync(join(path, '..'), { recursive: true })
  writeFileSync(path, content)
  return name
}
const load = (spec: Record<string, unknown>) =>
  loadDataset(normalizeDatasetSpec({ source: 'text', ...spec }), { home: dir, baseDir: dir })
/** The token ids of sample n, without the padding. */
const ids = (x: Float32Array, T: number, n: number) => Array.from(x.subarray(n * T, (n + 1) * T)).filter((v) => v !== 0)

describe('reading', () => {
  it('reads CSV with quoted commas, doubled quotes, line breaks inside quotes, CRLF, a BOM and blank lines', async () => {
    const csv =
      '\uFEFFid,text,label\r\n' +
      '1,"Hello, world",pos\r\n' +
      '\r\n' +
      '2,"She said ""no""",neg\r\n' +
      '3,"two\nlines",pos\n' +
      '\n' +
      '4,plain,neg'
    const data = await load({ train: write('a.csv', csv), level: 'char', lowercase: false })
    expect(data.train.count).toBe(4)
    expect(data.text!.trainTexts).toEqual(['Hello, world', 'She said "no"', 'two\nlines', 'plain'])
    expect(data.classNames).toEqual(['neg', 'pos'])
    expect(Array.from(data.train.y)).toEqual([1, 0, 1, 0])
    expect(data.features).toBe(1)
    expect(data.timeSteps).toBe('She said "no"'.length)
  })

  it('reads TSV, JSONL (class names or ids) and a folder per class', async () => {
    const tsv = await load({ train: write('b.tsv', 'label\ttext\nx\tab\ny\tba\n') })
    expect(tsv.text!.trainTexts).toEqual(['ab', 'ba'])
    const jsonl = await load({
      train: write('c.jsonl', '{"text":"a b","label":1}\n\n{"text":"c","label":0}\n{"text":"","label":1}\n')
    })
    expect(Array.from(jsonl.train.y)).toEqual([1, 0, 1])
    expect(jsonl.classNames).toEqual(['0', '1'])
    write('docs/neg/1.txt', 'bad film')
    write('docs/neg/2.txt', 'awful')
    write('docs/pos/1.txt', 'good film')
    write('docs/pos/2.txt', 'great')
    write('docs/pos/notes.md', 'ignored')
    const folder = await load({ train: 'docs' })
    expect(folder.classNames).toEqual(['neg', 'pos'])
    // interleaved: each class spread over the order
    expect(Array.from(folder.train.y)).toEqual([0, 1, 0, 1])
    expect(folder.text!.trainTexts).toEqual(['bad film', 'good film', 'awful', 'great'])
  })

  it('builds the vocabulary on the training split only; unseen tokens are OOV (1), padding is 0', async () => {
    const csv = 'text,label\nabab,a\nbbb,b\naaa,a\nzzz!,b\n'
    const data = await load({ train: write('d.csv', csv), level: 'char', validationSplit: 0.25 })
    const vocabulary = data.text!.tokenizer.vocabulary
    expect(vocabulary).toEqual(['', '[UNK]', 'a', 'b']) // a: 5, b: 5 → tie in code-point order
    expect(data.validation.count).toBe(1)
    const T = data.timeSteps
    expect(T).toBe(4) // the longest training sample, not the validation one
    expect(Array.from(data.validation.x)).toEqual([1, 1, 1, 1])
    expect(ids(data.train.x, T, 1)).toEqual([3, 3, 3])
    expect(Array.from(data.train.x.subarray(T, 2 * T))).toEqual([3, 3, 3, 0])
  })

  it('caps the vocabulary, cuts long samples at either end, and pads at the end', async () => {
    const csv = 'text,label\nthe cat sat,a\nthe dog sat,b\nthe end,a\n'
    const file = write('e.csv', csv)
    const capped = await load({ train: file, maxTokens: 4, maxLength: 2 })
    expect(capped.text!.tokenizer.vocabulary).toEqual(['', '[UNK]', 'the', 'sat'])
    expect(Array.from(capped.train.x.subarray(0, 2))).toEqual([2, 1])
    const pre = await load({ train: file, maxLength: 2, truncating: 'pre' })
    const v = pre.text!.tokenizer.vocabulary
    expect(Array.from(pre.train.x.subarray(0, 2)).map((i) => v[i])).toEqual(['cat', 'sat'])
    const long = await load({ train: file, maxLength: 5 })
    expect(Array.from(long.train.x.subarray(10, 15)).map((i) => long.text!.tokenizer.vocabulary[i])).toEqual([
      'the',
      'end',
      '',
      '',
      ''
    ])
  })

  it('tokenizes after NFC and lowercasing; words split from punctuation', () => {
    expect(tokenize('Cafe\u0301', 'char', true)).toEqual(['c', 'a', 'f', 'é'])
    expect(tokenize('Café', 'char', false)).toEqual(tokenize('Cafe\u0301', 'char', false))
    expect(tokenize("Don't stop, ÉCOLE!", 'word', true)).toEqual(["don't", 'stop', ',', 'école', '!'])
    expect(tokenize('😀x', 'char', false)).toEqual(['😀', 'x'])
    expect(tokenize('', 'word', true)).toEqual([])
  })

  it('takes a very long line and an empty text', async () => {
    const long = 'ab '.repeat(200_000)
    const data = await load({ train: write('f.csv', `text,label\n"${long}",a\n,b\n`), maxLength: 8 })
    expect(data.train.count).toBe(2)
    expect(data.text!.tokenizer.lengths).toEqual([200_000, 0])
    expect(ids(data.train.x, 8, 1)).toEqual([])
    const preview = previewOf(data)
    expect(preview.text).toMatchObject({ vocabularySize: 3, maxLength: 8, truncated: 1 })
    expect(preview.samples[0].tokens).toEqual(Array(8).fill('ab'))
  })

  it('keeps what a run needs to encode new text', async () => {
    const data = await load({ train: 'docs', level: 'char' })
    expect(tokenizerRecord(data)).toMatchObject({
      level: 'char',
      lowercase: true,
      normalization: 'NFC',
      padId: 0,
      oovId: 1,
      classNames: ['neg', 'pos'],
      maxLength: 9
    })
  })
})

describe('the names example', () => {
  it('is two real name lists, a name in both dropped, interleaved, 20% validation', async () => {
    const data = await loadDataset({ source: 'names' }, { home: dir })
    expect(data.classNames).toEqual(['female', 'male'])
    const total = data.train.count + data.validation.count
    expect(total).toBeGreaterThan(8000)
    expect(data.validation.count).toBe(total - Math.round(total * 0.8))
    const texts = data.text!.trainTexts.map((t) => t.toLowerCase())
    expect(new Set(texts).size).toBe(texts.length)
    // names in both lists are gone (e.g. "Jean" is in both)
    expect(texts).not.toContain('jean')
    const female = Array.from(data.validation.y).filter((y) => y === 0).length
    expect(female / data.validation.count).toBeGreaterThan(0.5)
    expect(female / data.validation.count).toBeLessThan(0.6)
    expect(data.text!.tokenizer.level).toBe('char')
    expect(data.timeSteps).toBeLessThanOrEqual(16)
  })
})

describe('bad input', () => {
  const refuse = async (spec: Parameters<typeof load>[0], message: RegExp) => {
    await expect(load(spec)).rejects.toThrow(message)
  }
  it('names the file and line', async () => {
    await refuse({ train: write('g1.csv', 'text,label\nab,x\n"open,y\n') }, /g1\.csv:3: a quoted field is not closed/)
    await refuse({ train: write('g2.csv', 'text,label\nab,x\ncd,y,extra\n') }, /g2\.csv:3: expected 2 fields/)
    await refuse({ train: write('g3.csv', 'words,label\nab,x\n') }, /g3\.csv:1: no column "text" in the header/)
    await refuse({ train: write('g4.csv', 'text,label\nab,x\ncd,\n') }, /g4\.csv:3: the label .* is empty/)
    await refuse({ train: write('g5.csv', 'text,label\na"b,x\n') }, /g5\.csv:2: a quote inside an unquoted field/)
    await refuse({ train: write('g6.jsonl', '{"text":"a","label":"x"}\n{"text":"a",\n') }, /g6\.jsonl:2: not a JSON/)
    await refuse({ train: write('g7.jsonl', '{"text":3,"label":"x"}\n') }, /g7\.jsonl:1: "text" must be a string/)
    await refuse(
      { train: write('g8.csv', Buffer.concat([Buffer.from('text,label\nab,x\n'), Buffer.from([0xff, 0x2c, 0x79])])) },
      /g8\.csv:3: not UTF-8 text/
    )
    await refuse({ train: write('g9.csv', '') }, /g9\.csv: the file is empty/)
    await refuse({ train: write('g10.csv', 'text,label\n') }, /g10\.csv: holds no samples/)
    await refuse({ train: write('g11.csv', 'text,label\na,x\nb,x\n') }, /at least 2 classes/)
    await refuse({ train: write('g12.txt', 'hello') }, /g12\.txt: cannot tell the format/)
    await refuse({ train: 'missing.csv' }, /missing\.csv: file not found/)
    write('h.csv', 'text,label\na,x\nb,y\n')
    await refuse(
      { train: 'h.csv', validation: write('h-val.csv', 'text,label\na,x\nb,z\n') },
      /h-val\.csv:3: label "z" is not a class/
    )
    mkdirSync(join(dir, 'empty-folder'))
    await refuse({ train: 'empty-folder' }, /empty-folder: holds no class folders/)
  })

  it('checks the spec, naming the field', () => {
    const check = (o: Record<string, unknown>) => () => normalizeDatasetSpec({ source: 'text', train: 'a.csv', ...o })
    expect(check({ level: 'byte' })).toThrow(/dataset\.level: expected one of "char", "word"/)
    expect(check({ maxTokens: 2 })).toThrow(/dataset\.maxTokens/)
    expect(check({ maxLength: 0 })).toThrow(/dataset\.maxLength/)
    expect(check({ truncating: 'middle' })).toThrow(/dataset\.truncating/)
    expect(check({ textColumn: 'label' })).toThrow(/dataset\.labelColumn: must differ/)
    expect(check({ timeSteps: 3 })).toThrow(/dataset\.timeSteps: unknown field/)
    expect(() => normalizeDatasetSpec({ source: 'names', level: 'word' })).toThrow(/dataset\.level: unknown field/)
    expect(normalizeDatasetSpec({ source: 'names', maxLength: 12 })).toEqual({ source: 'names', maxLength: 12 })
  })
})
