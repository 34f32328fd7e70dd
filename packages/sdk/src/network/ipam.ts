import { randomBytes } from 'node:crypto'
import type { Transaction } from '../store/types.js'
import { type Cidr, formatIp, parseCidr, parseIp, within } from './cidr.js'
import { conflict, invalidInput, json } from './common.js'
import type { NetSubnetsTable } from './tables.js'

// IP address management in the store. IPv4 keeps each subnet's free addresses as ranges of integers, so handing
// out the first free address is one indexed read and one guarded update however full the subnet is. IPv6 subnets
// are too large for ranges: addresses are EUI-64 (SLAAC) or random, and the primary key of net_ip_allocations —
// the last word in every case — turns a collision into a retry, never a duplicate.

/** The subnet fields IPAM reads. */
export type IpamSubnet = Pick<
  NetSubnetsTable,
  'id' | 'network_id' | 'ip_version' | 'cidr' | 'allocation_pools' | 'ipv6_address_mode' | 'gateway_ip'
>

/** A subnet's pools as integer ranges. */
export function poolRanges(subnet: Pick<IpamSubnet, 'allocation_pools'>): { first: bigint; last: bigint }[] {
  return json<{ start: string; end: string }[]>(subnet.allocation_pools).map((pool) => ({
    first: parseIp(pool.start).value,
    last: parseIp(pool.end).value,
  }))
}

/** Writes the free ranges of a new IPv4 subnet: its pools minus what is already allocated (none yet). */
export async function initFreeRanges(tx: Transaction, subnet: IpamSubnet): Promise<void> {
  if (subnet.ip_version !== 4) return
  const ranges = poolRanges(subnet)
  if (ranges.length === 0) return
  await tx.db
    .insertInto('net_ip_free_ranges')
    .values(ranges.map((r) => ({ subnet_id: subnet.id, first_ip: Number(r.first), last_ip: Number(r.last) })))
    .execute()
}

/** Rewrites the free ranges after the pools changed: the new pools minus the addresses in use. */
export async function rebuildFreeRanges(tx: Transaction, subnet: IpamSubnet): Promise<void> {
  if (subnet.ip_version !== 4) return
  await tx.db.deleteFrom('net_ip_free_ranges').where('subnet_id', '=', subnet.id).execute()
  const used = (
    await tx.db
      .selectFrom('net_ip_allocations')
      .select('ip_address')
      .where('subnet_id', '=', subnet.id)
      .execute()
  )
    .map((row) => parseIp(row.ip_address).value)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  const free: { first: bigint; last: bigint }[] = []
  for (const pool of poolRanges(subnet)) {
    let start = pool.first
    for (const ip of used) {
      if (ip < start || ip > pool.last) continue
      if (ip > start) free.push({ first: start, last: ip - 1n })
      start = ip + 1n
    }
    if (start <= pool.last) free.push({ first: start, last: pool.last })
  }
  if (free.length > 0) {
    await tx.db
      .insertInto('net_ip_free_ranges')
      .values(free.map((r) => ({ subnet_id: subnet.id, first_ip: Number(r.first), last_ip: Number(r.last) })))
      .execute()
  }
}

function exhausted(subnet: IpamSubnet) {
  return conflict(
    'IpAddressGenerationFailure',
    `No more IP addresses available on network ${subnet.network_id}.`,
    {
      reason: 'exhausted',
      subnetId: subnet.id,
    },
  )
}

async function record(tx: Transaction, subnet: IpamSubnet, ip: string, portId: string): Promise<string> {
  await tx.db
    .insertInto('net_ip_allocations')
    .values({ subnet_id: subnet.id, ip_address: ip, port_id: portId, network_id: subnet.network_id })
    .execute()
  return ip
}

