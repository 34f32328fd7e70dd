import { type Cidr, formatIp } from './cidr.js'

// Sets of addresses as sorted, disjoint ranges, the way netaddr's IPSet serves Neutron's subnet pools: prefixes are
// merged and compacted, allocated subnets are taken out, and what is left is cut back into CIDR blocks.

/** An inclusive range of addresses. */
export interface AddressRange {
  first: bigint
  last: bigint
}

const bitsOf = (version: 4 | 6) => (version === 4 ? 32 : 128)

/** Sorts ranges and joins those that overlap or touch. */
export function mergeRanges(ranges: readonly AddressRange[]): AddressRange[] {
  const sorted = [...ranges].sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0))
  const out: AddressRange[] = []
  for (const range of sorted) {
    const last = out.at(-1)
    if (last && range.first <= last.last + 1n) {
      if (range.last > last.last) last.last = range.last
    } else {
      out.push({ first: range.first, last: range.last })
    }
  }
  return out
}

/** `ranges` without the addresses of `holes`; both merged first. */
export function subtractRanges(
  ranges: readonly AddressRange[],
  holes: readonly AddressRange[],
): AddressRange[] {
  const cut = mergeRanges(holes)
  const out: AddressRange[] = []
  for (const range of mergeRanges(ranges)) {
    let start = range.first
    for (const hole of cut) {
      if (hole.last < start || hole.first > range.last) continue
      if (hole.first > start) out.push({ first: start, last: hole.first - 1n })
      start = hole.last + 1n
    }
    if (start <= range.last) out.push({ first: start, last: range.last })
  }
  return out
}

/** Whether every address of `inner` is in `outer`. */
export function coversAll(outer: readonly AddressRange[], inner: readonly AddressRange[]): boolean {
  return subtractRanges(inner, outer).length === 0
}

/** The fewest aligned CIDR blocks that make up `range`, lowest first (netaddr's `iter_cidrs`). */
export function rangeToCidrs(range: AddressRange, version: 4 | 6): Cidr[] {
  const bits = bitsOf(version)
  const out: Cidr[] = []
  let first = range.first
  while (first <= range.last) {
    // The largest block that starts at `first` (its alignment) and still ends inside the range.
    let hostBits = 0
    while (
      hostBits < bits &&
      (first & ((1n << BigInt(hostBits + 1)) - 1n)) === 0n &&
      first + (1n << BigInt(hostBits + 1)) - 1n <= range.last
    ) {
      hostBits++
    }
    const last = first + (1n << BigInt(hostBits)) - 1n
    const prefix = bits - hostBits
    out.push({ text: `${formatIp(first, version)}/${prefix}`, version, prefix, first, last })
    first = last + 1n
  }
  return out
}

/** A set of ranges as the fewest CIDR blocks, lowest first. */
export function toCidrs(ranges: readonly AddressRange[], version: 4 | 6): Cidr[] {
  return mergeRanges(ranges).flatMap((range) => rangeToCidrs(range, version))
}
