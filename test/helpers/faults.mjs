// The environment that makes an rnnlab process (and the workers it starts) stop or fail at a fault point: faults.cjs
// preloaded.
import { fileURLToPath } from 'node:url'

const hook = fileURLToPath(new URL('./faults.cjs', import.meta.url))

function preload() {
  return [process.env.NODE_OPTIONS, `--require ${JSON.stringify(hook)}`].filter(Boolean).join(' ')
}

/**
 * `point`: checkpoint (inside a checkpoint write) or metrics-commit (inside an epoch's transaction). With `release`
 * (a file path), the process waits there until that file exists, once: the `after`+1-th time it passes there.
 */
export function holdAt(point, release, after = 0) {
  return {
    NODE_OPTIONS: preload(),
    RNNLAB_TEST_HOLD: point,
    ...(release ? { RNNLAB_TEST_RELEASE: release, RNNLAB_TEST_HOLD_AFTER: String(after) } : {})
  }
}

/** The write at `point` fails with `code` (ENOSPC, SQLITE_FULL…) from its `after`+1-th pass on. */
export function failAt(point, code, after = 0) {
  return {
    NODE_OPTIONS: preload(),
    RNNLAB_TEST_FAIL: point,
    RNNLAB_TEST_FAIL_CODE: code,
    RNNLAB_TEST_FAIL_AFTER: String(after)
  }
}
