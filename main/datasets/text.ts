// Text datasets: reading labelled text (CSV/TSV with a header, JSONL, a folder of .txt files per class), and the
// tokenizer that turns it into token ids (character or word level, a vocabulary built on the training split only).
import { readdir, readFile, stat } from 'node:fs/promises'
import { extname, join } from 'node:path'
import { OOV_ID, PAD_ID, TOKENIZER_DEFAULTS, type TextPreview, type TokenizerOptions } from '../../common/datasets'
import { type DataFile, DatasetError, fail, fileSystemError } from './errors'

/** Labelled text as read: one sample a text, its label as the file spells it, and where it came from. */
export interface TextSamples {
  texts: string[]
  labels: string[]
  /** For messages: `file:line` (or the .txt file) of each sample. */
  places: string[]
  /** Tagging: one label per token of each sample (then `labels` is empty). */
  tags?: string[][]
}

/** A text file this large is no dataset this app trains on in memory; stopping keeps a wrong file from filling it. */
const MAX_TEXT_FILE_BYTES = 1 << 30
/** One CSV record (a quoted field may span lines) at most this long. */
const MAX_RECORD_CHARS = 64 << 20

export type TextFormat = 'csv' | 'tsv' | 'jsonl' | 'folder'

export async function readTextSamples(
  file: DataFile,
  format: TextFormat | undefined,
  textColumn: string,
  labelColumn: string,
  tagsColumn?: string
): Promise<TextSamples> {
  let isFolder: boolean
  try {
    isFolder = (await stat(file.path)).isDirectory()
  } catch (err) {
    throw fileSystemError(file, err)
  }
  const chosen = format ?? (isFolder ? 'folder' : formatOfExtension(file))
  if (chosen === 'folder') {
    if (!isFolder) fail(file, 'format "folder" needs a folder with a subfolder of .txt files per class')
    if (tagsColumn !== undefined)
      fail(
        file,
        'a folder per class gives one label per text; tagging (dataset.tagsColumn) needs a CSV, TSV or JSONL file'
      )
    return readFolder(file)
  }
  if (isFolder) fail(file, `is a folder; format ${JSON.stringify(chosen)} reads a file`)
  const text = await readUtf8(file)
  if (chosen === 'jsonl') return readJsonl(file, text, textColumn, labelColumn, tagsColumn)
  return readDelimited(file, text, chosen === 'tsv' ? '\t' : ',', textColumn, labelColumn, tagsColumn)
}

function formatOfExtension(file: DataFile): TextFormat {
  const ext = extname(file.path).toLowerCase()
  if (ext === '.csv') return 'csv'
  if (ext === '.tsv' || ext === '.tab') return 'tsv'
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl'
  return fail(
    file,
    `cannot tell the format from the extension ${JSON.stringify(ext)}; set dataset.format to csv, tsv or jsonl`
  )
}

async function readUtf8(file: DataFile): Promise<string> {
  let bytes: Buffer
  try {
    const info = await stat(file.path)
    if (info.size > MAX_TEXT_FILE_BYTES)
      fail(file, `is ${Math.round(info.size / 2 ** 20)} MiB; text datasets are read whole, at most 1 GiB`)
    bytes = await readFile(file.path)
  } catch (err) {
    throw fileSystemError(file, err)
  }
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    // The line of the first byte that is not UTF-8: decode the longest valid prefix.
    let lo = 0
    let hi = bytes.length
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, mid))
        lo = mid
      } catch {
        hi = mid - 1
      }
    }
    // The prefix may end inside a character that is fine; back up to a line start to count lines.
    const line = bytes.subarray(0, lo).toString('latin1').split('\n').length
    fail({ ...file, display: `${file.display}:${line}` }, 'not UTF-8 text (save the file as UTF-8)')
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
  return text
}

function failAt(file: DataFile, line: number, what: string): never {
  fail({ ...file, display: `${file.display}:${line}` }, what)
}

/** One record of a CSV/TSV file (RFC 4180 quoting: a quoted field may hold the delimiter, `""` and line breaks). */
interface Record_ {
  fields: string[]
  line: number
}

