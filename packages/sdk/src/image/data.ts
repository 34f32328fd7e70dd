import { isoTime } from '../core/clock.js'
import type { RequestContext } from '../core/context.js'
import { CloudError } from '../core/errors.js'
import type { Transaction } from '../store/types.js'
import type { ImageApi, UploadOptions } from './api.js'
import { type ImageDeps, imageTarget } from './deps.js'
import { visibleRow } from './images.js'
import { ingest } from './ingest.js'
import { bytesLeft, IMAGE_QUOTAS, toMib } from './quota-usage.js'
import { findImageRow, type ImageRow, updateImageRow } from './rows.js'
import { stagingKey, type UploadTasks } from './upload-task.js'

/** Uploading and staging image data. */
export type ImageDataApi = Pick<ImageApi, 'uploadImageData' | 'stageImageData'>

/** A signal that fires when the first of `signals` does. */
const firstToFire = (...signals: (AbortSignal | undefined)[]) =>
  AbortSignal.any(signals.filter((s): s is AbortSignal => s !== undefined))

/** Builds the {@link ImageDataApi}. */
export function imageDataApi(
  deps: ImageDeps,
  uploads: UploadTasks,
  getImage: ImageApi['getImage'],
): ImageDataApi {
  const { store, policy, events, quotas, config } = deps

  /** Moves a `queued` image to `to`, or CONFLICT as Glance answers an upload to an image that has data. */
  const claim = async (tx: Transaction, ctx: RequestContext, id: string, action: string, to: string) => {
    const row = await visibleRow(deps, ctx, id, tx)
    policy.enforce(ctx, action, imageTarget(row))
    if (row.status !== 'queued') {
      throw new CloudError('CONFLICT', `Image status transition from ${row.status} to ${to} is not allowed`, {
        resource: { type: 'image', id },
        details: { status: row.status },
      })
    }
    if (!row.disk_format || !row.container_format) {
      throw new CloudError(
        'INVALID',
        'Properties disk_format, container_format must be set prior to saving data.',
      )
    }
    const claimed = await updateImageRow(tx, deps.clock, row, { status: to })
    events.emitAfterCommit(tx, 'image.image.updated', { id, owner: row.owner, status: to })
    return claimed
  }

  const checkHint = async (
    tx: Transaction,
    row: ImageRow,
    resource: 'image_size_total' | 'image_stage_total',
    options: UploadOptions,
  ) => {
    const hint = options.sizeHint ?? options.expect?.size
    if (hint !== undefined && hint > config.maxImageBytes) {
      throw new CloudError(
        'QUOTA_EXCEEDED',
        `Image size ${hint} exceeds the limit of ${config.maxImageBytes} bytes`,
        {
          details: { resource: 'image_size', limit: config.maxImageBytes },
        },
      )
    }
    if (row.owner !== null && hint !== undefined)
      await quotas.check(tx, row.owner, { [resource]: toMib(hint) })
    return bytesLeft(tx, quotas, row.owner, resource, config.maxImageBytes)
  }

  return {
    async uploadImageData(ctx, id, source, options = {}) {
      const { name: storeName, driver } = deps.stores.get(options.store)
      const started = await store.transaction(async (tx) => {
        const row = await claim(tx, ctx, id, 'image:upload_image', 'saving')
        const maxBytes = await checkHint(tx, row, IMAGE_QUOTAS.size, options)
        return uploads.start(
          tx,
          { imageId: id, target: 'store', store: storeName, from: 'queued' },
          {
            write: (signal) =>
              ingest(driver, id, source, {
                maxBytes,
                declared: row.disk_format as never,
                expect: options.expect,
                sizeHint: options.sizeHint,
                signal: firstToFire(signal, ctx.signal),
              }),
            async activate(atx, data) {
              const current = await findImageRow(atx.db, id)
              if (current?.status !== 'saving') {
                throw new CloudError('CONFLICT', `Image ${id} was deleted or changed during the upload`, {
                  resource: { type: 'image', id },
                })
              }
              if (current.owner !== null)
                await quotas.check(atx, current.owner, { [IMAGE_QUOTAS.size]: toMib(data.size) })
              await atx.db
                .insertInto('image_locations')
                .values({
                  image_id: id,
                  store: storeName,
                  url: data.stored.url,
                  metadata: JSON.stringify(data.stored.metadata),
                  created_at: isoTime(deps.clock.now()),
                })
                .execute()
              await updateImageRow(atx, deps.clock, current, {
                status: 'active',
                size: data.size,
                virtual_size: data.inspection.virtualSize ?? null,
                checksum: data.checksum,
                hash_algo: 'sha512',
                hash_value: data.hashValue,
              })
              events.emitAfterCommit(atx, 'image.image.uploaded', {
                id,
                owner: current.owner,
                status: 'active',
                size: data.size,
                store: storeName,
              })
            },
          },
        )
      })
      await started.finished()
      return getImage(ctx, id)
    },

    async stageImageData(ctx, id, source, options = {}) {
      const staging = deps.stores.requireStaging()
      const started = await store.transaction(async (tx) => {
        const row = await claim(tx, ctx, id, 'image:stage_image', 'uploading')
        const maxBytes = await checkHint(tx, row, IMAGE_QUOTAS.stage, options)
        return uploads.start(
          tx,
          { imageId: id, target: 'staging', store: 'staging', from: 'queued' },
          {
            // Only safety is checked here: the declared format is checked by the import, which may convert.
            write: (signal) =>
              ingest(staging, stagingKey(id), source, {
                maxBytes,
                declared: null,
                expect: options.expect,
                sizeHint: options.sizeHint,
                signal: firstToFire(signal, ctx.signal),
              }),
            async activate(atx, data) {
              const current = await findImageRow(atx.db, id)
              if (current?.status !== 'uploading') {
                throw new CloudError('CONFLICT', `Image ${id} was deleted or changed while staging`, {
                  resource: { type: 'image', id },
                })
              }
              if (current.owner !== null)
                await quotas.check(atx, current.owner, { [IMAGE_QUOTAS.stage]: toMib(data.size) })
              await atx.db
                .insertInto('image_staging')
                .values({
                  image_id: id,
                  url: data.stored.url,
                  size: data.size,
                  created_at: isoTime(deps.clock.now()),
                })
                .execute()
            },
          },
        )
      })
      await started.finished()
      return getImage(ctx, id)
    },
  }
}
