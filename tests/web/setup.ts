import { enableAutoUnmount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach } from 'vitest'
import { db } from '../../web/src/db/database'
import { FakeEventSource } from './helpers'

enableAutoUnmount(afterEach)

beforeEach(async () => {
  setActivePinia(createPinia())
  FakeEventSource.instances = []
  await Promise.all(db.tables.map((table) => table.clear()))
})

afterEach(() => {
  document.body.innerHTML = ''
})