function* records(file: DataFile, text: string, delimiter: string): Generator<Record_> {
  let i = 0
  let line = 1
  const n = text.length
  while (i < n) {
    const start = line
    const startIndex = i
    const fields: string[] = []
    let field = ''
    for (;;) {
      if (text[i] === '"' && field === '') {
        // A quoted field, up to the quote not doubled.
        i++
        let closed = false
        while (i < n) {
          const q = text.indexOf('"', i)
          const end = q < 0 ? n : q
          const piece = text.slice(i, end)
          for (let nl = piece.indexOf('\n'); nl >= 0; nl = piece.indexOf('\n', nl + 1)) line++
          field += piece
          i = end
          if (i - startIndex > MAX_RECORD_CHARS) failAt(file, start, 'record too long (a quote not closed?)')
          if (q < 0) break
          if (text[i + 1] === '"') {
            field += '"'
            i += 2
            continue
          }
          i++
          closed = true
          break
        }
        if (!closed) failAt(file, start, 'a quoted field is not closed before the end of the file')
        if (i < n && text[i] !== delimiter && text[i] !== '\n' && text[i] !== '\r') {
          failAt(file, line, 'text after a closing quote (write a quote inside a quoted field as "")')
        }
      } else {
        let end = i
        while (end < n && text[end] !== delimiter && text[end] !== '\n') end++
        field = text.slice(i, end)
        if (delimiter === ',' && field.includes('"')) {
          failAt(file, line, 'a quote inside an unquoted field (quote the whole field and double the quote: "a ""b""")')
        }
        i = end
        if (field.endsWith('\r') && (i >= n || text[i] === '\n')) field = field.slice(0, -1)
      }
      if (text[i] === '\r' && text[i + 1] === '\n') i++
      fields.push(field)
      field = ''
      if (i >= n || text[i] === '\n') {
        i++
        break
      }
      i++ // the delimiter
    }
    const blank = fields.length === 1 && fields[0].trim() === ''
    if (!blank) yield { fields, line: start }
    line++
  }
}

function readDelimited(
  file: DataFile,
  text: string,
  delimiter: string,
  textColumn: string,
  labelColumnName: string,
  tagsColumn?: string
): TextSamples {
  const out: TextSamples = { texts: [], labels: [], places: [], ...(tagsColumn !== undefined ? { tags: [] } : {}) }
  const labelColumn = tagsColumn ?? labelColumnName
  let header: string[] | undefined
  let textAt = -1
  let labelAt = -1
  for (const { fields, line } of records(file, text, delimiter)) {
    if (!header) {
      header = fields.map((f) => f.trim())
      textAt = header.indexOf(textColumn)
      labelAt = header.indexOf(labelColumn)
      const names = header.map((h) => JSON.stringify(h)).join(', ')
      if (textAt < 0)
        failAt(
          file,
          line,
          `no column ${JSON.stringify(textColumn)} in the header (columns: ${names}); set dataset.textColumn`
        )
      if (labelAt < 0)
        failAt(
          file,
          line,
          `no column ${JSON.stringify(labelColumn)} in the header (columns: ${names}); set dataset.${tagsColumn !== undefined ? 'tagsColumn' : 'labelColumn'}`
        )
      continue
    }
    if (fields.length !== header.length) {
      failAt(file, line, `expected ${header.length} fields as the header names, got ${fields.length}`)
    }
    if (out.tags) {
      // Tags: one label per token, separated by spaces (a label holds no space).
      const tags = fields[labelAt].trim()
      out.tags.push(tags === '' ? [] : tags.split(/\s+/))
    } else {
      const label = fields[labelAt].trim()
      if (label === '') failAt(file, line, `the label (column ${JSON.stringify(labelColumn)}) is empty`)
      out.labels.push(label)
    }
    out.texts.push(fields[textAt])
    out.places.push(`${file.display}:${line}`)
  }
  if (!header) fail(file, 'the file is empty (it needs a header naming the columns, then a sample a line)')
  if (out.texts.length === 0) fail(file, 'holds no samples (only the header)')
  return out
}

