import type { Transaction } from '../store/types.js'
import type { NetworkDeps } from './deps.js'
import './events.js'
import { deletePortRows, insertPort } from './port-insert.js'
import type { FixedIpRequest } from './port-ips.js'
import { type PortRow, portEvent } from './port-rows.js'
import { ROUTER_GATEWAY, ROUTER_INTERFACE, routerPortStatus } from './router-rows.js'

// The ports routers and floating IPs own. They are made through the same insertPort as any port (MAC, addresses
// from IPAM) but carry no security: Neutron never filters router or floating IP ports. Their events are the
// port events, so listeners see router ports come and go like any other.

/** What a service-owned port is made of. */
export interface ServicePortSpec {
  networkId: string
  /** The router's project for interfaces; '' for gateway and floating IP ports, as Neutron leaves them. */
  projectId: string
  deviceOwner: string
  deviceId: string
  /** Undefined: automatic addresses. */
  fixedIps?: readonly FixedIpRequest[]
  status: 'ACTIVE' | 'DOWN'
}

/** Makes a port owned by a router or floating IP, inside `tx`: no port security, no groups. */
export async function insertServicePort(
  deps: NetworkDeps,
  tx: Transaction,
  spec: ServicePortSpec,
): Promise<PortRow> {
  const { row: inserted } = await insertPort(
    deps,
    tx,
    { id: spec.networkId },
    {
      projectId: spec.projectId,
      deviceOwner: spec.deviceOwner,
      deviceId: spec.deviceId,
      fixedIps: spec.fixedIps,
      portSecurity: false,
      securityGroups: [],
    },
  )
  const row = { ...inserted, status: spec.status }
  if (row.status !== inserted.status) {
    await tx.db.updateTable('net_ports').set({ status: row.status }).where('id', '=', row.id).execute()
  }
  deps.events.emitAfterCommit(tx, 'network.port.created', portEvent(row))
  return row
}

/** Removes service-owned ports with their addresses (given back to the pools). */
export async function deleteServicePorts(
  deps: NetworkDeps,
  tx: Transaction,
  rows: readonly PortRow[],
): Promise<void> {
  await deletePortRows(
    tx,
    rows.map((row) => row.id),
  )
  for (const row of rows) deps.events.emitAfterCommit(tx, 'network.port.deleted', portEvent(row))
}

/** The port row `id`, whoever owns it; undefined when absent. */
export async function portById(tx: Transaction, id: string): Promise<PortRow | undefined> {
  return tx.db.selectFrom('net_ports').selectAll().where('id', '=', id).executeTakeFirst()
}

/** Sets the status of a router's ports after its admin state changed: they are up when the router is. */
export async function setRouterPortsStatus(
  tx: Transaction,
  routerId: string,
  adminStateUp: number,
): Promise<void> {
  await tx.db
    .updateTable('net_ports')
    .set({ status: routerPortStatus({ admin_state_up: adminStateUp }) })
    .where('device_id', '=', routerId)
    .where('device_owner', 'in', [ROUTER_INTERFACE, ROUTER_GATEWAY])
    .execute()
}
