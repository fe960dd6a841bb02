// The committed bad-file corpus: every file is refused with its one-line message, and the corpus matches its script.
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { execFileSync } from 'node:child_process'
import { gunzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { normalizeDatasetSpec } from '../../common/datasets'
import { DatasetError, loadDataset } from '../../main/datasets'

const fixtures = join(__dirname, '..', 'fixtures', 'datasets')
const bad = join(fixtures, 'bad')
const manifest = JSON.parse(readFileSync(join(bad, 'manifest.json'), 'utf8')) as {
  name: string
  spec: unknown
  message: string
}[]

describe('bad-file corpus', () => {
  it('has a case for every kind of fault', () => {
    expect(manifest.length).toBeGreaterThanOrEqual(40)
  })

  it.each(manifest.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const spec = normalizeDatasetSpec(c.spec)
    const err = await loadDataset(spec, {
      home: bad,
      baseDir: bad,
      fetch: () => Promise.reject(new Error('offline'))
    }).then(
      () => undefined,
      (e: unknown) => e
    )
    expect(err, 'the load should have failed').toBeInstanceOf(DatasetError)
    expect((err as DatasetError).message).toBe(c.message)
    expect((err as DatasetError).message).not.toContain('\n')
    expect((err as DatasetError).file?.startsWith(bad)).toBe(true)
  })
})

describe('fixture script', () => {
  it('writes exactly the committed files', () => {
    const out = mkdtempSync(join(tmpdir(), 'rnnlab-fixtures-'))
    try {
      execFileSync(process.execPath, [join(__dirname, '..', '..', 'scripts', 'make-dataset-fixtures.mjs'), out])
      const list = (dir: string): string[] =>
        readdirSync(dir, { recursive: true, encoding: 'utf8' })
          .filter((f) => statSync(join(dir, f)).isFile())
          .sort()
      const made = list(out)
      expect(made).toEqual(list(fixtures))
      for (const name of made) {
        // gzip bytes may vary with the zlib version; what they hold may not.
        const read = (dir: string): Buffer => {
          const bytes = readFileSync(join(dir, name))
          return name.endsWith('.gz') && bytes.length > 40 ? gunzipSync(bytes) : bytes
        }
        expect(read(out).equals(read(fixtures)), relative(out, join(out, name))).toBe(true)
      }
    } finally {
      rmSync(out, { recursive: true, force: true })
    }
  })
})
