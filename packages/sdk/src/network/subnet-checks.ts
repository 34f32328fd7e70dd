import { type Cidr, formatIp, normalizeIp, overlaps, parseCidr, parseIp, within } from './cidr.js'
import { conflict, invalidInput } from './common.js'

// Neutron's rules for a subnet's gateway, pools, DNS servers and host routes, as pure functions of the request.

/** A pool as integers. */
export interface Range {
  first: bigint
  last: bigint
}

/** The usable addresses of a CIDR: IPv4 leaves out network and broadcast (except /31 and /32). */
export function usable(cidr: Cidr): Range {
  if (cidr.version === 4 && cidr.prefix < 31) return { first: cidr.first + 1n, last: cidr.last - 1n }
  if (cidr.version === 6 && cidr.prefix < 127) return { first: cidr.first + 1n, last: cidr.last }
  return { first: cidr.first, last: cidr.last }
}

/** The gateway: absent → the first usable address; `null` → none; given → normalized and inside the subnet. */
export function checkGateway(cidr: Cidr, gateway: string | null | undefined): string | null {
  if (gateway === null) return null
  if (gateway === undefined) return formatIp(usable(cidr).first, cidr.version)
  const ip = parseIp(gateway, 'gatewayIp')
  if (ip.version !== cidr.version || !within(cidr, ip.value)) {
    throw invalidInput(`Gateway IP ${gateway} is not in subnet ${cidr.text}`, 'gatewayIp')
  }
  if (cidr.version === 4 && cidr.prefix < 31 && (ip.value === cidr.first || ip.value === cidr.last)) {
    throw invalidInput(
      `Gateway IP ${gateway} is the network or broadcast address of ${cidr.text}`,
      'gatewayIp',
    )
  }
  return formatIp(ip.value, ip.version)
}

/** The default pools: the usable addresses without the gateway. */
export function defaultPools(cidr: Cidr, gateway: string | null): Range[] {
  const all = usable(cidr)
  if (gateway === null) return [all]
  const gw = parseIp(gateway).value
  return [
    { first: all.first, last: gw - 1n },
    { first: gw + 1n, last: all.last },
  ].filter((range) => range.first <= range.last && within(all, range.first) && within(all, range.last))
}

/** Checks requested pools: inside the subnet, ordered, not overlapping each other nor holding the gateway. */
export function checkPools(
  cidr: Cidr,
  gateway: string | null,
  pools: readonly { start: string; end: string }[],
): Range[] {
  const ranges = pools.map((pool) => {
    const start = parseIp(pool.start, 'allocationPools')
    const end = parseIp(pool.end, 'allocationPools')
    if (start.version !== cidr.version || end.version !== cidr.version) {
      throw invalidInput(
        `Allocation pool ${pool.start}-${pool.end} is not of IP version ${cidr.version}`,
        'allocationPools',
      )
    }
    if (start.value > end.value) {
      throw invalidInput(
        `The allocation pool ${pool.start}-${pool.end} is not valid: start is after end.`,
        'allocationPools',
      )
    }
    if (!within(cidr, start.value) || !within(cidr, end.value)) {
      throw invalidInput(
        `The allocation pool ${pool.start}-${pool.end} spans beyond the subnet cidr ${cidr.text}.`,
        'allocationPools',
      )
    }
    return { first: start.value, last: end.value }
  })
  const sorted = [...ranges].sort((a, b) => (a.first < b.first ? -1 : 1))
  for (let i = 1; i < sorted.length; i++) {
    if (overlaps(sorted[i - 1]!, sorted[i]!)) {
      throw invalidInput('Found overlapping allocation pools.', 'allocationPools')
    }
  }
  if (gateway !== null) {
    const gw = parseIp(gateway).value
    if (ranges.some((range) => within(range, gw))) {
      throw conflict(
        'GatewayConflictWithAllocationPools',
        `Gateway ip ${gateway} conflicts with allocation pool.`,
      )
    }
  }
  return sorted
}

/** Pools as Neutron shows them. */
export function poolsText(ranges: readonly Range[], version: 4 | 6): { start: string; end: string }[] {
  return ranges.map((range) => ({
    start: formatIp(range.first, version),
    end: formatIp(range.last, version),
  }))
}

/** DNS servers: addresses of the subnet's IP version, no duplicates. */
export function checkNameservers(version: 4 | 6, servers: readonly string[]): string[] {
  const out = servers.map((server) => {
    const ip = parseIp(server, 'dnsNameservers')
    if (ip.version !== version)
      throw invalidInput(`DNS server ${server} is not IPv${version}`, 'dnsNameservers')
    return formatIp(ip.value, ip.version)
  })
  if (new Set(out).size !== out.length)
    throw invalidInput('Duplicate nameserver in the list.', 'dnsNameservers')
  return out
}

/** Host routes: a CIDR and a next hop of the subnet's IP version, no duplicates. */
export function checkRoutes(
  version: 4 | 6,
  routes: readonly { destination: string; nexthop: string }[],
  path = 'hostRoutes',
): { destination: string; nexthop: string }[] {
  const out = routes.map((route) => ({
    destination: parseCidr(route.destination, path, version).text,
    nexthop: normalizeIp(route.nexthop, path),
  }))
  const keys = out.map((route) => `${route.destination} ${route.nexthop}`)
  if (new Set(keys).size !== keys.length) throw invalidInput('Duplicate hostroute in the list.', path)
  return out
}

/** The IPv6 modes: none on IPv4; RA and address mode, when both are given, must agree. */
export function checkIpv6Modes(version: 4 | 6, address?: string, ra?: string): void {
  if (version === 4 && (address !== undefined || ra !== undefined)) {
    throw invalidInput(
      'ipv6_ra_mode or ipv6_address_mode cannot be set when ip_version is 4',
      'ipv6AddressMode',
    )
  }
  if (address !== undefined && ra !== undefined && address !== ra) {
    throw invalidInput(
      `ipv6_ra_mode set to '${ra}' with ipv6_address_mode set to '${address}' is not valid.`,
      'ipv6RaMode',
    )
  }
}
