import type { HostNetwork, HostState } from '@nubis/sdk'
import { cutChangedPorts, cutRemovedMembers } from './conntrack.js'
import { convergeSets, destroySets, readSets } from './ipsets.js'
import { parseSave, planTable } from './iptables.js'
import { iptablesTools } from './options.js'
import type { Runner } from './runner.js'
import { filteredPorts, filterTable, groupSets, zoneTable } from './security-groups.js'

/** The sysctls that send bridged frames through iptables and ip6tables; without them no filter would apply. */
const BRIDGE_NETFILTER = ['net.bridge.bridge-nf-call-iptables', 'net.bridge.bridge-nf-call-ip6tables']

/**
 * Converges the host's packet filtering to `state` (whose ports are the plugged ones): remote-group ipsets,
 * the filter and raw tables of both address families, then cuts the established flows that lost their allow
 * and destroys the sets nothing uses any more.
 */
export async function convergeFilters(
  runner: Runner,
  state: HostState,
  networks: ReadonlyMap<string, HostNetwork>,
): Promise<void> {
  const ports = filteredPorts(state.ports, networks, state.securityGroups)
  const groupIds = new Set(state.securityGroups.map((group) => group.id))
  if (ports.length > 0) await enableBridgeNetfilter(runner)
  const actualSets = await readSets(runner)
  const wantedSets = groupSets(ports, state.securityGroups)
  const removedMembers = await convergeSets(runner, actualSets, wantedSets)
  for (const family of [4, 6] as const) {
    const tools = iptablesTools(runner.config.iptables, family)
    const tables = parseSave(await runner.read([tools.save]))
    const specs = [filterTable(family, ports, groupIds, state.networks.length > 0), zoneTable(state.networks)]
    const plans = specs.map((spec) => planTable(tables.get(spec.table), spec))
    const restore = plans.flatMap((plan) => (plan.restore === null ? [] : [plan.restore])).join('')
    if (restore !== '') await runner.change([tools.restore, '-w', '--noflush'], { stdin: restore })
    if (plans[0]) await cutChangedPorts(runner, family, plans[0], ports)
  }
  await cutRemovedMembers(runner, removedMembers, ports)
  await destroySets(runner, actualSets, new Set(wantedSets.keys()))
}

async function enableBridgeNetfilter(runner: Runner): Promise<void> {
  const files = BRIDGE_NETFILTER.map((key) => `/proc/sys/${key.replaceAll('.', '/')}`)
  const values = (await runner.read(['cat', ...files])).split('\n')
  const off = BRIDGE_NETFILTER.filter((_, i) => values[i]?.trim() !== '1')
  if (off.length > 0) await runner.change(['sysctl', '-qw', ...off.map((key) => `${key}=1`)])
}
