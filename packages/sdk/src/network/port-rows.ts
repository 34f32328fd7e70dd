import type { Selectable } from 'kysely'
import type { RequestContext } from '../core/context.js'
import type { PolicyTarget } from '../core/policy.js'
import type { Db } from '../store/types.js'
import { bool, isAdmin, json, loadTags, notFound, resourceFields } from './common.js'
import type { PortEvent } from './events.js'
import type { FixedIp, Port } from './records.js'
import type { NetPortsTable } from './tables.js'

/** A row of `net_ports`. */
export type PortRow = Selectable<NetPortsTable>

/** The port `id` if `ctx` may see it (its own, or on a network of its project), else NOT_FOUND. */
export async function visiblePort(
  db: Db,
  ctx: RequestContext,
  id: string,
): Promise<{ row: PortRow; target: PolicyTarget }> {
  let qb = db
    .selectFrom('net_ports')
    .innerJoin('net_networks', 'net_networks.id', 'net_ports.network_id')
    .selectAll('net_ports')
    .select('net_networks.project_id as network_owner')
    .where('net_ports.id', '=', id)
  if (!isAdmin(ctx)) {
    qb = qb.where((eb) =>
      eb.or([
        eb('net_ports.project_id', '=', ctx.projectId ?? ''),
        eb('net_networks.project_id', '=', ctx.projectId ?? ''),
      ]),
    )
  }
  const found = await qb.executeTakeFirst()
  if (!found) throw notFound('port', id)
  const { network_owner, ...row } = found
  return { row, target: { project_id: row.project_id, network_owner, device_owner: row.device_owner } }
}

/** Fixed IPs of many ports in one query, in allocation order. */
export async function loadFixedIps(db: Db, portIds: readonly string[]): Promise<Map<string, FixedIp[]>> {
  const out = new Map<string, FixedIp[]>(portIds.map((id) => [id, []]))
  if (portIds.length === 0) return out
  const rows = await db
    .selectFrom('net_ip_allocations')
    .select(['port_id', 'subnet_id', 'ip_address'])
    .where('port_id', 'in', portIds)
    .execute()
  for (const row of rows) out.get(row.port_id)?.push({ subnetId: row.subnet_id, ipAddress: row.ip_address })
  return out
}

/** Security groups of many ports in one query. */
export async function loadPortGroups(db: Db, portIds: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(portIds.map((id) => [id, []]))
  if (portIds.length === 0) return out
  const rows = await db
    .selectFrom('net_port_security_groups')
    .select(['port_id', 'security_group_id'])
    .where('port_id', 'in', portIds)
    .orderBy('security_group_id')
    .execute()
  for (const row of rows) out.get(row.port_id)?.push(row.security_group_id)
  return out
}

/** Records of port rows: fixed IPs, groups and tags in three queries. */
export async function toPorts(db: Db, rows: readonly PortRow[]): Promise<Port[]> {
  const ids = rows.map((row) => row.id)
  const [ips, groups, tags] = await Promise.all([
    loadFixedIps(db, ids),
    loadPortGroups(db, ids),
    loadTags(db, ids),
  ])
  return rows.map((row) =>
    portRecord(row, ips.get(row.id) ?? [], groups.get(row.id) ?? [], tags.get(row.id) ?? []),
  )
}

/** The record of one port from its row and what the other tables hold for it. */
export function portRecord(row: PortRow, fixedIps: FixedIp[], groups: string[], tags: string[]): Port {
  return {
    ...resourceFields(row, tags),
    networkId: row.network_id,
    name: row.name,
    description: row.description,
    adminStateUp: bool(row.admin_state_up),
    status: row.status as Port['status'],
    macAddress: row.mac_address,
    fixedIps: fixedIps,
    deviceOwner: row.device_owner,
    deviceId: row.device_id,
    bindingHostId: row.binding_host_id,
    bindingVifType: row.binding_vif_type,
    bindingVifDetails: json(row.binding_vif_details),
    bindingVnicType: row.binding_vnic_type,
    bindingProfile: json(row.binding_profile),
    portSecurityEnabled: bool(row.port_security),
    securityGroups: groups,
    allowedAddressPairs: json(row.allowed_address_pairs),
  }
}

/** The payload of a `network.port.*` event. */
export function portEvent(
  row: Pick<
    PortRow,
    'id' | 'project_id' | 'network_id' | 'device_id' | 'status' | 'binding_host_id' | 'binding_vif_type'
  >,
): PortEvent {
  return {
    id: row.id,
    projectId: row.project_id,
    networkId: row.network_id,
    deviceId: row.device_id,
    status: row.status,
    bindingHostId: row.binding_host_id,
    bindingVifType: row.binding_vif_type,
  }
}
