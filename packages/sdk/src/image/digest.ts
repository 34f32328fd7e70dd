import { createHash, type Hash } from 'node:crypto'
import { CloudError } from '../core/errors.js'
import { FormatInspector, type Inspection } from './formats/index.js'
import { WorkerSha512 } from './sha512-worker.js'

/** Past this many bytes, SHA-512 moves to the worker thread; small images are not worth a thread hop. */
const WORKER_THRESHOLD = 16 * 1024 * 1024

/** What one pass over an image's data learns: size, both hashes and the real format. */
export interface DataFacts {
  size: number
  /** MD5, hex. */
  checksum: string
  /** SHA-512, hex. */
  hashValue: string
  inspection: Inspection
}

/**
 * Watches data on its way to a store: counts it, hashes it with MD5 and SHA-512 and inspects its format, all in
 * the one pass that writes it, so multi-GiB uploads are read once and never held in memory.
 */
export class DataDigest {
  readonly #md5: Hash = createHash('md5')
  readonly #sha512: Hash = createHash('sha512')
  readonly #inspector = new FormatInspector()
  #size = 0
  /** Copies of the chunks hashed so far on this thread, replayed to the worker when the stream grows large. */
  #head: Uint8Array[] | undefined = []
  #worker: WorkerSha512 | undefined

  /**
   * Passes `source` through, learning as it goes. More than `maxBytes` stops the stream with `QUOTA_EXCEEDED`
   * (Glance's 413), before the store has to hold it.
   */
  async *tap(
    source: AsyncIterable<Uint8Array>,
    maxBytes: number,
    signal?: AbortSignal,
  ): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      signal?.throwIfAborted()
      this.#size += chunk.byteLength
      if (this.#size > maxBytes) {
        throw new CloudError(
          'QUOTA_EXCEEDED',
          `Image exceeds the storage quota or size limit of ${maxBytes} bytes`,
          {
            details: { resource: 'image_size', limit: maxBytes },
          },
        )
      }
      this.#md5.update(chunk)
      this.#inspector.push(chunk)
      if (this.#worker) await this.#worker.update(chunk)
      else this.#hereOrMove(chunk)
      yield chunk
    }
  }

  /** Hashes on this thread until the threshold, then hands the work (what was seen, replayed) to the worker. */
  #hereOrMove(chunk: Uint8Array): void {
    this.#sha512.update(chunk)
    if (!this.#head) return
    if (this.#size <= WORKER_THRESHOLD) {
      this.#head.push(new Uint8Array(chunk)) // a copy: Buffer#slice would be a view
      return
    }
    const worker = new WorkerSha512()
    for (const seen of this.#head) void worker.update(seen)
    void worker.update(chunk)
    this.#head = undefined
    this.#worker = worker
  }

  /** The facts, once the stream has ended. */
  async facts(): Promise<DataFacts> {
    return {
      size: this.#size,
      checksum: this.#md5.digest('hex'),
      hashValue: this.#worker ? await this.#worker.digest() : this.#sha512.digest('hex'),
      inspection: this.#inspector.finish(),
    }
  }

  /** Releases the worker's share of a stream that failed. */
  discard(): void {
    this.#worker?.discard()
    this.#worker = undefined
  }
}
