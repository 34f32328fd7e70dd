import { Worker } from 'node:worker_threads'

// SHA-512 and MD5 of one stream cost about the same, and one core does both at roughly the speed a disk writes.
// Large uploads therefore hash SHA-512 on a worker thread while the main thread does MD5 (and the store's I/O runs
// on libuv's pool): the three overlap. The worker is plain CommonJS evaluated from a string, so it runs the same
// from the sources and from the bundle.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads')
const { createHash } = require('node:crypto')
const jobs = new Map()
parentPort.on('message', ({ job, chunk, end }) => {
  let hash = jobs.get(job)
  if (!hash) jobs.set(job, (hash = createHash('sha512')))
  if (chunk) {
    hash.update(new Uint8Array(chunk))
    parentPort.postMessage({ job, done: chunk.byteLength })
  }
  if (end) {
    jobs.delete(job)
    parentPort.postMessage({ job, digest: hash.digest('hex') })
  }
})
`

/** Bytes sent to the worker and not hashed yet before the sender waits: bounds the memory a fast source can take. */
const MAX_IN_FLIGHT = 32 * 1024 * 1024

interface Job {
  inFlight: number
  wake?: () => void
  finish?: (digest: string) => void
  fail?: (error: Error) => void
}

let shared: { worker: Worker; jobs: Map<number, Job> } | undefined
let nextJob = 0

/** The process's hashing worker, started on first use and never keeping the process alive. */
function hashingWorker() {
  if (shared) return shared
  const worker = new Worker(WORKER_SOURCE, { eval: true })
  const jobs = new Map<number, Job>()
  worker.unref()
  worker.on('message', (message: { job: number; done?: number; digest?: string }) => {
    const job = jobs.get(message.job)
    if (!job) return
    if (message.done !== undefined) {
      job.inFlight -= message.done
      job.wake?.()
    }
    if (message.digest !== undefined) job.finish?.(message.digest)
  })
  worker.on('error', (error) => {
    for (const job of jobs.values()) job.fail?.(error)
    jobs.clear()
    shared = undefined
  })
  shared = { worker, jobs }
  return shared
}

/** SHA-512 of one stream, computed on the shared worker thread. */
export class WorkerSha512 {
  readonly #id = nextJob++
  readonly #job: Job = { inFlight: 0 }
  readonly #pool = hashingWorker()

  constructor() {
    // Referenced only while it has work, so an idle worker never keeps the process alive.
    if (this.#pool.jobs.size === 0) this.#pool.worker.ref()
    this.#pool.jobs.set(this.#id, this.#job)
  }

  #forget(): void {
    this.#pool.jobs.delete(this.#id)
    if (this.#pool.jobs.size === 0) this.#pool.worker.unref()
  }

  /** Hands a copy of `chunk` to the worker; waits first while too much is still in flight. */
  async update(chunk: Uint8Array): Promise<void> {
    while (this.#job.inFlight > MAX_IN_FLIGHT) {
      await new Promise<void>((resolve) => {
        this.#job.wake = resolve
      })
    }
    // A copy, transferred: the caller's buffer goes on to the store and may be reused by its source.
    const copy = new Uint8Array(chunk).buffer
    this.#job.inFlight += copy.byteLength
    this.#pool.worker.postMessage({ job: this.#id, chunk: copy }, [copy])
  }

  /** The hex digest, once every chunk has been hashed. */
  digest(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.#job.finish = (digest) => {
        this.#forget()
        resolve(digest)
      }
      this.#job.fail = reject
      this.#pool.worker.postMessage({ job: this.#id, end: true })
    })
  }

  /** Forgets the job (the upload failed); the worker drops its state when told the end. */
  discard(): void {
    this.#pool.worker.postMessage({ job: this.#id, end: true })
    this.#forget()
  }
}
