// The engine's benchmark against PyTorch (a script, not a test; CI does not run it): `npm run bench`.
// For each workload of issue 4 — the tutorial's model (T=28, F=28, batch 64, 2x Bi-LSTM(50), Dense 10) and the
// same with GRU, with SimpleRNN, one direction, 3 stacked layers, hidden 128; issue 16's T = 500 (Bi-LSTM 64, 8
// features) and hidden 256 — it measures in a fresh child
// process (so peak memory is per workload): training samples/s (median of timed windows after warm-up), seconds
// per 60,000-sample epoch, GFLOP/s (the FLOPs the engine computes, bench/flops.mjs) and as a share of the fp32 matrix-product peak measured here,
// inference samples/s at batch 64 and ms at batch 1, peak resident memory against the engine's own training-memory
// figure (model.memoryBytes(), which common/model.ts's estimateTrainingMemory equals to the byte:
// test/native/memory.test.ts) and that figure per sample; then PyTorch on the same workloads
// (Debian python3-torch with /usr/bin/python3, OpenBLAS from libopenblas0-openmp, OPENBLAS_CORETYPE=SkylakeX, 1 and
// 2 threads, the best kept), skipped with a note when absent. Prints a table with ours/PyTorch ratios.
// With --threads 1,2,4,8 (any list) the engine runs at each of those thread counts, interleaved (1, 2, 4, 8, 1, 2, ...
// for --rounds N rounds, medians), and a scaling table follows: samples/s, the ratio to 1 thread, GFLOP/s and the
// share of the 2-thread matrix-product peak measured in the same run. --busy [runs] measures every workload with
// another process spinning on one core, 1 and 2 threads interleaved, `runs` times each (default 3), medians.
//   node bench/run.mjs [--quick] [--no-torch] [--no-onnx] [--only name[,name]] [--threads 1,2,4,8] [--rounds n]
//                      [--busy [runs]] [--json file]
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { cpus, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { formulaFlopsBefore, trainingFlops } from './flops.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const addonPath = join(root, 'native', 'build', 'Release', 'rnnlab_engine.node')
const args = process.argv.slice(2)
const flag = (name) => args.includes(name)
const option = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined)
const quick = flag('--quick')
const STEPS = quick ? 5 : 12 // steps per timed window
const WINDOWS = quick ? 3 : 7
const EPOCH = 60000

// Workloads: recurrent layers (all but the last return sequences; dropout 0.2 after each), dense softmax head.
const bi2 = [{ directions: 2 }, { directions: 2 }]
const WORKLOADS = [
  { name: 'tutorial Bi-LSTM(50) x2', cell: 'lstm', units: 50, layers: bi2 },
  { name: 'Bi-GRU(50) x2', cell: 'gru', units: 50, layers: bi2 },
  { name: 'Bi-SimpleRNN(50) x2', cell: 'simple_rnn', units: 50, layers: bi2 },
  { name: 'LSTM(50) x2 one direction', cell: 'lstm', units: 50, layers: [{ directions: 1 }, { directions: 1 }] },
  { name: 'Bi-LSTM(50) x3', cell: 'lstm', units: 50, layers: [...bi2, { directions: 2 }] },
  { name: 'Bi-LSTM(128) x2', cell: 'lstm', units: 128, layers: bi2 },
  // long sequences and a larger model (issue 16): T = 500 steps of 8 features; hidden 256 on MNIST rows
  { name: 'Bi-LSTM(64) T=500 F=8', cell: 'lstm', units: 64, layers: [{ directions: 2 }], T: 500, F: 8 },
  { name: 'Bi-LSTM(256) x2', cell: 'lstm', units: 256, layers: bi2 }
].map((w) => ({ T: 28, F: 28, batch: 64, ...w }))

function spec(w, threads) {
  const layers = []
  w.layers.forEach((l, k) => {
    layers.push({
      kind: 'recurrent',
      cell: w.cell,
      units: w.units,
      directions: l.directions,
      returnSequences: k < w.layers.length - 1
    })
    layers.push({ kind: 'dropout', rate: 0.2 })
  })
  layers.push({ kind: 'dense', units: 10, activation: 'softmax' })
  return { input: [w.T, w.F], layers, threads }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1]

