import { isoTime } from '../core/clock.js'
import { parseOrThrow } from '../core/errors.js'
import { newId } from '../core/ids.js'
import { paginate } from '../core/pagination.js'
import { newResourceColumns } from '../store/cas.js'
import type { Transaction } from '../store/types.js'
import type { NetworkApi } from './api.js'
import { anyOf, applyCommonFilters, conflict, invalidInput, isAdmin } from './common.js'
import { ensureDefaultGroupOf, listedProject } from './default-group.js'
import type { NetworkDeps } from './deps.js'
import './events.js'
import { lockRows } from './locks.js'
import { SecurityGroupRuleCreateSchema, SecurityGroupRuleFilterSchema } from './port-schemas.js'
import { groupTarget, type RuleRow, toRule, visibleGroup, visibleRule } from './sg-rows.js'
import { type CheckedRule, checkRule, ruleKey } from './sg-rule-checks.js'

/** Columns rules may be sorted by. */
export const SECURITY_GROUP_RULE_SORT_KEYS = [
  'security_group_id',
  'project_id',
  'direction',
  'ethertype',
  'protocol',
  'port_range_min',
  'port_range_max',
  'remote_ip_prefix',
  'remote_group_id',
  'created_at',
  'updated_at',
]

/** `CONFLICT` when the group already has a rule that is the same once normalized, naming that rule. */
async function refuseDuplicate(tx: Transaction, groupId: string, rule: CheckedRule): Promise<void> {
  const key = ruleKey(rule)
  const rows = await tx.db
    .selectFrom('net_security_group_rules')
    .selectAll()
    .where('security_group_id', '=', groupId)
    .execute()
  const same = rows.map(toRule).find((other) => ruleKey(other) === key)
  if (same) {
    throw conflict('SecurityGroupRuleExists', `Security group rule already exists. Rule id is ${same.id}.`, {
      ruleId: same.id,
    })
  }
}

/** Security group rules: create (checked as Neutron checks them), read, list, delete. */
export function securityGroupRulesApi(
  deps: NetworkDeps,
): Pick<
  NetworkApi,
  'createSecurityGroupRule' | 'getSecurityGroupRule' | 'listSecurityGroupRules' | 'deleteSecurityGroupRule'
> {
  const { store, policy, events } = deps
  return {
    async createSecurityGroupRule(ctx, input) {
      const body = parseOrThrow(SecurityGroupRuleCreateSchema, input, 'security_group_rule')
      const rule = checkRule(body)
      return store.transaction(async (tx) => {
        // With the groups locked, a duplicate made meanwhile or a group deleted meanwhile cannot slip past the checks.
        await lockRows(tx, 'net_security_groups', [
          body.securityGroupId,
          ...(rule.remoteGroupId ? [rule.remoteGroupId] : []),
        ])
        const group = await visibleGroup(tx.db, ctx, body.securityGroupId)
        const projectId = group.project_id
        policy.enforce(
          ctx,
          'network:create_security_group_rule',
          groupTarget({ project_id: body.projectId ?? projectId }),
        )
        if (body.projectId !== undefined && body.projectId !== projectId) {
          throw invalidInput(
            `A rule of security group ${group.id} belongs to project ${projectId}`,
            'projectId',
          )
        }
        if (rule.remoteGroupId) await visibleGroup(tx.db, ctx, rule.remoteGroupId)
        await refuseDuplicate(tx, group.id, rule)
        await deps.quotas.check(tx, projectId, { security_group_rule: 1 })
        const id = newId<'security_group_rule'>()
        const row: RuleRow = {
          ...newResourceColumns(id, isoTime(deps.clock.now())),
          project_id: projectId,
          security_group_id: group.id,
          direction: rule.direction,
          ethertype: rule.ethertype,
          protocol: rule.protocol,
          port_range_min: rule.portRangeMin,
          port_range_max: rule.portRangeMax,
          remote_ip_prefix: rule.remoteIpPrefix,
          remote_group_id: rule.remoteGroupId,
          description: body.description ?? '',
        }
        await tx.db.insertInto('net_security_group_rules').values(row).execute()
        await deps.dataPlane.securityGroupsChanged(tx, [group.id])
        events.emitAfterCommit(tx, 'network.security_group_rule.created', {
          id,
          projectId,
          securityGroupId: group.id,
        })
        return toRule(row)
      })
    },

    async getSecurityGroupRule(ctx, id) {
      const row = await visibleRule(store.db, ctx, id)
      policy.enforce(ctx, 'network:get_security_group_rule', groupTarget(row))
      return toRule(row)
    },

    async listSecurityGroupRules(ctx, input = {}) {
      const { limit, marker, sortKey, sortDir, ...rest } = input
      const filters = parseOrThrow(
        SecurityGroupRuleFilterSchema.omit({ limit: true, marker: true, sortKey: true, sortDir: true }),
        rest,
        'security_group_rule filters',
      )
      const { name, ...common } = filters
      if (name !== undefined) throw invalidInput('Security group rules have no name to filter on.', 'name')
      // Neutron makes the default group before listing rules too, so its rules show on first use.
      await ensureDefaultGroupOf(deps, listedProject(ctx, filters.projectId))
      let qb = applyCommonFilters(
        store.db.selectFrom('net_security_group_rules').selectAll(),
        'net_security_group_rules',
        common,
      )
      if (!isAdmin(ctx)) {
        const project = ctx.projectId ?? ''
        qb = qb.where((eb) =>
          eb.or([
            eb('project_id', '=', project),
            eb(
              'security_group_id',
              'in',
              eb.selectFrom('net_security_groups').select('id').where('project_id', '=', project),
            ),
          ]),
        )
      }
      if (filters.securityGroupId !== undefined) {
        qb = qb.where('security_group_id', 'in', anyOf(filters.securityGroupId))
      }
      if (filters.direction !== undefined) qb = qb.where('direction', '=', filters.direction)
      if (filters.ethertype !== undefined) qb = qb.where('ethertype', '=', filters.ethertype)
      if (filters.protocol !== undefined) qb = qb.where('protocol', '=', filters.protocol)
      if (filters.remoteGroupId !== undefined) qb = qb.where('remote_group_id', '=', filters.remoteGroupId)
      const page = await paginate(
        qb,
        'net_security_group_rules',
        { limit, marker, sortKey, sortDir },
        { sortable: SECURITY_GROUP_RULE_SORT_KEYS },
      )
      return { items: page.items.map(toRule), next: page.next }
    },

    async deleteSecurityGroupRule(ctx, id) {
      await store.transaction(async (tx) => {
        const row = await visibleRule(tx.db, ctx, id)
        policy.enforce(ctx, 'network:delete_security_group_rule', groupTarget(row))
        await tx.db.deleteFrom('net_security_group_rules').where('id', '=', id).execute()
        await deps.dataPlane.securityGroupsChanged(tx, [row.security_group_id])
        events.emitAfterCommit(tx, 'network.security_group_rule.deleted', {
          id,
          projectId: row.project_id,
          securityGroupId: row.security_group_id,
        })
      })
    },
  }
}
