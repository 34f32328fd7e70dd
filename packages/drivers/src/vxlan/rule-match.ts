import type { HostSecurityGroupRule } from '@nubis/sdk'
import { explicitPrefix, type Family, familyOf } from './cidr.js'
import { groupSetName } from './names.js'

/** Protocol numbers Neutron accepts, by the name iptables knows them under. */
const PROTOCOL_NAMES: Record<string, string> = {
  '1': 'icmp',
  '6': 'tcp',
  '17': 'udp',
  '58': 'ipv6-icmp',
  '132': 'sctp',
  '33': 'dccp',
  icmpv6: 'ipv6-icmp',
}

/** Protocols whose port range is a destination port match. */
const WITH_PORTS = new Set(['tcp', 'udp', 'sctp', 'dccp'])

/**
 * The iptables match of one security-group rule in a port's chain of `family` (text ending with a space, or
 * `''` for "everything"), or null when the rule can match nothing there: its remote prefix is of the other
 * family, its remote group is unknown on this host, or it names ICMPv6 in an IPv4 chain.
 *
 * The remote side is the source for ingress rules and the destination for egress ones; the port range is a
 * destination port range for TCP/UDP/SCTP/DCCP, and type/code for ICMP (Neutron's convention: `icmp` in an
 * IPv6 rule means ICMPv6).
 */
export function ruleMatch(
  rule: HostSecurityGroupRule,
  family: Family,
  groupsPresent: ReadonlySet<string>,
): string | null {
  const parts: string[] = []
  const remote = rule.direction === 'ingress' ? '-s' : '-d'
  if (rule.remoteIpPrefix !== null) {
    if (familyOf(rule.remoteIpPrefix) !== family) return null
    const prefix = explicitPrefix(rule.remoteIpPrefix)
    // 0.0.0.0/0 and ::/0 mean anyone: no match at all.
    if (!prefix.endsWith('/0')) parts.push(remote, prefix)
  }
  const protocol = protocolName(rule.protocol, family)
  if (protocol === null) return null
  if (protocol !== '') parts.push('-p', protocol, ...portMatch(rule, protocol))
  if (rule.remoteGroupId !== null) {
    if (!groupsPresent.has(rule.remoteGroupId)) return null
    parts.push(
      '-m',
      'set',
      '--match-set',
      groupSetName(rule.remoteGroupId, family),
      rule.direction === 'ingress' ? 'src' : 'dst',
    )
  }
  return parts.length === 0 ? '' : `${parts.join(' ')} `
}

/** The protocol as iptables takes it, `''` for any, null for one that cannot occur in `family`. */
function protocolName(protocol: string | null, family: Family): string | null {
  if (protocol === null || protocol === '' || protocol.toLowerCase() === 'any') return ''
  const lower = protocol.toLowerCase()
  const name = PROTOCOL_NAMES[lower] ?? lower
  if (name === 'icmp' && family === 6) return 'ipv6-icmp'
  if (name === 'ipv6-icmp' && family === 4) return null
  return name
}

function portMatch(rule: HostSecurityGroupRule, protocol: string): string[] {
  const { portRangeMin: min, portRangeMax: max } = rule
  if (WITH_PORTS.has(protocol)) {
    if (min === null && max === null) return []
    const low = min ?? 1
    const high = max ?? 65_535
    if (low <= 1 && high >= 65_535) return []
    return ['-m', protocol, '--dport', low === high ? String(low) : `${low}:${high}`]
  }
  if ((protocol === 'icmp' || protocol === 'ipv6-icmp') && min !== null) {
    const type = max === null ? String(min) : `${min}/${max}`
    return protocol === 'icmp' ? ['-m', 'icmp', '--icmp-type', type] : ['-m', 'icmp6', '--icmpv6-type', type]
  }
  return []
}
