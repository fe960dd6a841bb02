// The runs list: loaded through the contract, refreshed when a run changes status or the search changes.
import { onUnmounted, ref, shallowRef, watch, type Ref } from 'vue'
import type { RunSummary } from '../../../common/contract'
import { api } from '../api'

export function useRuns(search: Ref<string>, includeArchived: Ref<boolean>) {
  const runs = shallowRef<RunSummary[]>([])
  const loading = ref(true)
  const error = ref<string | null>(null)
  let generation = 0

  async function refresh(): Promise<void> {
    const mine = ++generation
    try {
      const list = await api.listRuns({ search: search.value || undefined, includeArchived: includeArchived.value })
      if (mine !== generation) return
      runs.value = list
      error.value = null
    } catch (e) {
      if (mine === generation) error.value = e instanceof Error ? e.message : String(e)
    } finally {
      if (mine === generation) loading.value = false
    }
  }

  const off = api.onRunStatus(() => void refresh())
  onUnmounted(off)
  watch([search, includeArchived], () => void refresh())
  void refresh()
  return { runs, loading, error, refresh }
}
