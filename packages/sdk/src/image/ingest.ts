import { CloudError, isCloudError } from '../core/errors.js'
import { DataDigest, type DataFacts } from './digest.js'
import { checkDeclaredFormat, type DiskFormat } from './formats/index.js'
import type { UploadExpectations } from './schemas.js'
import type { ImageStoreDriver, StoredData } from './spi.js'

/** Options of {@link ingest}. */
export interface IngestOptions {
  /** Most bytes accepted (size cap or what the quota leaves). */
  maxBytes: number
  /** The declared disk format the data must match; unset: any safe format. */
  declared?: DiskFormat | null
  /** Values the data must match. */
  expect?: UploadExpectations
  sizeHint?: number
  signal?: AbortSignal
}

/** Data stored and what was learnt of it. */
export interface Ingested extends DataFacts {
  stored: StoredData
}

/**
 * Streams `source` into `driver` as the data of `key`, hashing and inspecting it on the way, then checks it: the
 * expected size and hashes, and a format that matches the declared one and is safe to hand to qemu. Whatever fails
 * — the source, the store, a check — nothing stays in the store.
 */
export async function ingest(
  driver: ImageStoreDriver,
  key: string,
  source: AsyncIterable<Uint8Array>,
  options: IngestOptions,
): Promise<Ingested> {
  const digest = new DataDigest()
  const { signal } = options
  let stored: StoredData
  try {
    stored = await driver.write(key, digest.tap(source, options.maxBytes, signal), {
      signal,
      sizeHint: options.sizeHint,
    })
  } catch (error) {
    // A store that cannot be reached cannot be cleaned up now either (each try costs its connect timeout): the
    // caller's undo (the task's compensation) calls discardPartial.
    if (!isCloudError(error, 'UNAVAILABLE')) await driver.discardPartial(key).catch(() => undefined)
    throw isCloudError(error)
      ? error
      : new CloudError('INVALID', `Upload failed: ${String(error)}`, { cause: error })
  }
  const facts = await digest.facts()
  try {
    verify(facts, options)
  } catch (error) {
    await driver.delete(stored.url).catch(() => undefined)
    throw error
  }
  return { ...facts, stored }
}

/** Throws `INVALID` when the data is not what was expected or declared. */
export function verify(facts: DataFacts, options: Pick<IngestOptions, 'declared' | 'expect'>): void {
  const { expect = {}, declared } = options
  const mismatch = (what: string, wanted: string | number, got: string | number) =>
    new CloudError('INVALID', `Data ${what} ${got} does not match the expected ${what} ${wanted}`, {
      details: { reason: `${what}-mismatch`, expected: wanted, actual: got },
    })
  if (expect.size !== undefined && expect.size !== facts.size) throw mismatch('size', expect.size, facts.size)
  if (expect.checksum !== undefined && expect.checksum.toLowerCase() !== facts.checksum) {
    throw mismatch('checksum', expect.checksum, facts.checksum)
  }
  if (expect.hashValue !== undefined && expect.hashValue.toLowerCase() !== facts.hashValue) {
    throw mismatch('hash', expect.hashValue, facts.hashValue)
  }
  // An empty upload has no format to check; Glance accepts it.
  if (facts.size > 0) {
    if (declared) checkDeclaredFormat(declared, facts.inspection)
    else if (facts.inspection.unsafe) checkDeclaredFormat('raw', facts.inspection)
  }
}
