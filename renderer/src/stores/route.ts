// The current hash route, shared by the whole window; navigate() changes it (through the address, so Back works).
import { defineStore } from 'pinia'
import { computed, shallowRef } from 'vue'
import { parseRoute, routeHref, type Route } from '../lib/route'

export const useRouteStore = defineStore('route', () => {
  const current = shallowRef<Route>(parseRoute(location.hash))
  window.addEventListener('hashchange', () => {
    current.value = parseRoute(location.hash)
  })
  /** The screen shown: read-only, it follows the address. */
  const route = computed(() => current.value)

  function navigate(to: Route): void {
    location.hash = routeHref(to)
  }

  return { route, navigate }
})
