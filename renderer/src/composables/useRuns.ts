// The runs list: loaded through the contract, then kept live by the runs any process changes (created, a new epoch,
// finished, deleted), and reloaded when the search changes.
import { onUnmounted, ref, shallowRef, watch, type Ref } from 'vue'
import type { RunsChanged, RunSummary } from '../../../common/contract'
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

  /** Changed runs replace their rows in place; a run the list does not hold (new, restored) reloads the list. */
  function merge(c: RunsChanged): void {
    const changed = new Map(c.runs.map((r) => [r.id, r]))
    const removed = new Set(c.removed)
    const next: RunSummary[] = []
    for (const r of runs.value) {
      if (removed.has(r.id)) continue
      const now = changed.get(r.id)
      changed.delete(r.id)
      if (now && now.archived && !includeArchived.value) continue
      next.push(now ?? r)
    }
    const unseen = [...changed.values()].some((r) => includeArchived.value || !r.archived)
    if (unseen) void refresh()
    else if (next.length !== runs.value.length || c.runs.length > 0) runs.value = next
  }

  const offs = [api.onRunStatus(() => void refresh()), api.onRunsChanged(merge)]
  onUnmounted(() => offs.forEach((off) => off()))
  watch([search, includeArchived], () => void refresh())
  void refresh()
  return { runs, loading, error, refresh }
}
