// Validation samples of a run fetched by index, for drawing (a cell's samples, the misclassified gallery); each is
// fetched once and kept.
import { shallowRef, type Ref } from 'vue'
import { api } from '../api'

export function useSampleImages(runId: Ref<number>) {
  const samples = shallowRef<Map<number, number[][]>>(new Map())
  let forRun = runId.value
  const pending = new Set<number>()

  /** Fetches the samples of `indices` not fetched yet (consecutive ones in one call). */
  async function load(indices: number[]): Promise<void> {
    if (forRun !== runId.value) {
      forRun = runId.value
      samples.value = new Map()
      pending.clear()
    }
    const run = forRun
    const wanted = [...new Set(indices)].filter((i) => !samples.value.has(i) && !pending.has(i)).sort((a, b) => a - b)
    const ranges: [number, number][] = []
    for (const i of wanted) {
      const last = ranges.at(-1)
      if (last && i === last[0] + last[1] && last[1] < 256) last[1]++
      else ranges.push([i, 1])
    }
    wanted.forEach((i) => pending.add(i))
    await Promise.all(
      ranges.map(async ([offset, count]) => {
        try {
          const page = await api.getRunSamples({ id: run, offset, count })
          if (run !== forRun) return
          const next = new Map(samples.value)
          for (const s of page.samples) next.set(s.index, s.x)
          samples.value = next
        } finally {
          for (let i = offset; i < offset + count; i++) pending.delete(i)
        }
      })
    )
  }

  return { samples, load }
}
