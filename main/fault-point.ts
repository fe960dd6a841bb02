// Fault points: the named places where a crash test may stop a process (inside a checkpoint write, inside a metrics
// commit). They do nothing unless a hook was installed, and nothing in the app installs one.

/** Called at a fault point with its name and the file being written there. */
export type FaultHook = (point: string, file: string) => void

// A well-known global, not a module variable: the built bundles (cli.js, worker.js) each carry their own copy of
// this module, and a hook is installed before either loads (test/helpers/faults.cjs, preloaded by the crash tests).
const hookKey = Symbol.for('rnnlab.faultHook')

export function faultPoint(point: string, file: string): void {
  const hook = (globalThis as { [hookKey]?: FaultHook })[hookKey]
  if (hook) hook(point, file)
}
