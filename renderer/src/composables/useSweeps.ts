// The sweeps list, kept live: reloaded (at most every 400 ms) whenever runs change in the database, since every trial
// is a run, and every 2 s while a sweep is queued or running, for the sweep's own status (its end, a cancel).
import { onUnmounted, ref, shallowRef } from 'vue'
import type { SweepSummary } from '../../../common/contract'
import { api } from '../api'
import { isActiveSweep } from '../lib/sweeps'
import { latestThrottle } from '../lib/throttle'

export function useSweeps() {
  const sweeps = shallowRef<SweepSummary[]>([])
  const loading = ref(true)
  const error = ref<string | null>(null)

  async function refresh(): Promise<void> {
    try {
      sweeps.value = await api.listSweeps()
      error.value = null
    } catch (e) {
      error.value = e instanceof Error ? e.message : String(e)
    } finally {
      loading.value = false
    }
  }
  const reload = latestThrottle(refresh, 400)
  const offs = [api.onRunsChanged(() => reload.push(undefined)), api.onRunStatus(() => reload.push(undefined))]
  const poll = setInterval(() => {
    if (sweeps.value.some(isActiveSweep)) reload.push(undefined)
  }, 2000)
  onUnmounted(() => {
    offs.forEach((off) => off())
    reload.cancel()
    clearInterval(poll)
  })
  void refresh()
  return { sweeps, loading, error, refresh }
}
