import type { Transaction } from '../store/types.js'
import type { NetworkDeps } from './deps.js'
import { networkRow } from './network-rows.js'
import { deletePortRows, insertPort } from './port-insert.js'
import { assignFixedIps, releaseFixedIps } from './port-ips.js'

// Each network with DHCP-enabled subnets gets one DHCP port (device_owner `network:dhcp`) holding an address in
// every such subnet, as Neutron's DHCP agent makes; the driver runs the server on the gateway host. Without a
// data plane with DHCP there is no server, so no port either.

/** Brings a network's DHCP port in line with its subnets, then marks the network's hosts for a resync. */
export async function dhcpSubnetsChanged(
  deps: NetworkDeps,
  tx: Transaction,
  networkId: string,
): Promise<void> {
  if (!deps.dataPlane.enabled || !deps.driver.capabilities.dhcp) return
  const subnets = await tx.db
    .selectFrom('net_subnets')
    .select(['id', 'ip_version', 'ipv6_address_mode'])
    .where('network_id', '=', networkId)
    .where('enable_dhcp', '=', 1)
    .execute()
  const served = subnets
    .filter((s) => s.ip_version === 4 || s.ipv6_address_mode === 'dhcpv6-stateful')
    .map((s) => s.id)
  const port = await tx.db
    .selectFrom('net_ports')
    .select(['id', 'mac_address'])
    .where('network_id', '=', networkId)
    .where('device_owner', '=', 'network:dhcp')
    .executeTakeFirst()
  if (!port && served.length > 0) {
    const network = await networkRow(tx.db, networkId)
    await insertPort(deps, tx, network, {
      projectId: network.project_id,
      deviceOwner: 'network:dhcp',
      deviceId: `dhcp-${networkId}`,
      portSecurity: false,
      securityGroups: [],
      fixedIps: served.map((subnetId) => ({ subnetId })),
    })
  } else if (port && served.length === 0) {
    await deletePortRows(tx, [port.id])
  } else if (port) {
    const held = await tx.db
      .selectFrom('net_ip_allocations')
      .select(['subnet_id', 'ip_address'])
      .where('port_id', '=', port.id)
      .execute()
    const keep = held
      .filter((ip) => served.includes(ip.subnet_id))
      .map((ip) => ({ subnetId: ip.subnet_id, ipAddress: ip.ip_address }))
    await releaseFixedIps(tx, port.id, keep)
    const missing = served.filter((id) => !held.some((ip) => ip.subnet_id === id))
    if (missing.length > 0)
      await assignFixedIps(
        tx,
        networkId,
        port.id,
        port.mac_address,
        missing.map((subnetId) => ({ subnetId })),
      )
  }
  deps.dataPlane.syncAfterCommit(tx, await deps.dataPlane.hostsOfNetworks(tx.db, [networkId]))
}
