// One sweep as its page shows it: the sweep and its trials, reloaded (at most every 400 ms) when one of its trials'
// runs changes (an epoch, an end) and every 2 s while it is queued or running (for the sweep's own status); and the
// objective's curve of each trial, re-read only for the trials that have a new epoch.
import { onUnmounted, ref, shallowRef, watch, type Ref } from 'vue'
import type { EpochMetrics, RunId, SweepDetail } from '../../../common/contract'
import { api } from '../api'
import { isActiveSweep } from '../lib/sweeps'
import { latestThrottle } from '../lib/throttle'

export function useSweep(id: Ref<number>) {
  const detail = shallowRef<SweepDetail | null>(null)
  /** Each trial's epochs, by run id. */
  const epochs = shallowRef<ReadonlyMap<RunId, EpochMetrics[]>>(new Map())
  const loading = ref(true)
  const error = ref<string | null>(null)
  let generation = 0

  async function refresh(): Promise<void> {
    const mine = generation
    try {
      const d = await api.getSweep({ id: id.value })
      if (mine !== generation) return
      const known = epochs.value
      const stale = d.trialList.filter((t) => t.epochsDone > 0 && known.get(t.runId)?.length !== t.epochsDone)
      const read = await Promise.all(
        stale.map(async (t) => {
          try {
            return [t.runId, (await api.getRun({ id: t.runId })).epochs] as const
          } catch {
            return null // a trial's run deleted meanwhile: its curve is left out
          }
        })
      )
      if (mine !== generation) return
      if (read.length > 0) {
        // Merged into the map as it is now: another reload may have added curves meanwhile.
        const next = new Map(epochs.value)
        for (const r of read) if (r) next.set(r[0], r[1])
        epochs.value = next
      }
      detail.value = d
      error.value = null
    } catch (e) {
      if (mine === generation) error.value = e instanceof Error ? e.message : String(e)
    } finally {
      if (mine === generation) loading.value = false
    }
  }
  const reload = latestThrottle(refresh, 400)

  const offs = [
    api.onRunsChanged((c) => {
      const d = detail.value
      if (!d) return reload.push(undefined)
      const runs = new Set(d.trialList.map((t) => t.runId))
      if (c.runs.some((r) => runs.has(r.id)) || c.removed.some((r) => runs.has(r))) reload.push(undefined)
    }),
    api.onRunStatus((s) => {
      if (detail.value?.trialList.some((t) => t.runId === s.runId)) reload.push(undefined)
    })
  ]
  const poll = setInterval(() => {
    if (detail.value && isActiveSweep(detail.value)) reload.push(undefined)
  }, 2000)
  onUnmounted(() => {
    offs.forEach((off) => off())
    reload.cancel()
    clearInterval(poll)
  })
  watch(
    id,
    () => {
      generation++
      detail.value = null
      epochs.value = new Map()
      loading.value = true
      void refresh()
    },
    { immediate: true }
  )
  return { detail, epochs, loading, error, refresh }
}
