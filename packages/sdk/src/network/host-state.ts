import type { Db } from '../store/types.js'
import { bool, json } from './common.js'
import type { DataPlane } from './data-plane.js'
import type {
  HostDhcp,
  HostFixedIp,
  HostNetwork,
  HostPort,
  HostRouter,
  HostRouterPort,
  HostSecurityGroup,
  HostState,
  HostVif,
  NetworkDriver,
  NetworkType,
} from './spi.js'

// The whole desired state of one host, read from the store: the ports bound to it, the networks those ports
// (and, on the gateway host, DHCP servers and routers) need, with flood lists and security groups.

/** The host-side device of a port: `tap` and the first 11 characters of its id (15 at most, as Linux allows). */
export const portDevice = (portId: string) => `tap${portId.slice(0, 11)}`

function vifOf(profileJson: string): HostVif {
  const profile = json<{ vif?: unknown; netns?: unknown }>(profileJson)
  return profile.vif === 'veth' && typeof profile.netns === 'string'
    ? { type: 'veth', netns: profile.netns }
    : { type: 'tap' }
}

async function fixedIpsOf(db: Db, portIds: readonly string[]): Promise<Map<string, HostFixedIp[]>> {
  const out = new Map<string, HostFixedIp[]>(portIds.map((id) => [id, []]))
  if (portIds.length === 0) return out
  const rows = await db
    .selectFrom('net_ip_allocations')
    .innerJoin('net_subnets', 'net_subnets.id', 'net_ip_allocations.subnet_id')
    .select([
      'net_ip_allocations.port_id',
      'net_ip_allocations.subnet_id',
      'net_ip_allocations.ip_address',
      'net_subnets.cidr',
      'net_subnets.ip_version',
    ])
    .where('net_ip_allocations.port_id', 'in', portIds)
    .execute()
  for (const row of rows) {
    out.get(row.port_id)?.push({
      subnetId: row.subnet_id,
      ipAddress: row.ip_address,
      cidr: row.cidr,
      ipVersion: row.ip_version === 6 ? 6 : 4,
    })
  }
  return out
}

async function securityGroups(db: Db, ids: readonly string[]): Promise<HostSecurityGroup[]> {
  if (ids.length === 0) return []
  const rules = await db
    .selectFrom('net_security_group_rules')
    .selectAll()
    .where('security_group_id', 'in', ids)
    .orderBy('id')
    .execute()
  const all = [
    ...new Set([...ids, ...rules.flatMap((rule) => (rule.remote_group_id ? [rule.remote_group_id] : []))]),
  ]
  const members = await db
    .selectFrom('net_port_security_groups')
    .innerJoin('net_ip_allocations', 'net_ip_allocations.port_id', 'net_port_security_groups.port_id')
    .select(['net_port_security_groups.security_group_id', 'net_ip_allocations.ip_address'])
    .where('net_port_security_groups.security_group_id', 'in', all)
    .execute()
  return all.sort().map((id) => ({
    id,
    rules: rules
      .filter((rule) => rule.security_group_id === id)
      .map((rule) => ({
        id: rule.id,
        direction: rule.direction as 'ingress' | 'egress',
        ethertype: rule.ethertype as 'IPv4' | 'IPv6',
        protocol: rule.protocol,
        portRangeMin: rule.port_range_min,
        portRangeMax: rule.port_range_max,
        remoteIpPrefix: rule.remote_ip_prefix,
        remoteGroupId: rule.remote_group_id,
      })),
    memberIps: [
      ...new Set(members.filter((m) => m.security_group_id === id).map((m) => m.ip_address)),
    ].sort(),
  }))
}

async function routers(
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

/** Builds host `host`'s {@link HostState}. */
export async function buildHostState(
  db: Db,
  host: string,
  plane: Pick<DataPlane, 'gatewayHost'>,
  driver: NetworkDriver,
): Promise<HostState> {
  const hosts = await driver.listHosts()
  const tunnel = new Map(hosts.map((h) => [h.name, h.tunnelIp]))
  const gatewayName = await plane.gatewayHost()
  const isGateway = gatewayName === host
  const vmPorts = await db
    .selectFrom('net_ports')
    .selectAll()
    .where('binding_host_id', '=', host)
    .where('device_owner', 'not like', 'network:%')
    .orderBy('id')
    .execute()
  const servicePorts = isGateway
    ? await db
        .selectFrom('net_ports')
        .selectAll()
        .where('device_owner', 'in', ['network:dhcp', 'network:router_interface', 'network:router_gateway'])
        .orderBy('id')
        .execute()
    : []
  const allPorts = [...vmPorts, ...servicePorts]
  const ips = await fixedIpsOf(
    db,
    allPorts.map((port) => port.id),
  )
  const networkIds = [...new Set(allPorts.map((port) => port.network_id))].sort()
  const networkRows = networkIds.length
    ? await db.selectFrom('net_networks').selectAll().where('id', 'in', networkIds).execute()
    : []
  const placed = networkIds.length
    ? await db
        .selectFrom('net_ports')
        .select(['network_id', 'binding_host_id', 'device_owner'])
        .distinct()
        .where('network_id', 'in', networkIds)
        .execute()
    : []
  const networks: HostNetwork[] = networkRows.map((row) => {
    const where = placed
      .filter((p) => p.network_id === row.id)
      .map((p) =>
        p.device_owner.startsWith('network:') && p.device_owner !== 'network:floatingip'
          ? gatewayName
          : p.binding_host_id,
      )
      .filter((name): name is string => Boolean(name) && name !== host)
    const peers = [
      ...new Set(where.map((name) => tunnel.get(name)).filter((ip): ip is string => Boolean(ip))),
    ].sort()
    return {
      id: row.id,
      type: row.network_type as NetworkType,
      segmentationId:
        row.network_type === 'flat' || row.segmentation_id === null ? null : Number(row.segmentation_id),
      physicalNetwork: row.physical_network || null,
      mtu: row.mtu,
      localId: row.local_id,
      peers,
    }
  })
  const groupRows = vmPorts.length
    ? await db
        .selectFrom('net_port_security_groups')
        .selectAll()
        .where(
          'port_id',
          'in',
          vmPorts.map((p) => p.id),
        )
        .execute()
    : []
  const ports: HostPort[] = vmPorts.map((port) => ({
    id: port.id,
    networkId: port.network_id,
    mac: port.mac_address,
    fixedIps: ips.get(port.id) ?? [],
    device: portDevice(port.id),
    vif: vifOf(port.binding_profile),
    adminStateUp: bool(port.admin_state_up),
    portSecurity: bool(port.port_security),
    securityGroupIds: groupRows
      .filter((g) => g.port_id === port.id)
      .map((g) => g.security_group_id)
      .sort(),
    allowedAddressPairs: json(port.allowed_address_pairs),
  }))
  const dhcp: HostDhcp[] = []
  for (const port of servicePorts.filter((p) => p.device_owner === 'network:dhcp')) {
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
  return {
    host,
    networks,
    ports,
    securityGroups: await securityGroups(db, [...new Set(ports.flatMap((p) => p.securityGroupIds))]),
    dhcp,
    routers: isGateway ? await routers(db, ips, servicePorts) : [],
  }
}
