// `rnnlab` commands against a real database: runs, show, compare, metrics --csv, delete, and their errors.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { commandNames, main } from '../../main/cli'
import { RunStore } from '../../main/runs/store'
import { seedCompletedRun, tutorialConfig } from '../helpers/seed'
import { tempDir } from '../helpers/tmp'

let dir: ReturnType<typeof tempDir>
let db: string

async function rnnlab(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  return commandLine(...argv, '--db', db)
}

/** `rnnlab` with exactly these arguments (no --db added at the end). */
async function commandLine(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = []
  const err: string[] = []
  const code = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s) })
  return { code, out: out.join('\n'), err: err.join('\n') }
}

beforeEach(() => {
  dir = tempDir()
  db = join(dir.path, 'runs.db')
})
afterEach(() => dir.remove())

describe('rnnlab CLI', () => {
  it('reads a database that is not there without creating it or its folder: a clear message instead', async () => {
    const missing = join(dir.path, 'new', 'dir', 'x.db')
    const none = {
      code: 1,
      out: '',
      err: `rnnlab: ${missing}: no run database there (check --db, or train a run first)`
    }
    expect(await commandLine('runs', '--db', missing)).toEqual({
      code: 0,
      out: `No runs yet in ${missing} (there is no database there yet). Start one with: rnnlab train examples/seed-bilstm-mnist.json`,
      err: ''
    })
    expect(await commandLine('runs', '--db', missing, '--json')).toEqual({ code: 0, out: '[]', err: '' })
    expect(await commandLine('show', '1', '--db', missing)).toEqual(none)
    expect(await commandLine('show', 'some-name', '--db', missing, '--json')).toEqual(none)
    expect(await commandLine('compare', '1', '2', '--db', missing)).toEqual(none)
    expect(await commandLine('metrics', '1', '--csv', '--db', missing)).toEqual(none)
    expect(existsSync(join(dir.path, 'new'))).toBe(false)
  })

  it('explains the empty database', async () => {
    const r = await rnnlab('runs')
    expect(r.code).toBe(0)
    expect(r.out).toContain(`No runs yet in ${db}`)
    expect(JSON.parse((await rnnlab('runs', '--json')).out)).toEqual([])
  })

  it('lists, shows, compares, exports metrics and deletes runs', async () => {
    const store = new RunStore(db)
    const a = seedCompletedRun(store, { name: 'bilstm', epochs: 3, peakEpoch: 2 })
    const gruConfig = JSON.parse(JSON.stringify(tutorialConfig))
    gruConfig.name = 'bigru'
    gruConfig.model.layers[0].layer.type = 'gru'
    gruConfig.model.layers[2].layer.type = 'gru'
    gruConfig.training.batchSize = 32
    const b = seedCompletedRun(store, { name: 'bigru', cell: 'gru', epochs: 2, config: gruConfig })
    store.close()

    const runs = await rnnlab('runs')
    expect(runs.code).toBe(0)
    const lines = runs.out.split('\n')
    expect(lines[0]).toMatch(/^ID\s+NAME\s+STATUS\s+CELL/)
    expect(lines[2]).toMatch(
      new RegExp(`^\\s*${b}\\s+bigru\\s+completed\\s+gru\\s+bidirectional\\s+5\\s+70,610\\s+2/2\\s+94\\.00% @2`)
    )
    expect(lines[3]).toMatch(
      new RegExp(`^\\s*${a}\\s+bilstm\\s+completed\\s+lstm\\s+bidirectional\\s+5\\s+93,010\\s+3/3\\s+94\\.00% @2`)
    )

    const show = await rnnlab('show', 'bilstm')
    expect(show.out).toContain(`Run ${a}: bilstm  [completed]`)
    expect(show.out).toMatch(/EPOCH\s+LOSS\s+ACCURACY\s+VAL_LOSS\s+VAL_ACCURACY/)
    expect(show.out).toContain('"units": 50')
    expect(JSON.parse((await rnnlab('show', String(a), '--json')).out).epochs).toHaveLength(3)

    const compare = await rnnlab('compare', String(a), String(b))
    expect(compare.code).toBe(0)
    expect(compare.out).toMatch(/model\.layers\[0\]\.layer\.type\s+"lstm"\s+"gru"/)
    expect(compare.out).toMatch(/training\.batchSize\s+64\s+32/)
    expect(compare.out).not.toMatch(/training\.optimizer/)
    expect(compare.out).toMatch(/val_accuracy \(best\)\s+94\.00% @2\s+94\.00% @2/)
    const cmpJson = JSON.parse((await rnnlab('compare', String(a), String(b), '--json')).out)
    expect(cmpJson.differences.map((d: { path: string }) => d.path)).toEqual([
      'model.layers[0].layer.type',
      'model.layers[2].layer.type',
      'training.batchSize'
    ])

    const csv = await rnnlab('metrics', String(a), '--csv')
    const rows = csv.out.split('\n')
    expect(rows[0]).toBe(
      'run_id,run_name,epoch,loss,accuracy,val_loss,val_accuracy,learning_rate,seconds,samples_per_second'
    )
    expect(rows).toHaveLength(4)
    expect(rows[1]).toMatch(new RegExp(`^${a},bilstm,1,0\\.5,`))

    const gruOnly = JSON.parse((await rnnlab('runs', '--json', '--filter', 'cell = gru and val_accuracy > 0.9')).out)
    expect(gruOnly.map((r: { id: number }) => r.id)).toEqual([b])
    const either = JSON.parse((await rnnlab('runs', '--json', '--filter', 'params > 80000 or epochs < 3')).out)
    expect(either.map((r: { id: number }) => r.id)).toEqual([b, a])
    expect((await rnnlab('runs', '--filter', 'cell = rnn_x and')).err).toMatch(/^rnnlab: --filter: /)
    expect((await rnnlab('runs', '--filter', 'cell = transformer')).out).toBe('No runs match.')

    expect((await rnnlab('delete', String(b))).out).toBe(
      `Deleted run ${b}. It stays in the Trash for 30 days: rnnlab restore ${b} brings it back.`
    )
    expect(JSON.parse((await rnnlab('runs', '--json')).out).map((r: { id: number }) => r.id)).toEqual([a])

    // The Trash: listed, restored, deleted again and purged for good.
    expect((await rnnlab('trash')).out).toMatch(
      new RegExp(`^${b}  bigru  \\[completed\\] · deleted .* · purged after .* · 0\\.00 B$`)
    )
    expect((await rnnlab('restore', String(b))).out).toBe(`Restored run ${b}.`)
    expect((await rnnlab('trash')).out).toBe('The Trash is empty.')
    await rnnlab('delete', String(b))
    expect(await rnnlab('purge', 'bigru')).toMatchObject({
      code: 2,
      err: "rnnlab: bigru: give the run's number (rnnlab trash lists them)"
    })
    expect(await rnnlab('purge', String(a))).toMatchObject({ code: 1, err: `rnnlab: run ${a} is not in the Trash` })
    expect((await rnnlab('purge', '--all')).out).toBe(`Deleted run ${b} for good; 0.00 B freed.`)
    expect((await rnnlab('trash', '--json')).out).toContain('"runs": []')
    expect(await rnnlab('restore', String(b))).toMatchObject({ code: 1, err: `rnnlab: run ${b} not found` })
  })

  it('fails with one line naming the bad input', async () => {
    new RunStore(db).close()
    expect(await rnnlab('show', '42')).toEqual({ code: 1, out: '', err: 'rnnlab: run 42 not found' })
    expect(await rnnlab('frobnicate')).toMatchObject({
      code: 2,
      err: "rnnlab: unknown command 'frobnicate'; run 'rnnlab --help' for the list"
    })
    expect(await rnnlab('compare', '1')).toMatchObject({
      code: 2,
      err: expect.stringContaining('usage: rnnlab compare')
    })
    const notDb = join(dir.path, 'x.db')
    writeFileSync(notDb, 'not a database'.repeat(20))
    db = notDb
    const r = await rnnlab('runs')
    expect(r.code).toBe(1)
    expect(r.err).toMatch(new RegExp(`^rnnlab: ${notDb.replace(/[.]/g, '\\.')}: cannot open the run database`))
    expect(r.err.split('\n')).toHaveLength(1)
  })

  it('summarizes a config like Keras: the tutorial and its siblings', async () => {
    const file = (name: string, config: unknown) => {
      const path = join(dir.path, name)
      writeFileSync(path, JSON.stringify(config, null, 2))
      return path
    }
    const variant = (mutate: (c: typeof tutorialConfig) => void) => {
      const c = JSON.parse(JSON.stringify(tutorialConfig))
      mutate(c)
      return c
    }
    const tutorial = await rnnlab('summary', join(__dirname, '..', '..', 'examples', 'seed-bilstm-mnist.json'))
    expect(tutorial.code).toBe(0)
    expect(tutorial.out).toMatch(/^Model: "seed-bilstm-mnist"/)
    expect(tutorial.out).toMatch(/bidirectional \(Bidirectional LSTM\)\s+│ \(None, 28, 100\)\s+│\s+31,600 │/)
    expect(tutorial.out).toMatch(/bidirectional_1 \(Bidirectional LSTM\)\s+│ \(None, 100\)\s+│\s+60,400 │/)
    expect(tutorial.out).toMatch(/dense \(Dense\)\s+│ \(None, 10\)\s+│\s+1,010 │/)
    expect(tutorial.out).toContain('Total params: 93,010')
    const total = async (name: string, mutate: (c: typeof tutorialConfig) => void) =>
      /Total params: ([\d,]+)/.exec((await rnnlab('summary', file(name, variant(mutate)))).out)?.[1]
    expect(
      await total('gru.json', (c) => c.model.layers.forEach((l) => 'layer' in l && l.layer && (l.layer.type = 'gru')))
    ).toBe('70,610')
    expect(
      await total('rnn.json', (c) =>
        c.model.layers.forEach((l) => 'layer' in l && l.layer && (l.layer.type = 'simple_rnn'))
      )
    ).toBe('24,010')
    expect(
      await total('shared.json', (c) =>
        c.model.layers.forEach((l) => 'layer' in l && ((l as { sharedWeights?: boolean }).sharedWeights = true))
      )
    ).toBe('47,010')
    const json = JSON.parse((await rnnlab('summary', file('t.json', tutorialConfig), '--json')).out)
    expect(json.input).toEqual([28, 28])
    expect(json.totalParams).toBe(93_010)
    expect(json.rows.map((r: { params: number }) => r.params)).toEqual([31_600, 0, 60_400, 0, 1_010])
  })

  it('refuses bad configs with the file, the line or the field named', async () => {
    const bad = (name: string, text: string) => {
      const path = join(dir.path, name)
      writeFileSync(path, text)
      return path
    }
    const zero = bad(
      'zero.json',
      JSON.stringify({
        model: {
          layers: [
            { type: 'lstm', units: 0 },
            { type: 'dense', units: 2, activation: 'softmax' }
          ]
        }
      })
    )
    expect(await rnnlab('summary', zero)).toMatchObject({
      code: 1,
      err: `rnnlab: ${zero}: model.layers[0].units: must be a positive integer, got 0`
    })
    const broken = bad('broken.json', '{\n  "model": {,\n}')
    expect((await rnnlab('summary', broken)).err).toMatch(
      new RegExp(`^rnnlab: ${broken.replace(/[.]/g, '\\.')}:2:13: not valid JSON`)
    )
    expect((await rnnlab('summary', join(dir.path, 'missing.json'))).err).toBe(
      `rnnlab: ${join(dir.path, 'missing.json')}: no such file`
    )
    const huge = bad(
      'huge.json',
      JSON.stringify({
        model: {
          layers: [
            { type: 'lstm', units: 60000 },
            { type: 'dense', units: 10, activation: 'softmax' }
          ]
        }
      })
    )
    const refused = await rnnlab('summary', huge)
    expect(refused.code).toBe(1)
    expect(refused.err).toMatch(new RegExp(`^rnnlab: ${huge.replace(/[.]/g, '\\.')}: .*model\\.layers\\[0\\]`))
    expect(refused.err).toMatch(/memory|GB|GiB/)
    const empty = bad('empty.json', '  \n')
    expect((await rnnlab('summary', empty)).err).toBe(`rnnlab: ${empty}: the file is empty`)
  })
})

