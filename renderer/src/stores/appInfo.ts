// The app's facts (version, database path, engine state), read once when first asked for.
import { defineStore } from 'pinia'
import { ref, shallowRef } from 'vue'
import type { AppInfo } from '../../../common/contract'
import { api } from '../api'

export const useAppInfoStore = defineStore('appInfo', () => {
  const info = shallowRef<AppInfo | null>(null)
  const error = ref<string | null>(null)
  api
    .getAppInfo()
    .then((i) => {
      info.value = i
    })
    .catch((e: unknown) => {
      error.value = e instanceof Error ? e.message : String(e)
    })
  return { info, error }
})
