import { sql } from 'kysely'
import { isoTime } from '../core/clock.js'
import type { RequestContext } from '../core/context.js'
import { newId } from '../core/ids.js'
import { newResourceColumns } from '../store/cas.js'
import { preparedStatement } from '../store/prepared.js'
import type { Db, Dialect, Transaction } from '../store/types.js'
import { isAdmin } from './common.js'
import type { NetworkDeps } from './deps.js'
import './events.js'
import { lockName } from './locks.js'
import type { GroupRow, RuleRow } from './sg-rows.js'

// Every project has one `default` security group, made on first use as Neutron makes it: egress anywhere over IPv4
// and IPv6, and ingress from the group's own members. Other groups get the egress rules only.

/** Neutron's description of a project's default group. */
export const DEFAULT_GROUP_DESCRIPTION = 'Default security group'

/** What a new group is made of. */
export interface NewGroup {
  projectId: string
  name: string
  description: string
  stateful: boolean
  isDefault: boolean
}

/** Inserts a group with Neutron's automatic rules and announces it once the transaction commits. */
export async function insertGroup(deps: NetworkDeps, tx: Transaction, group: NewGroup): Promise<GroupRow> {
  const id = newId<'security_group'>()
  const now = isoTime(deps.clock.now())
  const row: GroupRow = {
    ...newResourceColumns(id, now),
    project_id: group.projectId,
    name: group.name,
    description: group.description,
    stateful: group.stateful ? 1 : 0,
    is_default: group.isDefault ? 1 : 0,
  }
  await tx.db.insertInto('net_security_groups').values(row).execute()
  const rule = (direction: 'ingress' | 'egress', ethertype: 'IPv4' | 'IPv6'): RuleRow => ({
    ...newResourceColumns(newId<'security_group_rule'>(), now),
    project_id: group.projectId,
    security_group_id: id,
    direction,
    ethertype,
    protocol: null,
    port_range_min: null,
    port_range_max: null,
    remote_ip_prefix: null,
    remote_group_id: direction === 'ingress' ? id : null,
    description: '',
  })
  const rules = (['IPv4', 'IPv6'] as const).flatMap((ethertype) =>
    group.isDefault ? [rule('ingress', ethertype), rule('egress', ethertype)] : [rule('egress', ethertype)],
  )
  await tx.db.insertInto('net_security_group_rules').values(rules).execute()
  deps.events.emitAfterCommit(tx, 'network.security_group.created', { id, projectId: group.projectId })
  return row
}

/** The id of `projectId`'s default group, if it has one yet. */
export async function findDefaultGroup(
  target: { db: Db; dialect: Dialect },
  projectId: string,
): Promise<string | undefined> {
  return (await defaultGroupOf(target, projectId)).rows[0]?.id
}

// Compiled once: every port create with port security looks its project's default group up.
const defaultGroupOf = preparedStatement((db, projectId: string) =>
  db
    .selectFrom('net_security_groups')
    .select('id')
    .where('project_id', '=', projectId)
    .where('is_default', '=', sql.lit(1)),
)

/**
 * The id of `projectId`'s `default` group, made in `tx` with Neutron's default rules when missing. Two control
 * planes making it at once serialize on a lock named after the project, and the second finds the first's group.
 * Quotas are not checked: the group is the system's doing, not the caller's.
 */
export async function ensureDefaultGroup(
  deps: NetworkDeps,
  tx: Transaction,
  projectId: string,
): Promise<string> {
  const found = await findDefaultGroup(tx, projectId)
  if (found) return found
  await lockName(tx, `net_security_groups:default:${projectId}`)
  const raced = await findDefaultGroup(tx, projectId)
  if (raced) return raced
  const row = await insertGroup(deps, tx, {
    projectId,
    name: 'default',
    description: DEFAULT_GROUP_DESCRIPTION,
    stateful: true,
    isDefault: true,
  })
  return row.id
}

/** {@link ensureDefaultGroup} for a read path: a write transaction is opened only when the group is missing. */
export async function ensureDefaultGroupOf(deps: NetworkDeps, projectId: string | undefined): Promise<void> {
  if (projectId === undefined || (await findDefaultGroup(deps.store, projectId))) return
  await deps.store.transaction((tx) => ensureDefaultGroup(deps, tx, projectId))
}

/** The project whose default group a list makes first: the one filtered on (for admins), else the caller's. */
export function listedProject(
  ctx: RequestContext,
  projectId: string | string[] | undefined,
): string | undefined {
  if (typeof projectId === 'string' && (isAdmin(ctx) || projectId === ctx.projectId)) return projectId
  return ctx.projectId
}
