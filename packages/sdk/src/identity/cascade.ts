import type { Transaction } from '../store/types.js'
import './auth-tables.js'
import { chunks } from './common.js'

// What goes with a deleted resource, in the caller's transaction, so no grant or membership outlives what it
// names. Keystone does the same through its notification callbacks; here it is one transaction.

/** Deletes users' memberships, grants, password history, application credentials and credentials. */
export async function deleteUserDependents(tx: Transaction, userIds: readonly string[]): Promise<void> {
  for (const ids of chunks(userIds)) {
    if (ids.length === 0) continue
    await tx.db.deleteFrom('identity_group_members').where('user_id', 'in', ids).execute()
    await deleteActorGrants(tx, 'user', ids)
    await tx.db.deleteFrom('identity_password_history').where('user_id', 'in', ids).execute()
    await tx.db.deleteFrom('identity_app_credentials').where('user_id', 'in', ids).execute()
    await tx.db.deleteFrom('identity_credentials').where('user_id', 'in', ids).execute()
  }
}

/** Deletes groups' memberships and grants. */
export async function deleteGroupDependents(tx: Transaction, groupIds: readonly string[]): Promise<void> {
  for (const ids of chunks(groupIds)) {
    if (ids.length === 0) continue
    await tx.db.deleteFrom('identity_group_members').where('group_id', 'in', ids).execute()
    await deleteActorGrants(tx, 'group', ids)
  }
}

/** Deletes projects' tags, the grants on them and the application credentials scoped to them. */
export async function deleteProjectDependents(tx: Transaction, projectIds: readonly string[]): Promise<void> {
  for (const ids of chunks(projectIds)) {
    if (ids.length === 0) continue
    await tx.db.deleteFrom('identity_project_tags').where('project_id', 'in', ids).execute()
    await tx.db
      .deleteFrom('identity_assignments')
      .where('target_type', '=', 'project')
      .where('target_id', 'in', ids)
      .execute()
    await tx.db.deleteFrom('identity_app_credentials').where('project_id', 'in', ids).execute()
  }
}

/** Deletes roles' grants and the implication rules that name them. */
export async function deleteRoleDependents(tx: Transaction, roleIds: readonly string[]): Promise<void> {
  for (const ids of chunks(roleIds)) {
    if (ids.length === 0) continue
    await tx.db.deleteFrom('identity_assignments').where('role_id', 'in', ids).execute()
    await tx.db
      .deleteFrom('identity_implied_roles')
      .where((eb) => eb.or([eb('prior_role_id', 'in', ids), eb('implied_role_id', 'in', ids)]))
      .execute()
  }
}

/** The users who hold `roleIds` directly or through a group, for revoking their tokens. */
export async function holdersOf(tx: Transaction, roleIds: readonly string[]): Promise<string[]> {
  if (roleIds.length === 0) return []
  const direct = await tx.db
    .selectFrom('identity_assignments')
    .select('actor_id as user_id')
    .where('actor_type', '=', 'user')
    .where('role_id', 'in', roleIds)
    .execute()
  const viaGroups = await tx.db
    .selectFrom('identity_group_members as m')
    .innerJoin('identity_assignments as a', (join) =>
      join.onRef('a.actor_id', '=', 'm.group_id').on('a.actor_type', '=', 'group'),
    )
    .select('m.user_id')
    .where('a.role_id', 'in', roleIds)
    .execute()
  return [...new Set([...direct, ...viaGroups].map((row) => row.user_id))]
}

/** The members of a group. */
export async function membersOf(tx: Pick<Transaction, 'db'>, groupId: string): Promise<string[]> {
  const rows = await tx.db
    .selectFrom('identity_group_members')
    .select('user_id')
    .where('group_id', '=', groupId)
    .execute()
  return rows.map((row) => row.user_id)
}

async function deleteActorGrants(tx: Transaction, type: 'user' | 'group', ids: string[]): Promise<void> {
  await tx.db
    .deleteFrom('identity_assignments')
    .where('actor_type', '=', type)
    .where('actor_id', 'in', ids)
    .execute()
}
