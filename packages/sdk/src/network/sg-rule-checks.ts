import { formatIp, parseIp } from './cidr.js'
import { invalidInput } from './common.js'
import { PROTOCOL_NAMES, type SecurityGroupRuleCreate } from './port-schemas.js'

// Neutron's checks of a security group rule, as pure functions of the request: protocol names and numbers, port
// ranges (ICMP type and code for ICMP), the remote prefix, and the key two rules are duplicates by.

/** IANA numbers of the protocol names Neutron accepts. */
export const PROTOCOL_NUMBERS: Readonly<Record<(typeof PROTOCOL_NAMES)[number], number>> = {
  ah: 51,
  dccp: 33,
  egp: 8,
  esp: 50,
  gre: 47,
  icmp: 1,
  icmpv6: 58,
  igmp: 2,
  ipip: 4,
  'ipv6-encap': 41,
  'ipv6-frag': 44,
  'ipv6-icmp': 58,
  'ipv6-nonxt': 59,
  'ipv6-opts': 60,
  'ipv6-route': 43,
  ospf: 89,
  pgm: 113,
  rsvp: 46,
  sctp: 132,
  tcp: 6,
  udp: 17,
  udplite: 136,
  vrrp: 112,
}

/** Protocols with ports: TCP, UDP, UDP-Lite, SCTP, DCCP. */
const PORT_PROTOCOLS = new Set([6, 17, 136, 132, 33])
/** Protocols that exist only over IPv6, by name and number. */
const IPV6_ONLY = new Set([
  'ipv6-encap',
  'ipv6-frag',
  'ipv6-icmp',
  'icmpv6',
  'ipv6-nonxt',
  'ipv6-opts',
  'ipv6-route',
])
const IPV6_ONLY_NUMBERS = new Set([41, 44, 58, 59, 60, 43])

/** A rule's fields after the checks, as stored. */
export interface CheckedRule {
  direction: 'ingress' | 'egress'
  ethertype: 'IPv4' | 'IPv6'
  protocol: string | null
  portRangeMin: number | null
  portRangeMax: number | null
  remoteIpPrefix: string | null
  remoteGroupId: string | null
}

/** A protocol as given → its stored form: a lower-case name, a number as a string, or null for any. */
function readProtocol(value: string | number | null | undefined): string | null {
  if (value === null || value === undefined || value === 'any') return null
  const text = String(value).trim().toLowerCase()
  const known = `Only protocol values [None, ${PROTOCOL_NAMES.join(', ')}] and integer representations [0 to 255] are supported.`
  if (/^\d+$/.test(text)) {
    const number = Number(text)
    if (number > 255)
      throw invalidInput(`Security group rule protocol ${value} not supported. ${known}`, 'protocol')
    return String(number)
  }
  if (!(PROTOCOL_NAMES as readonly string[]).includes(text)) {
    throw invalidInput(`Security group rule protocol ${value} not supported. ${known}`, 'protocol')
  }
  return text
}

/** The protocol number of a stored protocol, for comparisons; null for any. */
export function protocolNumber(protocol: string | null): number | null {
  if (protocol === null) return null
  return PROTOCOL_NUMBERS[protocol as keyof typeof PROTOCOL_NUMBERS] ?? Number(protocol)
}

