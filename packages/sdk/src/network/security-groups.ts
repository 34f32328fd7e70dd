import { isoTime } from '../core/clock.js'
import { parseOrThrow } from '../core/errors.js'
import { paginate } from '../core/pagination.js'
import { casUpdate } from '../store/cas.js'
import type { Transaction } from '../store/types.js'
import type { NetworkApi } from './api.js'
import { applyCommonFilters, conflict, isAdmin, resourceProject, whereVisible, writeTags } from './common.js'
import { ensureDefaultGroup, ensureDefaultGroupOf, insertGroup, listedProject } from './default-group.js'
import type { NetworkDeps } from './deps.js'
import './events.js'
import { lockRows } from './locks.js'
import {
  SecurityGroupCreateSchema,
  SecurityGroupFilterSchema,
  SecurityGroupUpdateSchema,
} from './port-schemas.js'
import { securityGroupRulesApi } from './security-group-rules.js'
import { groupTarget, toGroups, visibleGroup } from './sg-rows.js'

export { ensureDefaultGroup } from './default-group.js'

/** Columns security groups may be sorted by. */
export const SECURITY_GROUP_SORT_KEYS = [
  'name',
  'description',
  'project_id',
  'stateful',
  'created_at',
  'updated_at',
]

/** Neutron reserves the name `default` (in any case) for the group it makes itself. */
function refuseDefaultName(name: string | undefined): void {
  if (name?.toLowerCase() === 'default') {
    throw conflict('SecurityGroupDefaultAlreadyExists', 'Default security group already exists.')
  }
}

/** Removes a group's rules, the rules of other groups that name it as remote group (as Neutron's cascade), tags. */
async function deleteGroupRows(deps: NetworkDeps, tx: Transaction, id: string): Promise<void> {
  const referring = await tx.db
    .selectFrom('net_security_group_rules')
    .select(['id', 'project_id', 'security_group_id'])
    .where('remote_group_id', '=', id)
    .where('security_group_id', '!=', id)
    .execute()
  for (const rule of referring) {
    deps.events.emitAfterCommit(tx, 'network.security_group_rule.deleted', {
      id: rule.id,
      projectId: rule.project_id,
      securityGroupId: rule.security_group_id,
    })
  }
  await tx.db
    .deleteFrom('net_security_group_rules')
    .where((eb) => eb.or([eb('security_group_id', '=', id), eb('remote_group_id', '=', id)]))
    .execute()
  await tx.db.deleteFrom('net_tags').where('resource_id', '=', id).execute()
  await tx.db.deleteFrom('net_security_groups').where('id', '=', id).execute()
}

/** Security groups and their rules: create (with Neutron's automatic rules), read, list, update, delete. */
export function securityGroupsApi(
  deps: NetworkDeps,
): Pick<
  NetworkApi,
  | 'createSecurityGroup'
  | 'getSecurityGroup'
  | 'listSecurityGroups'
  | 'updateSecurityGroup'
  | 'deleteSecurityGroup'
  | 'createSecurityGroupRule'
  | 'getSecurityGroupRule'
  | 'listSecurityGroupRules'
  | 'deleteSecurityGroupRule'
> {
  const { store, policy, events } = deps
  return {
    async createSecurityGroup(ctx, input) {
      const body = parseOrThrow(SecurityGroupCreateSchema, input, 'security_group')
      const projectId = resourceProject(ctx, body.projectId)
      policy.enforce(ctx, 'network:create_security_group', groupTarget({ project_id: projectId }))
      refuseDefaultName(body.name)
      return store.transaction(async (tx) => {
        // As in Neutron, the project's default group comes first, and counts against the quota like any other.
        await ensureDefaultGroup(deps, tx, projectId)
        await deps.quotas.check(tx, projectId, { security_group: 1, security_group_rule: 2 })
        const row = await insertGroup(deps, tx, {
          projectId,
          name: body.name ?? '',
          description: body.description ?? '',
          stateful: body.stateful ?? true,
          isDefault: false,
        })
        await writeTags(tx, row.id, body.tags ?? [])
        return (await toGroups(tx.db, [row]))[0]!
      })
    },

    async getSecurityGroup(ctx, id) {
      const row = await visibleGroup(store.db, ctx, id)
      policy.enforce(ctx, 'network:get_security_group', groupTarget(row))
      return (await toGroups(store.db, [row]))[0]!
    },

    async listSecurityGroups(ctx, input = {}) {
      const { limit, marker, sortKey, sortDir, ...rest } = input
      const filters = parseOrThrow(
        SecurityGroupFilterSchema.omit({ limit: true, marker: true, sortKey: true, sortDir: true }),
        rest,
        'security_group filters',
      )
      await ensureDefaultGroupOf(deps, listedProject(ctx, filters.projectId))
      let qb = applyCommonFilters(
        store.db.selectFrom('net_security_groups').selectAll(),
        'net_security_groups',
        filters,
      )
      qb = whereVisible(qb, ctx)
      if (filters.stateful !== undefined) qb = qb.where('stateful', '=', filters.stateful ? 1 : 0)
      const page = await paginate(
        qb,
        'net_security_groups',
        { limit, marker, sortKey, sortDir },
        { sortable: SECURITY_GROUP_SORT_KEYS },
      )
      return { items: await toGroups(store.db, page.items), next: page.next }
    },

    async updateSecurityGroup(ctx, id, patch) {
      const body = parseOrThrow(SecurityGroupUpdateSchema, patch, 'security_group update')
      return store.transaction(async (tx) => {
        const row = await visibleGroup(tx.db, ctx, id)
        policy.enforce(ctx, 'network:update_security_group', groupTarget(row))
        if (row.is_default === 1 && body.name !== undefined) {
          throw conflict('SecurityGroupCannotUpdateDefault', 'Updating default security group not allowed.')
        }
        refuseDefaultName(body.name)
        const updated = await casUpdate(
          tx,
          'net_security_groups',
          id,
          row.revision,
          { name: body.name ?? row.name, description: body.description ?? row.description },
          { type: 'security_group', now: isoTime(deps.clock.now()) },
        )
        events.emitAfterCommit(tx, 'network.security_group.updated', { id, projectId: row.project_id })
        return (await toGroups(tx.db, [updated]))[0]!
      })
    },

    async deleteSecurityGroup(ctx, id) {
      await store.transaction(async (tx) => {
        // Locked as a rule insert locks it, so no rule is added to a group on its way out.
        await lockRows(tx, 'net_security_groups', [id])
        const row = await visibleGroup(tx.db, ctx, id)
        policy.enforce(ctx, 'network:delete_security_group', groupTarget(row))
        const inUse = await tx.db
          .selectFrom('net_port_security_groups')
          .select('port_id')
          .where('security_group_id', '=', id)
          .executeTakeFirst()
        if (inUse) throw conflict('SecurityGroupInUse', `Security Group ${id} in use.`)
        if (row.is_default === 1 && !isAdmin(ctx)) {
          throw conflict('SecurityGroupCannotRemoveDefault', 'Removing default security group not allowed.')
        }
        // Read before the rules go: the groups whose rules name this one as remote group change too.
        await deps.dataPlane.securityGroupsChanged(tx, [id])
        await deleteGroupRows(deps, tx, id)
        events.emitAfterCommit(tx, 'network.security_group.deleted', { id, projectId: row.project_id })
      })
    },

    ...securityGroupRulesApi(deps),
  }
}