// ---- child mode: one workload, one thread count, in this process; prints one JSON line ----
if (flag('--child')) {
  const { w, threads, trainOnly } = JSON.parse(option('--child'))
  const { Model } = createRequire(import.meta.url)(addonPath)
  const baseRss = process.memoryUsage().rss
  const model = new Model(spec(w, threads))
  model.init(1)
  const B = w.batch
  const x = new Float32Array(B * w.T * w.F).map((_, i) => ((i * 2654435761) % 1000) / 1000)
  const y = new Int32Array(B).map((_, i) => i % 10)
  const time = (fn, reps) => {
    const t = process.hrtime.bigint()
    for (let k = 0; k < reps; k++) fn()
    return Number(process.hrtime.bigint() - t) / 1e9
  }
  for (let k = 0; k < 3; k++) model.trainBatch(x, y, B)
  // the engine's training memory at batch B (= estimateTrainingMemory), and what of it grows with the batch: per sample
  const memoryBytes = model.memoryBytes()
  const weightBytes = 16 * model.describe().totalValues // parameters, gradients, two optimizer moments
  const train = []
  for (let k = 0; k < WINDOWS; k++) train.push((B * STEPS) / time(() => model.trainBatch(x, y, B), STEPS))
  if (trainOnly) {
    console.log(JSON.stringify({ train_samples_per_s: median(train), threads: model.describe().threads }))
    process.exit(0)
  }
  const infer64 = []
  const x1 = x.subarray(0, w.T * w.F)
  model.predict(x, B, { batchSize: 64 })
  for (let k = 0; k < WINDOWS; k++)
    infer64.push((B * STEPS) / time(() => model.predict(x, B, { batchSize: 64 }), STEPS))
  const infer1 = []
  for (let k = 0; k < 20; k++) model.predict(x1, 1, { batchSize: 1 })
  for (let k = 0; k < WINDOWS; k++)
    infer1.push((time(() => model.predict(x1, 1, { batchSize: 1 }), 4 * STEPS) / (4 * STEPS)) * 1e3)
  console.log(
    JSON.stringify({
      train_samples_per_s: median(train),
      infer64_samples_per_s: median(infer64),
      infer1_ms: median(infer1),
      peak_mb: process.resourceUsage().maxRSS / 1024,
      above_node_mb: (process.resourceUsage().maxRSS * 1024 - baseRss) / 2 ** 20,
      memory_mb: memoryBytes / 2 ** 20,
      per_sample_kb: (memoryBytes - weightBytes) / B / 1024,
      isa: model.describe().isa,
      threads: model.describe().threads
    })
  )
  process.exit(0)
}

function runChild(w, threads, trainOnly = false) {
  const r = spawnSync(
    process.execPath,
    [
      fileURLToPath(import.meta.url),
      '--child',
      JSON.stringify({ w, threads, trainOnly }),
      ...(quick ? ['--quick'] : [])
    ],
    { encoding: 'utf8' }
  )
  if (r.status !== 0) {
    // the engine's memory check refuses a batch that would not fit: say so and go on with the other workloads
    const refused = /needs about .* of memory allows/.exec(r.stderr)
    if (refused) return { refused: `${w.name}: ${refused[0]}` }
    throw new Error(`bench child (${w.name}, ${threads} threads) failed:\n${r.stderr}`)
  }
  return JSON.parse(r.stdout.trim().split('\n').pop())
}

// ---- PyTorch ----
const python = '/usr/bin/python3'
const openblas = '/usr/lib/x86_64-linux-gnu/openblas-openmp/libopenblas.so.0'
function torchStatus() {
  if (flag('--no-torch')) return { ok: false, note: 'PyTorch skipped (--no-torch)' }
  if (!existsSync(python)) return { ok: false, note: `PyTorch skipped: ${python} not found` }
  const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' })
  if (r.status !== 0)
    return { ok: false, note: 'PyTorch skipped: python3-torch is not installed (apt-get install python3-torch)' }
  const note = existsSync(openblas)
    ? ''
    : ' (WARNING: libopenblas0-openmp not installed: torch uses the slow reference BLAS)'
  return { ok: true, version: r.stdout.trim(), note }
}

