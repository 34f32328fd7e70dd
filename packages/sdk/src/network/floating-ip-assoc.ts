import type { RequestContext } from '../core/context.js'
import { CloudError } from '../core/errors.js'
import type { Transaction } from '../store/types.js'
import { normalizeIp, parseIp } from './cidr.js'
import { conflict, invalidInput, isAdmin } from './common.js'
import type { FloatingIpRow } from './floating-ip-rows.js'
import { lockRows } from './locks.js'
import { loadFixedIps, visiblePort } from './port-rows.js'
import type { FixedIp } from './records.js'
import { ROUTER_INTERFACE } from './router-rows.js'

// Associating a floating IP with a port: which fixed IP it reaches, and through which router, as Neutron's
// _internal_fip_assoc_data and get_router_for_floatingip decide.

/** The association columns of a floating IP. */
export interface Association {
  fixed_port_id: string | null
  fixed_ip_address: string | null
  router_id: string | null
}

/** No association: the floating IP is DOWN. */
export const NO_ASSOCIATION: Association = { fixed_port_id: null, fixed_ip_address: null, router_id: null }

/** `INVALID` for a fixed IP named without the port it belongs to, as Neutron refuses it. */
export function refuseFixedIpAlone(body: { portId?: string | null; fixedIpAddress?: string }) {
  if (body.fixedIpAddress !== undefined && !body.portId) {
    throw invalidInput('fixed_ip_address cannot be specified without a port_id', 'fixedIpAddress')
  }
}

/** The fixed IP to reach: the one asked for (an IPv4 address of the port), else the port's only IPv4 address. */
function chooseFixedIp(portId: string, ips: readonly FixedIp[], requested: string | undefined): FixedIp {
  if (requested !== undefined) {
    const address = normalizeIp(requested, 'fixedIpAddress')
    if (parseIp(address).version !== 4) {
      throw invalidInput(
        `Cannot process floating IP association with ${requested}, since that is not an IPv4 address`,
        'fixedIpAddress',
      )
    }
    const found = ips.find((ip) => ip.ipAddress === address)
    if (!found) throw invalidInput(`Port ${portId} does not have fixed ip ${requested}`, 'fixedIpAddress')
    return found
  }
  const v4 = ips.filter((ip) => parseIp(ip.ipAddress).version === 4)
  if (v4.length === 0) {
    throw invalidInput(`Cannot add floating IP to port ${portId} that has no global IPv4 addresses`, 'portId')
  }
  if (v4.length > 1) {
    throw invalidInput(
      `Port ${portId} has multiple fixed IPv4 addresses. Must provide a specific IPv4 address when assigning a floating IP`,
      'fixedIpAddress',
    )
  }
  return v4[0]!
}

/**
 * A router with a gateway on `externalNetworkId` and an interface on `subnet` of `networkId`; the one holding
 * the subnet's gateway address first, as Neutron prefers it. Any project's router will do, as in Neutron.
 */
async function routerBetween(
  tx: Transaction,
  networkId: string,
  subnet: { id: string; gateway_ip: string | null },
  externalNetworkId: string,
): Promise<string | undefined> {
  const rows = await tx.db
    .selectFrom('net_ports as iface')
    .innerJoin('net_ip_allocations as ip', 'ip.port_id', 'iface.id')
    .innerJoin('net_routers as router', 'router.id', 'iface.device_id')
    .innerJoin('net_ports as gw', 'gw.id', 'router.gw_port_id')
    .select(['router.id as routerId', 'ip.ip_address as ipAddress'])
    .where('iface.device_owner', '=', ROUTER_INTERFACE)
    .where('iface.network_id', '=', networkId)
    .where('ip.subnet_id', '=', subnet.id)
    .where('gw.network_id', '=', externalNetworkId)
    .orderBy('router.created_at')
    .orderBy('router.id')
    .execute()
  return (rows.find((row) => row.ipAddress === subnet.gateway_ip) ?? rows[0])?.routerId
}

/**
 * Where floating IP `fip` is to point when associated with port `portId`: NOT_FOUND for a port the caller may
 * not see, INVALID for another project's port or an unsuitable fixed IP, CONFLICT when that fixed IP has a
 * floating IP already, NOT_FOUND (ExternalGatewayForFloatingIPNotFound) when no router connects them.
 */
export async function resolveAssociation(
  tx: Transaction,
  ctx: RequestContext,
  fip: Pick<
    FloatingIpRow,
    | 'id'
    | 'project_id'
    | 'floating_network_id'
    | 'floating_ip_address'
    | 'fixed_port_id'
    | 'fixed_ip_address'
    | 'router_id'
  >,
  portId: string,
  fixedIpAddress: string | undefined,
): Promise<Association> {
  // Held until commit, so a concurrent deletePort cannot leave the floating IP pointing at nothing.
  await lockRows(tx, 'net_ports', [portId])
  const { row: port } = await visiblePort(tx.db, ctx, portId)
  if (!isAdmin(ctx) && port.project_id !== fip.project_id) {
    throw invalidInput(
      `Cannot process floating IP association with Port ${port.id}, since that port is owned by a different tenant`,
      'portId',
    )
  }
  const fixed = chooseFixedIp(
    port.id,
    (await loadFixedIps(tx.db, [port.id])).get(port.id) ?? [],
    fixedIpAddress,
  )
  if (port.id === fip.fixed_port_id && fixed.ipAddress === fip.fixed_ip_address) {
    return { fixed_port_id: port.id, fixed_ip_address: fixed.ipAddress, router_id: fip.router_id }
  }
  const taken = await tx.db
    .selectFrom('net_floating_ips')
    .select('id')
    .where('fixed_port_id', '=', port.id)
    .where('fixed_ip_address', '=', fixed.ipAddress)
    .where('id', '!=', fip.id)
    .executeTakeFirst()
  if (taken) {
    throw conflict(
      'FloatingIPPortAlreadyAssociated',
      `Cannot associate floating IP ${fip.floating_ip_address} (${fip.id}) with port ${port.id} using fixed IP ${fixed.ipAddress}, as that fixed IP already has a floating IP on external network ${fip.floating_network_id}.`,
    )
  }
  const subnet = await tx.db
    .selectFrom('net_subnets')
    .select(['id', 'gateway_ip'])
    .where('id', '=', fixed.subnetId)
    .executeTakeFirstOrThrow()
  let routerId = await routerBetween(tx, port.network_id, subnet, fip.floating_network_id)
  if (routerId !== undefined && tx.dialect === 'postgres') {
    // Look again under the router's lock: an interface or gateway removed meanwhile is seen now, and one removed
    // later waits for this transaction and then sees the association.
    await lockRows(tx, 'net_routers', [routerId])
    routerId = await routerBetween(tx, port.network_id, subnet, fip.floating_network_id)
  }
  if (routerId === undefined) {
    throw new CloudError(
      'NOT_FOUND',
      `External network ${fip.floating_network_id} is not reachable from subnet ${subnet.id}.  Therefore, cannot associate Port ${port.id} with a Floating IP.`,
      {
        resource: { type: 'network', id: fip.floating_network_id },
        details: { type: 'ExternalGatewayForFloatingIPNotFound' },
      },
    )
  }
  return { fixed_port_id: port.id, fixed_ip_address: fixed.ipAddress, router_id: routerId }
}
