// `rnnlab train` on a real time series (US births per day, 1994–2003, examples/births-gru.json) and
// `rnnlab predict --validation / --csv`: the model beats the last-value (persistence) baseline on the validation
// windows, both figures computed here from the CSV itself; the run keeps the normalisation fitted on the training rows.
import { afterAll, test } from 'vitest'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const bin = join(root, 'bin', 'rnnlab.js')
const home = mkdtempSync(join(tmpdir(), 'rnnlab-ts-cli-'))
const env = { ...process.env, RNNLAB_HOME: home }
afterAll(() => rmSync(home, { recursive: true, force: true }))
const cli = (...args) => spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8' })

// The CSV as this test reads it: header year,month,date_of_month,day_of_week,births
const csvPath = join(root, 'examples', 'data', 'us-births-1994-2003.csv')
const lines = readFileSync(csvPath, 'utf8').trim().split('\n')
const header = lines[0].split(',')
const rows = lines.slice(1).map((l) => l.split(',').map(Number))
const births = rows.map((r) => r[header.indexOf('births')])
const example = JSON.parse(readFileSync(join(root, 'examples', 'births-gru.json'), 'utf8'))
const L = example.dataset.sequenceLength
const boundary = Math.round(rows.length * (1 - example.dataset.validationSplit))

let runId
test('trains the births example (4 epochs) and keeps normalization.json fitted on the training rows', () => {
  const r = cli('train', join(root, 'examples', 'births-gru.json'), '--epochs', '4')
  assert.equal(r.status, 0, r.stderr)
  runId = r.stdout.trim()
  assert.match(r.stderr, /val_mae: \d+\.\d+/)
  const rec = JSON.parse(readFileSync(join(home, 'runs', runId, 'normalization.json'), 'utf8'))
  const train = births.slice(0, boundary)
  const mean = train.reduce((a, b) => a + b, 0) / train.length
  const std = Math.sqrt(train.reduce((a, b) => a + (b - mean) ** 2, 0) / train.length)
  assert.equal(rec.fittedRows, boundary)
  assert.ok(Math.abs(rec.columns.births.mean - mean) < 1e-6 * mean, `${rec.columns.births.mean} vs ${mean}`)
  assert.ok(Math.abs(rec.columns.births.std - std) < 1e-6 * std, `${rec.columns.births.std} vs ${std}`)
  assert.deepEqual(rec.targetColumns, ['births'])
  const shown = cli('show', runId)
  assert.match(shown.stdout, /VAL_MAE/)
})

test('beats the last-value baseline on validation MAE (births a day)', () => {
  const r = cli('predict', runId, '--validation', '--engine', 'native', '--json')
  assert.equal(r.status, 0, r.stderr)
  const f = JSON.parse(r.stdout)
  // Independently: every window wholly after the boundary; target the row after the window, baseline its last row.
  const starts = []
  for (let s = boundary; s + L < rows.length; s++) starts.push(s)
  assert.deepEqual(
    f.windows.map((w) => w.start),
    starts
  )
  let model = 0
  let persistence = 0
  let weekly = 0
  starts.forEach((s, w) => {
    const actual = births[s + L]
    model += Math.abs(f.windows[w].forecast[0] - actual)
    persistence += Math.abs(births[s + L - 1] - actual)
    weekly += Math.abs(births[s + L - 7] - actual)
  })
  model /= starts.length
  persistence /= starts.length
  weekly /= starts.length
  console.log(
    `births validation MAE over ${starts.length} windows: model ${model.toFixed(1)}, last value ${persistence.toFixed(1)}, same day last week ${weekly.toFixed(1)}`
  )
  assert.ok(Math.abs(model - f.mae) < 1e-6 * model, `${model} vs the CLI's ${f.mae}`)
  assert.ok(Math.abs(persistence - f.persistenceMae) < 1e-9 * persistence)
  assert.ok(model < 0.6 * persistence, `model MAE ${model} does not beat persistence ${persistence} clearly`)
})

