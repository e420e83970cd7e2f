import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { SystemMemory } from '../../../../shared/events'
import { api, request } from '../../api/client'

/** The machine's memory: read once on start, then kept current by the `system.memory` event. */
export const useSystemStore = defineStore('system', () => {
  const memory = ref<SystemMemory | null>(null)

  async function loadMemory(): Promise<void> {
    try {
      memory.value = await request(api.system.memory.get())
    } catch {
      // Offline or signed out: the meter keeps its last reading (or shows none) until the stream speaks.
    }
  }

  function setMemory(next: SystemMemory): void {
    memory.value = next
  }

  return { memory, loadMemory, setMemory }
})
