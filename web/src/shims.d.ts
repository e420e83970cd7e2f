// Lets tools that read .ts files without the Vue language plugin (typescript-eslint) import components.
// vue-tsc resolves the real .vue files and ignores this fallback.
declare module '*.vue' {
  import type { DefineComponent } from 'vue'
  const component: DefineComponent<object, object, unknown>
  export default component
}
