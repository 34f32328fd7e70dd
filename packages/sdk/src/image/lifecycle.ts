import type { RequestContext } from '../core/context.js'
import { CloudError, parseOrThrow } from '../core/errors.js'
import type { Transaction } from '../store/types.js'
import type { ImageApi } from './api.js'
import { type ImageDeps, imageTarget } from './deps.js'
import { visibleRow } from './images.js'
import { findImageRow, updateImageRow } from './rows.js'
import { imageTagSchema, MAX_IMAGE_TAGS } from './schemas.js'

/** Deleting images, their tags, and deactivation. */
export type ImageLifecycleApi = Pick<
  ImageApi,
  'deleteImage' | 'addImageTag' | 'removeImageTag' | 'deactivateImage' | 'reactivateImage'
>

/** Builds the {@link ImageLifecycleApi}. */
export function imageLifecycleApi(deps: ImageDeps): ImageLifecycleApi {
  const { store, policy, events } = deps

  const transition = async (ctx: RequestContext, id: string, to: 'active' | 'deactivated') => {
    const action = to === 'deactivated' ? 'image:deactivate' : 'image:reactivate'
    await store.transaction(async (tx) => {
      const row = await visibleRow(deps, ctx, id, tx)
      policy.enforce(ctx, action, imageTarget(row))
      if (row.status === to) return // Glance answers 204 for a repeated call
      const from = to === 'deactivated' ? 'active' : 'deactivated'
      if (row.status !== from) {
        throw new CloudError(
          'FORBIDDEN',
          `Not allowed to ${to === 'deactivated' ? 'deactivate' : 'reactivate'} image in status '${row.status}'`,
        )
      }
      const updated = await updateImageRow(tx, deps.clock, row, { status: to })
      events.emitAfterCommit(tx, 'image.image.updated', { id, owner: updated.owner, status: to })
    })
  }

  /**
   * A change of an image's tags, under the same rule as any change; when `change` says it changed something, the
   * image gets a new revision and its event.
   */
  const editTags = (ctx: RequestContext, id: string, change: (tx: Transaction) => Promise<boolean>) =>
    store.transaction(async (tx) => {
      const row = await visibleRow(deps, ctx, id, tx)
      policy.enforce(ctx, 'image:modify_image', imageTarget(row))
      if (!(await change(tx))) return
      const updated = await updateImageRow(tx, deps.clock, row, {})
      events.emitAfterCommit(tx, 'image.image.updated', { id, owner: updated.owner, status: updated.status })
    })

  return {
    async deleteImage(ctx, id) {
      const row = await visibleRow(deps, ctx, id)
      policy.enforce(ctx, 'image:delete_image', imageTarget(row))
      if (row.protected === 1) {
        throw new CloudError('FORBIDDEN', `Image ${id} is protected and cannot be deleted.`, {
          resource: { type: 'image', id },
        })
      }
      // Data first, one store at a time, each location row dropped with its data: data that is in use (RBD clones)
      // stops the delete with CONFLICT and leaves the image whole where it still has data.
      const locations = await store.db
        .selectFrom('image_locations')
        .selectAll()
        .where('image_id', '=', id)
        .execute()
      for (const location of locations) {
        const driver = deps.stores.find(location.store)
        if (driver) await driver.delete(location.url, { signal: ctx.signal })
        await store.db
          .deleteFrom('image_locations')
          .where('image_id', '=', id)
          .where('store', '=', location.store)
          .execute()
      }
      const staged = await store.db
        .selectFrom('image_staging')
        .selectAll()
        .where('image_id', '=', id)
        .executeTakeFirst()
      if (staged) await deps.stores.staging?.delete(staged.url, { signal: ctx.signal })
      await store.transaction(async (tx) => {
        const current = await findImageRow(tx.db, id)
        if (!current) return
        for (const table of ['image_tags', 'image_members', 'image_locations', 'image_staging'] as const) {
          await tx.db.deleteFrom(table).where('image_id', '=', id).execute()
        }
        await tx.db.deleteFrom('image_images').where('id', '=', id).execute()
        events.emitAfterCommit(tx, 'image.image.deleted', { id, owner: current.owner, status: 'deleted' })
      })
    },

    async addImageTag(ctx, id, tag) {
      parseOrThrow(imageTagSchema, tag, 'tag')
      await editTags(ctx, id, async (tx) => {
        const tags = await tx.db.selectFrom('image_tags').select('tag').where('image_id', '=', id).execute()
        if (tags.some((t) => t.tag === tag)) return false
        if (tags.length >= MAX_IMAGE_TAGS) {
          throw new CloudError('QUOTA_EXCEEDED', `Maximum number of tags (${MAX_IMAGE_TAGS}) exceeded`, {
            details: { resource: 'image_tags', limit: MAX_IMAGE_TAGS },
          })
        }
        await tx.db.insertInto('image_tags').values({ image_id: id, tag }).execute()
        return true
      })
    },

    async removeImageTag(ctx, id, tag) {
      await editTags(ctx, id, async (tx) => {
        const removed = await tx.db
          .deleteFrom('image_tags')
          .where('image_id', '=', id)
          .where('tag', '=', tag)
          .executeTakeFirst()
        if (Number(removed.numDeletedRows) === 0) {
          throw new CloudError('NOT_FOUND', `Tag ${tag} not found`, {
            resource: { type: 'image_tag', id: tag },
          })
        }
        return true
      })
    },

    deactivateImage: (ctx, id) => transition(ctx, id, 'deactivated'),
    reactivateImage: (ctx, id) => transition(ctx, id, 'active'),
  }
}
