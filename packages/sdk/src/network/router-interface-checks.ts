import type { Transaction } from '../store/types.js'
import { overlaps, parseCidr, parseIp, within } from './cidr.js'
import { conflict, invalidInput, json } from './common.js'
import { ROUTER_INTERFACE, routerIps } from './router-rows.js'

// Neutron's rules for what a router may be connected to and when an interface may go, as checks that read the
// store and throw. Router ports include the gateway: its subnets count for overlaps as they do in Neutron.

/** The subnet fields the checks read. */
export interface InterfaceSubnet {
  id: string
  cidr: string
  ip_version: number
}

/**
 * Refuses subnets the router already has a port on (400, "Router already has a port on subnet X"), and subnets
 * overlapping one of its subnets: the router could not tell where to send their packets.
 */
export async function refuseDuplicateSubnets(
  tx: Transaction,
  routerId: string,
  subnets: readonly InterfaceSubnet[],
): Promise<void> {
  const held = await routerIps(tx.db, routerId)
  for (const subnet of subnets) {
    if (held.some((ip) => ip.subnetId === subnet.id)) {
      throw invalidInput(`Router already has a port on subnet ${subnet.id}`, 'subnetId')
    }
  }
  const seen = new Set<string>()
  for (const ip of held) {
    if (seen.has(ip.subnetId)) continue
    seen.add(ip.subnetId)
    const existing = parseCidr(ip.cidr)
    for (const subnet of subnets) {
      const wanted = parseCidr(subnet.cidr)
      if (wanted.version === existing.version && overlaps(wanted, existing)) {
        throw invalidInput(
          `Cidr ${subnet.cidr} of subnet ${subnet.id} overlaps with cidr ${ip.cidr} of subnet ${ip.subnetId}`,
          'subnetId',
        )
      }
    }
  }
}

/** The router's ports on `networkId` with the IP versions of their addresses. */
export async function routerPortsOn(
  tx: Transaction,
  routerId: string,
  networkId: string,
): Promise<{ portId: string; deviceOwner: string; versions: number[] }[]> {
  const out = new Map<string, { portId: string; deviceOwner: string; versions: number[] }>()
  for (const ip of await routerIps(tx.db, routerId)) {
    if (ip.networkId !== networkId) continue
    const port = out.get(ip.portId) ?? { portId: ip.portId, deviceOwner: ip.deviceOwner, versions: [] }
    port.versions.push(Number(ip.ipVersion))
    out.set(ip.portId, port)
  }
  return [...out.values()]
}

/** The interface port on `networkId` holding only IPv6 addresses: Neutron adds further IPv6 subnets to it. */
export async function ipv6InterfaceOn(tx: Transaction, routerId: string, networkId: string) {
  const ports = await routerPortsOn(tx, routerId, networkId)
  return ports.find((port) => port.deviceOwner === ROUTER_INTERFACE && port.versions.every((v) => v === 6))
}

/** Checks the addresses of a port given as an interface: some, at most one IPv4 subnet, one IPv6 port per network. */
export async function checkInterfacePort(
  tx: Transaction,
  routerId: string,
  port: { id: string; network_id: string },
  subnets: readonly InterfaceSubnet[],
): Promise<void> {
  if (subnets.length === 0) throw invalidInput('Router port must have at least one fixed IP', 'portId')
  if (subnets.filter((subnet) => subnet.ip_version === 4).length > 1) {
    throw invalidInput('Cannot have multiple IPv4 subnets on router port.', 'portId')
  }
  if (subnets.some((subnet) => subnet.ip_version === 6)) {
    const existing = (await routerPortsOn(tx, routerId, port.network_id)).find((p) => p.versions.includes(6))
    if (existing) {
      throw invalidInput(
        `Cannot have multiple router ports with the same network id if both contain IPv6 subnets. Existing port ${existing.portId} has IPv6 subnet(s) and network id ${port.network_id}`,
        'portId',
      )
    }
  }
  await refuseDuplicateSubnets(tx, routerId, subnets)
}

/**
 * Refuses to remove the router's interface on `subnet` while a floating IP reaches a fixed IP of that subnet
 * through the router, or a static route's next hop lies in it: both would lose their path.
 */
export async function refuseInterfaceInUse(
  tx: Transaction,
  routerId: string,
  subnet: Pick<InterfaceSubnet, 'id' | 'cidr'>,
): Promise<void> {
  const cidr = parseCidr(subnet.cidr)
  const inSubnet = (ip: string) => {
    const parsed = parseIp(ip)
    return parsed.version === cidr.version && within(cidr, parsed.value)
  }
  const fips = await tx.db
    .selectFrom('net_floating_ips')
    .select('fixed_ip_address')
    .where('router_id', '=', routerId)
    .execute()
  if (fips.some((fip) => fip.fixed_ip_address !== null && inSubnet(fip.fixed_ip_address))) {
    throw conflict(
      'RouterInterfaceInUseByFloatingIP',
      `Router interface for subnet ${subnet.id} on router ${routerId} cannot be deleted, as it is required by one or more floating IPs.`,
    )
  }
  const router = await tx.db
    .selectFrom('net_routers')
    .select('routes')
    .where('id', '=', routerId)
    .executeTakeFirstOrThrow()
  if (json<{ nexthop: string }[]>(router.routes).some((route) => inSubnet(route.nexthop))) {
    throw conflict(
      'RouterInterfaceInUseByRoute',
      `Router interface for subnet ${subnet.id} on router ${routerId} cannot be deleted, as it is required by one or more routes.`,
    )
  }
}
