// Raw text through a text run: its stored tokenizer (runs/<id>/tokenizer.json, vocabulary built on the training split)
// turns each text into token ids as training did, then the run's model predicts a class per text or a tag per token.
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { SEGMENTATION_CLASS_NAMES } from '../../common/datasets'
import type { TextPrediction, TextPredictionSample } from '../../common/contract'
import { OOV_ID } from '../../common/datasets'
import { tokenize, type Tokenizer } from '../datasets/text'
import { predictWith, type PredictOptions } from './service'

export interface StoredTokenizer extends Tokenizer {
  labels: 'sample' | 'token'
  classNames: string[] | null
  /** `letters-digits`: new text keeps only letters and digits (the segmentation source's reading). */
  keep?: 'letters-digits'
}

/** The tokenizer a text run stored; a run of another kind is refused by name. */
export function readStoredTokenizer(runDir: string, runLabel: string): StoredTokenizer {
  const path = join(runDir, 'tokenizer.json')
  let value: Record<string, unknown>
  try {
    value = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      throw new Error(
        `${runLabel} is not a text run (it has no tokenizer.json): --text needs a run trained on a text source (text, names, segmentation); give its samples with --input x.npy`,
        { cause: e }
      )
    throw new Error(`${path}: cannot read the run's tokenizer (${e instanceof Error ? e.message : String(e)})`, {
      cause: e
    })
  }
  if (value.format !== 'rnnlab-tokenizer-1' || !Array.isArray(value.vocabulary))
    throw new Error(`${path}: not an RNN Lab tokenizer (format rnnlab-tokenizer-1)`)
  return {
    level: value.level === 'char' ? 'char' : 'word',
    lowercase: value.lowercase !== false,
    truncating: value.truncating === 'pre' ? 'pre' : 'post',
    maxLength: Number(value.maxLength),
    vocabulary: value.vocabulary as string[],
    labels: value.labels === 'token' ? 'token' : 'sample',
    classNames: Array.isArray(value.classNames) ? (value.classNames as string[]) : null,
    ...(value.keep === 'letters-digits' ? { keep: 'letters-digits' as const } : {})
  }
}

/** A text as the run's data source read it: the segmentation source kept only letters and digits. */
function prepared(text: string, tokenizer: StoredTokenizer): string {
  if (tokenizer.keep !== 'letters-digits') return text
  return (text.normalize('NFC').match(/[\p{L}\p{N}]+/gu) ?? []).join('')
}

const round = (v: number) => Math.round(v * 1e6) / 1e6

/**
 * Predicts texts with a text run. Classification: each text padded or cut to the tokenizer's maxLength, as in
 * training. Tagging: a text longer than maxLength is read window by window (maxLength tokens each, the last padded),
 * so that every token gets a tag.
 */
export async function predictTexts(
  options: PredictOptions & { store: NonNullable<PredictOptions['store']> },
  texts: readonly string[]
): Promise<TextPrediction> {
  const runId = options.store.resolve(options.target)
  const kind = options.checkpoint ?? (options.store.checkpoint(runId, 'best') ? 'best' : 'last')
  const checkpoint = options.store.checkpoint(runId, kind)
  if (!checkpoint) throw new Error(`run ${runId} has no ${kind} checkpoint`)
  const tokenizer = readStoredTokenizer(dirname(checkpoint.path), `run ${runId}`)
  const T = tokenizer.maxLength
  const ids = new Map<string, number>()
  tokenizer.vocabulary.forEach((token, id) => {
    if (id > OOV_ID) ids.set(token, id)
  })
  const tagging = tokenizer.labels === 'token'
  const tokensOf = texts.map((text) => tokenize(prepared(text, tokenizer), tokenizer.level, tokenizer.lowercase))
  // The rows the model reads: one per text, or one per window of T tokens when tagging.
  const rows: { sample: number; from: number; tokens: string[] }[] = []
  tokensOf.forEach((tokens, sample) => {
    if (!tagging) {
      const kept =
        tokens.length <= T
          ? tokens
          : tokenizer.truncating === 'pre'
            ? tokens.slice(tokens.length - T)
            : tokens.slice(0, T)
      rows.push({ sample, from: 0, tokens: kept })
    } else if (tokens.length === 0) rows.push({ sample, from: 0, tokens: [] })
    else
      for (let from = 0; from < tokens.length; from += T)
        rows.push({ sample, from, tokens: tokens.slice(from, from + T) })
  })
  const x = new Float32Array(rows.length * T)
  rows.forEach((row, r) => row.tokens.forEach((token, t) => (x[r * T + t] = ids.get(token) ?? OOV_ID)))
  const result = await predictWith(options, { x, n: rows.length, T, F: 1 })
  const units = result.dims.at(-1) ?? 1
  const perStep = result.dims.length === 3
  if (perStep !== tagging)
    throw new Error(
      `run ${runId}: its model gives ${perStep ? 'an output per step' : 'one output per sample'} but its data had ${tagging ? 'a label per token' : 'a label per sample'}`
    )
  const classNames = tokenizer.classNames
  // A row of probabilities; a one-unit sigmoid head (binary_crossentropy) gives P(class 1): shown as both classes.
  const probabilitiesAt = (at: number): number[] =>
    units === 1
      ? [round(1 - result.data[at]), round(result.data[at])]
      : Array.from(result.data.subarray(at, at + units), round)
  const best = (p: number[]) => p.reduce((k, v, i) => (v > p[k] ? i : k), 0)
  const samples: TextPredictionSample[] = texts.map((text, sample) => {
    const tokens = tokensOf[sample]
    return {
      text,
      tokens,
      unknown: tokens.map((token) => !ids.has(token)),
      probabilities: [],
      predicted: tagging ? [] : 0
    }
  })
  rows.forEach((row, r) => {
    const s = samples[row.sample]
    if (!tagging) {
      s.probabilities = probabilitiesAt(r * units)
      s.predicted = best(s.probabilities)
      return
    }
    const probabilities = s.probabilities as number[][]
    const predicted = s.predicted as number[]
    row.tokens.forEach((_, t) => {
      const p = probabilitiesAt((r * T + t) * units)
      probabilities.push(p)
      predicted.push(best(p))
    })
  })
  const segmentation =
    tagging && classNames?.length === 2 && classNames.every((c, i) => c === SEGMENTATION_CLASS_NAMES[i])
  if (segmentation) {
    for (const s of samples) {
      const predicted = s.predicted as number[]
      s.segmented = s.tokens
        .map((token, t) => (predicted[t] === 1 && t < s.tokens.length - 1 ? token + ' ' : token))
        .join('')
    }
  }
  return {
    labels: tokenizer.labels,
    level: tokenizer.level,
    classNames,
    source: result.source,
    engine: result.engine,
    samples
  }
}