function checkPorts(protocol: string | null, min: number | null, max: number | null): void {
  for (const [value, path] of [
    [min, 'portRangeMin'],
    [max, 'portRangeMax'],
  ] as const) {
    if (value !== null && (value < 0 || value > 65535))
      throw invalidInput(`Invalid value for port ${value}.`, path)
  }
  if (min === null && max === null) return
  const number = protocolNumber(protocol)
  if (number === null) throw invalidInput('Must also specify protocol if port range is given.', 'protocol')
  if (PORT_PROTOCOLS.has(number)) {
    if (min === 0 || max === 0)
      throw invalidInput('Invalid value for port 0.', min === 0 ? 'portRangeMin' : 'portRangeMax')
    if (min === null || max === null || min > max) {
      throw invalidInput('For TCP/UDP protocols, port_range_min must be <= port_range_max', 'portRangeMin')
    }
  } else if (number === 1 || number === 58) {
    for (const [value, field, attr, path] of [
      [min, 'type', 'port_range_min', 'portRangeMin'],
      [max, 'code', 'port_range_max', 'portRangeMax'],
    ] as const) {
      if (value !== null && value > 255) {
        throw invalidInput(`Invalid value for ICMP ${field} (${attr}) ${value}. It must be 0 to 255.`, path)
      }
    }
    if (min === null) {
      throw invalidInput(
        `ICMP code (port-range-max) ${max} is provided but ICMP type (port-range-min) is missing.`,
        'portRangeMax',
      )
    }
  } else {
    throw invalidInput(
      `Invalid protocol ${protocol} for port range, only supported for TCP, UDP, UDPLITE, SCTP and DCCP protocols.`,
      'protocol',
    )
  }
}

/** A remote prefix normalized as Neutron does: host bits cleared, a bare address made a /32 or /128. */
function readPrefix(text: string, ethertype: 'IPv4' | 'IPv6'): string {
  const [address = '', length, extra] = text.split('/')
  const ip = parseIp(address, 'remoteIpPrefix')
  const bits = ip.version === 4 ? 32 : 128
  if (extra !== undefined || (length !== undefined && (!/^\d{1,3}$/.test(length) || Number(length) > bits))) {
    throw invalidInput(`'${text}' is not a valid IP subnet`, 'remoteIpPrefix')
  }
  if (`IPv${ip.version}` !== ethertype) {
    throw invalidInput(`Conflicting value ethertype ${ethertype} for CIDR ${text}`, 'remoteIpPrefix')
  }
  const prefix = length === undefined ? bits : Number(length)
  const size = 1n << BigInt(bits - prefix)
  return `${formatIp(ip.value - (ip.value % size), ip.version)}/${prefix}`
}

/** Checks a rule request and returns its stored form; `INVALID` in Neutron's words for what Neutron refuses. */
export function checkRule(body: SecurityGroupRuleCreate): CheckedRule {
  const ethertype = body.ethertype ?? 'IPv4'
  let protocol = readProtocol(body.protocol)
  // Neutron stores the legacy IPv6 ICMP names and number in their canonical form.
  if (ethertype === 'IPv6' && (protocol === 'icmp' || protocol === 'icmpv6')) protocol = 'ipv6-icmp'
  if (ethertype === 'IPv6' && protocol === '1') protocol = '58'
  const portRangeMin = body.portRangeMin ?? null
  const portRangeMax = body.portRangeMax ?? null
  checkPorts(protocol, portRangeMin, portRangeMax)
  const remoteIpPrefix = body.remoteIpPrefix ? readPrefix(body.remoteIpPrefix, ethertype) : null
  if (
    ethertype === 'IPv4' &&
    protocol !== null &&
    (IPV6_ONLY.has(protocol) || IPV6_ONLY_NUMBERS.has(Number(protocol)))
  ) {
    throw invalidInput(`Invalid ethertype ${ethertype} for protocol ${protocol}.`, 'ethertype')
  }
  const remoteGroupId = body.remoteGroupId || null
  if (remoteIpPrefix !== null && remoteGroupId !== null) {
    throw invalidInput('Only remote_ip_prefix or remote_group_id may be provided.', 'remoteIpPrefix')
  }
  return {
    direction: body.direction,
    ethertype,
    protocol,
    portRangeMin,
    portRangeMax,
    remoteIpPrefix,
    remoteGroupId,
  }
}

/** What two rules of a group are duplicates by (Neutron's `_rule_to_key`): any-address prefixes equal none. */
export function ruleKey(rule: CheckedRule): string {
  const prefix =
    rule.remoteIpPrefix === '0.0.0.0/0' || rule.remoteIpPrefix === '::/0' ? null : rule.remoteIpPrefix
  return JSON.stringify([
    rule.direction,
    rule.ethertype,
    rule.portRangeMax,
    rule.portRangeMin,
    protocolNumber(rule.protocol),
    rule.remoteGroupId,
    prefix,
  ])
}
