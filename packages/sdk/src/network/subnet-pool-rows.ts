import type { Selectable } from 'kysely'
import type { RequestContext } from '../core/context.js'
import type { PolicyTarget } from '../core/policy.js'
import type { Db, Transaction } from '../store/types.js'
import { bool, invalidInput, json, loadTags, notFound, resourceFields, whereVisible } from './common.js'
import { lockName } from './locks.js'
import type { SubnetPool } from './records.js'
import type { NetSubnetPoolsTable } from './tables.js'

/** A row of `net_subnet_pools`. */
export type SubnetPoolRow = Selectable<NetSubnetPoolsTable>

/** The policy target of a subnet pool. */
export function subnetPoolTarget(row: Pick<SubnetPoolRow, 'project_id' | 'shared'>): PolicyTarget {
  return { project_id: row.project_id, shared: bool(row.shared), external: false }
}

/** The pool `id` if `ctx` may see it (its own or shared; any for admins), else NOT_FOUND. */
export async function visibleSubnetPool(db: Db, ctx: RequestContext, id: string): Promise<SubnetPoolRow> {
  const qb = db.selectFrom('net_subnet_pools').selectAll().where('id', '=', id)
  const row = await whereVisible(qb, ctx, ['shared']).executeTakeFirst()
  if (!row) throw notFound('subnetpool', id)
  return row
}

/** Records of pool rows, with their tags in one query. */
export async function toSubnetPools(db: Db, rows: readonly SubnetPoolRow[]): Promise<SubnetPool[]> {
  const tags = await loadTags(
    db,
    rows.map((row) => row.id),
  )
  return rows.map((row) => ({
    ...resourceFields(row, tags.get(row.id) ?? []),
    name: row.name,
    description: row.description,
    ipVersion: row.ip_version === 6 ? 6 : 4,
    prefixes: json<string[]>(row.prefixes),
    defaultPrefixlen: row.default_prefixlen,
    minPrefixlen: row.min_prefixlen,
    maxPrefixlen: row.max_prefixlen,
    shared: bool(row.shared),
    isDefault: bool(row.is_default),
  }))
}

/** Neutron keeps one default pool per IP version, and says so with a 400. */
export async function refuseSecondDefault(tx: Transaction, version: 4 | 6, except?: string): Promise<void> {
  // Two administrators setting a default at once would both see none without the lock.
  await lockName(tx, `net_subnet_pools:default:${version}`)
  const other = await tx.db
    .selectFrom('net_subnet_pools')
    .select('id')
    .where('ip_version', '=', version)
    .where('is_default', '=', 1)
    .where('id', '!=', except ?? '')
    .executeTakeFirst()
  if (other) {
    throw invalidInput(
      'A default subnetpool for this IP family has already been set. Only one default may exist per IP family',
      'isDefault',
    )
  }
}
