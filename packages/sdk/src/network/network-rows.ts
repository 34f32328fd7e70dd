import type { Selectable } from 'kysely'
import type { RequestContext } from '../core/context.js'
import type { PolicyTarget } from '../core/policy.js'
import type { Db, Transaction } from '../store/types.js'
import { bool, loadTags, notFound, resourceFields, whereVisible } from './common.js'
import type { Network } from './records.js'
import type { NetworkType } from './spi.js'
import type { NetNetworksTable } from './tables.js'

/** A row of `net_networks`. */
export type NetworkRow = Selectable<NetNetworksTable>

/** The policy target of a network. */
export function networkTarget(row: Pick<NetworkRow, 'project_id' | 'shared' | 'external'>): PolicyTarget {
  return { project_id: row.project_id, shared: bool(row.shared), external: bool(row.external) }
}

/** The network `id` if `ctx` may see it (its own, shared or external; any for admins), else NOT_FOUND. */
export async function visibleNetwork(db: Db, ctx: RequestContext, id: string): Promise<NetworkRow> {
  const qb = db.selectFrom('net_networks').selectAll().where('id', '=', id)
  const row = await whereVisible(qb, ctx, ['shared', 'external']).executeTakeFirst()
  if (!row) throw notFound('network', id)
  return row
}

/** The network row `id` whoever asks; NOT_FOUND when absent. For service-internal lookups. */
export async function networkRow(db: Db | Transaction['db'], id: string): Promise<NetworkRow> {
  const row = await db.selectFrom('net_networks').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row) throw notFound('network', id)
  return row
}

/** Records of network rows, with subnets and tags in two queries. */
export async function toNetworks(db: Db, rows: readonly NetworkRow[]): Promise<Network[]> {
  const ids = rows.map((row) => row.id)
  const tags = await loadTags(db, ids)
  const subnets = new Map<string, string[]>(ids.map((id) => [id, []]))
  if (ids.length > 0) {
    const subnetRows = await db
      .selectFrom('net_subnets')
      .select(['id', 'network_id'])
      .where('network_id', 'in', ids)
      .orderBy('id')
      .execute()
    for (const subnet of subnetRows) subnets.get(subnet.network_id)?.push(subnet.id)
  }
  return rows.map((row) => ({
    ...resourceFields(row, tags.get(row.id) ?? []),
    name: row.name,
    description: row.description,
    adminStateUp: bool(row.admin_state_up),
    status: 'ACTIVE',
    shared: bool(row.shared),
    external: bool(row.external),
    mtu: row.mtu,
    portSecurityEnabled: bool(row.port_security),
    networkType: row.network_type as NetworkType,
    physicalNetwork: row.physical_network === '' ? null : row.physical_network,
    segmentationId:
      row.network_type === 'flat' || row.segmentation_id === null ? null : Number(row.segmentation_id),
    subnets: subnets.get(row.id) ?? [],
  }))
}
