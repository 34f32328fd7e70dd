import type { RequestContext } from '../core/context.js'
import type { Transaction } from '../store/types.js'
import { notFound } from './common.js'
import type { IdentityDeps } from './deps.js'
import './events.js'
import { requireGroup, toGroup } from './groups.js'
import type { Group, User } from './schemas.js'
import { requireUser, toUser } from './users.js'

/** Group membership. */
export interface GroupMembersApi {
  /** Makes a user a member (a no-op when already one). */
  addUserToGroup(ctx: RequestContext, groupId: string, userId: string): Promise<void>
  /** Ends a membership, revoking the user's tokens; `NOT_FOUND` when the user was not a member. */
  removeUserFromGroup(ctx: RequestContext, groupId: string, userId: string): Promise<void>
  /** Throws `NOT_FOUND` unless the user is a member of the group. */
  checkUserInGroup(ctx: RequestContext, groupId: string, userId: string): Promise<void>
  /** The groups a user belongs to. */
  listGroupsForUser(ctx: RequestContext, userId: string): Promise<Group[]>
  /** The members of a group. */
  listUsersInGroup(ctx: RequestContext, groupId: string): Promise<User[]>
}

const target = (row: { id: string; domain_id: string }) => ({ group_id: row.id, domain_id: row.domain_id })

/** Builds the {@link GroupMembersApi}. */
export function groupMembersApi(deps: IdentityDeps): GroupMembersApi {
  const { store, policy, events } = deps

  // Both ends must exist and policy must allow the action; then: is the user a member?
  const membership = async (
    ctx: RequestContext,
    action: string,
    tx: Pick<Transaction, 'db'>,
    groupId: string,
    userId: string,
  ) => {
    const group = await requireGroup(tx, groupId)
    await requireUser(tx, userId)
    policy.enforce(ctx, action, { ...target(group), user_id: userId })
    const row = await tx.db
      .selectFrom('identity_group_members')
      .select('user_id')
      .where('group_id', '=', groupId)
      .where('user_id', '=', userId)
      .executeTakeFirst()
    return row !== undefined
  }

  return {
    async addUserToGroup(ctx, groupId, userId) {
      await store.transaction(async (tx) => {
        if (await membership(ctx, 'identity:add_user_to_group', tx, groupId, userId)) return
        await tx.db
          .insertInto('identity_group_members')
          .values({ group_id: groupId, user_id: userId })
          .execute()
        const data = { id: groupId, userId, requestId: ctx.requestId }
        events.emitAfterCommit(tx, 'identity.group_membership.created', data)
      })
    },

    async removeUserFromGroup(ctx, groupId, userId) {
      await store.transaction(async (tx) => {
        if (!(await membership(ctx, 'identity:remove_user_from_group', tx, groupId, userId))) {
          throw notFound('group membership', `${groupId}/${userId}`)
        }
        await tx.db
          .deleteFrom('identity_group_members')
          .where('group_id', '=', groupId)
          .where('user_id', '=', userId)
          .execute()
        await deps.revoke(tx, { userId })
        const data = { id: groupId, userId, requestId: ctx.requestId }
        events.emitAfterCommit(tx, 'identity.group_membership.deleted', data)
      })
    },

    async checkUserInGroup(ctx, groupId, userId) {
      const member = await membership(ctx, 'identity:check_user_in_group', store, groupId, userId)
      if (!member) throw notFound('group membership', `${groupId}/${userId}`)
    },

    async listGroupsForUser(ctx, userId) {
      const user = await requireUser(store, userId)
      policy.enforce(ctx, 'identity:list_groups_for_user', { user_id: user.id, domain_id: user.domain_id })
      const rows = await store.db
        .selectFrom('identity_groups as g')
        .innerJoin('identity_group_members as m', 'm.group_id', 'g.id')
        .selectAll('g')
        .where('m.user_id', '=', userId)
        .orderBy('g.name')
        .execute()
      return rows.map(toGroup)
    },

    async listUsersInGroup(ctx, groupId) {
      const group = await requireGroup(store, groupId)
      policy.enforce(ctx, 'identity:list_users_in_group', target(group))
      const rows = await store.db
        .selectFrom('identity_users as u')
        .innerJoin('identity_group_members as m', 'm.user_id', 'u.id')
        .selectAll('u')
        .where('m.group_id', '=', groupId)
        .orderBy('u.name')
        .execute()
      return rows.map(toUser)
    },
  }
}
