// The app's facts (database path, engine state, door), loaded once.
import { ref } from 'vue'
import type { AppInfo } from '../../../common/contract'
import { api } from '../api'

const info = ref<AppInfo | null>(null)
const error = ref<string | null>(null)
let loading: Promise<void> | null = null

export function useAppInfo() {
  loading ??= api
    .getAppInfo()
    .then((i) => {
      info.value = i
    })
    .catch((e: unknown) => {
      error.value = e instanceof Error ? e.message : String(e)
    })
  return { info, error }
}
