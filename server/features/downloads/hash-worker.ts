// The hashing thread: follows one partial file from its first byte and answers its checksum once
// told where the file ends (see followFile in file-hash.ts).
import { parentPort, workerData } from 'node:worker_threads'
import { hashGrowingFile, type HashRecipe, type HashWorkerReply } from './file-hash'

const port = parentPort
if (port === null) throw new Error('hash-worker.ts runs as a worker thread only')
let end: number | null = null
let wake: (() => void) | null = null
port.on('message', (message: { end: number }) => {
  end = message.end
  wake?.()
})
// Idle waits end early when the end arrives, so the checksum is answered as soon as it can be.
const idle = (ms: number) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms)
    function done() {
      clearTimeout(timer)
      wake = null
      resolve()
    }
    wake = done
  })
const reply = (message: HashWorkerReply) => port.postMessage(message)
hashGrowingFile(workerData as HashRecipe, () => end, undefined, idle).then(
  (digest) => reply({ digest }),
  (error: unknown) => reply({ error: error instanceof Error ? error.message : String(error) }),
)
