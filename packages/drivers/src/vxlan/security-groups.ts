import type { HostNetwork, HostPort, HostSecurityGroup, HostSecurityGroupRule } from '@nubis/sdk'
import { canonicalPrefix, explicitPrefix, type Family, familyOf, linkLocalOf } from './cidr.js'
import type { TableSpec } from './iptables.js'
import { BRIDGE_WILDCARD, bridgeName, groupSetName, portChain } from './names.js'
import { ruleMatch } from './rule-match.js'

// Security groups as iptables rules on bridged traffic (br_netfilter): FORWARD jumps to `nb-fwd`, which sends
// the frames leaving the bridge towards a port (`--physdev-out`) to the port's ingress chain and the frames
// coming from it (`--physdev-in`) to its egress chain. Port chains RETURN what they allow and DROP the rest,
// so a frame between two filtered ports on one host passes both; `nb-fwd` then accepts what is bridged by
// our bridges. Each network's frames get their own conntrack zone (raw table), so tenants with overlapping
// addresses never share connection-tracking entries.

/** A port that is filtered (port security on), with what its chains need. */
export interface FilteredPort {
  port: HostPort
  zone: number
  /** Rules of all its groups, as given. */
  rules: HostSecurityGroupRule[]
}

/** The ports of a host state that get security-group chains, with their rules and conntrack zone. */
export function filteredPorts(
  ports: readonly HostPort[],
  networks: ReadonlyMap<string, HostNetwork>,
  groups: readonly HostSecurityGroup[],
): FilteredPort[] {
  const byId = new Map(groups.map((group) => [group.id, group]))
  return ports
    .filter((port) => port.portSecurity)
    .map((port) => ({
      port,
      zone: networks.get(port.networkId)?.localId ?? 0,
      rules: port.securityGroupIds.flatMap((id) => byId.get(id)?.rules ?? []),
    }))
}

const icmp6 = (action: string) => (type: number) => `-p ipv6-icmp -m icmp6 --icmpv6-type ${type} -j ${action}`

/** Replies of allowed connections pass; packets conntrack finds INVALID never do. */
const STATEFUL = [
  '-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN',
  '-m conntrack --ctstate INVALID -j DROP',
]

/**
 * What every filtered port may do whatever its groups say, per family: get DHCP answers and, for IPv6,
 * neighbour discovery, MLD and router advertisements (`ingress`); send DHCP requests and, for IPv6, DAD
 * probes before it has an address (`unaddressed`, checked before anti-spoofing); not answer DHCP nor
 * advertise itself as a router (`egress`).
 */
const BUILT_IN = {
  4: {
    ingress: ['-p udp -m udp --sport 67 --dport 68 -j RETURN'],
    unaddressed: ['-s 0.0.0.0/32 -d 255.255.255.255/32 -p udp -m udp --sport 68 --dport 67 -j RETURN'],
    egress: ['-p udp -m udp --sport 68 --dport 67 -j RETURN', '-p udp -m udp --sport 67 --dport 68 -j DROP'],
  },
  6: {
    ingress: [
      ...[130, 131, 132, 134, 135, 136, 143].map(icmp6('RETURN')),
      '-p udp -m udp --sport 547 --dport 546 -j RETURN',
    ],
    unaddressed: ['-s ::/128 -p ipv6-icmp -j RETURN'],
    egress: [
      icmp6('DROP')(134),
      ...[130, 131, 132, 133, 135, 136, 143].map(icmp6('RETURN')),
      '-p udp -m udp --sport 546 --dport 547 -j RETURN',
      '-p udp -m udp --sport 547 --dport 546 -j DROP',
    ],
  },
} as const

/**
 * The filter table for one address family: per filtered port an ingress chain (frames to the guest), an
 * egress chain (frames from it) and an anti-spoofing chain (it sends only from its own addresses and MAC, an
 * allowed address pair, or for IPv6 the link-local address of the MAC), each made of the built-in rules above,
 * the rules of its groups, and a final DROP.
 */
