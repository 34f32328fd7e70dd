import type { Selectable } from 'kysely'
import type { RequestContext } from '../core/context.js'
import type { PolicyTarget } from '../core/policy.js'
import type { Db } from '../store/types.js'
import { bool, isAdmin, loadTags, notFound, resourceFields, whereVisible } from './common.js'
import type { SecurityGroup, SecurityGroupRule } from './records.js'
import type { NetSecurityGroupRulesTable, NetSecurityGroupsTable } from './tables.js'

/** A row of `net_security_groups`. */
export type GroupRow = Selectable<NetSecurityGroupsTable>
/** A row of `net_security_group_rules`. */
export type RuleRow = Selectable<NetSecurityGroupRulesTable>

/** The policy target of a group or rule. Groups are never shared here (Neutron shares them through RBAC only). */
export function groupTarget(row: Pick<GroupRow, 'project_id'>): PolicyTarget {
  return { project_id: row.project_id, shared: false }
}

/** The group `id` if `ctx` may see it (its project's; any for admins), else NOT_FOUND. */
export async function visibleGroup(db: Db, ctx: RequestContext, id: string): Promise<GroupRow> {
  const qb = db.selectFrom('net_security_groups').selectAll().where('id', '=', id)
  const row = await whereVisible(qb, ctx).executeTakeFirst()
  if (!row) throw notFound('security_group', id)
  return row
}

/** The rule `id` if `ctx` may see it (its own, or one of a group of its project; any for admins), else NOT_FOUND. */
export async function visibleRule(db: Db, ctx: RequestContext, id: string): Promise<RuleRow> {
  let qb = db
    .selectFrom('net_security_group_rules')
    .innerJoin('net_security_groups', 'net_security_groups.id', 'net_security_group_rules.security_group_id')
    .selectAll('net_security_group_rules')
    .where('net_security_group_rules.id', '=', id)
  if (!isAdmin(ctx)) {
    const project = ctx.projectId ?? ''
    qb = qb.where((eb) =>
      eb.or([
        eb('net_security_group_rules.project_id', '=', project),
        eb('net_security_groups.project_id', '=', project),
      ]),
    )
  }
  const row = await qb.executeTakeFirst()
  if (!row) throw notFound('security_group_rule', id)
  return row
}

/** The record of a rule row. */
export function toRule(row: RuleRow): SecurityGroupRule {
  return {
    id: row.id,
    projectId: row.project_id,
    securityGroupId: row.security_group_id,
    direction: row.direction === 'egress' ? 'egress' : 'ingress',
    ethertype: row.ethertype === 'IPv6' ? 'IPv6' : 'IPv4',
    protocol: row.protocol,
    portRangeMin: row.port_range_min === null ? null : Number(row.port_range_min),
    portRangeMax: row.port_range_max === null ? null : Number(row.port_range_max),
    remoteIpPrefix: row.remote_ip_prefix,
    remoteGroupId: row.remote_group_id,
    description: row.description,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    revisionNumber: row.revision,
  }
}

/** Records of group rows, with their rules and tags in two queries. */
export async function toGroups(db: Db, rows: readonly GroupRow[]): Promise<SecurityGroup[]> {
  const ids = rows.map((row) => row.id)
  const tags = await loadTags(db, ids)
  const rules = new Map<string, SecurityGroupRule[]>(ids.map((id) => [id, []]))
  if (ids.length > 0) {
    const ruleRows = await db
      .selectFrom('net_security_group_rules')
      .selectAll()
      .where('security_group_id', 'in', ids)
      .orderBy('created_at')
      .orderBy('id')
      .execute()
    for (const rule of ruleRows) rules.get(rule.security_group_id)?.push(toRule(rule))
  }
  return rows.map((row) => ({
    ...resourceFields(row, tags.get(row.id) ?? []),
    name: row.name,
    description: row.description,
    stateful: bool(row.stateful),
    securityGroupRules: rules.get(row.id) ?? [],
  }))
}
