import type { Selectable } from 'kysely'
import type { RequestContext } from '../core/context.js'
import type { Db, Transaction } from '../store/types.js'
import { bool, json, loadTags, notFound, resourceFields, whereVisible } from './common.js'
import type { NetworkDeps } from './deps.js'
import { loadFixedIps } from './port-rows.js'
import type { Router } from './records.js'
import type { NetRoutersTable } from './tables.js'

// Routers as rows: who may see one, how it is locked, what it looks like as a record, which of its ports hold
// which addresses. The host state reads the same representation: `gw_port_id` for the gateway, ports with
// device_owner `network:router_interface` and device_id = the router for the interfaces.

/** A row of `net_routers`. */
export type RouterRow = Selectable<NetRoutersTable>

/** Device owner of a router's interface ports. */
export const ROUTER_INTERFACE = 'network:router_interface'
/** Device owner of a router's gateway port. */
export const ROUTER_GATEWAY = 'network:router_gateway'

/** Columns routers may be sorted by. */
export const ROUTER_SORT_KEYS = ['name', 'project_id', 'admin_state_up', 'created_at', 'updated_at']

function routerQuery(db: Db, ctx: RequestContext, id: string) {
  const qb = db.selectFrom('net_routers').selectAll().where('id', '=', id)
  return whereVisible(qb, ctx)
}

/** The router `id` if `ctx` may see it (its project's; any for admins), else NOT_FOUND. */
export async function visibleRouter(db: Db, ctx: RequestContext, id: string): Promise<RouterRow> {
  const row = await routerQuery(db, ctx, id).executeTakeFirst()
  if (!row) throw notFound('router', id)
  return row
}

/**
 * {@link visibleRouter}, locked until `tx` ends. Every change of a router's ports, routes or floating IPs takes
 * this lock first, so checks such as "no floating IP uses this interface" cannot race the association that
 * would break them (SQLite serializes write transactions already).
 */
export async function lockRouter(tx: Transaction, ctx: RequestContext, id: string): Promise<RouterRow> {
  const qb = routerQuery(tx.db, ctx, id)
  const row = await (tx.dialect === 'postgres' ? qb.forUpdate() : qb).executeTakeFirst()
  if (!row) throw notFound('router', id)
  return row
}

/** The policy target of a router. */
export const routerTarget = (row: Pick<RouterRow, 'project_id'>) => ({ project_id: row.project_id })

/** Status of a router's own ports: they are up when the router is. */
export const routerPortStatus = (row: Pick<RouterRow, 'admin_state_up'>) =>
  bool(row.admin_state_up) ? 'ACTIVE' : 'DOWN'

/** One address of a router port, with its subnet. */
export interface RouterIp {
  portId: string
  networkId: string
  deviceOwner: string
  subnetId: string
  ipAddress: string
  cidr: string
  ipVersion: number
}

/** The addresses of all the router's ports (interfaces and gateway), with their subnets. */
export async function routerIps(db: Db, routerId: string): Promise<RouterIp[]> {
  return db
    .selectFrom('net_ports')
    .innerJoin('net_ip_allocations', 'net_ip_allocations.port_id', 'net_ports.id')
    .innerJoin('net_subnets', 'net_subnets.id', 'net_ip_allocations.subnet_id')
    .select([
      'net_ports.id as portId',
      'net_ports.network_id as networkId',
      'net_ports.device_owner as deviceOwner',
      'net_ip_allocations.subnet_id as subnetId',
      'net_ip_allocations.ip_address as ipAddress',
      'net_subnets.cidr as cidr',
      'net_subnets.ip_version as ipVersion',
    ])
    .where('net_ports.device_id', '=', routerId)
    .where('net_ports.device_owner', 'in', [ROUTER_INTERFACE, ROUTER_GATEWAY])
    .orderBy('net_ports.created_at')
    .orderBy('net_ports.id')
    .execute()
}

/**
 * Hosts a router change concerns: the gateway host, where routers live, and the hosts of the networks whose
 * router ports changed (their flood lists gain or lose the gateway host).
 */
export async function routerHosts(
  deps: NetworkDeps,
  db: Db,
  networkIds: readonly string[],
): Promise<string[]> {
  if (!deps.dataPlane.enabled) return []
  const gateway = await deps.dataPlane.gatewayHost()
  const networks = await deps.dataPlane.hostsOfNetworks(db, [...new Set(networkIds)])
  return [...new Set([...(gateway ? [gateway] : []), ...networks])]
}

/** Records of router rows: gateway port and addresses, routes and tags in three queries. */
export async function toRouters(db: Db, rows: readonly RouterRow[]): Promise<Router[]> {
  const gwIds = rows.flatMap((row) => (row.gw_port_id ? [row.gw_port_id] : []))
  const [tags, ips, gwPorts] = await Promise.all([
    loadTags(
      db,
      rows.map((row) => row.id),
    ),
    loadFixedIps(db, gwIds),
    gwIds.length === 0
      ? []
      : db.selectFrom('net_ports').select(['id', 'network_id']).where('id', 'in', gwIds).execute(),
  ])
  const networkOf = new Map(gwPorts.map((port) => [port.id, port.network_id]))
  return rows.map((row) => {
    const gwNetwork = row.gw_port_id ? networkOf.get(row.gw_port_id) : undefined
    return {
      ...resourceFields(row, tags.get(row.id) ?? []),
      name: row.name,
      description: row.description,
      adminStateUp: bool(row.admin_state_up),
      status: 'ACTIVE',
      externalGatewayInfo:
        gwNetwork === undefined
          ? null
          : {
              networkId: gwNetwork,
              enableSnat: bool(row.enable_snat),
              externalFixedIps: ips.get(row.gw_port_id!) ?? [],
            },
      routes: json(row.routes),
    }
  })
}
