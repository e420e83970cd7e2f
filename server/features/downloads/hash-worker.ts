// The hashing thread: follows one partial file from its first byte and answers its checksum once
// told where the file ends (see followFile in file-hash.ts).
import { parentPort, workerData } from 'node:worker_threads'
import { hashGrowingFile, type HashRecipe, type HashWorkerReply } from './file-hash'

const port = parentPort
if (port === null) throw new Error('hash-worker.ts runs as a worker thread only')
let end: number | null = null
port.on('message', (message: { end: number }) => {
  end = message.end
})
const reply = (message: HashWorkerReply) => port.postMessage(message)
hashGrowingFile(workerData as HashRecipe, () => end).then(
  (digest) => reply({ digest }),
  (error: unknown) => reply({ error: error instanceof Error ? error.message : String(error) }),
)
