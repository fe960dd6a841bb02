// Types the renderer needs from its build: .vue modules, and window.api when the Electron preload is present.
import type { Api } from '../../common/contract'

declare global {
  interface Window {
    api?: Api
  }
}

declare module '*.vue' {
  import type { DefineComponent } from 'vue'
  const component: DefineComponent<object, object, unknown>
  export default component
}
