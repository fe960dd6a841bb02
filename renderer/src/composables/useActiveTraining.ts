// The runs training right now and their latest progress, for lists: joined from activeTraining(), then kept by events.
import { onUnmounted, shallowRef } from 'vue'
import type { RunId, TrainingProgress } from '../../../common/contract'
import { api } from '../api'

export function useActiveTraining() {
  const active = shallowRef<Map<RunId, TrainingProgress>>(new Map())
  const set = (p: TrainingProgress) => {
    const next = new Map(active.value)
    next.set(p.runId, p)
    active.value = next
  }
  const offs = [
    api.onTrainingProgress(set),
    api.onRunStatus((s) => {
      if (s.status === 'running' || !active.value.has(s.runId)) return
      const next = new Map(active.value)
      next.delete(s.runId)
      active.value = next
    })
  ]
  onUnmounted(() => offs.forEach((off) => off()))
  api
    .activeTraining()
    .then((list) => list.forEach(set))
    .catch(() => undefined) // the list still shows; progress appears with the next event
  return { active }
}
