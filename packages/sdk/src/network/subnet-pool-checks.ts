import { type Cidr, parseCidr } from './cidr.js'
import { coversAll, toCidrs } from './cidr-sets.js'
import { invalidInput } from './common.js'

// Neutron's SubnetPoolReader: a pool's prefixes are of one IP version, merged into the fewest CIDRs, and its prefix
// lengths default to 8 (IPv4) or 64 (IPv6) for the minimum, the address size for the maximum, and the minimum for the
// default, with min <= default <= max <= address size.

/** Prefix lengths of a pool. */
export interface PrefixBounds {
  minPrefixlen: number
  maxPrefixlen: number
  defaultPrefixlen: number
}

/** Neutron's default minimum prefix length per IP version. */
const DEFAULT_MIN_PREFIXLEN = { 4: 8, 6: 64 } as const

/** Parses and compacts a pool's prefixes; `INVALID` for an empty list, a bad CIDR or mixed IP versions. */
export function readPrefixes(texts: readonly string[]): { version: 4 | 6; prefixes: Cidr[] } {
  if (texts.length === 0) throw invalidInput('Empty subnet pool prefix list.', 'prefixes')
  const cidrs = texts.map((text) => parseCidr(text, 'prefixes'))
  const version = cidrs[0]!.version
  if (cidrs.some((cidr) => cidr.version !== version)) {
    throw invalidInput('Cannot mix IPv4 and IPv6 prefixes in a subnet pool.', 'prefixes')
  }
  return { version, prefixes: toCidrs(cidrs, version) }
}

/**
 * The prefixes of an update: a superset of the current ones (Neutron lets prefixes grow only), compacted.
 * `INVALID` when a current address would be lost or the IP version changes.
 */
export function growPrefixes(
  current: readonly string[],
  requested: readonly string[],
  version: 4 | 6,
): Cidr[] {
  const next = readPrefixes(requested)
  if (next.version !== version) {
    throw invalidInput('Cannot mix IPv4 and IPv6 prefixes in a subnet pool.', 'prefixes')
  }
  if (!coversAll(next.prefixes, readPrefixes(current).prefixes)) {
    throw invalidInput(
      'Illegal update to prefixes: Existing prefixes must be a subset of the new prefixes.',
      'prefixes',
    )
  }
  return next.prefixes
}

const PATHS: Record<string, string> = {
  min_prefixlen: 'minPrefixlen',
  max_prefixlen: 'maxPrefixlen',
  default_prefixlen: 'defaultPrefixlen',
}

const illegal = (type: string, value: number, baseType: string, base: number) =>
  invalidInput(`Illegal prefix bounds: ${type}=${value}, ${baseType}=${base}.`, PATHS[type] ?? type)

/** Fills in and checks a pool's prefix lengths (Neutron's order of checks and words). */
export function readBounds(version: 4 | 6, given: Partial<PrefixBounds>): PrefixBounds {
  const bits = version === 4 ? 32 : 128
  const minPrefixlen = given.minPrefixlen ?? DEFAULT_MIN_PREFIXLEN[version]
  const maxPrefixlen = given.maxPrefixlen ?? bits
  const defaultPrefixlen = given.defaultPrefixlen ?? minPrefixlen
  if (minPrefixlen > maxPrefixlen) throw illegal('min_prefixlen', minPrefixlen, 'max_prefixlen', maxPrefixlen)
  if (maxPrefixlen > bits) throw illegal('max_prefixlen', maxPrefixlen, 'ip_version_max', bits)
  if (defaultPrefixlen < minPrefixlen) {
    throw illegal('default_prefixlen', defaultPrefixlen, 'min_prefixlen', minPrefixlen)
  }
  if (defaultPrefixlen > maxPrefixlen) {
    throw illegal('default_prefixlen', defaultPrefixlen, 'max_prefixlen', maxPrefixlen)
  }
  return { minPrefixlen, maxPrefixlen, defaultPrefixlen }
}
