import ipaddr from 'ipaddr.js'

/** IP version of an address or prefix. */
export type Family = 4 | 6

/** True for a plain IPv4 or IPv6 address (dotted quad only: `10.1` is not an address here). */
export function isAddress(text: string): boolean {
  return ipaddr.IPv4.isValidFourPartDecimal(text) || (ipaddr.IPv6.isValid(text) && text.includes(':'))
}

/** True for `address/length` of either family, or a bare address. */
export function isPrefix(text: string): boolean {
  const [address = '', length, ...rest] = text.split('/')
  if (rest.length > 0 || !isAddress(address)) return false
  if (length === undefined) return true
  const max = familyOf(address) === 4 ? 32 : 128
  return /^\d{1,3}$/.test(length) && Number(length) <= max
}

/** The family of an address or prefix (assumed valid). */
export function familyOf(text: string): Family {
  return text.includes(':') ? 6 : 4
}

/**
 * The canonical form of a prefix, as the kernel and ipset print it: the network address (host bits cleared), in
 * its shortest text, and `/length` — left out for a single host (`/32`, `/128`).
 */
export function canonicalPrefix(text: string): string {
  const [address, length] = parsePrefix(text)
  const max = familyOf(text) === 4 ? 32 : 128
  if (length === max) return address.toString()
  const network =
    address.kind() === 'ipv4'
      ? ipaddr.IPv4.networkAddressFromCIDR(`${address.toString()}/${length}`)
      : ipaddr.IPv6.networkAddressFromCIDR(`${address.toString()}/${length}`)
  return `${network.toString()}/${length}`
}

/** {@link canonicalPrefix} with the length always written (`/32`, `/128` for a host), as iptables takes it. */
export function explicitPrefix(text: string): string {
  const canonical = canonicalPrefix(text)
  return canonical.includes('/') ? canonical : `${canonical}/${familyOf(text) === 4 ? 32 : 128}`
}

/** The prefix length of a CIDR (`198.18.100.0/24` → 24); a bare address is a host prefix. */
export function prefixLength(cidr: string): number {
  return parsePrefix(cidr)[1]
}

/** Network address and dotted netmask of an IPv4 CIDR, as dnsmasq's `dhcp-range` wants them. */
export function ipv4Network(cidr: string): { network: string; netmask: string } {
  const length = prefixLength(cidr)
  return {
    network: ipaddr.IPv4.networkAddressFromCIDR(`${cidr.split('/')[0]}/${length}`).toString(),
    netmask: ipaddr.IPv4.subnetMaskFromPrefixLength(length).toString(),
  }
}

/** True when `address` lies in `cidr` (families must match). */
export function contains(cidr: string, address: string): boolean {
  if (familyOf(cidr) !== familyOf(address)) return false
  const [network, length] = parsePrefix(cidr)
  return ipaddr.parse(address).match(network, length)
}

/** `address/length` with the length of the subnet it belongs to, as an interface address. */
export function interfaceAddress(address: string, cidr: string): string {
  return `${ipaddr.parse(address).toString()}/${prefixLength(cidr)}`
}

/** An address as the kernel prints it (shortest IPv6 form). */
export function canonicalAddress(address: string): string {
  return ipaddr.parse(address).toString()
}

/**
 * The IPv6 link-local address the kernel derives from a MAC (modified EUI-64): a guest always has it, so the
 * anti-spoofing rules must let it through.
 */
export function linkLocalOf(mac: string): string {
  const bytes = mac.split(':').map((part) => Number.parseInt(part, 16))
  const eui = [(bytes[0] ?? 0) ^ 0x02, bytes[1], bytes[2], 0xff, 0xfe, bytes[3], bytes[4], bytes[5]]
  const parts = [0xfe80, 0, 0, 0]
  for (let i = 0; i < 8; i += 2) parts.push(((eui[i] ?? 0) << 8) | (eui[i + 1] ?? 0))
  return new ipaddr.IPv6(parts).toString()
}

function parsePrefix(text: string): [ipaddr.IPv4 | ipaddr.IPv6, number] {
  if (text.includes('/')) return ipaddr.parseCIDR(text)
  const address = ipaddr.parse(text)
  return [address, address.kind() === 'ipv4' ? 32 : 128]
}
