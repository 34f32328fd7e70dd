import { randomBytes } from 'node:crypto'
import { preparedStatement } from '../store/prepared.js'
import type { Transaction } from '../store/types.js'
import { type Cidr, formatIp, parseCidr, parseIp, within } from './cidr.js'
import { conflict, invalidInput } from './common.js'
import { carve, exhausted, poolRanges, returnToRanges, takeFirstFree } from './ipam-ranges.js'
import type { NetSubnetsTable } from './tables.js'

// IP address management in the store. IPv4 keeps each subnet's free addresses as ranges of integers
// (ipam-ranges.ts). IPv6 subnets are too large for ranges: addresses are EUI-64 (SLAAC) or random, and the primary
// key of net_ip_allocations — the last word in every case — turns a collision into a retry, never a duplicate.

/** The subnet fields IPAM reads. */
export type IpamSubnet = Pick<
  NetSubnetsTable,
  'id' | 'network_id' | 'ip_version' | 'cidr' | 'allocation_pools' | 'ipv6_address_mode' | 'gateway_ip'
>

async function record(tx: Transaction, subnet: IpamSubnet, ip: string, portId: string): Promise<string> {
  await insertAllocation(tx, subnet.id, ip, portId, subnet.network_id)
  return ip
}

// Compiled once: it runs for every address handed out.
const insertAllocation = preparedStatement(
  (db, subnetId: string, ip: string, portId: string, networkId: string) =>
    db
      .insertInto('net_ip_allocations')
      .values({ subnet_id: subnetId, ip_address: ip, port_id: portId, network_id: networkId }),
)

/** Whether a port holds address `ip` (as text) of `subnet`. */
async function addressTaken(tx: Transaction, subnet: IpamSubnet, ip: string): Promise<boolean> {
  const taken = await tx.db
    .selectFrom('net_ip_allocations')
    .select('port_id')
    .where('subnet_id', '=', subnet.id)
    .where('ip_address', '=', ip)
    .executeTakeFirst()
  return taken !== undefined
}

/** The modified EUI-64 interface id of a MAC (RFC 4291 appendix A), for SLAAC addresses. */
export function eui64(prefix: bigint, mac: string): bigint {
  const bytes = mac.split(':').map((part) => Number.parseInt(part, 16))
  const id = [bytes[0]! ^ 0x02, bytes[1]!, bytes[2]!, 0xff, 0xfe, bytes[3]!, bytes[4]!, bytes[5]!]
  return prefix | id.reduce((value, byte) => (value << 8n) | BigInt(byte), 0n)
}

function randomIn(range: { first: bigint; last: bigint }): bigint {
  const span = range.last - range.first + 1n
  const random = BigInt(`0x${randomBytes(16).toString('hex')}`)
  return range.first + (random % span)
}

/** How many random IPv6 addresses to try before calling a pool exhausted (collisions are vanishingly rare). */
const IPV6_TRIES = 16

/**
 * Allocates one address of `subnet` for `portId`: `requested` when given (`INVALID` outside the subnet, `CONFLICT`
 * `IpAddressAlreadyAllocated` when taken), else the first free one (`CONFLICT` with `reason: 'exhausted'`).
 */
export async function allocateIp(
  tx: Transaction,
  subnet: IpamSubnet,
  portId: string,
  options: { requested?: string; mac: string },
): Promise<string> {
  const cidr: Cidr = parseCidr(subnet.cidr)
  if (options.requested !== undefined) {
    const ip = parseIp(options.requested, 'fixedIps')
    if (ip.version !== cidr.version || !within(cidr, ip.value)) {
      throw invalidInput(
        `IP address ${options.requested} is not a valid IP for the specified subnet.`,
        'fixedIps',
      )
    }
    if (cidr.version === 4 && cidr.prefix < 31 && (ip.value === cidr.first || ip.value === cidr.last)) {
      throw invalidInput(
        `IP address ${options.requested} is the network or broadcast address of ${subnet.cidr}.`,
        'fixedIps',
      )
    }
    const text = formatIp(ip.value, ip.version)
    if (await addressTaken(tx, subnet, text)) {
      throw conflict(
        'IpAddressAlreadyAllocated',
        `IP address ${text} already allocated in subnet ${subnet.id}`,
        {
          path: 'fixedIps',
        },
      )
    }
    if (cidr.version === 4) await carve(tx, subnet, ip.value)
    return record(tx, subnet, text, portId)
  }
  if (cidr.version === 4) return record(tx, subnet, formatIp(await takeFirstFree(tx, subnet), 4), portId)
  const slaac = subnet.ipv6_address_mode === 'slaac' || subnet.ipv6_address_mode === 'dhcpv6-stateless'
  const candidates = slaac ? [eui64(cidr.first, options.mac)] : []
  const pools = poolRanges(subnet)
  for (let i = 0; i < IPV6_TRIES && pools.length > 0; i++) candidates.push(randomIn(pools[i % pools.length]!))
  for (const value of candidates) {
    const text = formatIp(value, 6)
    if (!(await addressTaken(tx, subnet, text)) && text !== subnet.gateway_ip)
      return record(tx, subnet, text, portId)
  }
  throw exhausted(subnet)
}

/** Gives an address back: it becomes free again if it lies in a pool (adjacent free ranges are merged). */
export async function releaseIp(tx: Transaction, subnet: IpamSubnet, ip: string): Promise<void> {
  await tx.db
    .deleteFrom('net_ip_allocations')
    .where('subnet_id', '=', subnet.id)
    .where('ip_address', '=', ip)
    .execute()
  if (subnet.ip_version !== 4) return
  await returnToRanges(tx, subnet, parseIp(ip).value)
}
