import { CloudError } from '../core/errors.js'

// Image stores check their inputs the same way, so every store answers bad input with the same error.

/** Throws `INVALID` unless `offset` and `length` (bytes, whole, not negative) make a read range. */
export function checkReadRange(offset: number, length: number | undefined): void {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new CloudError('INVALID', `Invalid read offset ${offset}`, { details: { path: 'offset' } })
  }
  if (length !== undefined && (!Number.isSafeInteger(length) || length < 0)) {
    throw new CloudError('INVALID', `Invalid read length ${length}`, { details: { path: 'length' } })
  }
}

/**
 * Throws `INVALID` unless `imageId` matches `pattern`, the ids store `store` can name data by (a file name, an RBD
 * image name), so an id can never reach outside the store.
 */
export function checkStoreImageId(store: string, pattern: RegExp, imageId: string): void {
  if (typeof imageId !== 'string' || !pattern.test(imageId)) {
    throw new CloudError(
      'INVALID',
      `Invalid image id for the ${store} image store: ${JSON.stringify(imageId)}`,
      {
        details: { path: 'imageId' },
      },
    )
  }
}
