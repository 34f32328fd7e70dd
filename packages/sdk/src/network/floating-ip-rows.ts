import type { Selectable } from 'kysely'
import type { RequestContext } from '../core/context.js'
import type { Db } from '../store/types.js'
import { loadTags, notFound, resourceFields, whereVisible } from './common.js'
import type { FloatingIp } from './records.js'
import type { NetFloatingIpsTable } from './tables.js'

// Floating IPs as rows. A floating IP holds its address through a port of the external network (device_owner
// `network:floatingip`, device_id = the floating IP), and reaches its fixed IP through `router_id`: that router's
// gateway is on the floating network and one of its interfaces on the fixed IP's subnet.

/** A row of `net_floating_ips`. */
export type FloatingIpRow = Selectable<NetFloatingIpsTable>

/** Device owner of the port holding a floating IP's address. */
export const FLOATING_IP_OWNER = 'network:floatingip'

/** Columns floating IPs may be sorted by. */
export const FLOATING_IP_SORT_KEYS = [
  'project_id',
  'floating_network_id',
  'floating_ip_address',
  'fixed_ip_address',
  'router_id',
  'created_at',
  'updated_at',
]

/** The floating IP `id` if `ctx` may see it (its project's; any for admins), else NOT_FOUND. */
export async function visibleFloatingIp(db: Db, ctx: RequestContext, id: string): Promise<FloatingIpRow> {
  const qb = db.selectFrom('net_floating_ips').selectAll().where('id', '=', id)
  const row = await whereVisible(qb, ctx).executeTakeFirst()
  if (!row) throw notFound('floatingip', id)
  return row
}

/** The policy target of a floating IP. */
export const floatingIpTarget = (row: Pick<FloatingIpRow, 'project_id'>) => ({ project_id: row.project_id })

/** The payload of a `network.floatingip.*` event. */
export const floatingIpEvent = (row: Pick<FloatingIpRow, 'id' | 'project_id' | 'fixed_port_id'>) => ({
  id: row.id,
  projectId: row.project_id,
  portId: row.fixed_port_id,
})

/** Records of floating IP rows, with tags in one query. Associated means ACTIVE: the router carries it. */
export async function toFloatingIps(db: Db, rows: readonly FloatingIpRow[]): Promise<FloatingIp[]> {
  const tags = await loadTags(
    db,
    rows.map((row) => row.id),
  )
  return rows.map((row) => ({
    ...resourceFields(row, tags.get(row.id) ?? []),
    floatingNetworkId: row.floating_network_id,
    floatingIpAddress: row.floating_ip_address,
    portId: row.fixed_port_id,
    fixedIpAddress: row.fixed_ip_address,
    routerId: row.router_id,
    status: row.router_id === null ? 'DOWN' : 'ACTIVE',
    description: row.description,
  }))
}
