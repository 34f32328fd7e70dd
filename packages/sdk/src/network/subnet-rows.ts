import type { Selectable } from 'kysely'
import type { RequestContext } from '../core/context.js'
import type { PolicyTarget } from '../core/policy.js'
import type { Db } from '../store/types.js'
import { bool, isAdmin, json, loadTags, notFound, resourceFields } from './common.js'
import type { Subnet } from './records.js'
import type { NetSubnetsTable } from './tables.js'

/** A row of `net_subnets`. */
export type SubnetRow = Selectable<NetSubnetsTable>

/**
 * The subnet `id` if `ctx` may see it (its own, or on a shared network; an external network's subnets stay its
 * owner's, as in Neutron), else NOT_FOUND; with its network's policy fields.
 */
export async function visibleSubnet(
  db: Db,
  ctx: RequestContext,
  id: string,
): Promise<{ row: SubnetRow; target: PolicyTarget }> {
  let qb = db
    .selectFrom('net_subnets')
    .innerJoin('net_networks', 'net_networks.id', 'net_subnets.network_id')
    .selectAll('net_subnets')
    .select(['net_networks.project_id as network_owner', 'net_networks.shared'])
    .where('net_subnets.id', '=', id)
  if (!isAdmin(ctx)) {
    qb = qb.where((eb) =>
      eb.or([eb('net_subnets.project_id', '=', ctx.projectId ?? ''), eb('net_networks.shared', '=', 1)]),
    )
  }
  const found = await qb.executeTakeFirst()
  if (!found) throw notFound('subnet', id)
  const { network_owner, shared, ...row } = found
  return {
    row,
    target: { project_id: row.project_id, network_owner, shared: bool(shared) },
  }
}

/** Records of subnet rows. */
export async function toSubnets(db: Db, rows: readonly SubnetRow[]): Promise<Subnet[]> {
  const tags = await loadTags(
    db,
    rows.map((row) => row.id),
  )
  return rows.map((row) => ({
    ...resourceFields(row, tags.get(row.id) ?? []),
    networkId: row.network_id,
    name: row.name,
    description: row.description,
    ipVersion: row.ip_version === 6 ? 6 : 4,
    cidr: row.cidr,
    gatewayIp: row.gateway_ip,
    allocationPools: json(row.allocation_pools),
    enableDhcp: bool(row.enable_dhcp),
    dnsNameservers: json(row.dns_nameservers),
    hostRoutes: json(row.host_routes),
    ipv6AddressMode: row.ipv6_address_mode,
    ipv6RaMode: row.ipv6_ra_mode,
    subnetpoolId: row.subnetpool_id,
  }))
}
