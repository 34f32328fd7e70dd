import type { Db } from '../store/types.js'
import { bool, json } from './common.js'
import { fixedIpsOf } from './host-ports.js'
import type { PortRow } from './port-rows.js'
import type { HostDhcp, HostFixedIp, HostRouter, HostRouterPort } from './spi.js'

// The services the gateway host runs for every network: a DHCP server per network with a DHCP port, and the
// routers with their gateway, interfaces, routes and floating IPs.

/** The DHCP servers of the DHCP ports `dhcpPorts`: the network's DHCP subnets and a lease per address on it. */
export async function dhcpServers(
  db: Db,
  dhcpPorts: readonly PortRow[],
  ips: Map<string, HostFixedIp[]>,
): Promise<HostDhcp[]> {
  const dhcp: HostDhcp[] = []
  for (const port of dhcpPorts) {
    const subnets = await db
      .selectFrom('net_subnets')
      .selectAll()
      .where('network_id', '=', port.network_id)
      .where('enable_dhcp', '=', 1)
      .orderBy('id')
      .execute()
    const leasePorts = await db
      .selectFrom('net_ports')
      .select(['id', 'mac_address'])
      .where('network_id', '=', port.network_id)
      .where('device_owner', '!=', 'network:dhcp')
      .orderBy('id')
      .execute()
    const leaseIps = await fixedIpsOf(
      db,
      leasePorts.map((p) => p.id),
    )
    dhcp.push({
      networkId: port.network_id,
      port: { id: port.id, mac: port.mac_address, fixedIps: ips.get(port.id) ?? [] },
      subnets: subnets.map((s) => ({
        id: s.id,
        cidr: s.cidr,
        ipVersion: s.ip_version === 6 ? 6 : 4,
        gatewayIp: s.gateway_ip,
        dnsNameservers: json(s.dns_nameservers),
        hostRoutes: json(s.host_routes),
        ipv6AddressMode: s.ipv6_address_mode,
      })),
      leases: leasePorts.flatMap((p) =>
        (leaseIps.get(p.id) ?? []).map((ip) => ({
          mac: p.mac_address,
          ipAddress: ip.ipAddress,
          hostname: `host-${ip.ipAddress.replaceAll(/[.:]/g, '-')}`,
        })),
      ),
    })
  }
  return dhcp
}

/** Every router, its ports found among `routerPorts` (the gateway host's service ports) with addresses `ips`. */
export async function hostRouters(
  db: Db,
  ips: Map<string, HostFixedIp[]>,
  routerPorts: {
    id: string
    network_id: string
    mac_address: string
    device_id: string
    device_owner: string
  }[],
): Promise<HostRouter[]> {
  const rows = await db.selectFrom('net_routers').selectAll().orderBy('id').execute()
  const fips = await db
    .selectFrom('net_floating_ips')
    .selectAll()
    .where('router_id', 'is not', null)
    .execute()
  const toPort = (port: (typeof routerPorts)[number]): HostRouterPort => ({
    portId: port.id,
    networkId: port.network_id,
    mac: port.mac_address,
    fixedIps: ips.get(port.id) ?? [],
  })
  const out: HostRouter[] = []
  for (const router of rows) {
    const gwPort = routerPorts.find((port) => port.id === router.gw_port_id)
    let gateway: HostRouter['gateway'] = null
    if (gwPort) {
      const first = (ips.get(gwPort.id) ?? [])[0]
      const subnet = first
        ? await db
            .selectFrom('net_subnets')
            .select('gateway_ip')
            .where('id', '=', first.subnetId)
            .executeTakeFirst()
        : undefined
      gateway = {
        ...toPort(gwPort),
        enableSnat: bool(router.enable_snat),
        gatewayIp: subnet?.gateway_ip ?? null,
      }
    }
    out.push({
      id: router.id,
      gateway,
      interfaces: routerPorts
        .filter((port) => port.device_id === router.id && port.device_owner === 'network:router_interface')
        .map(toPort),
      routes: json(router.routes),
      floatingIps: fips
        .filter((fip) => fip.router_id === router.id && fip.fixed_ip_address !== null)
        .map((fip) => ({ id: fip.id, floatingIp: fip.floating_ip_address, fixedIp: fip.fixed_ip_address! })),
    })
  }
  return out
}