describe('rnnlab sweep', () => {
  it('refuses a bad sweep file naming the file and the key, before creating anything', async () => {
    const file = join(dir.path, 'sweep.json')
    writeFileSync(
      file,
      JSON.stringify({
        base: { model: tutorialConfig.model, training: { optimizer: { type: 'adam' } } },
        parameters: { 'training.optimizer.learningrate': [0.1] }
      })
    )
    expect(await rnnlab('sweep', file)).toEqual({
      code: 1,
      out: '',
      err: `rnnlab: ${file}: parameters["training.optimizer.learningrate"]: in trial 1 (training.optimizer.learningrate=0.1), training.optimizer.learningrate: unknown key (did you mean "learningRate"?)`
    })
    writeFileSync(file, '{ "base": {},\n  "parameters": 1,\n}')
    expect((await rnnlab('sweep', file)).err).toBe(
      `rnnlab: ${file}:3:1: not valid JSON: Expected double-quoted property name`
    )
    expect(await rnnlab('sweeps')).toEqual({
      code: 0,
      out: 'No sweeps yet. Start one with: rnnlab sweep examples/sweeps/seed-matrix.json',
      err: ''
    })
  })

  it('names what is wrong on the command line', async () => {
    expect((await rnnlab('sweep', 'x.json', '--parallel', '0')).err).toBe(
      'rnnlab: --parallel: expected a positive integer, got 0'
    )
    expect((await rnnlab('sweep', 'show', '7')).err).toBe('rnnlab: sweep 7 not found')
    expect((await rnnlab('sweep', 'cancel', 'x')).err).toBe('rnnlab: expected a sweep id (a number), got x')
    expect(await rnnlab('sweep', 'show', '7', '--parallel', '2')).toMatchObject({
      code: 2,
      err: 'rnnlab: --parallel is not an option of rnnlab sweep show'
    })
    expect((await rnnlab('sweep', 'a.json', 'b.json')).code).toBe(2)
  })
})

