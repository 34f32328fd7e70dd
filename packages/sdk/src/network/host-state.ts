import type { Db } from '../store/types.js'
import type { DataPlane } from './data-plane.js'
import { fixedIpsOf, hostPorts, hostSecurityGroups } from './host-ports.js'
import { dhcpServers, hostRouters } from './host-services.js'
import type { HostNetwork, HostState, NetworkType } from './spi.js'

// The whole desired state of one host, read from the store: the ports bound to it, the networks those ports
// (and, on the gateway host, DHCP servers and routers) need, with flood lists and security groups.

/**
 * The networks `networkIds` as host `host` sees them, with their flood lists: the tunnel addresses of the other
 * hosts with ports on each, where service ports (DHCP, routers) count as on the gateway host.
 */
async function hostNetworks(
  db: Db,
  host: string,
  networkIds: readonly string[],
  tunnel: ReadonlyMap<string, string | null>,
  gatewayName: string | undefined,
): Promise<HostNetwork[]> {
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
  return networkRows.map((row) => {
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
}

/** Builds host `host`'s {@link HostState}. */
export async function buildHostState(
  db: Db,
  host: string,
  plane: Pick<DataPlane, 'gatewayHost' | 'knownHosts'>,
): Promise<HostState> {
  const hosts = await plane.knownHosts()
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
  const networks = await hostNetworks(db, host, networkIds, tunnel, gatewayName)
  const ports = await hostPorts(db, vmPorts, ips)
  const dhcp = await dhcpServers(
    db,
    servicePorts.filter((p) => p.device_owner === 'network:dhcp'),
    ips,
  )
  return {
    host,
    networks,
    ports,
    securityGroups: await hostSecurityGroups(db, [...new Set(ports.flatMap((p) => p.securityGroupIds))]),
    dhcp,
    routers: isGateway ? await hostRouters(db, ips, servicePorts) : [],
  }
}
