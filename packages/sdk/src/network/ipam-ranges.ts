import { sql } from 'kysely'
import { preparedStatement } from '../store/prepared.js'
import type { Transaction } from '../store/types.js'
import { parseIp, within } from './cidr.js'
import { conflict, json } from './common.js'
import type { IpamSubnet } from './ipam.js'

// The free IPv4 addresses of a subnet, kept in net_ip_free_ranges as inclusive ranges of integers, so handing out
// the first free address is one indexed read and one guarded update however full the subnet is. Every change is
// guarded by the range's old bounds: a concurrent taker that loses reads again.

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

/** `CONFLICT` `IpAddressGenerationFailure` with `reason: 'exhausted'`: the subnet has no free address left. */
export function exhausted(subnet: IpamSubnet) {
  return conflict(
    'IpAddressGenerationFailure',
    `No more IP addresses available on network ${subnet.network_id}.`,
    {
      reason: 'exhausted',
      subnetId: subnet.id,
    },
  )
}

/** Takes the lowest free IPv4 address. Guarded updates make a concurrent taker lose and read again. */
export async function takeFirstFree(tx: Transaction, subnet: IpamSubnet): Promise<bigint> {
  for (;;) {
    const [range] = (await firstRange(tx, subnet.id)).rows
    if (!range) throw exhausted(subnet)
    const first = Number(range.first_ip)
    const last = Number(range.last_ip)
    const result =
      first === last
        ? await dropRange(tx, subnet.id, first, last)
        : await shrinkRange(tx, first + 1, subnet.id, first, last)
    if (result.numAffectedRows === 1n) return BigInt(first)
  }
}

// The statements of takeFirstFree, compiled once: they run on every automatic allocation.
const firstRange = preparedStatement((db, subnetId: string) =>
  db
    .selectFrom('net_ip_free_ranges')
    .select(['first_ip', 'last_ip'])
    .where('subnet_id', '=', subnetId)
    .orderBy('first_ip')
    .limit(sql.lit(1)),
)
const dropRange = preparedStatement((db, subnetId: string, first: number, last: number) =>
  db
    .deleteFrom('net_ip_free_ranges')
    .where('subnet_id', '=', subnetId)
    .where('first_ip', '=', first)
    .where('last_ip', '=', last),
)
const shrinkRange = preparedStatement((db, next: number, subnetId: string, first: number, last: number) =>
  db
    .updateTable('net_ip_free_ranges')
    .set({ first_ip: next })
    .where('subnet_id', '=', subnetId)
    .where('first_ip', '=', first)
    .where('last_ip', '=', last),
)

/** Takes `ip` out of whichever free range holds it (if any), splitting the range. */
export async function carve(tx: Transaction, subnet: IpamSubnet, ip: bigint): Promise<void> {
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

/** Makes `value` free again if it lies in a pool, merged with the free ranges just below and above it. */
export async function returnToRanges(tx: Transaction, subnet: IpamSubnet, value: bigint): Promise<void> {
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
