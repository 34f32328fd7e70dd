import type { Selectable } from 'kysely'
import { isoTime } from '../core/clock.js'
import type { RequestContext } from '../core/context.js'
import { CloudError } from '../core/errors.js'
import type { ImageApi } from './api.js'
import { type ImageDeps, imageTarget } from './deps.js'
import { visibleRow } from './images.js'
import { type ImageRow, updateImageRow } from './rows.js'
import { type ImageMember, MEMBER_STATUSES, type MemberStatus } from './schemas.js'
import type { ImageMembersTable } from './tables.js'
import { seesAll } from './visibility.js'

/** Glance's limit of members of one image (`image_member_quota`). */
export const MAX_IMAGE_MEMBERS = 128

/** Sharing images with other projects. */
export type ImageMembersApi = Pick<
  ImageApi,
  'listImageMembers' | 'getImageMember' | 'addImageMember' | 'updateImageMember' | 'removeImageMember'
>

const toMember = (row: Selectable<ImageMembersTable>): ImageMember => ({
  imageId: row.image_id,
  memberId: row.member_id,
  status: row.status as MemberStatus,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
})

const memberNotFound = (id: string, memberId: string) =>
  new CloudError('NOT_FOUND', `${memberId} is not a member of image ${id}`, {
    resource: { type: 'image_member', id: memberId },
  })

/** Builds the {@link ImageMembersApi}. */
export function imageMembersApi(deps: ImageDeps): ImageMembersApi {
  const { store, policy, events } = deps

  const sharedImage = async (ctx: RequestContext, id: string): Promise<ImageRow> => {
    const row = await visibleRow(deps, ctx, id)
    if (row.visibility !== 'shared') {
      throw new CloudError('FORBIDDEN', 'Only shared images have members.', {
        resource: { type: 'image', id },
      })
    }
    return row
  }
  const isOwner = (ctx: RequestContext, row: ImageRow) =>
    seesAll(ctx) || (row.owner !== null && row.owner === ctx.projectId)

  return {
    async listImageMembers(ctx, id) {
      const row = await sharedImage(ctx, id)
      policy.enforce(ctx, 'image:get_members', imageTarget(row))
      let query = store.db.selectFrom('image_members').selectAll().where('image_id', '=', id)
      // A member sees its own membership only, as Glance shows it.
      if (!isOwner(ctx, row)) query = query.where('member_id', '=', ctx.projectId ?? '')
      return (await query.orderBy('created_at').orderBy('member_id').execute()).map(toMember)
    },

    async getImageMember(ctx, id, memberId) {
      const row = await sharedImage(ctx, id)
      policy.enforce(ctx, 'image:get_member', imageTarget(row, { member_id: memberId }))
      if (!isOwner(ctx, row) && memberId !== ctx.projectId) throw memberNotFound(id, memberId)
      const member = await store.db
        .selectFrom('image_members')
        .selectAll()
        .where('image_id', '=', id)
        .where('member_id', '=', memberId)
        .executeTakeFirst()
      if (!member) throw memberNotFound(id, memberId)
      return toMember(member)
    },

    async addImageMember(ctx, id, memberId) {
      if (typeof memberId !== 'string' || memberId.length === 0 || memberId.length > 255) {
        throw new CloudError('INVALID', 'A member is a project id of 1 to 255 characters', {
          details: { path: 'member' },
        })
      }
      const row = await sharedImage(ctx, id)
      policy.enforce(ctx, 'image:add_member', imageTarget(row, { member_id: memberId }))
      if (!isOwner(ctx, row)) throw new CloudError('FORBIDDEN', 'Only the owner of an image may share it')
      return store.transaction(async (tx) => {
        const existing = await tx.db
          .selectFrom('image_members')
          .select(['member_id'])
          .where('image_id', '=', id)
          .execute()
        if (existing.some((m) => m.member_id === memberId)) {
          throw new CloudError('CONFLICT', `Member ${memberId} already exists for image ${id}`, {
            resource: { type: 'image_member', id: memberId },
          })
        }
        if (existing.length >= MAX_IMAGE_MEMBERS) {
          throw new CloudError(
            'QUOTA_EXCEEDED',
            `Maximum number of members (${MAX_IMAGE_MEMBERS}) exceeded`,
            {
              details: { resource: 'image_members', limit: MAX_IMAGE_MEMBERS },
            },
          )
        }
        const at = isoTime(deps.clock.now())
        const member = {
          image_id: id,
          member_id: memberId,
          status: 'pending',
          created_at: at,
          updated_at: at,
        }
        await tx.db.insertInto('image_members').values(member).execute()
        await updateImageRow(tx, deps.clock, row, {}) // the image's revision moves with its members
        events.emitAfterCommit(tx, 'image.member.created', { id, memberId, status: 'pending' })
        return toMember(member)
      })
    },

    async updateImageMember(ctx, id, memberId, status) {
      if (!(MEMBER_STATUSES as readonly string[]).includes(status)) {
        throw new CloudError('INVALID', `Status must be one of ${MEMBER_STATUSES.join(', ')}`, {
          details: { path: 'status' },
        })
      }
      const row = await sharedImage(ctx, id)
      policy.enforce(ctx, 'image:modify_member', imageTarget(row, { member_id: memberId }))
      // The owner shares; only the member decides whether to accept (admins may act for it).
      if (!seesAll(ctx) && memberId !== ctx.projectId) {
        throw new CloudError('FORBIDDEN', 'Only the member itself may change its membership status')
      }
      return store.transaction(async (tx) => {
        const at = isoTime(deps.clock.now())
        const updated = await tx.db
          .updateTable('image_members')
          .set({ status, updated_at: at })
          .where('image_id', '=', id)
          .where('member_id', '=', memberId)
          .returningAll()
          .executeTakeFirst()
        if (!updated) throw memberNotFound(id, memberId)
        events.emitAfterCommit(tx, 'image.member.updated', { id, memberId, status })
        return toMember(updated)
      })
    },

    async removeImageMember(ctx, id, memberId) {
      const row = await sharedImage(ctx, id)
      policy.enforce(ctx, 'image:delete_member', imageTarget(row, { member_id: memberId }))
      if (!isOwner(ctx, row))
        throw new CloudError('FORBIDDEN', 'Only the owner of an image may stop sharing it')
      await store.transaction(async (tx) => {
        const removed = await tx.db
          .deleteFrom('image_members')
          .where('image_id', '=', id)
          .where('member_id', '=', memberId)
          .executeTakeFirst()
        if (Number(removed.numDeletedRows) === 0) throw memberNotFound(id, memberId)
        await updateImageRow(tx, deps.clock, row, {}) // the image's revision moves with its members
        events.emitAfterCommit(tx, 'image.member.deleted', { id, memberId, status: 'deleted' })
      })
    },
  }
}
