// The model's prediction for the drawing pad, asked for at most 10 times a second while the drawing changes.
import { computed, onUnmounted, ref, shallowRef, type Ref } from 'vue'
import { api } from '../api'
import { latestThrottle } from '../lib/throttle'

export interface ShownPrediction {
  /** One probability per class (the last step's, for a model that outputs a sequence). */
  probabilities: number[]
  classNames: string[] | null
  source: string
  /** The validation sample predicted, or null for a drawing. */
  sampleIndex: number | null
}

export function usePrediction(runId: Ref<number>, intervalMs = 100) {
  const prediction = shallowRef<ShownPrediction | null>(null)
  const error = ref<string | null>(null)
  /** Requests numbered in order, and the newest one answered: pending while they differ. */
  const asked = ref(0)
  const answered = ref(0)
  const pending = computed(() => answered.value < asked.value)
  /** Bumped by clear(): a reply to a request made before it is stale and dropped. */
  let generation = 0

  const throttle = latestThrottle<{ rows: number[][]; sampleIndex: number | null; generation: number; seq: number }>(
    async ({ rows, sampleIndex, generation: mine, seq }) => {
      try {
        const reply = await api.predict({ runId: runId.value, input: [rows] })
        if (mine !== generation) return
        const units = reply.dims[reply.dims.length - 1] ?? reply.probabilities[0].length
        prediction.value = {
          probabilities: reply.probabilities[0].slice(-units),
          classNames: reply.classNames,
          source: reply.source,
          sampleIndex
        }
        error.value = null
      } catch (e) {
        if (mine === generation) error.value = e instanceof Error ? e.message : String(e)
      } finally {
        answered.value = Math.max(answered.value, seq)
      }
    },
    intervalMs
  )

  /** Asks for the prediction of one input (time steps × features); throttled, the latest input wins. */
  function predict(rows: number[][], sampleIndex: number | null = null): void {
    throttle.push({ rows, sampleIndex, generation, seq: ++asked.value })
  }

  function clear(): void {
    generation++
    throttle.cancel()
    prediction.value = null
    error.value = null
    answered.value = asked.value
  }

  onUnmounted(() => throttle.cancel())
  return { prediction, error, pending, predict, clear }
}
