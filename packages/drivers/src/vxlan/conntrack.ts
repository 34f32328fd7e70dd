import { type Family, familyOf } from './cidr.js'
import type { TablePlan } from './iptables.js'
import { groupSetName, portChain } from './names.js'
import { inNamespace, type Runner } from './runner.js'
import type { FilteredPort } from './security-groups.js'

// Taking an allow away (a rule, an ipset member) does not stop flows already ESTABLISHED: conntrack lets their
// packets through before any rule is read. So the entries of the flows that may have lost their allow are
// deleted. Flows that are still allowed survive it: their next packet is NEW again and passes the rules
// (TCP is picked up mid-stream), while the others now meet the DROP.

/** `conntrack -D` with a filter; exit 1 means "no entry matched", which is fine. */
async function deleteEntries(runner: Runner, namespace: string | null, filter: string[]): Promise<void> {
  const argv = ['conntrack', '-D', ...filter]
  await runner.change(namespace === null ? argv : inNamespace(namespace, argv), { okCodes: [1] })
}

const familyFlag = (family: Family) => ['-f', family === 4 ? 'ipv4' : 'ipv6']

/**
 * After the filter tables of `family` were rewritten: for each port whose ingress chain changed, deletes the
 * entries of flows towards its addresses; whose egress or anti-spoofing chain changed, those from them.
 */
export async function cutChangedPorts(
  runner: Runner,
  family: Family,
  plan: TablePlan,
  ports: readonly FilteredPort[],
) {
  for (const { port, zone } of ports) {
    const ips = port.fixedIps.map((ip) => ip.ipAddress).filter((ip) => familyOf(ip) === family)
    const ingress = plan.changed.has(portChain('i', port.device))
    const egress =
      plan.changed.has(portChain('o', port.device)) || plan.changed.has(portChain('s', port.device))
    for (const ip of ips) {
      const base = [...familyFlag(family), '-w', String(zone)]
      if (ingress) await deleteEntries(runner, null, [...base, '-d', ip])
      if (egress) await deleteEntries(runner, null, [...base, '-s', ip])
    }
  }
}

/**
 * After members left remote-group sets: deletes the flows between each removed address and the ports whose
 * rules use that set, in both directions.
 */
export async function cutRemovedMembers(
  runner: Runner,
  removed: ReadonlyMap<string, string[]>,
  ports: readonly FilteredPort[],
) {
  if (removed.size === 0) return
  for (const { port, zone, rules } of ports) {
    const sets = new Set(
      rules.flatMap((rule) =>
        rule.remoteGroupId === null
          ? []
          : [groupSetName(rule.remoteGroupId, rule.ethertype === 'IPv4' ? 4 : 6)],
      ),
    )
    for (const [set, members] of removed) {
      if (!sets.has(set)) continue
      for (const member of members.filter((m) => !m.includes('/'))) {
        for (const ip of port.fixedIps
          .map((f) => f.ipAddress)
          .filter((ip) => familyOf(ip) === familyOf(member))) {
          const base = [...familyFlag(familyOf(member)), '-w', String(zone)]
          await deleteEntries(runner, null, [...base, '-s', member, '-d', ip])
          await deleteEntries(runner, null, [...base, '-s', ip, '-d', member])
        }
      }
    }
  }
}

/** In a router namespace: cuts the flows NATed through floating IPs that were taken away. */
export async function cutFloatingIps(runner: Runner, namespace: string, floatingIps: readonly string[]) {
  for (const ip of floatingIps) {
    await deleteEntries(runner, namespace, [...familyFlag(familyOf(ip)), '--orig-dst', ip])
    await deleteEntries(runner, namespace, [...familyFlag(familyOf(ip)), '--reply-dst', ip])
  }
}
