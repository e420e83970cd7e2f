// The hashing thread: follows one partial file from its first byte and answers its checksum once
// told where the file ends (see followFile in file-hash.ts).
import { parentPort, workerData } from 'node:worker_threads'
import { delay } from '../../delay'
import { hashGrowingFile, type HashRecipe, type HashWorkerReply } from './file-hash'

const port = parentPort
if (port === null) throw new Error('hash-worker.ts runs as a worker thread only')
const recipe = workerData as HashRecipe
let end: number | null = null
// A file written at offsets is read only as far as the writer says its bytes are all there.
let ready: number | null = recipe.ordered === true ? 0 : null
let wake: (() => void) | null = null
port.on('message', (message: { end: number } | { ready: number }) => {
  if ('end' in message) end = message.end
  else ready = message.ready
  wake?.()
})
// Idle waits end early when the end arrives, so the checksum is answered as soon as it can be.
const idle = (ms: number) => {
  const woken = new AbortController()
  wake = () => woken.abort()
  return delay(ms, woken.signal).finally(() => (wake = null))
}
const reply = (message: HashWorkerReply) => port.postMessage(message)
hashGrowingFile(recipe, () => end, undefined, idle, () => ready).then(
  (digest) => reply({ digest }),
  (error: unknown) => reply({ error: error instanceof Error ? error.message : String(error) }),
)
