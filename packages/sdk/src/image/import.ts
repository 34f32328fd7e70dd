import { CloudError, parseOrThrow } from '../core/errors.js'
import { waitFor } from '../core/waiters.js'
import type { ImageApi } from './api.js'
import { type ImageDeps, imageTarget } from './deps.js'
import { visibleRow } from './images.js'
import type { ImportTaskData } from './import-task.js'
import { decodeProperties, updateImageRow } from './rows.js'
import { ImportRequestSchema } from './schemas.js'

/** The import methods offered: `web-download` would fetch from the network, which a Nubis cloud does not do. */
export const OFFERED_IMPORT_METHODS = ['glance-direct', 'copy-image'] as const

/** Interoperable import, waiting on images, and what the stores are. */
export type ImageImportApi = Pick<ImageApi, 'importImage' | 'waitForImage' | 'listStores' | 'importMethods'>

/** Builds the {@link ImageImportApi}. */
export function imageImportApi(deps: ImageDeps, getImage: ImageApi['getImage']): ImageImportApi {
  const { store, policy, stores, tasks, events } = deps

  return {
    async importImage(ctx, id, input) {
      const request = parseOrThrow(ImportRequestSchema, input, 'import request')
      if (request.method === 'web-download') {
        throw new CloudError(
          'NOT_SUPPORTED',
          'Import method web-download is not available: this cloud fetches nothing from the network',
          {
            details: { method: 'web-download', available: [...OFFERED_IMPORT_METHODS] },
          },
        )
      }
      const method = request.method
      const wanted = request.allStores
        ? stores.names
        : (request.stores ?? (method === 'copy-image' ? [] : [stores.get().name]))
      for (const name of wanted) stores.get(name)
      await store.transaction(async (tx) => {
        const row = await visibleRow(deps, ctx, id, tx)
        policy.enforce(
          ctx,
          method === 'copy-image' ? 'image:copy_image' : 'image:import_image',
          imageTarget(row),
        )
        // Glance shows an import's progress as properties; clients and Tempest's waiters read them.
        const progress = (importing: string) =>
          JSON.stringify({
            ...decodeProperties(row.properties),
            os_glance_importing_to_stores: importing,
            os_glance_failed_import: '',
          })
        let targets = wanted
        if (method === 'glance-direct') {
          const staged = await tx.db
            .selectFrom('image_staging')
            .select('image_id')
            .where('image_id', '=', id)
            .executeTakeFirst()
          if (row.status !== 'uploading' || !staged) {
            throw new CloudError(
              'CONFLICT',
              `Image status transition from ${row.status} to importing is not allowed: stage data first`,
              {
                resource: { type: 'image', id },
              },
            )
          }
          events.emitAfterCommit(tx, 'image.image.updated', { id, owner: row.owner, status: 'importing' })
        } else {
          if (row.status !== 'active') {
            throw new CloudError('CONFLICT', `Only active images can be copied; image ${id} is ${row.status}`)
          }
          const present = await tx.db
            .selectFrom('image_locations')
            .select('store')
            .where('image_id', '=', id)
            .execute()
          targets = wanted.filter((name) => !present.some((p) => p.store === name))
          // "Copy to every store" of an image already in every store has nothing to do (Glance answers 202).
          if (targets.length === 0 && request.allStores) {
            await updateImageRow(tx, deps.clock, row, { properties: progress('') })
            return
          }
          if (targets.length === 0) {
            throw new CloudError(
              'CONFLICT',
              `Image ${id} is already present in the stores ${wanted.join(', ') || '(none named)'}`,
            )
          }
        }
        // glance-direct moves to `importing`; copy-image keeps the image `active` while it copies.
        const status = method === 'glance-direct' ? 'importing' : row.status
        await updateImageRow(tx, deps.clock, row, { status, properties: progress(targets.join(',')) })
        const data: ImportTaskData = {
          imageId: id,
          method,
          stores: targets,
          allStoresMustSucceed: request.allStoresMustSucceed ?? true,
        }
        await tasks.start('image.import', data, { tx, resourceId: id })
      })
      return getImage(ctx, id)
    },

    async waitForImage(ctx, id, options) {
      const target = options.status
      return waitFor(
        async () => {
          const image = await getImage(ctx, id)
          if (image.status === target) return image
          if (image.status === 'killed') throw new CloudError('DRIVER_FAILED', `Image ${id} was killed`)
          // A failed glance-direct import goes back to queued and says where it failed.
          if (target === 'active' && image.status === 'queued' && image.properties.os_glance_failed_import) {
            throw new CloudError(
              'DRIVER_FAILED',
              `Import of image ${id} failed in ${image.properties.os_glance_failed_import}`,
            )
          }
          return undefined
        },
        { timeout: options.timeoutMs ?? 60_000, interval: 100, signal: options.signal ?? ctx.signal },
      )
    },

    async listStores(ctx) {
      policy.enforce(ctx, 'image:list_stores', { project_id: ctx.projectId ?? '' })
      return stores.names.map((name) => ({
        id: name,
        description: `${stores.find(name)!.name} store`,
        default: name === stores.defaultName,
      }))
    },

    importMethods: () => [...OFFERED_IMPORT_METHODS],
  }
}
