import { Readable } from 'node:stream'
import {
  abortError,
  CloudError,
  checkReadRange,
  type DiscardOptions,
  type Driver,
  defineDriver,
  type ImageStoreCapabilities,
  type ImageStoreDriver,
  type StoreCallOptions,
  type StoredData,
  type StoreReadOptions,
  type StoreWriteOptions,
} from '@nubis/sdk'
import { type Faults, type WithFaultsOptions, withFaults } from './faults.js'

/** Options of {@link memoryImageStore}. */
export interface MemoryImageStoreOptions {
  /** Driver name, also the host part of its urls (`memory://<name>/<imageId>`); default `memory`. */
  name?: string
  /** Capability flags over the defaults `{ rangeRead: true, cowClone: false, prefersRaw: false }`. */
  capabilities?: Partial<ImageStoreCapabilities>
  /** Options of the fault wrapper behind `faults` of {@link MemoryImageStore} (its clock, for `delay`). */
  faults?: WithFaultsOptions
  /** Start unreachable, as after `setUnavailable(true)` (see {@link MemoryImageStore}). */
  unavailable?: boolean
}

/**
 * The in-memory image store of {@link memoryImageStore}: an {@link ImageStoreDriver} plus the knobs tests turn
 * to reach the SPI's error paths and to look inside.
 */
export type MemoryImageStore = Driver<
  ImageStoreDriver & {
    /**
     * Marks the data at `url` as in use (a clone depends on it, as with an RBD snapshot), so `delete` of it
     * is `CONFLICT`; `inUse(url, false)` frees it again.
     */
    inUse(url: string, inUse?: boolean): void
    /** While on, every call but `owns` fails `UNAVAILABLE` with `retryable: true`, as an unreachable back end. */
    setUnavailable(unavailable: boolean): void
    /** The urls that hold data now, in the order they were first written. */
    locations(): string[]
    /** How many writes of `imageId` (of any id when omitted) are in progress or were left by a crash. */
    partials(imageId?: string): number
    /** Leaves a partial write of `imageId` behind, as a process killed mid-write would; see `discardPartial`. */
    leavePartial(imageId: string): void
  }
> & {
  /** Makes SPI methods fail, stall or hang on demand (see {@link withFaults}); no faults until told. */
  readonly faults: Faults<ImageStoreDriver>
}

/** Data of a write that has not completed (or never will: see `leavePartial`). */
interface PartialWrite {
  imageId: string
  bytes: number
  discarded: boolean
}

/** How much of the data one chunk of a read stream carries. */
const READ_CHUNK = 64 * 1024

/**
 * An image store test double keeping data in memory, with the same contract as a real store: a write becomes
 * visible only once its source has ended, and a write that fails or is aborted keeps nothing. Writing an
 * image id again replaces its data at the same url. Range reads return the requested bytes whatever the
 * `rangeRead` flag says.
 *
 * @example
 * const store = memoryImageStore()
 * const { url } = await store.write(imageId, chunks)
 * store.inUse(url)                      // delete(url) is now CONFLICT
 * store.faults.failOnce('write')        // the next write fails DRIVER_FAILED
 * store.setUnavailable(true)            // every call is UNAVAILABLE, retryable
 */
