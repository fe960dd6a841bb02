// Redis traffic of a sweep run through Redis (a script, not a test; CI does not run it): starts redis-server on
// 127.0.0.1 at a free port, `rnnlab worker` processes, and `rnnlab sweep --redis URL --json`, and prints what the
// owner's summary measured (the server's INFO stats total_net_input_bytes / total_net_output_bytes over the sweep,
// every client included) per trial, with checkpoints sent every epoch and only at the end.
//   node bench/redis-traffic.mjs [--trials N] [--epochs N] [--units N] [--workers N]
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startRedis } from '../test/helpers/redis.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const bin = join(root, 'bin', 'rnnlab.js')
const args = process.argv.slice(2)
const option = (name, d) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : d)
const trials = option('--trials', 6)
const epochs = option('--epochs', 5)
const units = option('--units', 16)
const workerCount = option('--workers', 2)

const dir = mkdtempSync(join(tmpdir(), 'rnnlab-redis-bench-'))
const redis = await startRedis({ password: 'bench' })
const workers = []
try {
  for (let i = 0; i < workerCount; i++) {
    const home = join(dir, `worker-${i}`)
    mkdirSync(home)
    const child = spawn(process.execPath, [bin, 'worker', '--redis', redis.url, '--threads', '1'], {
      env: { ...process.env, RNNLAB_HOME: home },
      stdio: 'ignore'
    })
    workers.push(child)
  }
  const rows = []
  for (const checkpoints of ['epoch', 'end']) {
    const file = join(dir, `${checkpoints}.json`)
    writeFileSync(
      file,
      JSON.stringify({
        name: `traffic, checkpoints every ${checkpoints}`,
        base: {
          dataset: { source: 'mnist-sample', limit: 1000 },
          model: {
            layers: [
              { type: 'gru', units },
              { type: 'dense', units: 10, activation: 'softmax' }
            ]
          },
          training: { optimizer: { type: 'adam', learningRate: 0.01 }, batchSize: 32, epochs, seed: 1 }
        },
        method: 'random',
        trials,
        parameters: { 'training.optimizer.learningRate': { distribution: 'loguniform', min: 0.001, max: 0.03 } }
      })
    )
    const t0 = Date.now()
    const r = spawnSync(
      process.execPath,
      [
        bin,
        'sweep',
        file,
        '--redis',
        redis.url,
        '--checkpoints',
        checkpoints,
        '--db',
        join(dir, `${checkpoints}.db`),
        '--json'
      ],
      { env: { ...process.env, RNNLAB_HOME: join(dir, 'owner') }, encoding: 'utf8' }
    )
    if (r.status !== 0) throw new Error(r.stderr)
    const finished = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .find((e) => e.event === 'finished')
    const ckpt = spawnSync('sh', ['-c', `ls -l ${join(dir, 'owner', 'runs', '*', 'last-*.ckpt')} | head -1`], {
      encoding: 'utf8'
    }).stdout.split(/\s+/)[4]
    rows.push({
      checkpoints,
      trials,
      epochs,
      checkpointBytes: Number(ckpt),
      inKiBPerTrial: +(finished.redis.inputBytes / trials / 1024).toFixed(1),
      outKiBPerTrial: +(finished.redis.outputBytes / trials / 1024).toFixed(1),
      totalKiBPerTrial: +(finished.redis.bytesPerTrial / 1024).toFixed(1),
      seconds: (Date.now() - t0) / 1000
    })
  }
  console.table(rows)
} finally {
  for (const w of workers) w.kill('SIGTERM')
  await redis.stop()
  rmSync(dir, { recursive: true, force: true })
}
