import { CloudError, isCloudError } from '../core/errors.js'
import type { ImageApi } from './api.js'
import { type ImageDeps, imageTarget } from './deps.js'
import { visibleRow } from './images.js'
import { seesAll } from './visibility.js'

/** Builds `downloadImageData`. */
export function imageDownloadApi(deps: ImageDeps): Pick<ImageApi, 'downloadImageData'> {
  const { store, policy } = deps
  return {
    async downloadImageData(ctx, id, range = {}) {
      const row = await visibleRow(deps, ctx, id)
      policy.enforce(ctx, 'image:download_image', imageTarget(row))
      if (row.status === 'deactivated' && !seesAll(ctx)) {
        throw new CloudError(
          'FORBIDDEN',
          'The requested image has been deactivated. Image data download is forbidden.',
          {
            resource: { type: 'image', id },
          },
        )
      }
      const locations = await store.db
        .selectFrom('image_locations')
        .selectAll()
        .where('image_id', '=', id)
        .orderBy('created_at')
        .execute()
      if ((row.status !== 'active' && row.status !== 'deactivated') || locations.length === 0) {
        // Glance answers 204 No Content: the image exists and has no data yet.
        throw new CloudError('NOT_FOUND', `Image ${id} has no data`, {
          resource: { type: 'image data', id },
          details: { reason: 'no-data', status: row.status },
        })
      }
      const size = Number(row.size ?? 0)
      const offset = range.offset ?? 0
      if (
        !Number.isSafeInteger(offset) ||
        offset < 0 ||
        (offset >= size && size > 0) ||
        (range.length !== undefined && range.length < 1)
      ) {
        throw new CloudError('INVALID', `Requested range is not satisfiable for an image of ${size} bytes`, {
          details: { reason: 'range-not-satisfiable', size },
        })
      }
      const length = Math.min(range.length ?? size - offset, size - offset)
      let lastError: unknown
      // The first store that still has the data answers; a store that lost it is skipped, as Glance tries its locations.
      for (const location of locations) {
        const driver = deps.stores.find(location.store)
        if (!driver) continue
        try {
          const stream = await driver.read(location.url, { offset, length, signal: ctx.signal })
          return { stream, size, offset, length, checksum: row.checksum }
        } catch (error) {
          if (!isCloudError(error, 'NOT_FOUND') && !isCloudError(error, 'UNAVAILABLE')) throw error
          lastError = error
        }
      }
      throw (
        lastError ??
        new CloudError('UNAVAILABLE', `No configured store holds the data of image ${id}`, {
          retryable: true,
        })
      )
    },
  }
}
