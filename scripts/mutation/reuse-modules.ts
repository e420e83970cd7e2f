import { disableAutoUnmount } from '@vue/test-utils'

// With `isolate: false` one worker keeps its modules from one test file to the next, so
// tests/web/setup.ts would switch auto-unmount on a second time; it is switched off before each file.
disableAutoUnmount()
