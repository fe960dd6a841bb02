// `rnnlab train` on text: a CSV of labelled sentences through an embedding into a binary head, the tokenizer kept with
// the run, and bad text data refused in one line naming file:line.
import { afterAll, test } from 'vitest'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const bin = join(root, 'bin', 'rnnlab.js')
const home = mkdtempSync(join(tmpdir(), 'rnnlab-text-cli-'))
const env = { ...process.env, RNNLAB_HOME: home }
afterAll(() => rmSync(home, { recursive: true, force: true }))

const words = ['good', 'great', 'fine', 'bad', 'awful', 'poor', 'film', 'plot', 'the', 'a', 'was', 'very']
const rows = ['text,label']
for (let i = 0; i < 240; i++) {
  const positive = i % 2 === 0
  const mood = positive ? words[i % 3] : words[3 + (i % 3)]
  rows.push(`"The ${words[6 + (i % 2)]}, it was ${i % 5 === 0 ? 'very ' : ''}${mood}",${positive ? 'pos' : 'neg'}`)
}
writeFileSync(join(home, 'reviews.csv'), rows.join('\n') + '\n')

function config(name, inputDim, train = 'reviews.csv') {
  const file = join(home, `${name}.json`)
  writeFileSync(
    file,
    JSON.stringify({
      name,
      dataset: { source: 'text', train, validationSplit: 0.25 },
      model: {
        layers: [
          { type: 'embedding', inputDim, outputDim: 8 },
          { type: 'bidirectional', layer: { type: 'gru', units: 8 } },
          { type: 'dense', units: 1, activation: 'sigmoid' }
        ]
      },
      training: {
        optimizer: { type: 'adam', learningRate: 0.02 },
        loss: 'binary_crossentropy',
        batchSize: 16,
        epochs: 8
      }
    })
  )
  return file
}

test('trains a text classifier with binary cross-entropy and keeps its tokenizer', () => {
  const r = spawnSync(process.execPath, [bin, 'train', config('reviews', 32)], { env, encoding: 'utf8' })
  assert.equal(r.status, 0, r.stderr)
  const runId = r.stdout.trim()
  const best = /Best val_accuracy (\d+\.\d+)%/.exec(r.stderr)
  assert.ok(best && Number(best[1]) > 90, r.stderr)
  const tokenizer = JSON.parse(readFileSync(join(home, 'runs', runId, 'tokenizer.json'), 'utf8'))
  assert.equal(tokenizer.level, 'word')
  assert.deepEqual(tokenizer.classNames, ['neg', 'pos'])
  assert.deepEqual(tokenizer.vocabulary.slice(0, 2), ['', '[UNK]'])
  assert.ok(tokenizer.vocabulary.includes('awful'))
})

test('a vocabulary larger than inputDim, and a bad file, are refused in one line', () => {
  const small = spawnSync(process.execPath, [bin, 'train', config('small', 4)], { env, encoding: 'utf8' })
  assert.notEqual(small.status, 0)
  assert.match(small.stderr, /model\.layers\[0\]\.inputDim: the vocabulary has \d+ tokens/)
  writeFileSync(join(home, 'broken.csv'), 'text,label\n"fine",pos\n"unclosed,neg\n')
  const broken = spawnSync(process.execPath, [bin, 'train', config('broken', 32, 'broken.csv')], {
    env,
    encoding: 'utf8'
  })
  assert.notEqual(broken.status, 0)
  assert.match(broken.stderr, /broken\.csv:3: a quoted field is not closed/)
})
