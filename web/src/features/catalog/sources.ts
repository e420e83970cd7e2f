import type { ApiError } from '../../api/client'

/** Where what is on screen came from: the manager (and through it the hub), or this device's copy. */
export type Source = 'hub' | 'device'

export const OFFLINE_SENTENCE = 'This device is offline.'

/** The browser says it has no network. The manager may still be on this machine, but the hub is not reachable. */
export function browserOffline(): boolean {
  return typeof navigator !== 'undefined' && navigator.onLine === false
}

/** Failures that mean "the catalog cannot be asked right now", so this device's copy is shown instead. */
export function unreachable(error: ApiError): boolean {
  return error.isNetwork || error.code === 'hub-unreachable'
}

/** Keeps a copy on this device without waiting: a full or blocked IndexedDB must not break browsing. */
export function keepOnDevice(save: Promise<void>): void {
  save.catch(() => undefined)
}