/** Takes the lowest free IPv4 address. Guarded updates make a concurrent taker lose and read again. */
async function takeFirstFree(tx: Transaction, subnet: IpamSubnet): Promise<bigint> {
  for (;;) {
    const range = await tx.db
      .selectFrom('net_ip_free_ranges')
      .select(['first_ip', 'last_ip'])
      .where('subnet_id', '=', subnet.id)
      .orderBy('first_ip')
      .limit(1)
      .executeTakeFirst()
    if (!range) throw exhausted(subnet)
    const first = Number(range.first_ip)
    const last = Number(range.last_ip)
    const guard = tx.db
      .updateTable('net_ip_free_ranges')
      .where('subnet_id', '=', subnet.id)
      .where('first_ip', '=', first)
      .where('last_ip', '=', last)
    const result =
      first === last
        ? await tx.db
            .deleteFrom('net_ip_free_ranges')
            .where('subnet_id', '=', subnet.id)
            .where('first_ip', '=', first)
            .where('last_ip', '=', last)
            .executeTakeFirst()
        : await guard.set({ first_ip: first + 1 }).executeTakeFirst()
    const changed = 'numDeletedRows' in result ? result.numDeletedRows : result.numUpdatedRows
    if (changed === 1n) return BigInt(first)
  }
}

/** Takes `ip` out of whichever free range holds it (if any), splitting the range. */
async function carve(tx: Transaction, subnet: IpamSubnet, ip: bigint): Promise<void> {
  const n = Number(ip)
  for (;;) {
    const range = await tx.db
      .selectFrom('net_ip_free_ranges')
      .select(['first_ip', 'last_ip'])
      .where('subnet_id', '=', subnet.id)
      .where('first_ip', '<=', n)
      .where('last_ip', '>=', n)
      .executeTakeFirst()
    if (!range) return
    const first = Number(range.first_ip)
    const last = Number(range.last_ip)
    const deleted = await tx.db
      .deleteFrom('net_ip_free_ranges')
      .where('subnet_id', '=', subnet.id)
      .where('first_ip', '=', first)
      .where('last_ip', '=', last)
      .executeTakeFirst()
    if (deleted.numDeletedRows !== 1n) continue
    const pieces = [
      { first, last: n - 1 },
      { first: n + 1, last },
    ].filter((piece) => piece.first <= piece.last)
    if (pieces.length > 0) {
      await tx.db
        .insertInto('net_ip_free_ranges')
        .values(pieces.map((p) => ({ subnet_id: subnet.id, first_ip: p.first, last_ip: p.last })))
        .execute()
    }
    return
  }
}

/** The modified EUI-64 interface id of a MAC (RFC 4291 appendix A), for SLAAC addresses. */
export function eui64(prefix: bigint, mac: string): bigint {
  const bytes = mac.split(':').map((part) => Number.parseInt(part, 16))
  const id = [bytes[0]! ^ 0x02, bytes[1]!, bytes[2]!, 0xff, 0xfe, bytes[3]!, bytes[4]!, bytes[5]!]
  return id.reduce((value, byte) => (value << 8n) | BigInt(byte), prefix)
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
    const taken = await tx.db
      .selectFrom('net_ip_allocations')
      .select('port_id')
      .where('subnet_id', '=', subnet.id)
      .where('ip_address', '=', text)
      .executeTakeFirst()
    if (taken) {
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
    const taken = await tx.db
      .selectFrom('net_ip_allocations')
      .select('port_id')
      .where('subnet_id', '=', subnet.id)
      .where('ip_address', '=', text)
      .executeTakeFirst()
    if (!taken && text !== subnet.gateway_ip) return record(tx, subnet, text, portId)
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
  const value = parseIp(ip).value
  if (!poolRanges(subnet).some((pool) => within(pool, value))) return
  const n = Number(value)
  const before = await tx.db
    .selectFrom('net_ip_free_ranges')
    .select(['first_ip', 'last_ip'])
    .where('subnet_id', '=', subnet.id)
    .where('last_ip', '=', n - 1)
    .executeTakeFirst()
  const after = await tx.db
    .selectFrom('net_ip_free_ranges')
    .select(['first_ip', 'last_ip'])
    .where('subnet_id', '=', subnet.id)
    .where('first_ip', '=', n + 1)
    .executeTakeFirst()
  const first = before ? Number(before.first_ip) : n
  const last = after ? Number(after.last_ip) : n
  if (before) {
    await tx.db
      .deleteFrom('net_ip_free_ranges')
      .where('subnet_id', '=', subnet.id)
      .where('first_ip', '=', first)
      .execute()
  }
  if (after) {
    await tx.db
      .deleteFrom('net_ip_free_ranges')
      .where('subnet_id', '=', subnet.id)
      .where('first_ip', '=', n + 1)
      .execute()
  }
  await tx.db
    .insertInto('net_ip_free_ranges')
    .values({ subnet_id: subnet.id, first_ip: first, last_ip: last })
    .execute()
}
