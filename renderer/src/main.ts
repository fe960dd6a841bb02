// The renderer's entry: mounts the Vue app with its Pinia stores (the window-wide state: route, app info, theme and
// the experiment draft).
import { createApp } from 'vue'
import { createPinia } from 'pinia'
import App from './App.vue'
import './styles.css'
import './styles-runs.css'
import './styles-sweeps.css'

createApp(App).use(createPinia()).mount('#app')
