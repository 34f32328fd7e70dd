import { isoTime } from '../core/clock.js'
import type { RequestContext } from '../core/context.js'
import { CloudError, parseOrThrow } from '../core/errors.js'
import { newId } from '../core/ids.js'
import { newResourceColumns } from '../store/cas.js'
import type { Transaction } from '../store/types.js'
import type { ImageApi } from './api.js'
import { callerProject, type ImageDeps, imageTarget } from './deps.js'
import './events.js'
import {
  decodeProperties,
  findImageRow,
  type ImageRow,
  imageNotFound,
  loadImage,
  updateImageRow,
} from './rows.js'
import { ImageCreateSchema, ImageUpdateSchema, type Visibility } from './schemas.js'
import { canGet } from './visibility.js'

/** Images' records: create, read, update, delete. */
export type ImageRecordsApi = Pick<ImageApi, 'createImage' | 'getImage' | 'updateImage'>

/** The row of an image `ctx` may see, or NOT_FOUND (also for images it may not see, so they do not leak). */
export async function visibleRow(
  deps: Pick<ImageDeps, 'store'>,
  ctx: RequestContext,
  id: string,
  tx?: Transaction,
): Promise<ImageRow> {
  const db = tx?.db ?? deps.store.db
  const row = await db
    .selectFrom('image_images')
    .selectAll()
    .where('id', '=', id)
    .where(canGet(ctx))
    .executeTakeFirst()
  if (!row) throw imageNotFound(id)
  return row
}

/** Checks the extra rules of a visibility: `public` is for admins, `community` for owners with the right. */
export function enforceVisibility(
  deps: ImageDeps,
  ctx: RequestContext,
  row: Pick<ImageRow, 'owner'>,
  visibility: Visibility,
) {
  const target = imageTarget({ owner: row.owner, visibility })
  if (visibility === 'public') deps.policy.enforce(ctx, 'image:publicize_image', target)
  if (visibility === 'community') deps.policy.enforce(ctx, 'image:communitize_image', target)
}

/** Writes an image's tag set. */
export async function writeTags(tx: Transaction, imageId: string, tags: readonly string[]): Promise<void> {
  await tx.db.deleteFrom('image_tags').where('image_id', '=', imageId).execute()
  const unique = [...new Set(tags)]
  if (unique.length > 0) {
    await tx.db
      .insertInto('image_tags')
      .values(unique.map((tag) => ({ image_id: imageId, tag })))
      .execute()
  }
}

/** Builds the {@link ImageRecordsApi}. */
export function imageRecordsApi(deps: ImageDeps): ImageRecordsApi {
  const { store, policy, events } = deps

  return {
    async createImage(ctx, input) {
      const body = parseOrThrow(ImageCreateSchema, input, 'image')
      const owner = body.owner ?? callerProject(ctx)
      const visibility = body.visibility ?? 'shared'
      policy.enforce(ctx, 'image:add_image', imageTarget({ owner, visibility }))
      enforceVisibility(deps, ctx, { owner }, visibility)
      const id = body.id ?? newId<'image'>()
      return store.transaction(async (tx) => {
        if (await findImageRow(tx.db, id)) {
          throw new CloudError('CONFLICT', `An image with identifier ${id} already exists`, {
            resource: { type: 'image', id },
          })
        }
        if (owner !== null) await deps.quotas.check(tx, owner, { image_count_total: 1 })
        const row: ImageRow = {
          ...newResourceColumns(id, isoTime(deps.clock.now())),
          name: body.name ?? null,
          status: 'queued',
          visibility,
          protected: body.protected ? 1 : 0,
          hidden: body.hidden ? 1 : 0,
          owner,
          disk_format: body.diskFormat ?? null,
          container_format: body.containerFormat ?? null,
          size: null,
          virtual_size: null,
          checksum: null,
          hash_algo: null,
          hash_value: null,
          min_disk: body.minDisk ?? 0,
          min_ram: body.minRam ?? 0,
          properties: JSON.stringify(body.properties ?? {}),
        }
        await tx.db.insertInto('image_images').values(row).execute()
        await writeTags(tx, id, body.tags ?? [])
        events.emitAfterCommit(tx, 'image.image.created', { id, owner, status: 'queued' })
        return loadImage(tx.db, row)
      })
    },

    async getImage(ctx, id) {
      const row = await visibleRow(deps, ctx, id)
      policy.enforce(ctx, 'image:get_image', imageTarget(row))
      return loadImage(store.db, row)
    },

    async updateImage(ctx, id, patch) {
      const body = parseOrThrow(ImageUpdateSchema, patch, 'image update')
      return store.transaction(async (tx) => {
        const row = await visibleRow(deps, ctx, id, tx)
        policy.enforce(ctx, 'image:modify_image', imageTarget(row))
        if (body.visibility !== undefined && body.visibility !== row.visibility) {
          enforceVisibility(deps, ctx, row, body.visibility)
        }
        if (
          body.owner !== undefined &&
          body.owner !== row.owner &&
          !ctx.trusted &&
          !ctx.roles.includes('admin')
        ) {
          throw new CloudError('FORBIDDEN', 'Only an administrator may change the owner of an image')
        }
        for (const field of ['diskFormat', 'containerFormat'] as const) {
          const column = field === 'diskFormat' ? 'disk_format' : 'container_format'
          if (body[field] !== undefined && body[field] !== row[column] && row.status !== 'queued') {
            throw new CloudError('FORBIDDEN', `Attribute ${column} can be only replaced for a queued image.`)
          }
        }
        const properties = decodeProperties(row.properties)
        for (const [key, value] of Object.entries(body.properties ?? {})) {
          if (value !== null) properties[key] = value
          else if (key in properties) delete properties[key]
          else {
            throw new CloudError('CONFLICT', `Property ${key} does not exist.`, {
              details: { path: `properties.${key}` },
            })
          }
        }
        const updated = await updateImageRow(tx, deps.clock, row, {
          name: body.name === undefined ? row.name : body.name,
          visibility: body.visibility ?? row.visibility,
          protected: body.protected === undefined ? row.protected : body.protected ? 1 : 0,
          hidden: body.hidden === undefined ? row.hidden : body.hidden ? 1 : 0,
          disk_format: body.diskFormat ?? row.disk_format,
          container_format: body.containerFormat ?? row.container_format,
          min_disk: body.minDisk ?? row.min_disk,
          min_ram: body.minRam ?? row.min_ram,
          owner: body.owner ?? row.owner,
          properties: JSON.stringify(properties),
        })
        if (body.tags !== undefined) await writeTags(tx, id, body.tags)
        events.emitAfterCommit(tx, 'image.image.updated', {
          id,
          owner: updated.owner,
          status: updated.status,
        })
        return loadImage(tx.db, updated)
      })
    },
  }
}
