// The first-step-sign task: T steps of one Gaussian feature each, and the class is whether step 1 is positive; the
// other steps are noise. Written as .npy files, the way a person brings their own data.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { random } from './random'

/** A NumPy .npy file (version 1.0) of float32 ('<f4') or int32 ('<i4') data. */
export function npyBytes(data: Float32Array | Int32Array, shape: number[]): Buffer {
  const descr = data instanceof Float32Array ? '<f4' : '<i4'
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`
  const pad = 64 - ((10 + header.length + 1) % 64)
  header += ' '.repeat(pad % 64) + '\n'
  const head = Buffer.alloc(10)
  head.write('\x93NUMPY', 0, 'latin1')
  head[6] = 1
  head[7] = 0
  head.writeUInt16LE(header.length, 8)
  return Buffer.concat([
    head,
    Buffer.from(header, 'latin1'),
    Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  ])
}

function gaussian(next: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next())
}

/** Writes x_train, y_train, x_val, y_val into `dir`; returns the dataset spec naming them. */
export function writeSignTask(
  dir: string,
  opts: { timeSteps: number; train: number; validation: number; seed: number }
) {
  const next = random(opts.seed)
  const T = opts.timeSteps
  const split = (name: string, n: number) => {
    const x = new Float32Array(n * T)
    const y = new Int32Array(n)
    for (let i = 0; i < n; i++) {
      for (let t = 0; t < T; t++) x[i * T + t] = gaussian(next)
      // Step 1 well away from 0, so that its sign is easy to read.
      x[i * T] = (next() < 0.5 ? -1 : 1) * (0.5 + next())
      y[i] = x[i * T] > 0 ? 1 : 0
    }
    writeFileSync(join(dir, `x_${name}.npy`), npyBytes(x, [n, T, 1]))
    writeFileSync(join(dir, `y_${name}.npy`), npyBytes(y, [n]))
    return { x: join(dir, `x_${name}.npy`), y: join(dir, `y_${name}.npy`) }
  }
  return { source: 'npy' as const, train: split('train', opts.train), validation: split('val', opts.validation) }
}

/** A one-layer LSTM config for the task, forward-only or bidirectional. */
export function signConfig(name: string, dataset: unknown, bidirectional: boolean, epochs: number) {
  const lstm = { type: 'lstm', units: 8 }
  return {
    name,
    dataset,
    model: {
      layers: [
        bidirectional ? { type: 'bidirectional', layer: lstm } : lstm,
        { type: 'dense', units: 2, activation: 'softmax' }
      ]
    },
    training: {
      optimizer: { type: 'adam', learningRate: 0.01 },
      batchSize: 32,
      epochs,
      seed: 7,
      threads: 1
    }
  }
}
