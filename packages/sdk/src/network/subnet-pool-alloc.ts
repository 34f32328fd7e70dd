import type { RequestContext } from '../core/context.js'
import { CloudError } from '../core/errors.js'
import type { Transaction } from '../store/types.js'
import { type Cidr, parseCidr } from './cidr.js'
import { subtractRanges, toCidrs } from './cidr-sets.js'
import { conflict, invalidInput, json } from './common.js'
import { lockRows } from './locks.js'
import { type SubnetPoolRow, visibleSubnetPool } from './subnet-pool-rows.js'

// Neutron's SubnetAllocator: what is free in a pool is its prefixes minus the subnets already allocated from it
// (net_subnets.subnetpool_id). The pool row is locked first, so two control planes never hand out the same block.

/** `INVALID` naming Neutron's SubnetAllocationError, for requests the pool cannot serve as asked. */
function allocationError(reason: string): CloudError {
  return new CloudError('INVALID', `Failed to allocate subnet: ${reason}.`, {
    details: { path: 'cidr', type: 'SubnetAllocationError' },
  })
}

/** The free blocks of `pool`: smallest first, then lowest address (Neutron's best fit, which keeps big blocks). */
async function freeBlocks(tx: Transaction, pool: SubnetPoolRow, version: 4 | 6): Promise<Cidr[]> {
  const allocated = await tx.db
    .selectFrom('net_subnets')
    .select('cidr')
    .where('subnetpool_id', '=', pool.id)
    .execute()
  const prefixes = json<string[]>(pool.prefixes).map((text) => parseCidr(text))
  const free = subtractRanges(
    prefixes,
    allocated.map((row) => parseCidr(row.cidr)),
  )
  return toCidrs(free, version).sort((a, b) => b.prefix - a.prefix)
}

function checkPrefixlen(pool: SubnetPoolRow, prefixlen: number) {
  if (prefixlen > pool.max_prefixlen) {
    throw invalidInput(
      `Unable to allocate subnet with prefix length ${prefixlen}, maximum allowed prefix is ${pool.max_prefixlen}.`,
      'prefixlen',
    )
  }
  if (prefixlen < pool.min_prefixlen) {
    throw invalidInput(
      `Unable to allocate subnet with prefix length ${prefixlen}, minimum allowed prefix is ${pool.min_prefixlen}.`,
      'prefixlen',
    )
  }
}

/**
 * The CIDR of a new subnet taken from pool `poolId`: `cidr` when given (inside the pool's prefixes and clear of its
 * subnets), else the best-fitting free block of `prefixlen` (default the pool's `default_prefixlen`).
 *
 * @throws CloudError `NOT_FOUND` for a pool `ctx` may not see; `INVALID` for another IP version, a length outside
 *   min..max, or a `cidr` the pool cannot give; `CONFLICT` (`details.reason: 'exhausted'`) when no block is left.
 */
export async function cidrFromPool(
  tx: Transaction,
  ctx: RequestContext,
  poolId: string,
  ipVersion: 4 | 6,
  cidr?: string,
  prefixlen?: number,
): Promise<Cidr> {
  await lockRows(tx, 'net_subnet_pools', [poolId])
  const pool = await visibleSubnetPool(tx.db, ctx, poolId)
  const version = pool.ip_version === 6 ? 6 : 4
  if (version !== ipVersion) {
    throw invalidInput(`Cannot allocate IPv${ipVersion} subnet from IPv${version} subnet pool`, 'ipVersion')
  }
  const free = await freeBlocks(tx, pool, version)
  if (cidr !== undefined) {
    const wanted = parseCidr(cidr, 'cidr', version)
    checkPrefixlen(pool, wanted.prefix)
    if (!free.some((block) => block.first <= wanted.first && wanted.last <= block.last)) {
      throw allocationError('Cannot allocate requested subnet from the available set of prefixes')
    }
    return wanted
  }
  const length = prefixlen ?? pool.default_prefixlen
  checkPrefixlen(pool, length)
  const block = free.find((candidate) => candidate.prefix <= length)
  if (!block) {
    throw conflict(
      'SubnetAllocationError',
      `Failed to allocate subnet: Insufficient prefix space to allocate subnet size /${length}.`,
      { reason: 'exhausted', subnetpoolId: pool.id },
    )
  }
  const text = `${block.text.split('/')[0]}/${length}`
  return parseCidr(text, 'cidr', version)
}
