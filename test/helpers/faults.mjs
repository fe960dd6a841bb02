// The environment that makes an rnnlab process (and the workers it starts) stop at a fault point: faults.cjs preloaded.
import { fileURLToPath } from 'node:url'

const hook = fileURLToPath(new URL('./faults.cjs', import.meta.url))

/** `point`: checkpoint (inside a checkpoint write) or metrics-commit (inside an epoch's transaction). */
export function holdAt(point) {
  const options = [process.env.NODE_OPTIONS, `--require ${JSON.stringify(hook)}`].filter(Boolean).join(' ')
  return { NODE_OPTIONS: options, RNNLAB_TEST_HOLD: point }
}
