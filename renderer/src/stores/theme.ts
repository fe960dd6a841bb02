// Light, dark or follow the system: the choice is kept in localStorage and set as data-theme on <html>.
import { defineStore } from 'pinia'
import { ref, watchEffect } from 'vue'

export type Theme = 'system' | 'light' | 'dark'
const key = 'rnnlab.theme'
const next: Record<Theme, Theme> = { system: 'light', light: 'dark', dark: 'system' }

export const useThemeStore = defineStore('theme', () => {
  const stored = localStorage.getItem(key)
  const theme = ref<Theme>(stored === 'light' || stored === 'dark' ? stored : 'system')
  watchEffect(() => {
    localStorage.setItem(key, theme.value)
    if (theme.value === 'system') document.documentElement.removeAttribute('data-theme')
    else document.documentElement.setAttribute('data-theme', theme.value)
  })

  function cycle(): void {
    theme.value = next[theme.value]
  }

  return { theme, cycle }
})
