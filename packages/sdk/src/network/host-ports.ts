import type { Db } from '../store/types.js'
import { bool, json } from './common.js'
import type { PortRow } from './port-rows.js'
import type { HostFixedIp, HostPort, HostSecurityGroup, HostVif } from './spi.js'

// The parts of a host's state that belong to its ports: their addresses (with each subnet's CIDR), the device and
// interface each is plugged as, and the security groups that filter them with the addresses of their members.

/** The host-side device of a port: `tap` and the first 11 characters of its id (15 at most, as Linux allows). */
export const portDevice = (portId: string) => `tap${portId.slice(0, 11)}`

function vifOf(profileJson: string): HostVif {
  const profile = json<{ vif?: unknown; netns?: unknown }>(profileJson)
  return profile.vif === 'veth' && typeof profile.netns === 'string'
    ? { type: 'veth', netns: profile.netns }
    : { type: 'tap' }
}

/** The fixed IPs of many ports with their subnets' CIDRs, in one query. */
export async function fixedIpsOf(db: Db, portIds: readonly string[]): Promise<Map<string, HostFixedIp[]>> {
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

/** The host's view of the ports bound to it: device, interface, addresses, port security and groups. */
export async function hostPorts(
  db: Db,
  vmPorts: readonly PortRow[],
  ips: Map<string, HostFixedIp[]>,
): Promise<HostPort[]> {
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
  return vmPorts.map((port) => ({
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
}

/** Security groups `ids` and the groups their rules name as remote, with rules and member addresses. */
export async function hostSecurityGroups(db: Db, ids: readonly string[]): Promise<HostSecurityGroup[]> {
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
