import { preparedStatement } from '../store/prepared.js'
import type { Transaction } from '../store/types.js'
import { parseCidr, parseIp, within } from './cidr.js'
import { invalidInput } from './common.js'
import { allocateIp, type IpamSubnet, releaseIp } from './ipam.js'
import type { FixedIp } from './records.js'

// A port's addresses: requested ones checked against the network's subnets, automatic ones one per IPv4 subnet
// family and one per IPv6 subnet, as Neutron hands them out.

/** One requested address, after parsing. */
export interface FixedIpRequest {
  subnetId?: string
  ipAddress?: string
}

async function networkSubnets(tx: Transaction, networkId: string): Promise<IpamSubnet[]> {
  return (await subnetsOf(tx, networkId)).rows
}

// Compiled once: every port create reads its network's subnets.
const subnetsOf = preparedStatement((db, networkId: string) =>
  db
    .selectFrom('net_subnets')
    .select(['id', 'network_id', 'ip_version', 'cidr', 'allocation_pools', 'ipv6_address_mode', 'gateway_ip'])
    .where('network_id', '=', networkId)
    .orderBy('created_at')
    .orderBy('id'),
)

/** The subnet a request names, or the one holding its address; `INVALID` when it is not on the network. */
function subnetFor(subnets: IpamSubnet[], request: FixedIpRequest, networkId: string): IpamSubnet {
  if (request.subnetId !== undefined) {
    const subnet = subnets.find((candidate) => candidate.id === request.subnetId)
    if (!subnet) {
      throw invalidInput(
        `Invalid input for operation: Failed to create port on network ${networkId}, because fixed_ips included invalid subnet ${request.subnetId}.`,
        'fixedIps',
      )
    }
    return subnet
  }
  const ip = parseIp(request.ipAddress!, 'fixedIps')
  const subnet = subnets.find((candidate) => {
    const cidr = parseCidr(candidate.cidr)
    return cidr.version === ip.version && within(cidr, ip.value)
  })
  if (!subnet) {
    throw invalidInput(
      `IP address ${request.ipAddress} is not a valid IP for any subnet on network ${networkId}.`,
      'fixedIps',
    )
  }
  return subnet
}

/**
 * Gives port `portId` its addresses: the requested ones, or (when `requests` is undefined) one from the first IPv4
 * subnet with room and one from each IPv6 subnet. A network without subnets gives none.
 */
export async function assignFixedIps(
  tx: Transaction,
  networkId: string,
  portId: string,
  mac: string,
  requests: readonly FixedIpRequest[] | undefined,
): Promise<FixedIp[]> {
  const subnets = await networkSubnets(tx, networkId)
  const out: FixedIp[] = []
  const take = async (subnet: IpamSubnet, requested?: string) => {
    out.push({ subnetId: subnet.id, ipAddress: await allocateIp(tx, subnet, portId, { requested, mac }) })
  }
  if (requests !== undefined) {
    const seen = new Set<string>()
    for (const request of requests) {
      const subnet = subnetFor(subnets, request, networkId)
      const key = `${subnet.id} ${request.ipAddress ?? ''}`
      if (request.ipAddress !== undefined && seen.has(key)) {
        throw invalidInput(`Duplicate IP address ${request.ipAddress} requested.`, 'fixedIps')
      }
      seen.add(key)
      await take(subnet, request.ipAddress)
    }
    return out
  }
  const v4 = subnets.filter((subnet) => subnet.ip_version === 4)
  let lastError: unknown
  for (const subnet of v4) {
    try {
      await take(subnet)
      lastError = undefined
      break
    } catch (error) {
      lastError = error
    }
  }
  if (lastError) throw lastError
  for (const subnet of subnets.filter((candidate) => candidate.ip_version === 6)) await take(subnet)
  return out
}

/** Releases addresses of `portId` (all, or those not in `keep`). */
export async function releaseFixedIps(
  tx: Transaction,
  portId: string,
  keep: readonly { subnetId: string; ipAddress: string }[] = [],
): Promise<void> {
  const held = await tx.db
    .selectFrom('net_ip_allocations')
    .innerJoin('net_subnets', 'net_subnets.id', 'net_ip_allocations.subnet_id')
    .select([
      'net_ip_allocations.ip_address',
      'net_subnets.id',
      'net_subnets.network_id',
      'net_subnets.ip_version',
      'net_subnets.cidr',
      'net_subnets.allocation_pools',
      'net_subnets.ipv6_address_mode',
      'net_subnets.gateway_ip',
    ])
    .where('net_ip_allocations.port_id', '=', portId)
    .execute()
  for (const { ip_address, ...subnet } of held) {
    if (keep.some((ip) => ip.subnetId === subnet.id && ip.ipAddress === ip_address)) continue
    await releaseIp(tx, subnet, ip_address)
  }
}