function runTorch(request) {
  const r = spawnSync(python, [join(root, 'bench', 'torch_bench.py')], {
    input: JSON.stringify(request),
    encoding: 'utf8',
    maxBuffer: 1 << 24,
    env: { ...process.env, OPENBLAS_CORETYPE: 'SkylakeX' }
  })
  if (r.status !== 0) throw new Error(`torch_bench.py failed:\n${r.stderr}`)
  return r.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
}

// ---- onnxruntime-node: the same model exported by RNN Lab (trained one epoch on 64 digits), batch 64 and batch 1 ----
let ortHome = null
async function runOnnxRuntime(w, threads) {
  const ort = createRequire(import.meta.url)('onnxruntime-node')
  ortHome ??= mkdtempSync(join(tmpdir(), 'rnnlab-bench-'))
  const env = { ...process.env, RNNLAB_HOME: ortHome }
  const layers = []
  w.layers.forEach((l, k) => {
    const cell = { type: w.cell, units: w.units, returnSequences: k < w.layers.length - 1 }
    layers.push(l.directions === 2 ? { type: 'bidirectional', layer: cell } : cell, { type: 'dropout', rate: 0.2 })
  })
  layers.push({ type: 'dense', units: 10, activation: 'softmax' })
  const file = join(ortHome, `${w.name.replace(/\W+/g, '-')}.json`)
  writeFileSync(
    file,
    JSON.stringify({
      name: w.name,
      dataset: { source: 'mnist-sample', limit: 80 },
      model: { layers },
      training: { epochs: 1, batchSize: 64 }
    })
  )
  const bin = join(root, 'bin', 'rnnlab.js')
  const trained = spawnSync(process.execPath, [bin, 'train', file], { env, encoding: 'utf8' })
  if (trained.status !== 0) throw new Error(`training ${w.name} for onnxruntime failed: ${trained.stderr}`)
  const out = join(ortHome, `${trained.stdout.trim()}.onnx`)
  const exported = spawnSync(
    process.execPath,
    [bin, 'export', trained.stdout.trim(), '--out', out, '--checkpoint', 'last'],
    { env, encoding: 'utf8' }
  )
  if (exported.status !== 0) throw new Error(`exporting ${w.name} failed: ${exported.stderr}`)
  const session = await ort.InferenceSession.create(out, {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    graphOptimizationLevel: 'all'
  })
  const B = w.batch
  const x = new Float32Array(B * w.T * w.F).map((_, i) => ((i * 2654435761) % 1000) / 1000)
  const feed = (n) => ({
    [session.inputNames[0]]: new ort.Tensor('float32', x.subarray(0, n * w.T * w.F), [n, w.T, w.F])
  })
  const timeRuns = async (n, reps) => {
    const t = process.hrtime.bigint()
    for (let k = 0; k < reps; k++) await session.run(feed(n))
    return Number(process.hrtime.bigint() - t) / 1e9
  }
  await timeRuns(B, 3)
  const infer64 = []
  for (let k = 0; k < WINDOWS; k++) infer64.push((B * STEPS) / (await timeRuns(B, STEPS)))
  await timeRuns(1, 20)
  const infer1 = []
  for (let k = 0; k < WINDOWS; k++) infer1.push(((await timeRuns(1, 4 * STEPS)) / (4 * STEPS)) * 1e3)
  await session.release()
  return { infer64_samples_per_s: median(infer64), infer1_ms: median(infer1) }
}

// another process holding one core while fn runs
async function withBusyCore(fn) {
  const busy = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' })
  await new Promise((r) => setTimeout(r, 300))
  try {
    return fn()
  } finally {
    busy.kill()
  }
}

// ---- main ----
const only = option('--only')?.split(',')
const workloads = only ? WORKLOADS.filter((w) => only.some((o) => w.name.includes(o))) : WORKLOADS
const hw = cpus()
const { engineInfo, benchGemm, version } = createRequire(import.meta.url)(addonPath)
const info = engineInfo()
const threadOption = option('--threads')
const threadCounts = threadOption
  ? [...new Set(threadOption.split(',').map(Number))]
  : [...new Set([1, info.hardwareThreads])]
