// The workers a sweep run through Redis has seen, as its page shows them: re-read each time the page reloads the sweep
// (every 2 s while it runs, and on its trials' epochs), and while the sweep has stopped but some worker is not yet
// gone (every 3 s: the owner's last look turns into "gone" after 15 s). `now` ticks every second for the "3 s ago" column.
import { onUnmounted, ref, shallowRef, watch, type Ref } from 'vue'
import type { SweepSummary, SweepWorker } from '../../../common/contract'
import { api } from '../api'
import { isActiveSweep } from '../lib/sweeps'

export function useSweepWorkers(sweep: Ref<SweepSummary>) {
  const workers = shallowRef<SweepWorker[]>([])
  const error = ref<string | null>(null)
  const now = ref(Date.now())
  let generation = 0
  let loading = false

  async function load(): Promise<void> {
    const s = sweep.value
    if (s.remote === null) {
      generation++
      workers.value = []
      loading = false
      return
    }
    const mine = ++generation
    loading = true
    try {
      const list = await api.sweepWorkers({ id: s.id })
      if (mine !== generation) return
      workers.value = list
      error.value = null
    } catch (e) {
      if (mine === generation) error.value = e instanceof Error ? e.message : String(e)
    } finally {
      if (mine === generation) loading = false
    }
  }

  // The page replaces the sweep object on each reload: that is when the workers are read again.
  // (The page shows another sweep with a new component: the id never changes under this one.)
  watch(sweep, () => void load(), { immediate: true })

  let ticks = 0
  const tick = setInterval(() => {
    if (workers.value.length === 0) return
    now.value = Date.now()
    const s = sweep.value
    const stale = s.remote !== null && !isActiveSweep(s) && workers.value.some((w) => w.state !== 'gone')
    if (stale && ++ticks % 3 === 0 && !loading) void load()
  }, 1000)
  onUnmounted(() => {
    generation++
    clearInterval(tick)
  })

  return { workers, error, now }
}