/** A JSONL sample's tags: an array of class names or ids (non-negative integers), or one string of space-separated tags. */
function readTags(file: DataFile, line: number, value: unknown, key: string): string[] {
  if (typeof value === 'string') return value.trim() === '' ? [] : value.trim().split(/\s+/)
  if (!Array.isArray(value))
    failAt(
      file,
      line,
      `"${key}" must be an array of tags (one per token), got ${value === undefined ? 'nothing' : typeof value}; set dataset.tagsColumn`
    )
  return value.map((tag: unknown, i) => {
    if (typeof tag === 'number' && Number.isInteger(tag) && tag >= 0) return String(tag)
    if (typeof tag === 'string' && tag.trim() !== '' && !/\s/.test(tag.trim())) return tag.trim()
    return failAt(
      file,
      line,
      `"${key}"[${i}] must be a class name without spaces or a class id (a non-negative integer), got ${JSON.stringify(tag)}`
    )
  })
}

function readJsonl(
  file: DataFile,
  text: string,
  textKey: string,
  labelKey: string,
  tagsKey: string | undefined
): TextSamples {
  const out: TextSamples = { texts: [], labels: [], places: [], ...(tagsKey !== undefined ? { tags: [] } : {}) }
  const lines = text.split('\n')
  for (let k = 0; k < lines.length; k++) {
    const raw = lines[k].endsWith('\r') ? lines[k].slice(0, -1) : lines[k]
    if (raw.trim() === '') continue
    let value: unknown
    try {
      value = JSON.parse(raw)
    } catch {
      failAt(file, k + 1, 'not a JSON value (each line holds one JSON object)')
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      failAt(file, k + 1, 'expected a JSON object a line')
    }
    const o = value as Record<string, unknown>
    const t = o[textKey]
    const l = o[labelKey]
    if (typeof t !== 'string')
      failAt(
        file,
        k + 1,
        `"${textKey}" must be a string, got ${t === undefined ? 'nothing' : typeof t}; set dataset.textColumn`
      )
    if (tagsKey !== undefined) out.tags!.push(readTags(file, k + 1, o[tagsKey], tagsKey))
    else if (typeof l === 'number' && Number.isInteger(l) && l >= 0) out.labels.push(String(l))
    else if (typeof l === 'string' && l.trim() !== '') out.labels.push(l.trim())
    else
      failAt(
        file,
        k + 1,
        `"${labelKey}" must be a class name or a class id (a non-negative integer); set dataset.labelColumn`
      )
    out.texts.push(t)
    out.places.push(`${file.display}:${k + 1}`)
  }
  if (out.texts.length === 0) fail(file, 'holds no samples')
  return out
}