export function filterTable(
  family: Family,
  ports: readonly FilteredPort[],
  groupsPresent: ReadonlySet<string>,
  hasNetworks: boolean,
): TableSpec {
  const chains = new Map<string, string[]>()
  const dispatch: string[] = []
  for (const { port, rules } of [...ports].sort((a, b) => a.port.device.localeCompare(b.port.device))) {
    const [ingress, egress, spoof] = [
      portChain('i', port.device),
      portChain('o', port.device),
      portChain('s', port.device),
    ]
    dispatch.push(
      `-m physdev --physdev-out ${port.device} --physdev-is-bridged -j ${ingress}`,
      `-m physdev --physdev-in ${port.device} --physdev-is-bridged -j ${egress}`,
    )
    const own = (direction: 'ingress' | 'egress') =>
      dedupe(
        rules
          .filter((rule) => rule.direction === direction && rule.ethertype === `IPv${family}`)
          .flatMap((rule) => {
            const match = ruleMatch(rule, family, groupsPresent)
            return match === null ? [] : [`${match}-j RETURN`]
          }),
      )
    const builtIn = BUILT_IN[family]
    chains.set(ingress, [...STATEFUL, ...builtIn.ingress, ...own('ingress'), '-j DROP'])
    chains.set(egress, [
      ...builtIn.unaddressed,
      `-j ${spoof}`,
      ...builtIn.egress,
      ...STATEFUL,
      ...own('egress'),
      '-j DROP',
    ])
    chains.set(spoof, [...spoofRules(port, family), '-j DROP'])
  }
  if (!hasNetworks) return { table: 'filter', chains, jumps: [] }
  // Whatever our bridges carry and no port chain dropped is accepted, even under a FORWARD policy of DROP.
  dispatch.push(`-o ${BRIDGE_WILDCARD} -m physdev --physdev-is-bridged -j ACCEPT`)
  chains.set('nb-fwd', dispatch)
  return { table: 'filter', chains, jumps: [{ from: 'FORWARD', to: 'nb-fwd' }] }
}

/** The raw table: each network's bridged frames in the network's own conntrack zone. */
export function zoneTable(networks: readonly HostNetwork[]): TableSpec {
  if (networks.length === 0) return { table: 'raw', chains: new Map(), jumps: [] }
  const rules = [...networks]
    .sort((a, b) => a.localId - b.localId)
    .map((network) => `-i ${bridgeName(network.id)} -j CT --zone ${network.localId}`)
  return { table: 'raw', chains: new Map([['nb-ct', rules]]), jumps: [{ from: 'PREROUTING', to: 'nb-ct' }] }
}

/** The ipsets the rules use: set name → family and members (the remote group's addresses of that family). */
export function groupSets(ports: readonly FilteredPort[], groups: readonly HostSecurityGroup[]) {
  const byId = new Map(groups.map((group) => [group.id, group]))
  const sets = new Map<string, { family: Family; members: Set<string> }>()
  for (const rule of ports.flatMap((p) => p.rules)) {
    const group = rule.remoteGroupId === null ? undefined : byId.get(rule.remoteGroupId)
    if (!group) continue
    const family: Family = rule.ethertype === 'IPv4' ? 4 : 6
    const members = group.memberIps.filter((ip) => familyOf(ip) === family).map(canonicalPrefix)
    sets.set(groupSetName(group.id, family), { family, members: new Set(members) })
  }
  return sets
}

function spoofRules(port: HostPort, family: Family): string[] {
  const mac = port.mac.toLowerCase()
  const pairs = [
    ...port.fixedIps.map((ip) => ({ source: ip.ipAddress, mac })),
    ...(family === 6 ? [{ source: linkLocalOf(mac), mac }] : []),
    ...port.allowedAddressPairs.map((pair) => ({
      source: pair.ipAddress,
      mac: (pair.macAddress || mac).toLowerCase(),
    })),
    ...(family === 6
      ? port.allowedAddressPairs
          .filter((pair) => pair.macAddress)
          .map((pair) => ({ source: linkLocalOf(pair.macAddress), mac: pair.macAddress.toLowerCase() }))
      : []),
  ]
  return dedupe(
    pairs
      .filter((pair) => familyOf(pair.source) === family)
      .map((pair) => `-s ${explicitPrefix(pair.source)} -m mac --mac-source ${pair.mac} -j RETURN`),
  )
}

function dedupe(lines: string[]): string[] {
  return [...new Set(lines)]
}
