import ipaddr from 'ipaddr.js'
import { CloudError } from '../core/errors.js'

// Addresses as bigints so IPv4 and IPv6 share one arithmetic: a /16's free ranges, a /64's bounds, overlap tests.

/** A parsed CIDR. */
export interface Cidr {
  /** Normalized text, e.g. `10.0.0.0/24` or `fd00::/64`. */
  text: string
  version: 4 | 6
  prefix: number
  /** The network address. */
  first: bigint
  /** The broadcast (IPv4) or last (IPv6) address. */
  last: bigint
}

const bitsOf = (version: 4 | 6) => (version === 4 ? 32 : 128)

function invalid(message: string, path: string): CloudError {
  return new CloudError('INVALID', message, { details: { path } })
}

/** An address as a bigint and its version; `INVALID` naming `path` for text that is no address. */
export function parseIp(text: string, path = 'ip_address'): { value: bigint; version: 4 | 6 } {
  if (!ipaddr.isValid(text) || (text.includes(':') === false && !ipaddr.IPv4.isValidFourPartDecimal(text))) {
    throw invalid(`'${text}' is not a valid IP address`, path)
  }
  const address = ipaddr.parse(text)
  let value = 0n
  for (const byte of address.toByteArray()) value = (value << 8n) | BigInt(byte)
  return { value, version: address.kind() === 'ipv4' ? 4 : 6 }
}

/** The text form of address `value`: dotted quad, or IPv6 in its shortest (RFC 5952) form. */
export function formatIp(value: bigint, version: 4 | 6): string {
  const bytes: number[] = []
  for (let i = bitsOf(version) / 8 - 1; i >= 0; i--) bytes.push(Number((value >> BigInt(i * 8)) & 0xffn))
  return ipaddr.fromByteArray(bytes).toString()
}

/** Normalized text of an address (`fd00:0::1` → `fd00::1`). */
export function normalizeIp(text: string, path?: string): string {
  const { value, version } = parseIp(text, path)
  return formatIp(value, version)
}

/** Parses a CIDR; `INVALID` for bad syntax, for host bits set (`10.0.0.5/24`), or for another IP version. */
export function parseCidr(text: string, path = 'cidr', version?: 4 | 6): Cidr {
  const [address, prefixText, extra] = text.split('/')
  if (
    address === undefined ||
    prefixText === undefined ||
    extra !== undefined ||
    !/^\d{1,3}$/.test(prefixText)
  ) {
    throw invalid(`'${text}' is not a valid CIDR`, path)
  }
  const ip = parseIp(address, path)
  const prefix = Number(prefixText)
  const bits = bitsOf(ip.version)
  if (prefix > bits) throw invalid(`'${text}' is not a valid CIDR`, path)
  if (version !== undefined && ip.version !== version) {
    throw invalid(`'${text}' is not an IPv${version} CIDR`, path)
  }
  const size = 1n << BigInt(bits - prefix)
  const first = ip.value - (ip.value % size)
  if (first !== ip.value) {
    const recommended = `${formatIp(first, ip.version)}/${prefix}`
    throw invalid(`'${text}' isn't a recommended CIDR, '${recommended}' is recommended`, path)
  }
  return {
    text: `${formatIp(first, ip.version)}/${prefix}`,
    version: ip.version,
    prefix,
    first,
    last: first + size - 1n,
  }
}

/** Whether two CIDRs (or ranges) share an address. */
export function overlaps(a: Pick<Cidr, 'first' | 'last'>, b: Pick<Cidr, 'first' | 'last'>): boolean {
  return a.first <= b.last && b.first <= a.last
}

/** Whether `value` lies in `range`. */
export function within(range: Pick<Cidr, 'first' | 'last'>, value: bigint): boolean {
  return range.first <= value && value <= range.last
}
