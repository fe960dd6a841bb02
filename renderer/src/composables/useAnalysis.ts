// One analysis at a time (confusion, diff, prefix accuracy), computed in main's worker process: its progress from the
// analysis:progress events, and a cancel that ends the worker.
import { onUnmounted, ref, shallowRef } from 'vue'
import type { AnalysisProgress } from '../../../common/contract'
import { api } from '../api'

let counter = 0

export function useAnalysis<T>() {
  const result = shallowRef<T | null>(null)
  const running = ref(false)
  const progress = shallowRef<AnalysisProgress | null>(null)
  const error = ref<string | null>(null)
  const cancelled = ref(false)
  let current: string | null = null
  const off = api.onAnalysisProgress((p) => {
    if (p.analysisId === current) progress.value = p
  })
  onUnmounted(() => {
    off()
    void cancel()
  })

  /** Runs `call` with a fresh analysis id; the result replaces the last one unless another run started since. */
  async function run(call: (analysisId: string) => Promise<T>): Promise<T | null> {
    const id = `page-${Date.now().toString(36)}-${++counter}`
    current = id
    running.value = true
    cancelled.value = false
    progress.value = null
    error.value = null
    try {
      const value = await call(id)
      if (current === id) result.value = value
      return value
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e)
      if (current === id) {
        if (/was cancelled$/.test(message)) cancelled.value = true
        else error.value = message
      }
      return null
    } finally {
      if (current === id) {
        running.value = false
        current = null
      }
    }
  }

  async function cancel(): Promise<void> {
    const id = current
    if (!id) return
    try {
      await api.cancelAnalysis({ analysisId: id })
    } catch {
      // It ended meanwhile: its result (or error) is shown.
    }
  }

  return { result, running, progress, error, cancelled, run, cancel }
}
