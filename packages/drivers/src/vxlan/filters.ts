import type { HostNetwork, HostState } from '@nubis/sdk'
import { cutChangedPorts, cutRemovedMembers } from './conntrack.js'
import { parseEbtablesSave, planEbtables } from './ebtables.js'
import { type ActualSets, convergeSets, destroySets, readSets } from './ipsets.js'
import { parseSave, planTable } from './iptables.js'
import { iptablesTools } from './options.js'
import type { Runner } from './runner.js'
import { filteredPorts, filterTable, groupSets, zoneTable } from './security-groups.js'

/** The sysctls that send bridged frames through iptables and ip6tables; without them no filter would apply. */
const BRIDGE_NETFILTER = ['net.bridge.bridge-nf-call-iptables', 'net.bridge.bridge-nf-call-ip6tables']

/** The host's filtering as it is, read before anything changes. */
export interface ActualFilters {
  sets: ActualSets
  /** `iptables-save` and `ip6tables-save` output. */
  saves: { 4: string; 6: string }
  /** The bridge netfilter sysctls that are not on. */
  bridgeNetfilterOff: string[]
  /** `ebtables-save` output ('' where ebtables is missing). */
  ebtables: string
}

/** Reads ipsets, both families' tables and the bridge netfilter sysctls, side by side. */
export async function readFilters(runner: Runner): Promise<ActualFilters> {
  const save = (family: 4 | 6) => runner.read([iptablesTools(runner.config.iptables, family).save])
  const files = BRIDGE_NETFILTER.map((key) => `/proc/sys/${key.replaceAll('.', '/')}`)
  const [sets, v4, v6, sysctls, ebtables] = await Promise.all([
    readSets(runner),
    save(4),
    save(6),
    runner.probe(['cat', ...files]),
    // A host without ebtables is fine until a port needs filtering.
    runner.probe(['ebtables-save']).catch(() => null),
  ])
  const values = sysctls.stdout.split('\n')
  return {
    sets,
    saves: { 4: v4, 6: v6 },
    bridgeNetfilterOff: BRIDGE_NETFILTER.filter((_, i) => values[i]?.trim() !== '1'),
    ebtables: ebtables?.exitCode === 0 ? ebtables.stdout : '',
  }
}

/**
 * Converges the host's packet filtering to `state` (whose ports are the plugged ones): remote-group ipsets,
 * the filter and raw tables of both address families, the frames below IP (ebtables), then cuts the
 * established flows that lost their allow and destroys the sets nothing uses any more. Bridged frames are sent through iptables (br_netfilter
 * sysctls) as soon as a port is filtered; that is not undone, as other bridges of the host may rely on it.
 */
export async function convergeFilters(
  runner: Runner,
  state: HostState,
  networks: ReadonlyMap<string, HostNetwork>,
  actual: ActualFilters,
): Promise<void> {
  const ports = filteredPorts(state.ports, networks, state.securityGroups)
  const groupIds = new Set(state.securityGroups.map((group) => group.id))
  if (ports.length > 0 && actual.bridgeNetfilterOff.length > 0) {
    await runner.change(['sysctl', '-qw', ...actual.bridgeNetfilterOff.map((key) => `${key}=1`)])
  }
  const wantedSets = groupSets(ports, state.securityGroups)
  const removedMembers = await convergeSets(runner, actual.sets, wantedSets)
  for (const family of [4, 6] as const) {
    const tools = iptablesTools(runner.config.iptables, family)
    const tables = parseSave(actual.saves[family])
    const specs = [filterTable(family, ports, groupIds, state.networks.length > 0), zoneTable(state.networks)]
    const plans = specs.map((spec) => planTable(tables.get(spec.table), spec))
    const restore = plans.flatMap((plan) => (plan.restore === null ? [] : [plan.restore])).join('')
    if (restore !== '') await runner.change([tools.restore, '-w', '--noflush'], { stdin: restore })
    if (plans[0]) await cutChangedPorts(runner, family, plans[0], ports)
  }
  const l2 = planEbtables(parseEbtablesSave(actual.ebtables), ports)
  if (l2 !== null) await runner.change(['ebtables-restore', '--noflush'], { stdin: l2 })
  await cutRemovedMembers(runner, removedMembers, ports)
  await destroySets(runner, actual.sets, new Set(wantedSets.keys()))
}
