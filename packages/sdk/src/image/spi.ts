import type { Readable } from 'node:stream'
import type { DriverBase } from '../core/driver.js'

/** Optional features of an image store; every store says yes or no to each. */
export interface ImageStoreCapabilities {
  /** `read` honours `offset`/`length` without reading from the start (HTTP Range downloads are cheap). */
  rangeRead: boolean
  /** The data can be cloned copy-on-write by volumes and servers (Ceph RBD's protected snapshot). */
  cowClone: boolean
  /** The store clones raw data best: the service converts qcow2 to raw when importing into it. */
  prefersRaw: boolean
  /** Flags of later features. */
  [flag: string]: boolean
}

/** Options every store call takes. */
export interface StoreCallOptions {
  /** Cancels the call; a cancelled write leaves nothing behind. */
  signal?: AbortSignal
}

/** Options of {@link ImageStoreDriver.write}. */
export interface StoreWriteOptions extends StoreCallOptions {
  /** Expected size when known (an upload with Content-Length); stores may preallocate. */
  sizeHint?: number
}

/** Options of {@link ImageStoreDriver.read}. */
export interface StoreReadOptions extends StoreCallOptions {
  /** First byte to return; default 0. */
  offset?: number
  /** How many bytes to return; default to the end. */
  length?: number
}

/** Options of {@link ImageStoreDriver.discardPartial}. */
export interface DiscardOptions extends StoreCallOptions {
  /**
   * Also remove data a completed `write` of the id left. Only for callers that know nothing references it: a
   * process that died between a write finishing and the record of its location leaves exactly that.
   */
  complete?: boolean
}

/** What a store reports of data it holds. */
export interface StoredData {
  /** The store's address of the data, e.g. `file:///srv/images/<id>` or `rbd://<fsid>/images/<id>/snap`. */
  url: string
  /** Bytes stored. */
  size: number
  /** Facts worth keeping with the location (pool, snapshot name…). Strings only. */
  metadata: Record<string, string>
}

/**
 * The SPI of image stores (`kind: 'image-store'`): where image data lives. Drivers hold no cloud state — the
 * service keeps the locations — and every method is idempotent where it can be.
 *
 * The contract a conformance suite checks (`describeImageStoreConformance` in @nubis/testing):
 * - `write` is atomic: until it resolves, nothing is readable at the returned url; if it fails or is aborted,
 *   nothing of it remains (no temporary file, no half RBD image).
 * - `read` returns exactly the bytes written, or the requested range of them.
 * - `delete` of a missing location succeeds; of data that is in use (an RBD snapshot with clones) it is
 *   `CONFLICT`.
 * - A back end that cannot be reached is `UNAVAILABLE` with `retryable: true`.
 */
export interface ImageStoreDriver extends DriverBase {
  readonly kind: 'image-store'
  readonly capabilities: Readonly<ImageStoreCapabilities>
  /** Stores all of `source` as the data of image `imageId` and reports where it is. */
  write(imageId: string, source: AsyncIterable<Uint8Array>, options?: StoreWriteOptions): Promise<StoredData>
  /** The data at `url` (or a range of it) as a stream. `NOT_FOUND` when it is gone. */
  read(url: string, options?: StoreReadOptions): Promise<Readable>
  /** Size and existence of the data at `url`; `NOT_FOUND` when it is gone. */
  stat(url: string, options?: StoreCallOptions): Promise<{ size: number }>
  /** Removes the data at `url`. A missing location is not an error; data in use is `CONFLICT`. */
  delete(url: string, options?: StoreCallOptions): Promise<void>
  /** Removes whatever an interrupted `write` for `imageId` left (temporary files). Idempotent. */
  discardPartial(imageId: string, options?: DiscardOptions): Promise<void>
  /** Resolves when the back end answers; `UNAVAILABLE` otherwise. */
  probe(options?: StoreCallOptions): Promise<void>
  /** True when `url` is an address of this store (a location written by it). */
  owns(url: string): boolean
}
