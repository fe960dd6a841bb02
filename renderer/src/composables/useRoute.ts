// The current hash route as a ref, shared by the whole window; navigate() changes it.
import { readonly, ref } from 'vue'
import { parseRoute, routeHref, type Route } from '../lib/route'

const route = ref<Route>(parseRoute(location.hash))
window.addEventListener('hashchange', () => {
  route.value = parseRoute(location.hash)
})

export function navigate(to: Route): void {
  location.hash = routeHref(to)
}

export function useRoute() {
  return { route: readonly(route), navigate, href: routeHref }
}
