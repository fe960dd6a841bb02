// Tagging and text inference from a terminal: word segmentation on real English (Debian's license texts), where the
// bidirectional tagger must beat its forward-only twin clearly on the F1 of "a word ends here" (rnnlab confusion);
// `rnnlab predict <run> --text / --text-file` through the run's tokenizer (tags per character, the inferred spaces,
// class probabilities of a text classifier), and a run that is not a text run refused.
import { afterAll, test } from 'vitest'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const bin = join(root, 'bin', 'rnnlab.js')
const home = mkdtempSync(join(tmpdir(), 'rnnlab-text-predict-'))
const env = { ...process.env, RNNLAB_HOME: home }
afterAll(() => rmSync(home, { recursive: true, force: true }))

function rnnlab(...args) {
  return spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8', timeout: 600_000 })
}

/** Trains an example config with some fields changed; returns the run id. */
function train(example, name, epochs) {
  const config = JSON.parse(readFileSync(join(root, 'examples', example), 'utf8'))
  config.name = name
  config.training.epochs = epochs
  const file = join(home, `${name}.json`)
  writeFileSync(file, JSON.stringify(config))
  const r = rnnlab('train', file)
  assert.equal(r.status, 0, r.stderr)
  return r.stdout.trim()
}

let bi
let forward

test('segmentation: the bidirectional tagger finds word ends far better than the forward-only one', () => {
  bi = train('segment-bigru.json', 'seg-bi', 8)
  forward = train('segment-gru.json', 'seg-fw', 8)
  const f1 = (run) => {
    const r = rnnlab('confusion', run, '--json')
    assert.equal(r.status, 0, r.stderr)
    const report = JSON.parse(r.stdout)
    assert.equal(report.perStep, true)
    assert.deepEqual(report.classNames, ['inside', 'end'])
    assert.equal(report.size % 48, 0)
    return report.scores[1].f1
  }
  const a = f1(bi)
  const b = f1(forward)
  // Measured with the examples as they are (15 epochs): 0.932 and 0.817.
  assert.ok(a > 0.85, `bidirectional F1 ${a}`)
  assert.ok(a - b > 0.05, `bidirectional F1 ${a}, forward ${b}`)
  const text = rnnlab('confusion', bi)
  assert.match(text.stdout, /validation tokens \(steps\)/)
  assert.match(text.stdout, /end\s+0\.\d{4}\s+0\.\d{4}\s+0\.\d{4}\s+\d+/)
}, 900_000)

test('predict --text tags each character and shows the inferred spaces; --text-file reads a line a sample', () => {
  const r = rnnlab('predict', bi, '--text', 'The cat sat on the mat.', '--json')
  assert.equal(r.status, 0, r.stderr)
  const p = JSON.parse(r.stdout)
  assert.equal(p.labels, 'token')
  assert.deepEqual(p.classNames, ['inside', 'end'])
  const [s] = p.samples
  // The segmentation source keeps letters and digits only: so does its reading of new text.
  assert.deepEqual(s.tokens, Array.from('thecatsatonthemat'))
  assert.equal(s.probabilities.length, s.tokens.length)
  for (const row of s.probabilities) assert.ok(Math.abs(row[0] + row[1] - 1) < 1e-4)
  assert.equal(s.segmented.replaceAll(' ', ''), 'thecatsatonthemat')
  assert.equal(s.predicted.at(-1), 1, 'the last word ends at the last character')

  // A text longer than the 48-character window is tagged window by window: every character gets a tag.
  const long = 'you may convey verbatim copies of the program source code as you receive it in any medium'
  const lines = join(home, 'lines.txt')
  writeFileSync(lines, `${long}\nfreesoftware\n`)
  const j = rnnlab('predict', bi, '--text-file', lines, '--json')
  assert.equal(j.status, 0, j.stderr)
  const q = JSON.parse(j.stdout)
  assert.equal(q.samples.length, 2)
  assert.equal(q.samples[0].predicted.length, long.replaceAll(' ', '').length)
  const plain = rnnlab('predict', bi, '--text-file', lines)
  assert.equal(plain.status, 0, plain.stderr)
  const out = plain.stdout.trim().split('\n')
  assert.equal(out.length, 2)
  assert.equal(out[0], q.samples[0].segmented)
  // Most of the words of a sentence of the corpus's kind come out whole.
  const words = new Set(long.split(' '))
  const found = out[0].split(' ').filter((w) => words.has(w)).length
  assert.ok(found >= 12, out[0])
}, 300_000)

test('predict --text gives a text classifier’s class probabilities; a non-text run and bad flags are refused', () => {
  const rows = ['text,label']
  for (let i = 0; i < 120; i++)
    rows.push(`${i % 2 ? 'awful bad film' : 'great good film'} ${i % 7},${i % 2 ? 'neg' : 'pos'}`)
  writeFileSync(join(home, 'reviews.csv'), rows.join('\n') + '\n')
  const config = {
    name: 'reviews',
    dataset: { source: 'text', train: 'reviews.csv', validationSplit: 0.25 },
    model: {
      layers: [
        { type: 'embedding', inputDim: 32, outputDim: 8 },
        { type: 'gru', units: 8 },
        { type: 'dense', units: 2, activation: 'softmax' }
      ]
    },
    training: { optimizer: { type: 'adam', learningRate: 0.02 }, loss: 'sparse_categorical_crossentropy', epochs: 4 }
  }
  writeFileSync(join(home, 'reviews.json'), JSON.stringify(config))
  const t = spawnSync(process.execPath, [bin, 'train', 'reviews.json'], { env, cwd: home, encoding: 'utf8' })
  assert.equal(t.status, 0, t.stderr)
  const run = t.stdout.trim()
  const r = rnnlab('predict', run, '--text', 'A GREAT film, unheard-of words', '--json')
  assert.equal(r.status, 0, r.stderr)
  const [s] = JSON.parse(r.stdout).samples
  assert.equal(s.probabilities.length, 2)
  assert.ok(Math.abs(s.probabilities[0] + s.probabilities[1] - 1) < 1e-4)
  assert.deepEqual(s.tokens.slice(0, 4), ['a', 'great', 'film', ','])
  assert.ok(s.unknown.includes(true), 'unheard-of words are out of the vocabulary')
  const plain = rnnlab('predict', run, '--text', 'great good film')
  assert.match(plain.stdout, /^great good film\tpos\t0\.\d{4}\t\(neg 0\.\d{4}, pos 0\.\d{4}\)$/m)

  const mnist = join(home, 'mnist.json')
  writeFileSync(
    mnist,
    JSON.stringify({
      name: 'digits',
      dataset: { source: 'mnist-sample', limit: 100 },
      model: {
        layers: [
          { type: 'simple_rnn', units: 4 },
          { type: 'dense', units: 10, activation: 'softmax' }
        ]
      },
      training: { epochs: 1 }
    })
  )
  const d = rnnlab('train', mnist)
  assert.equal(d.status, 0, d.stderr)
  const refused = rnnlab('predict', d.stdout.trim(), '--text', 'seven')
  assert.notEqual(refused.status, 0)
  assert.match(refused.stderr, /is not a text run \(it has no tokenizer\.json\)/)
  const both = rnnlab('predict', run, '--text', 'a', '--input', 'x.npy')
  assert.equal(both.status, 2)
  assert.match(both.stderr, /--text and --text-file take no --input/)
}, 300_000)
