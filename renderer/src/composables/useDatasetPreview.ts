// Reads a dataset's preview through main (shapes, class counts, a few samples), one request at a time.
import { ref } from 'vue'
import type { DatasetSpec } from '../../../common/datasets'
import { api } from '../api'
import { useExperimentDraft } from './useExperimentDraft'

const loading = ref(false)
const error = ref<string | null>(null)
let generation = 0

export function useDatasetPreview() {
  const { preview, previewFor } = useExperimentDraft()
  async function load(spec: DatasetSpec): Promise<void> {
    const mine = ++generation
    const key = JSON.stringify(spec)
    loading.value = true
    error.value = null
    try {
      const p = await api.previewDataset({ dataset: JSON.parse(JSON.stringify(spec)) as DatasetSpec })
      if (mine === generation) {
        preview.value = p
        previewFor.value = key
      }
    } catch (e) {
      if (mine === generation) {
        preview.value = null
        error.value = e instanceof Error ? e.message : String(e)
      }
    } finally {
      if (mine === generation) loading.value = false
    }
  }
  return { preview, loading, error, load }
}
