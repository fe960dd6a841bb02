// Preloaded into rnnlab's processes by the crash and fault tests (NODE_OPTIONS=--require, see faults.mjs): installs
// the hook that main/fault-point.ts calls.
// - RNNLAB_TEST_HOLD=point: the process stops at that fault point and announces it in a marker file, so that a test
//   can kill it exactly there; it goes on after 10 s, or, with RNNLAB_TEST_RELEASE=file, once that file exists
//   (then it holds only once: the first time it passes the point, or the RNNLAB_TEST_HOLD_AFTER+1-th time).
// - RNNLAB_TEST_FAIL=point with RNNLAB_TEST_FAIL_CODE=code (ENOSPC, SQLITE_FULL…): the write at that point fails as a
//   full disk would make it fail, from its RNNLAB_TEST_FAIL_AFTER+1-th pass on.
'use strict'
const { existsSync, writeFileSync } = require('node:fs')
const { dirname, join } = require('node:path')

// Where each point announces itself: the tests wait for these files.
const markers = {
  checkpoint: (file) => join(dirname(file), 'holding-checkpoint'), // in the run's folder
  'metrics-commit': (file) => `${file}.holding-metrics-commit` // beside the database
}
const messages = {
  ENOSPC: 'ENOSPC: no space left on device, write',
  SQLITE_FULL: 'database or disk is full'
}

const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)

const hold = process.env.RNNLAB_TEST_HOLD
const release = process.env.RNNLAB_TEST_RELEASE
const fail = process.env.RNNLAB_TEST_FAIL
const failCode = process.env.RNNLAB_TEST_FAIL_CODE ?? 'ENOSPC'
let failAfter = Number(process.env.RNNLAB_TEST_FAIL_AFTER ?? 0)
let held = false
let holdAfter = Number(process.env.RNNLAB_TEST_HOLD_AFTER ?? 0)

for (const point of [hold, fail]) {
  if (point && !markers[point]) throw new Error(`unknown fault point ${point}`)
}
if (hold || fail) {
  globalThis[Symbol.for('rnnlab.faultHook')] = (point, file) => {
    if (point === hold && !(release && held) && holdAfter-- <= 0) {
      held = true
      writeFileSync(markers[point](file), String(process.pid))
      if (!release) sleep(10_000)
      else for (let waited = 0; !existsSync(release) && waited < 60_000; waited += 20) sleep(20)
    }
    if (point === fail && failAfter-- <= 0) {
      throw Object.assign(new Error(messages[failCode] ?? failCode), { code: failCode })
    }
  }
}
