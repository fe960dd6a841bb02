// A page of a run's labelled validation samples, with the model's prediction for each (one batched call per page).
import { computed, ref, shallowRef, watch, type Ref } from 'vue'
import type { RunSamples } from '../../../common/contract'
import { api } from '../api'
import { argmax, sampleClass } from '../lib/artifacts'

export function useRunSamples(id: Ref<number>, pageSize = 20) {
  const page = shallowRef<RunSamples | null>(null)
  const offset = ref(0)
  const loading = ref(false)
  const error = ref<string | null>(null)
  /** The predicted class of each sample on the page, by sample index; empty until the batch prediction answers. */
  const predicted = shallowRef<Map<number, number>>(new Map())
  let generation = 0

  async function load(): Promise<void> {
    const mine = ++generation
    loading.value = true
    try {
      const value = await api.getRunSamples({ id: id.value, offset: offset.value, count: pageSize })
      if (mine !== generation) return
      page.value = value
      predicted.value = new Map()
      error.value = null
      loading.value = false
      if (value.samples.length) {
        const reply = await api.predict({ runId: id.value, input: value.samples.map((s) => s.x) })
        if (mine !== generation) return
        const units = reply.dims[reply.dims.length - 1] ?? 0
        predicted.value = new Map(value.samples.map((s, i) => [s.index, argmax(reply.probabilities[i].slice(-units))]))
      }
    } catch (e) {
      if (mine === generation) error.value = e instanceof Error ? e.message : String(e)
    } finally {
      if (mine === generation) loading.value = false
    }
  }

  const total = computed(() => page.value?.total ?? 0)
  const hasPrevious = computed(() => offset.value > 0)
  const hasNext = computed(() => offset.value + pageSize < total.value)
  function previous(): void {
    if (!hasPrevious.value) return
    offset.value = Math.max(0, offset.value - pageSize)
    void load()
  }
  function next(): void {
    if (!hasNext.value) return
    offset.value += pageSize
    void load()
  }
  /** Whether the model gets a sample right, or null while unknown. */
  function correct(index: number, label: number | number[]): boolean | null {
    const p = predicted.value.get(index)
    return p === undefined ? null : p === sampleClass(label)
  }

  watch(
    id,
    () => {
      offset.value = 0
      page.value = null
      void load()
    },
    { immediate: true }
  )

  return { page, offset, pageSize, total, loading, error, predicted, hasPrevious, hasNext, previous, next, correct }
}
