// Runs side by side: their details and config differences (one compare call) and, once a step or wall-time axis asks
// for them, their per-batch figures.
import { ref, shallowRef, watch, type Ref } from 'vue'
import type { BatchMetrics, RunComparison, RunId } from '../../../common/contract'
import { api } from '../api'

export function useComparison(ids: Ref<RunId[]>, needBatches: Ref<boolean>) {
  const comparison = shallowRef<RunComparison | null>(null)
  const batches = shallowRef<Map<RunId, BatchMetrics[]>>(new Map())
  const loading = ref(false)
  const loadingBatches = ref(false)
  const error = ref<string | null>(null)
  let generation = 0

  async function load(): Promise<void> {
    const mine = ++generation
    batches.value = new Map()
    if (ids.value.length < 2) {
      comparison.value = null
      return
    }
    loading.value = true
    try {
      const c = await api.compareRuns({ ids: ids.value })
      if (mine !== generation) return
      comparison.value = c
      error.value = null
      if (needBatches.value) await loadBatches()
    } catch (e) {
      if (mine === generation) error.value = e instanceof Error ? e.message : String(e)
    } finally {
      if (mine === generation) loading.value = false
    }
  }

  async function loadBatches(): Promise<void> {
    const mine = generation
    // The runs compared: an id of a deleted run (comparison.missing) has no figures to ask for.
    const wanted = (comparison.value?.runs.map((r) => r.id) ?? []).filter((id) => !batches.value.has(id))
    if (wanted.length === 0) return
    loadingBatches.value = true
    try {
      const rows = await Promise.all(wanted.map((id) => api.getRunBatches({ id })))
      if (mine !== generation) return
      const next = new Map(batches.value)
      wanted.forEach((id, i) => next.set(id, rows[i]))
      batches.value = next
    } catch (e) {
      if (mine === generation) error.value = e instanceof Error ? e.message : String(e)
    } finally {
      if (mine === generation) loadingBatches.value = false
    }
  }

  // By value: the route hands over a new array on every render of the frame.
  watch(
    () => ids.value.join(','),
    () => void load(),
    { immediate: true }
  )
  watch(needBatches, (need) => {
    if (need && comparison.value) void loadBatches()
  })
  return { comparison, batches, loading, loadingBatches, error, reload: load }
}