describe('rnnlab command lines', () => {
  /** For each command: a typo of a flag it takes, the flag meant, and a flag of it that needs a value. */
  const flags: Record<string, { typo: string; meant: string; valueFlag: string }> = {
    train: { typo: '--epoch', meant: '--epochs', valueFlag: '--epochs' },
    summary: { typo: '--jsn', meant: '--json', valueFlag: '--db' },
    runs: { typo: '--serch', meant: '--search', valueFlag: '--filter' },
    show: { typo: '--jason', meant: '--json', valueFlag: '--db' },
    compare: { typo: '--jsn', meant: '--json', valueFlag: '--db' },
    metrics: { typo: '--csvs', meant: '--csv', valueFlag: '--db' },
    delete: { typo: '--dbb', meant: '--db', valueFlag: '--db' },
    trash: { typo: '--jsonn', meant: '--json', valueFlag: '--db' },
    restore: { typo: '--dbb', meant: '--db', valueFlag: '--db' },
    purge: { typo: '--al', meant: '--all', valueFlag: '--db' },
    export: { typo: '--checkpiont', meant: '--checkpoint', valueFlag: '--out' },
    predict: { typo: '--inputs', meant: '--input', valueFlag: '--engine' },
    inspect: { typo: '--sampel', meant: '--sample', valueFlag: '--sample' },
    weights: { typo: '--checkpiont', meant: '--checkpoint', valueFlag: '--checkpoint' },
    confusion: { typo: '--checkpiont', meant: '--checkpoint', valueFlag: '--checkpoint' },
    prefix: { typo: '--recompte', meant: '--recompute', valueFlag: '--db' },
    ablation: { typo: '--checkpiont', meant: '--checkpoint', valueFlag: '--checkpoint' },
    diff: { typo: '--checkpont', meant: '--checkpoint', valueFlag: '--checkpoint' },
    serve: { typo: '--ports', meant: '--port', valueFlag: '--port' },
    sweep: { typo: '--paralel', meant: '--parallel', valueFlag: '--parallel' },
    sweeps: { typo: '--jsn', meant: '--json', valueFlag: '--db' },
    worker: { typo: '--concurency', meant: '--concurrency', valueFlag: '--redis' }
  }

  it('has a case for every command', () => {
    expect(Object.keys(flags).sort()).toEqual([...commandNames].sort())
  })

  it('refuses an unknown flag, naming it and the nearest known one (not silently using the default)', async () => {
    for (const [name, { typo, meant }] of Object.entries(flags)) {
      expect(await rnnlab(name, '1', typo, '3'), name).toEqual({
        code: 2,
        out: '',
        err: `rnnlab: unknown option ${typo} (did you mean ${meant}?)`
      })
    }
    expect((await rnnlab('train', 'x.json', '--init_from', 'm.onnx')).err).toBe(
      'rnnlab: unknown option --init_from (did you mean --init-from?)'
    )
  })

  it('refuses an unknown flag with no near one, listing the flags the command takes', async () => {
    for (const name of commandNames) {
      const r = await rnnlab(name, '1', '--frobnicate')
      expect(r.code, name).toBe(2)
      expect(r.err, name).toMatch(
        new RegExp(
          `^rnnlab: unknown option --frobnicate \\(rnnlab ${name} takes (--[a-z-]+, )*--db, --json, --help\\)$`
        )
      )
    }
    expect((await rnnlab('runs', '--search', 'x', '--filter', 'cell = gru', '--all', '--frobnicate')).err).toBe(
      'rnnlab: unknown option --frobnicate (rnnlab runs takes --filter, --search, --all, --db, --json, --help)'
    )
    expect(await rnnlab('show', '1', '-x')).toMatchObject({
      code: 2,
      err: expect.stringMatching(/^rnnlab: unknown option -x \(rnnlab show takes --db, --json, --help\)$/)
    })
    // A flag of another command is unknown to this one.
    expect(await rnnlab('runs', '--epochs', '3')).toMatchObject({
      code: 2,
      err: expect.stringMatching(/^rnnlab: unknown option --epochs /)
    })
  })

  it('refuses a value flag given no value', async () => {
    for (const [name, { valueFlag }] of Object.entries(flags)) {
      expect(await commandLine(name, '--db', db, '1', valueFlag), name).toEqual({
        code: 2,
        out: '',
        err: `rnnlab: ${valueFlag} needs a value`
      })
    }
    // The next flag is not taken as the value; a value that starts with '-' is written --flag=-value.
    expect(await rnnlab('train', 'x.json', '--epochs', '--json')).toMatchObject({
      code: 2,
      err: "rnnlab: --epochs needs a value; to give one that starts with '-', write --epochs=--json"
    })
    expect((await rnnlab('serve', '--port', '-1')).err).toBe(
      "rnnlab: --port needs a value; to give one that starts with '-', write --port=-1"
    )
    expect((await rnnlab('serve', '--port=-1')).err).toBe('rnnlab: --port: expected a port number, got -1')
  })

  it('refuses a boolean flag given a value', async () => {
    for (const name of commandNames) {
      expect(await rnnlab(name, '1', '--json=yes'), name).toEqual({
        code: 2,
        out: '',
        err: 'rnnlab: --json takes no value (got --json=yes)'
      })
    }
    expect((await rnnlab('runs', '--all=false')).err).toBe('rnnlab: --all takes no value (got --all=false)')
    expect((await rnnlab('metrics', '1', '--csv=1')).err).toBe('rnnlab: --csv takes no value (got --csv=1)')
  })

  it('reads --flag value, --flag=value and --, and answers --help on every command whatever else is wrong', async () => {
    for (const name of commandNames) {
      for (const help of [['--help'], ['-h'], ['--frobnicate', '--help']]) {
        const r = await rnnlab(name, ...help)
        expect(r.code, `${name} ${help}`).toBe(0)
        expect(r.out, `${name} ${help}`).toMatch(new RegExp(`^usage: rnnlab ${name}`))
      }
    }
    expect(await commandLine('runs', `--db=${db}`)).toMatchObject({
      code: 0,
      out: expect.stringContaining(`No runs yet in ${db}`)
    })
    expect(await rnnlab('runs', '--search=lstm', '--json')).toEqual({ code: 0, out: '[]', err: '' })
    expect(await rnnlab('runs', '--filter', 'cell = gru', '--json')).toEqual({ code: 0, out: '[]', err: '' })
    // After --, a word that looks like a flag is a run reference.
    new RunStore(db).close()
    expect(await commandLine('show', '--db', db, '--', '--json')).toEqual({
      code: 1,
      out: '',
      err: 'rnnlab: run "--json" not found'
    })
  })
})
