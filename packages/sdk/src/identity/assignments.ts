import type { RequestContext } from '../core/context.js'
import { CloudError, parseOrThrow } from '../core/errors.js'
import type { Transaction } from '../store/types.js'
import { membersOf } from './cascade.js'
import { notFound } from './common.js'
import type { IdentityDeps } from './deps.js'
import { requireDomain } from './domains.js'
import type { AssignmentEvent } from './events.js'
import { requireGroup } from './groups.js'
import { requireProject } from './project-rows.js'
import { listAssignments } from './role-assignments.js'
import {
  type AssignmentFilters,
  type Grant,
  GrantSchema,
  type Role,
  type RoleAssignment,
} from './role-schemas.js'
import type { AssignmentsTable } from './role-tables.js'
import { GLOBAL } from './role-tables.js'
import { requireRole, toRole } from './roles.js'
import { requireUser } from './users.js'

export { type EffectiveRole, effectiveRoles, type RoleScope } from './effective-roles.js'

/** Role grants and the queries over them. */
export interface AssignmentsApi {
  /** Grants a role to a user or group on a project, a domain or the system; granting twice is a no-op. */
  grantRole(ctx: RequestContext, grant: Grant): Promise<void>
  /** Removes a grant (`NOT_FOUND` when there is none) and revokes the tokens it backed. */
  revokeRole(ctx: RequestContext, grant: Grant): Promise<void>
  /** Throws `NOT_FOUND` unless exactly this grant exists (direct, not through groups or inheritance). */
  checkRole(ctx: RequestContext, grant: Grant): Promise<void>
  /** The roles granted directly to one actor on one target (`GET /v3/projects/{p}/users/{u}/roles`). */
  listGrants(ctx: RequestContext, grant: Omit<Grant, 'roleId'>): Promise<Role[]>
  /** Keystone's `/v3/role_assignments`, including its `effective`, `include_subtree` and `include_names`. */
  listRoleAssignments(ctx: RequestContext, filters?: AssignmentFilters): Promise<RoleAssignment[]>
}

/** A grant as stored: actor, target and role. */
type Stored = AssignmentsTable

type ParsedGrant = ReturnType<typeof GrantSchema.parse>

/** Builds the {@link AssignmentsApi}. */
export function assignmentsApi(deps: IdentityDeps): AssignmentsApi {
  const { store, policy, events } = deps

  // Checks that actor, target and role exist and that policy allows `verb`; returns the row the grant is.
  const resolve = async (
    ctx: RequestContext,
    verb: 'create' | 'revoke' | 'check' | 'list',
    tx: Pick<Transaction, 'db'>,
    g: Omit<ParsedGrant, 'roleId'> & { roleId?: string },
  ) => {
    const role = g.roleId === undefined ? undefined : await requireRole(tx, g.roleId)
    if (g.userId) await requireUser(tx, g.userId)
    if (g.groupId) await requireGroup(tx, g.groupId)
    const domainId = g.projectId ? (await requireProject(tx, g.projectId)).domain_id : g.domainId
    if (g.domainId) await requireDomain(tx, g.domainId)
    if (role && role.domain_id !== GLOBAL && role.domain_id !== domainId) {
      throw new CloudError(
        'INVALID',
        `Role ${role.id} of domain ${role.domain_id} cannot be granted outside it.`,
      )
    }
    const action = `identity:${verb}${g.system ? '_system' : ''}_grant${verb === 'list' ? 's' : ''}`
    policy.enforce(ctx, action, {
      domain_id: domainId,
      project_id: g.projectId,
      user_id: g.userId,
      group_id: g.groupId,
      role_id: g.roleId,
    })
    const row: Stored = {
      actor_type: g.userId ? 'user' : 'group',
      actor_id: (g.userId ?? g.groupId)!,
      target_type: g.projectId ? 'project' : g.domainId ? 'domain' : 'system',
      target_id: (g.projectId ?? g.domainId ?? 'all')!,
      role_id: g.roleId ?? '',
      inherited: g.inherited ? 1 : 0,
    }
    return row
  }

  // A grant is its whole row: every column must match.
  const find = (tx: Pick<Transaction, 'db'>, row: Stored) =>
    tx.db
      .selectFrom('identity_assignments')
      .select('role_id')
      .where((eb) => eb.and({ ...row }))
      .executeTakeFirst()

  const eventOf = (g: ParsedGrant, requestId: string): AssignmentEvent & { requestId: string } => ({
    id: g.roleId,
    roleId: g.roleId,
    ...(g.userId && { userId: g.userId }),
    ...(g.groupId && { groupId: g.groupId }),
    ...(g.projectId && { projectId: g.projectId }),
    ...(g.domainId && { domainId: g.domainId }),
    ...(g.system && { system: g.system }),
    inherited: g.inherited === true,
    requestId,
  })

  return {
    async grantRole(ctx, grant) {
      const g = parseOrThrow(GrantSchema, grant, 'grant')
      await store.transaction(async (tx) => {
        const row = await resolve(ctx, 'create', tx, g)
        if (await find(tx, row)) return
        await tx.db.insertInto('identity_assignments').values(row).execute()
        events.emitAfterCommit(tx, 'identity.role_assignment.created', eventOf(g, ctx.requestId))
      })
    },

    async revokeRole(ctx, grant) {
      const g = parseOrThrow(GrantSchema, grant, 'grant')
      await store.transaction(async (tx) => {
        const row = await resolve(ctx, 'revoke', tx, g)
        if (!(await find(tx, row))) throw notFound('role assignment', g.roleId)
        await tx.db
          .deleteFrom('identity_assignments')
          .where((eb) => eb.and({ ...row }))
          .execute()
        // Tokens of the users this grant reached, on its target, stop carrying the role.
        const users = g.userId ? [g.userId] : await membersOf(tx, g.groupId!)
        for (const userId of users) {
          await deps.revoke(tx, {
            userId,
            roleId: g.roleId,
            ...(g.projectId && { projectId: g.projectId }),
            ...(g.domainId && { domainId: g.domainId }),
          })
        }
        events.emitAfterCommit(tx, 'identity.role_assignment.deleted', eventOf(g, ctx.requestId))
      })
    },

    async checkRole(ctx, grant) {
      const g = parseOrThrow(GrantSchema, grant, 'grant')
      const row = await resolve(ctx, 'check', store, g)
      if (!(await find(store, row))) throw notFound('role assignment', g.roleId)
    },

    async listGrants(ctx, grant) {
      // The grant schema checks actor and target; the role it requires is not part of this query.
      const { roleId: _, ...g } = parseOrThrow(GrantSchema, { ...grant, roleId: '-' }, 'grant')
      const row = await resolve(ctx, 'list', store, g)
      const roles = await store.db
        .selectFrom('identity_roles as r')
        .innerJoin('identity_assignments as a', 'a.role_id', 'r.id')
        .selectAll('r')
        .where('a.actor_type', '=', row.actor_type)
        .where('a.actor_id', '=', row.actor_id)
        .where('a.target_type', '=', row.target_type)
        .where('a.target_id', '=', row.target_id)
        .where('a.inherited', '=', row.inherited)
        .orderBy('r.name')
        .execute()
      return roles.map(toRole)
    },

    listRoleAssignments: (ctx, filters = {}) => listAssignments(deps, ctx, filters),
  }
}
