// Records what a test's process did not catch: for doors tested in-process, an uncaught exception or an unhandled
// rejection is what would have ended `rnnlab serve` or the Electron main process.
export interface CrashWatch {
  /** The uncaught errors since the last call, one line each. */
  take(): string[]
  stop(): void
}

export function watchCrashes(): CrashWatch {
  let seen: string[] = []
  const record = (kind: string) => (e: unknown) => {
    seen.push(`${kind}: ${e instanceof Error ? `${e.name}: ${e.message.slice(0, 200)}` : String(e).slice(0, 200)}`)
  }
  const onException = record('uncaught exception')
  const onRejection = record('unhandled rejection')
  process.on('uncaughtException', onException)
  process.on('unhandledRejection', onRejection)
  return {
    take: () => {
      const taken = seen
      seen = []
      return taken
    },
    stop: () => {
      process.off('uncaughtException', onException)
      process.off('unhandledRejection', onRejection)
    }
  }
}
