// A run's checkpoints and exports, exporting a checkpoint to ONNX (with its parity check) and saving an export's file.
import { ref, shallowRef, watch, type Ref } from 'vue'
import type { ExportReport, RunArtifacts } from '../../../common/contract'
import { api } from '../api'
import { base64Bytes } from '../lib/artifacts'

const message = (e: unknown) => (e instanceof Error ? e.message : String(e))

/** Saves bytes through a download: a save dialog in Electron, the browser's downloads otherwise. */
function saveFile(fileName: string, bytes: Uint8Array<ArrayBuffer>): void {
  const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }))
  const a = document.createElement('a')
  a.href = url
  a.download = fileName
  a.style.display = 'none'
  document.body.append(a)
  a.click()
  a.remove()
  // The download has taken its copy once the click is handled; the URL only has to outlive this task.
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

export function useRunArtifacts(id: Ref<number>) {
  const artifacts = shallowRef<RunArtifacts | null>(null)
  const error = ref<string | null>(null)
  const exporting = ref(false)
  const exportError = ref<string | null>(null)
  /** The report of the export just made on this screen, to point it out in the list. */
  const lastReport = shallowRef<ExportReport | null>(null)
  const saving = ref<number | null>(null)
  const saveError = ref<string | null>(null)
  let generation = 0

  async function load(): Promise<void> {
    const mine = ++generation
    try {
      const value = await api.getRunArtifacts({ id: id.value })
      if (mine !== generation) return
      artifacts.value = value
      error.value = null
    } catch (e) {
      if (mine === generation) error.value = message(e)
    }
  }

  async function exportOnnx(checkpoint: 'best' | 'last'): Promise<void> {
    exporting.value = true
    exportError.value = null
    lastReport.value = null
    try {
      lastReport.value = await api.exportOnnx({ runId: id.value, checkpoint })
    } catch (e) {
      exportError.value = message(e)
    } finally {
      await load()
      exporting.value = false
    }
  }

  async function download(exportId: number): Promise<void> {
    saving.value = exportId
    saveError.value = null
    try {
      const file = await api.getExportFile({ exportId })
      saveFile(file.fileName, base64Bytes(file.base64))
    } catch (e) {
      saveError.value = message(e)
    } finally {
      saving.value = null
    }
  }

  watch(
    id,
    () => {
      artifacts.value = null
      lastReport.value = null
      exportError.value = null
      saveError.value = null
      void load()
    },
    { immediate: true }
  )

  return { artifacts, error, exporting, exportError, lastReport, saving, saveError, exportOnnx, download, reload: load }
}
