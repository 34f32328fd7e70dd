import { familyOf } from './cidr.js'
import { shortHash } from './names.js'
import type { FilteredPort } from './security-groups.js'

// Anti-spoofing below IP, which iptables never sees: with ebtables (nf_tables bridge family, stateless), a
// filtered port may only send IPv4, IPv6 and ARP frames from its own MAC (or an allowed pair's), and ARP only
// for its own IPv4 addresses — so it can neither poison its neighbours' ARP caches nor speak other protocols.
// ebtables has no comments to hold a hash, so the hash of a chain's rules is in its name: a chain that exists
// under the wanted name is up to date, and a changed one is made under a new name and the old one dropped.

/** Prefix of the ebtables chains of the driver. */
const PREFIX = 'nb-a-'

/** Our chains and jumps as `ebtables-save` shows them. */
interface ActualL2 {
  chains: Map<string, number>
  /** Jumps `-A FORWARD -i <device> -j nb-a-…`, as `device chain`. */
  jumps: Set<string>
}

/** Reads our chains (with their rule counts) and jumps from `ebtables-save` output (filter table). */
export function parseEbtablesSave(text: string): ActualL2 {
  const actual: ActualL2 = { chains: new Map(), jumps: new Set() }
  let filter = false
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) filter = line === '*filter'
    if (!filter) continue
    if (line.startsWith(`:${PREFIX}`)) actual.chains.set(line.slice(1).split(' ')[0] as string, 0)
    const jump = /^-A FORWARD -i (\S+) -j (nb-a-\S+)$/.exec(line)
    if (jump) actual.jumps.add(`${jump[1]} ${jump[2]}`)
    const chain = /^-A (nb-a-\S+) /.exec(line)?.[1]
    if (chain && actual.chains.has(chain)) actual.chains.set(chain, (actual.chains.get(chain) ?? 0) + 1)
  }
  return actual
}

/** The frames a filtered port may send: per MAC, IP frames and ARP for that MAC's IPv4 addresses. */
function portRules({ port }: FilteredPort): string[] {
  const mac = port.mac.toLowerCase()
  const sources = new Map<string, Set<string>>([[mac, new Set(['0.0.0.0'])]]) // 0.0.0.0: ARP probes (RFC 5227)
  const add = (owner: string, ip: string) => sources.set(owner, (sources.get(owner) ?? new Set()).add(ip))
  for (const ip of port.fixedIps) if (familyOf(ip.ipAddress) === 4) add(mac, ip.ipAddress)
  for (const pair of port.allowedAddressPairs) {
    const owner = (pair.macAddress || mac).toLowerCase()
    if (familyOf(pair.ipAddress) === 4) add(owner, pair.ipAddress)
    else sources.set(owner, sources.get(owner) ?? new Set())
  }
  return [...sources].flatMap(([owner, ips]) => [
    `-p IPv4 -s ${owner} -j RETURN`,
    `-p IPv6 -s ${owner} -j RETURN`,
    ...[...ips].map((ip) => `-p ARP -s ${owner} --arp-mac-src ${owner} --arp-ip-src ${ip} -j RETURN`),
  ])
}

/**
 * The `ebtables-restore --noflush` input that makes the filter table's FORWARD chain send each filtered port's
 * frames to its chain (policy DROP), or null when all is as wanted.
 */
export function planEbtables(actual: ActualL2, ports: readonly FilteredPort[]): string | null {
  const wanted = new Map(
    ports.map((filtered) => {
      const rules = portRules(filtered)
      return [
        `${PREFIX}${filtered.port.device}-${shortHash(rules.join('\n'), 8)}`,
        { device: filtered.port.device, rules },
      ]
    }),
  )
  const lines: string[] = []
  for (const [chain, { rules }] of wanted) {
    if (actual.chains.get(chain) === rules.length) continue
    lines.push(`:${chain} DROP`, `-F ${chain}`, ...rules.map((rule) => `-A ${chain} ${rule}`))
  }
  const jumps = new Set([...wanted].map(([chain, { device }]) => `${device} ${chain}`))
  for (const jump of jumps)
    if (!actual.jumps.has(jump)) lines.push(`-A FORWARD -i ${jump.replace(' ', ' -j ')}`)
  for (const jump of actual.jumps)
    if (!jumps.has(jump)) lines.push(`-D FORWARD -i ${jump.replace(' ', ' -j ')}`)
  // nf_tables deletes only empty chains that nothing jumps to.
  const doomed = [...actual.chains.keys()].filter((chain) => !wanted.has(chain))
  lines.push(...doomed.map((chain) => `-F ${chain}`), ...doomed.map((chain) => `-X ${chain}`))
  return lines.length === 0 ? null : ['*filter', ...lines, 'COMMIT', ''].join('\n')
}