test('--csv forecasts after the file’s last window, de-normalised, as --validation does for the same rows', () => {
  const s = rows.length - L - 1 // the last validation window
  const window = join(home, 'window.csv')
  writeFileSync(window, [lines[0], ...lines.slice(1 + s, 1 + s + L)].join('\n') + '\n')
  const one = JSON.parse(cli('predict', runId, '--csv', window, '--engine', 'native', '--json').stdout)
  const all = JSON.parse(cli('predict', runId, '--validation', '--engine', 'native', '--json').stdout)
  assert.equal(all.windows.at(-1).start, s)
  assert.ok(Math.abs(one.windows[0].forecast[0] - all.windows.at(-1).forecast[0]) < 1e-6 * births[s])
  const text = cli('predict', runId, '--csv', window)
  assert.equal(text.status, 0, text.stderr)
  assert.match(text.stdout, /1 step after the window: births \d{1,2},\d{3}/)
})

test('a bad cell is refused with file:line, and a classification loss on a time series is refused', () => {
  const bad = join(home, 'bad.csv')
  writeFileSync(bad, 'day,value\n1,10\n2,11\n3,\n4,12\n')
  const config = (loss, units, activation) => {
    const file = join(home, `${loss}.json`)
    writeFileSync(
      file,
      JSON.stringify({
        dataset: { source: 'timeseries', train: 'bad.csv', sequenceLength: 2, targetColumns: ['value'] },
        model: {
          layers: [
            { type: 'gru', units: 4 },
            { type: 'dense', units, activation }
          ]
        },
        training: { loss, epochs: 1 }
      })
    )
    return file
  }
  const r = cli('train', config('mse', 1, 'linear'))
  assert.notEqual(r.status, 0)
  assert.match(r.stderr, /bad\.csv:4: column "value": is empty/)
  writeFileSync(bad, 'day,value\n1,10\n2,11\n3,13\n4,12\n')
  const c = cli('train', config('categorical_crossentropy', 2, 'softmax'))
  assert.notEqual(c.status, 0)
  assert.match(c.stderr, /training\.loss: a time series is forecast with a regression loss \(mse or mae/)
})

test('early stopping monitors val_mae (lower is better) and says so', () => {
  const file = join(home, 'early.json')
  const config = JSON.parse(JSON.stringify(example))
  config.name = 'births-early'
  config.dataset.train = csvPath
  config.training.epochs = 60
  config.training.earlyStopping = { monitor: 'val_mae', patience: 0 }
  writeFileSync(file, JSON.stringify(config))
  const r = cli('train', file)
  assert.equal(r.status, 0, r.stderr)
  // patience 0: the first epoch whose val_mae is not below the best so far ends the run
  assert.match(r.stderr, /early stopping: val_mae did not improve for 1 epochs/)
  const shown = JSON.parse(cli('show', r.stdout.trim(), '--json').stdout)
  const maes = shown.epochs.map((e) => e.valMae)
  assert.ok(maes.length < 60, `ran all ${maes.length} epochs`)
  for (let i = 1; i < maes.length - 1; i++) assert.ok(maes[i] < Math.min(...maes.slice(0, i)), `epoch ${i + 1}`)
  assert.ok(maes.at(-1) >= Math.min(...maes.slice(0, -1)))
})

test('export to ONNX: parity on the validation windows, the normalisation in the metadata', () => {
  const out = join(home, 'births.onnx')
  // The config names its CSV relative to examples/; the run's normalization.json keeps where it was read.
  const r = cli('export', runId, '--out', out, '--json')
  assert.equal(r.status, 0, r.stderr)
  assert.equal(JSON.parse(r.stdout).ok, true)
  const bytes = readFileSync(out).toString('latin1')
  assert.ok(bytes.includes('rnnlab.normalization'))
  assert.ok(bytes.includes('"targetColumns":["births"]'))
  const viaOnnx = JSON.parse(cli('predict', runId, '--validation', '--engine', 'onnx', '--json').stdout)
  const viaEngine = JSON.parse(cli('predict', runId, '--validation', '--engine', 'native', '--json').stdout)
  assert.ok(Math.abs(viaOnnx.mae - viaEngine.mae) < 1e-3, `${viaOnnx.mae} vs ${viaEngine.mae}`)
})
