import { createHash, type Hash } from 'node:crypto'
import { CloudError } from '../core/errors.js'
import { FormatInspector, type Inspection } from './formats/index.js'

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
      this.#sha512.update(chunk)
      this.#inspector.push(chunk)
      yield chunk
    }
  }

  /** The facts, once the stream has ended. */
  facts(): DataFacts {
    return {
      size: this.#size,
      checksum: this.#md5.digest('hex'),
      hashValue: this.#sha512.digest('hex'),
      inspection: this.#inspector.finish(),
    }
  }
}
