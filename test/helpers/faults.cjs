// Preloaded into rnnlab's processes by the crash tests (NODE_OPTIONS=--require, see faults.mjs): installs the hook that
// main/fault-point.ts calls, so that the process stops at the fault point named by RNNLAB_TEST_HOLD and announces it
// in a marker file, and a test can kill it exactly there.
'use strict'
const { writeFileSync } = require('node:fs')
const { dirname, join } = require('node:path')

// Where each point announces itself: the crash tests wait for these files.
const markers = {
  checkpoint: (file) => join(dirname(file), 'holding-checkpoint'), // in the run's folder
  'metrics-commit': (file) => `${file}.holding-metrics-commit` // beside the database
}

const hold = process.env.RNNLAB_TEST_HOLD
if (hold) {
  if (!markers[hold]) throw new Error(`RNNLAB_TEST_HOLD: unknown fault point ${hold}`)
  globalThis[Symbol.for('rnnlab.faultHook')] = (point, file) => {
    if (point !== hold) return
    writeFileSync(markers[point](file), String(process.pid))
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10_000)
  }
}
