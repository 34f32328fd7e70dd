import type { Transaction } from '../store/types.js'
import { normalizeIp, parseIp } from './cidr.js'
import { bool, invalidInput } from './common.js'
import type { FixedIpRequest } from './port-ips.js'
import type { FloatingIpCreate } from './router-schemas.js'

// A floating IP's own address comes from the external network's IPv4 subnets only: Neutron would also hand its
// port an address of every IPv6 subnet, then use none of them.

/** The address a new floating IP asks IPAM for: the one named, one of the subnet named, or the first v4 with room. */
export async function addressRequest(
  tx: Transaction,
  networkId: string,
  body: FloatingIpCreate,
): Promise<FixedIpRequest> {
  if (body.floatingIpAddress !== undefined) {
    const ipAddress = normalizeIp(body.floatingIpAddress, 'floatingIpAddress')
    if (parseIp(ipAddress).version !== 4) {
      throw invalidInput(`Floating IP ${body.floatingIpAddress} is not an IPv4 address`, 'floatingIpAddress')
    }
    return { ipAddress, ...(body.subnetId !== undefined && { subnetId: body.subnetId }) }
  }
  const subnets = await tx.db
    .selectFrom('net_subnets')
    .select(['id', 'ip_version'])
    .select((eb) =>
      eb
        .exists(
          eb
            .selectFrom('net_ip_free_ranges')
            .select('subnet_id')
            .whereRef('net_ip_free_ranges.subnet_id', '=', 'net_subnets.id'),
        )
        .as('has_room'),
    )
    .where('network_id', '=', networkId)
    .orderBy('created_at')
    .orderBy('id')
    .execute()
  if (body.subnetId !== undefined) {
    const subnet = subnets.find((candidate) => candidate.id === body.subnetId)
    if (!subnet) {
      throw invalidInput(
        `Subnet ${body.subnetId} is not a subnet of external network ${networkId}`,
        'subnetId',
      )
    }
    if (subnet.ip_version !== 4) throw invalidInput(`Subnet ${subnet.id} is not an IPv4 subnet`, 'subnetId')
    return { subnetId: subnet.id }
  }
  const v4 = subnets.filter((subnet) => subnet.ip_version === 4)
  // With none free, the first is asked anyway: IPAM then reports the network exhausted (CONFLICT), as Neutron.
  const chosen = v4.find((subnet) => bool(subnet.has_room as number | boolean)) ?? v4[0]
  if (!chosen)
    throw invalidInput(`Unable to find any IP address on external network ${networkId}.`, 'floatingNetworkId')
  return { subnetId: chosen.id }
}