if (threadCounts.some((t) => !Number.isInteger(t) || t < 1 || t > 256))
  throw new Error(`--threads: a comma-separated list of thread counts in 1..256, got ${threadOption}`)
if (!threadCounts.includes(1)) threadCounts.unshift(1) // the ratios are to 1 thread
const rounds = Math.max(1, Number(option('--rounds') ?? 1))
const busyRuns = flag('--busy') ? Math.max(1, Number(option('--busy')) || 3) : 0
console.log(
  `machine: ${hw.length} x ${hw[0]?.model ?? '?'}; engine: ${version()} (${info.isa}), threads ${threadCounts.join(', ')}` +
    (rounds > 1 ? `, ${rounds} rounds interleaved` : '')
)

// ours and PyTorch back to back per workload, so that both see the same machine (other processes come and go)
const torch = torchStatus()
const torchThreads = [...new Set([1, Math.min(2, info.hardwareThreads), info.hardwareThreads])]
const torchPeak = torch.ok ? runTorch({ peak: true, threads: torchThreads })[0].peak : null
// the machine's fp32 matrix-product peak on 2 cores (the engine's own product, two at once on two threads) and on 1
const ourPeak1 = benchGemm(1536, 0.6, 1)
const ourPeak2 = info.hardwareThreads > 1 ? benchGemm(1536, 0.8, 2) : ourPeak1
const ours = {}
const theirs = {}
const onnxruntime = {}
const trainRuns = {} // per workload and thread count, samples/s of every round
const refusals = {} // workloads the engine refused (would not fit in memory): the message
for (const w of workloads) {
  if (!flag('--no-onnx') && (w.T !== 28 || w.F !== 28)) {
    console.log(`  onnxruntime ${w.name}: skipped (the exported model is trained on the 28 x 28 MNIST sample)`)
  } else if (!flag('--no-onnx')) {
    try {
      onnxruntime[w.name] = await runOnnxRuntime(w, info.hardwareThreads)
    } catch (e) {
      console.log(`  onnxruntime ${w.name}: skipped (${e.message.split('\n')[0]})`)
    }
  }
  ours[w.name] = {}
  trainRuns[w.name] = Object.fromEntries(threadCounts.map((t) => [t, []]))
  for (let round = 0; round < rounds && !refusals[w.name]; round++)
    for (const t of threadCounts) {
      const r = runChild({ ...w, windows: WINDOWS }, t, round > 0)
      if (r.refused) {
        refusals[w.name] = r.refused
        console.log(`  refused ${r.refused}`)
        break
      }
      if (round === 0) ours[w.name][t] = r
      trainRuns[w.name][t].push(r.train_samples_per_s)
    }
  if (refusals[w.name]) {
    delete ours[w.name]
    continue
  }
  for (const t of threadCounts) ours[w.name][t].train_samples_per_s = median(trainRuns[w.name][t])
  const r = ours[w.name]
  console.log(
    `  ours  ${w.name.padEnd(26)} ${threadCounts.map((t) => `${t}T ${r[t].train_samples_per_s.toFixed(0)}/s`).join('  ')}`
  )
  if (!torch.ok) continue
  const results = runTorch({ threads: torchThreads, workloads: [{ ...w, steps: STEPS, windows: WINDOWS }] })
  const best = (key, better) => results.reduce((a, b) => (better(b[key], a[key]) ? b : a))
  theirs[w.name] = {
    train: best('train_samples_per_s', (x, y) => x > y),
    infer64: best('infer64_samples_per_s', (x, y) => x > y),
    infer1: best('infer1_ms', (x, y) => x < y),
    all: results
  }
  console.log(
    `  torch ${w.name.padEnd(26)} ${results.map((r) => `${r.threads}T ${r.train_samples_per_s.toFixed(0)}/s`).join('  ')}`
  )
}
const measured = workloads.filter((w) => ours[w.name])
// the peak the workloads are measured against: the best 2-core fp32 product measured here (the engine's own, or
// OpenBLAS via torch on 2 threads when present)
const torchPeak2 = torchPeak ? (torchPeak[Math.min(2, info.hardwareThreads)] ?? 0) : 0
const peakGflops = Math.max(ourPeak2, torchPeak2)

