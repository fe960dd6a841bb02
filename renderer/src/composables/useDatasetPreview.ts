// Reads a dataset's preview through main (shapes, class counts, a few samples) into the draft; the newest request wins.
import type { DatasetSpec } from '../../../common/datasets'
import { api } from '../api'
import { useExperimentDraftStore } from '../stores/experimentDraft'

let generation = 0

export function useDatasetPreview() {
  const draft = useExperimentDraftStore()
  async function read(spec: DatasetSpec): Promise<void> {
    const mine = ++generation
    const key = JSON.stringify(spec)
    draft.previewLoading = true
    draft.previewError = null
    try {
      const p = await api.previewDataset({ dataset: JSON.parse(JSON.stringify(spec)) as DatasetSpec })
      if (mine === generation) {
        draft.preview = p
        draft.previewFor = key
      }
    } catch (e) {
      if (mine === generation) {
        draft.preview = null
        draft.previewError = e instanceof Error ? e.message : String(e)
      }
    } finally {
      if (mine === generation) draft.previewLoading = false
    }
  }
  return { read }
}
