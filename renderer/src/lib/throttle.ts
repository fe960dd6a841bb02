// Latest-wins throttling of an asynchronous job: at most one run per interval and one in flight; only the newest
// value waiting is run, so a burst of pointer moves becomes a few predictions ending with the drawing as it is now.

export interface Clock {
  now(): number
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

const realClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>)
}

export interface LatestThrottle<T> {
  /** Asks for a run with `value`; replaces any value still waiting. */
  push(value: T): void
  /** Drops the waiting value and any timer (a run in flight still finishes). */
  cancel(): void
  /** Whether a run is in flight or waiting. */
  busy(): boolean
}

export function latestThrottle<T>(
  run: (value: T) => Promise<unknown>,
  intervalMs: number,
  clock: Clock = realClock
): LatestThrottle<T> {
  let waiting: { value: T } | null = null
  let inFlight = false
  let lastStart = -Infinity
  let timer: unknown = null

  function pump(): void {
    if (inFlight || !waiting || timer !== null) return
    const wait = lastStart + intervalMs - clock.now()
    if (wait > 0) {
      timer = clock.setTimeout(() => {
        timer = null
        pump()
      }, wait)
      return
    }
    const { value } = waiting
    waiting = null
    inFlight = true
    lastStart = clock.now()
    void run(value)
      .catch(() => undefined) // the job reports its own errors; a failure must not stop later runs
      .finally(() => {
        inFlight = false
        pump()
      })
  }

  return {
    push(value) {
      waiting = { value }
      pump()
    },
    cancel() {
      waiting = null
      if (timer !== null) clock.clearTimeout(timer)
      timer = null
    },
    busy: () => inFlight || waiting !== null
  }
}