// busy core: every workload with another process spinning on one core, 1 and 2 threads interleaved
const busy = {}
if (busyRuns && info.hardwareThreads > 1) {
  await withBusyCore(() => {
    for (const w of measured) {
      const runs = { 1: [], 2: [] }
      for (let k = 0; k < busyRuns; k++)
        for (const t of [1, 2]) runs[t].push(runChild({ ...w, windows: WINDOWS }, t, true).train_samples_per_s)
      busy[w.name] = { runs, 1: median(runs[1]), 2: median(runs[2]) }
      console.log(
        `  busy  ${w.name.padEnd(26)} 1T ${busy[w.name][1].toFixed(0)}/s  2T ${busy[w.name][2].toFixed(0)}/s  ` +
          `(2T/1T ${(busy[w.name][2] / busy[w.name][1]).toFixed(2)}; runs 1T ${runs[1].map((x) => x.toFixed(0)).join(' ')}, ` +
          `2T ${runs[2].map((x) => x.toFixed(0)).join(' ')})`
      )
    }
  })
}

// ---- tables ----
const tutorialShape = { ...WORKLOADS[0], dropout: 0.2, classes: 10 }
const fmt = (x, d = 0) => (x === undefined || x === null || Number.isNaN(x) ? '-' : x.toFixed(d))
const gflopsOf = (w, samplesPerS) => (samplesPerS * trainingFlops({ ...w, dropout: 0.2, classes: 10 })) / 1e9
function printTable(rows) {
  const cols = Object.keys(rows[0] ?? {})
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)))
  console.log('\n' + cols.map((c, k) => c.padEnd(width[k])).join(' | '))
  console.log(width.map((n) => '-'.repeat(n)).join('-|-'))
  for (const r of rows) console.log(cols.map((c, k) => String(r[c]).padEnd(width[k])).join(' | '))
}
const rows = []
const mainThreads = threadCounts.includes(info.hardwareThreads) ? info.hardwareThreads : threadCounts.at(-1)
for (const w of measured) {
  const r = ours[w.name]
  const bestT = threadCounts.reduce(
    (a, t) => (r[t].train_samples_per_s > r[a].train_samples_per_s ? t : a),
    threadCounts[0]
  )
  const best = r[bestT]
  const gflops = gflopsOf(w, best.train_samples_per_s)
  const th = theirs[w.name]
  rows.push({
    workload: w.name,
    'ours 1T/s': fmt(r[1].train_samples_per_s),
    [`ours ${mainThreads}T/s`]: fmt(r[mainThreads].train_samples_per_s),
    's/epoch': fmt(EPOCH / best.train_samples_per_s, 1),
    'GFLOP/s': fmt(gflops, 1),
    '% peak': fmt((100 * gflops) / peakGflops, 0),
    'peak MB': fmt(Math.max(...threadCounts.map((t) => r[t].peak_mb)), 0),
    'est MB': fmt(r[1].memory_mb, 0),
    'KB/sample': fmt(r[1].per_sample_kb, 0),
    'torch/s': th ? `${fmt(th.train.train_samples_per_s)} (${th.train.threads}T)` : '-',
    'train x': th ? fmt(best.train_samples_per_s / th.train.train_samples_per_s, 2) : '-',
    'inf64/s': fmt(Math.max(...threadCounts.map((t) => r[t].infer64_samples_per_s))),
    'torch inf64/s': th ? fmt(th.infer64.infer64_samples_per_s) : '-',
    'inf1 ms': fmt(Math.min(...threadCounts.map((t) => r[t].infer1_ms)), 3),
    'torch inf1 ms': th ? fmt(th.infer1.infer1_ms, 3) : '-',
    'ort inf64/s': fmt(onnxruntime[w.name]?.infer64_samples_per_s),
    'ort inf1 ms': fmt(onnxruntime[w.name]?.infer1_ms, 3),
    'inf64 vs ort': onnxruntime[w.name]
      ? fmt(
          Math.max(...threadCounts.map((t) => r[t].infer64_samples_per_s)) / onnxruntime[w.name].infer64_samples_per_s,
          2
        )
      : '-'
  })
}
printTable(rows)
console.log(
  `\nfp32 matrix-product peak (1536^3): engine ${ourPeak1.toFixed(0)} GFLOP/s on 1 thread, ${ourPeak2.toFixed(0)} on 2` +
    (torchPeak
      ? `; OpenBLAS via torch ${Object.entries(torchPeak)
          .map(([t, g]) => `${g.toFixed(0)} on ${t}T`)
          .join(', ')}`
      : '') +
    `; % peak is against the best 2-thread figure, ${peakGflops.toFixed(0)} GFLOP/s, and GFLOP/s is at the best thread count.` +
    `\nFLOPs: what the engine computes per sample (bench/flops.mjs): input projections forward and back (no dx for the` +
    ` first layer), recurrent products over the T-1 steps with a previous state, the gates at one operation each, dropout and` +
    ` the head; the earlier formula 3 x T*2*G*H*(I+H) counted ${((formulaFlopsBefore(tutorialShape) / trainingFlops(tutorialShape) - 1) * 100).toFixed(1)}% more on the tutorial's model.`
)
console.log(
  torch.ok
    ? `PyTorch ${torch.version}, OPENBLAS_CORETYPE=SkylakeX, best of ${torchThreads.join(' and ')} threads${torch.note}`
    : torch.note
)
console.log(
  "peak MB: the benchmark child process's peak resident memory (Node itself is ~45 MB of it); est MB: the engine's" +
    ' training memory at the batch (model.memoryBytes(), which estimateTrainingMemory in common/model.ts equals),' +
    ' KB/sample: its part that grows with the batch (all but parameters, gradients and the two Adam moments), per sample' +
    `; ${measured.map((w) => `${w.name} ${fmt(ours[w.name][1].above_node_mb, 0)} MB above Node against ${fmt(ours[w.name][1].memory_mb, 0)} estimated`).join(', ')}.`
)
for (const message of Object.values(refusals)) console.log(`refused: ${message}`)
console.log(
  `onnxruntime-node: the same model exported by rnnlab export, intraOpNumThreads ${info.hardwareThreads}, session.run awaited in this process.`
)