export function memoryImageStore(options: MemoryImageStoreOptions = {}): MemoryImageStore {
  const name = options.name ?? 'memory'
  const prefix = `memory://${encodeURIComponent(name)}/`
  const data = new Map<string, Buffer>()
  const busy = new Set<string>()
  const partial = new Set<PartialWrite>()
  let unavailable = options.unavailable ?? false

  const reachable = () => {
    if (unavailable) {
      throw new CloudError('UNAVAILABLE', `Image store ${name} cannot be reached (simulated)`, {
        retryable: true,
      })
    }
  }
  const idOf = (url: string): string | undefined => {
    if (typeof url !== 'string' || !url.startsWith(prefix)) return undefined
    const id = decodeURIComponent(url.slice(prefix.length))
    return id === '' ? undefined : id
  }
  const owned = (url: string): string => {
    const id = idOf(url)
    if (id === undefined) {
      throw new CloudError('INVALID', `Not a location of image store ${name}: ${url}`, {
        details: { path: 'url' },
      })
    }
    return id
  }
  const stored = (url: string): Buffer => {
    const id = owned(url)
    const bytes = data.get(url)
    if (!bytes) {
      throw new CloudError('NOT_FOUND', `Image data ${id} could not be found`, {
        resource: { type: 'image data', id },
      })
    }
    return bytes
  }
  const checkId = (imageId: string) => {
    if (typeof imageId !== 'string' || imageId === '') {
      throw new CloudError('INVALID', 'An image id must be a non-empty string', {
        details: { path: 'imageId' },
      })
    }
  }

  const base = defineDriver({
    kind: 'image-store',
    name,
    capabilities: {
      rangeRead: true,
      cowClone: false,
      prefersRaw: false,
      ...definedFlags(options.capabilities),
    },

    async write(
      imageId: string,
      source: AsyncIterable<Uint8Array>,
      { signal }: StoreWriteOptions = {},
    ): Promise<StoredData> {
      checkId(imageId)
      reachable()
      const entry: PartialWrite = { imageId, bytes: 0, discarded: false }
      partial.add(entry)
      try {
        const chunks = await collect(source, signal, `${name} write`, entry)
        if (entry.discarded) {
          throw new CloudError(
            'DRIVER_FAILED',
            `The partial data of image ${imageId} was discarded mid-write`,
          )
        }
        reachable()
        const url = prefix + encodeURIComponent(imageId)
        const bytes = Buffer.concat(chunks)
        data.delete(url) // a rewrite moves to the end of locations(), as a new write would
        data.set(url, bytes)
        return { url, size: bytes.length, metadata: {} }
      } finally {
        partial.delete(entry)
      }
    },

    async read(url: string, { offset = 0, length }: StoreReadOptions = {}): Promise<Readable> {
      reachable()
      const bytes = stored(url)
      checkReadRange(offset, length)
      const range = bytes.subarray(offset, length === undefined ? undefined : offset + length)
      return Readable.from(slices(range), { objectMode: false })
    },

    async stat(url: string, _options?: StoreCallOptions): Promise<{ size: number }> {
      reachable()
      return { size: stored(url).length }
    },

    async delete(url: string, _options?: StoreCallOptions): Promise<void> {
      reachable()
      const id = owned(url)
      if (data.has(url) && busy.has(url)) {
        throw new CloudError('CONFLICT', `Image data ${id} is in use and cannot be deleted`, {
          resource: { type: 'image data', id },
        })
      }
      data.delete(url)
    },

    async discardPartial(imageId: string, { complete }: DiscardOptions = {}): Promise<void> {
      checkId(imageId)
      reachable()
      if (complete) data.delete(prefix + encodeURIComponent(imageId))
      for (const entry of partial) {
        if (entry.imageId !== imageId) continue
        entry.discarded = true
        partial.delete(entry)
      }
    },

    async probe(_options?: StoreCallOptions): Promise<void> {
      reachable()
    },

    owns(url: string): boolean {
      return idOf(url) !== undefined
    },

    inUse(url: string, inUse = true): void {
      owned(url)
      if (inUse) busy.add(url)
      else busy.delete(url)
    },

    setUnavailable(on: boolean): void {
      unavailable = on
    },

    locations(): string[] {
      return [...data.keys()]
    },

    partials(imageId?: string): number {
      return [...partial].filter((entry) => imageId === undefined || entry.imageId === imageId).length
    },

    leavePartial(imageId: string): void {
      checkId(imageId)
      partial.add({ imageId, bytes: 0, discarded: false })
    },
  })
  const { driver, faults } = withFaults(base, options.faults)
  return Object.assign(driver, { faults: faults as unknown as Faults<ImageStoreDriver> })
}

/**
 * Reads all of `source`, copying each chunk (callers may reuse their buffers). An abort rejects at once,
 * even while the source is stalled, and asks the source to stop.
 */
async function collect(
  source: AsyncIterable<Uint8Array>,
  signal: AbortSignal | undefined,
  what: string,
  entry: PartialWrite,
): Promise<Buffer[]> {
  const iterator = source[Symbol.asyncIterator]()
  let onAbort: (() => void) | undefined
  const aborted = new Promise<never>((_, reject) => {
    if (!signal) return
    onAbort = () => reject(abortError(signal, what))
    if (signal.aborted) onAbort()
    else signal.addEventListener('abort', onAbort, { once: true })
  })
  aborted.catch(() => {})
  const chunks: Buffer[] = []
  let finished = false
  try {
    for (;;) {
      const next = await Promise.race([iterator.next(), aborted])
      if (next.done) {
        finished = true
        break
      }
      if (entry.discarded) break
      const chunk = Buffer.from(next.value)
      chunks.push(chunk)
      entry.bytes += chunk.length
    }
    if (signal?.aborted) throw abortError(signal, what)
    return chunks
  } finally {
    if (onAbort) signal?.removeEventListener('abort', onAbort)
    // Tell an unfinished source to stop; it settles when the source gets to it, so it is not awaited.
    if (!finished) Promise.resolve(iterator.return?.()).catch(() => {})
  }
}

/** The flags that are set (defineDriver refuses an `undefined` capability). */
function definedFlags(flags: Partial<ImageStoreCapabilities> = {}): Record<string, boolean> {
  return Object.fromEntries(
    Object.entries(flags).filter((entry): entry is [string, boolean] => entry[1] !== undefined),
  )
}

function* slices(bytes: Buffer): Generator<Buffer> {
  for (let at = 0; at < bytes.length; at += READ_CHUNK) yield bytes.subarray(at, at + READ_CHUNK)
}