async function readFolder(folder: DataFile): Promise<TextSamples> {
  const entries = await readdir(folder.path, { withFileTypes: true }).catch((err: unknown) => {
    throw fileSystemError(folder, err)
  })
  const classes = entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort()
  if (classes.length === 0) fail(folder, 'holds no class folders (one subfolder of .txt files per class)')
  const perClass: { text: string; place: string }[][] = []
  for (const name of classes) {
    const dir: DataFile = { path: join(folder.path, name), display: `${folder.display}/${name}` }
    const files = (await readdir(dir.path, { withFileTypes: true }))
      .filter((e) => e.isFile() && e.name.toLowerCase().endsWith('.txt'))
      .map((e) => e.name)
      .sort()
    if (files.length === 0) fail(dir, 'holds no .txt files')
    const samples: { text: string; place: string }[] = []
    for (const f of files) {
      const file: DataFile = { path: join(dir.path, f), display: `${dir.display}/${f}` }
      samples.push({ text: await readUtf8(file), place: file.display })
    }
    perClass.push(samples)
  }
  // Interleaved as the MNIST sample is: sample j of a class of n sits at (j + ½) / n, ties by class; so the
  // validation split's last share holds every class in proportion.
  const order: { c: number; j: number; at: number }[] = []
  perClass.forEach((samples, c) => samples.forEach((_, j) => order.push({ c, j, at: (j + 0.5) / samples.length })))
  order.sort((a, b) => a.at - b.at || a.c - b.c)
  return {
    texts: order.map(({ c, j }) => perClass[c][j].text),
    labels: order.map(({ c }) => classes[c]),
    places: order.map(({ c, j }) => perClass[c][j].place)
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Tokenizer

export interface Tokenizer {
  level: 'char' | 'word'
  lowercase: boolean
  truncating: 'pre' | 'post'
  maxLength: number
  /** Index = token id; 0 is `''` (padding), 1 is `[UNK]` (out of vocabulary). */
  vocabulary: string[]
}

export const OOV_TOKEN = '[UNK]'

/** NFC, then lowercased if asked, then split into tokens. */
export function tokenize(text: string, level: 'char' | 'word', lowercase: boolean): string[] {
  let t = text.normalize('NFC')
  if (lowercase) t = t.toLowerCase().normalize('NFC')
  if (level === 'char') return Array.from(t)
  return t.match(/[\p{L}\p{N}\p{M}_']+|[^\s\p{L}\p{N}\p{M}_']/gu) ?? []
}

/**
 * The vocabulary of the training texts: tokens by count, most frequent first (ties in code-point order), after
 * the padding and OOV ids, cut to maxTokens in all.
 */
export function buildTokenizer(texts: readonly string[], options: TokenizerOptions): Tokenizer & { lengths: number[] } {
  const level = options.level ?? TOKENIZER_DEFAULTS.level
  const lowercase = options.lowercase ?? TOKENIZER_DEFAULTS.lowercase
  const counts = new Map<string, number>()
  const lengths: number[] = []
  for (const text of texts) {
    const tokens = tokenize(text, level, lowercase)
    lengths.push(tokens.length)
    for (const token of tokens) counts.set(token, (counts.get(token) ?? 0) + 1)
  }
  const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
  const cap = options.maxTokens === undefined ? ranked.length : Math.max(0, options.maxTokens - 2)
  const vocabulary = ['', OOV_TOKEN, ...ranked.slice(0, cap).map(([token]) => token)]
  const longest = lengths.reduce((a, b) => Math.max(a, b), 0)
  return {
    level,
    lowercase,
    truncating: options.truncating ?? TOKENIZER_DEFAULTS.truncating,
    maxLength: options.maxLength ?? Math.max(1, longest),
    vocabulary,
    lengths
  }
}

/** Token ids of the texts, [N, maxLength], padded with 0 at the end and cut at the `truncating` end. */
export function encodeTexts(texts: readonly string[], tokenizer: Tokenizer): Float32Array {
  const T = tokenizer.maxLength
  const ids = new Map<string, number>()
  tokenizer.vocabulary.forEach((token, id) => {
    if (id !== PAD_ID && id !== OOV_ID) ids.set(token, id)
  })
  const x = new Float32Array(texts.length * T)
  texts.forEach((text, n) => {
    let tokens = tokenize(text, tokenizer.level, tokenizer.lowercase)
    if (tokens.length > T)
      tokens = tokenizer.truncating === 'pre' ? tokens.slice(tokens.length - T) : tokens.slice(0, T)
    for (let t = 0; t < tokens.length; t++) x[n * T + t] = ids.get(tokens[t]) ?? OOV_ID
  })
  return x
}

/** Class ids of labels: by the declared names, else the sorted distinct training labels (integers numerically). */
export function classIdsOf(
  train: TextSamples,
  validation: TextSamples | undefined,
  declared: readonly string[] | undefined
): { classNames: string[]; train: Int32Array; validation?: Int32Array } {
  let classNames: string[]
  if (declared) classNames = [...declared]
  else {
    const distinct = [...new Set(train.labels)]
    const numeric = distinct.every((l) => /^\d+$/.test(l))
    classNames = numeric ? distinct.sort((a, b) => Number(a) - Number(b)) : distinct.sort()
    if (classNames.length < 2) {
      throw new DatasetError(
        `${train.places[0].replace(/:\d+$/, '')}: every training sample has the label ${JSON.stringify(classNames[0])}; a classifier needs at least 2 classes`
      )
    }
  }
  const index = new Map(classNames.map((name, i) => [name, i]))
  const ids = (part: TextSamples, what: string): Int32Array =>
    Int32Array.from(part.labels, (label, k) => {
      const id = index.get(label)
      if (id === undefined) {
        const known = classNames.length <= 10 ? ` (${classNames.map((c) => JSON.stringify(c)).join(', ')})` : ''
        throw new DatasetError(
          `${part.places[k]}: label ${JSON.stringify(label.length > 40 ? label.slice(0, 40) + '…' : label)} is not a class of ${what}${known}`
        )
      }
      return id
    })
  return {
    classNames,
    train: ids(train, declared ? 'dataset.classNames' : 'the training data'),
    ...(validation ? { validation: ids(validation, declared ? 'dataset.classNames' : 'the training data') } : {})
  }
}

/** The class names of labels: the declared ones, else the sorted distinct labels (integers numerically). */
function namesOf(labels: Iterable<string>, declared: readonly string[] | undefined, where: string): string[] {
  if (declared) return [...declared]
  const distinct = [...new Set(labels)]
  const numeric = distinct.every((l) => /^\d+$/.test(l))
  const names = numeric ? distinct.sort((a, b) => Number(a) - Number(b)) : distinct.sort()
  if (names.length < 2) {
    throw new DatasetError(
      `${where}: every training ${names.length ? `tag is ${JSON.stringify(names[0])}` : 'sample has no tag'}; a tagger needs at least 2 classes`
    )
  }
  return names
}

/**
 * Tagging: the class ids of each sample's tags, [N, maxLength] (padded steps get class 0, and are cut at the same end
 * as the tokens). Each sample needs exactly one tag per token as `tokenize` splits it (after NFC and lowercasing).
 */
export function tagIdsOf(
  train: TextSamples,
  validation: TextSamples | undefined,
  declared: readonly string[] | undefined,
  tokenizer: Tokenizer
): { classNames: string[]; train: Int32Array; validation?: Int32Array } {
  function* allTags(part: TextSamples): Generator<string> {
    for (const tags of part.tags ?? []) yield* tags
  }
  const classNames = namesOf(allTags(train), declared, train.places[0]?.replace(/:\d+$/, '') ?? 'text')
  const index = new Map(classNames.map((name, i) => [name, i]))
  const T = tokenizer.maxLength
  const ids = (part: TextSamples, what: string): Int32Array => {
    const y = new Int32Array(part.texts.length * T)
    part.texts.forEach((text, n) => {
      const tags = part.tags?.[n] ?? []
      const count = tokenize(text, tokenizer.level, tokenizer.lowercase).length
      if (tags.length !== count) {
        throw new DatasetError(
          `${part.places[n]}: ${tags.length} tag${tags.length === 1 ? '' : 's'} for ${count} ${tokenizer.level === 'char' ? 'character' : 'word'} token${count === 1 ? '' : 's'} (one tag per token, after Unicode NFC${tokenizer.lowercase ? ' and lowercasing' : ''})`
        )
      }
      const kept =
        tags.length > T ? (tokenizer.truncating === 'pre' ? tags.slice(tags.length - T) : tags.slice(0, T)) : tags
      kept.forEach((tag, t) => {
        const id = index.get(tag)
        if (id === undefined) {
          const known = classNames.length <= 10 ? ` (${classNames.map((c) => JSON.stringify(c)).join(', ')})` : ''
          throw new DatasetError(
            `${part.places[n]}: tag ${JSON.stringify(tag.length > 40 ? tag.slice(0, 40) + '…' : tag)} (token ${t + 1}) is not a class of ${what}${known}`
          )
        }
        y[n * T + t] = id
      })
    })
    return y
  }
  const what = declared ? 'dataset.classNames' : 'the training data'
  return {
    classNames,
    train: ids(train, what),
    ...(validation ? { validation: ids(validation, what) } : {})
  }
}

export function textPreviewOf(tokenizer: Tokenizer & { lengths: number[] }): TextPreview {
  const cap = 1000
  const longest = Math.min(
    cap,
    tokenizer.lengths.reduce((a, b) => Math.max(a, b), 0)
  )
  const lengthHistogram = new Array<number>(longest + 1).fill(0)
  let truncated = 0
  for (const n of tokenizer.lengths) {
    lengthHistogram[Math.min(cap, n)]++
    if (n > tokenizer.maxLength) truncated++
  }
  return {
    level: tokenizer.level,
    vocabularySize: tokenizer.vocabulary.length,
    vocabularyHead: tokenizer.vocabulary.slice(0, 50),
    maxLength: tokenizer.maxLength,
    truncated,
    lengthHistogram
  }
}