// the scaling table: training samples/s per thread count, the ratio to 1 thread, and the share of the 2-thread peak
if (threadCounts.length > 2 || threadOption) {
  printTable(
    measured.map((w) => {
      const row = { workload: w.name }
      for (const t of threadCounts) {
        const sps = ours[w.name][t].train_samples_per_s
        row[`${t}T/s`] = fmt(sps)
        row[`${t}T x1T`] = fmt(sps / ours[w.name][1].train_samples_per_s, 2)
        row[`${t}T %peak`] = fmt((100 * gflopsOf(w, sps)) / peakGflops, 0)
      }
      return row
    })
  )
  console.log(
    `\nscaling on ${hw.length} hardware threads (${hw[0]?.model ?? '?'}), ${info.isa}: training samples/s (median of ` +
      `${rounds} interleaved round${rounds > 1 ? 's' : ''}), the ratio to 1 thread, and % of the 2-thread fp32 ` +
      `matrix-product peak measured in this run (${peakGflops.toFixed(0)} GFLOP/s). Thread counts above the hardware's ` +
      `give the same bits; they cannot add cores.`
  )
}
if (busyRuns && info.hardwareThreads > 1) {
  console.log(
    `\nbusy machine (another process spinning on one core): 1 and 2 threads interleaved, ${busyRuns} runs each, medians; ` +
      `2T/1T: ${measured.map((w) => `${w.name} ${fmt(busy[w.name][2] / busy[w.name][1], 2)}`).join(', ')}`
  )
}
if (ortHome) rmSync(ortHome, { recursive: true, force: true })
if (option('--json'))
  writeFileSync(
    option('--json'),
    JSON.stringify(
      { ours, trainRuns, theirs, onnxruntime, torchPeak, ourPeak1, ourPeak2, peakGflops, busy, threadCounts },
      null,
      2
    )
  )
