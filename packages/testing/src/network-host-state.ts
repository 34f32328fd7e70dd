import { isDeepStrictEqual } from 'node:util'
import { CloudError, type HostState, type NetworkDriverCapabilities } from '@nubis/sdk'

// What the network double knows about a host state: whether a real driver could build it, and how many objects
// going from one state to another touches. Kept apart from the double so each reads on its own.

/** Linux interface names: at most 15 bytes (IFNAMSIZ less the NUL), no slash, no blank. */
const DEVICE_NAME = /^[^\s/]{1,15}$/

/**
 * Throws what a real driver would for a state it cannot build: `NOT_SUPPORTED` for DHCP servers, routers or
 * security groups while that flag is off, `INVALID` for a state that does not hold together (an id twice, a
 * port on a network the state lacks, a rule whose remote group is absent so its members are unknown…). This
 * is how the double catches a service that sends a host less than it needs.
 */
export function checkHostState(
  state: HostState,
  capabilities: Readonly<Partial<NetworkDriverCapabilities>>,
  driver: string,
): void {
  const unsupported = (what: string, capability: string) => {
    throw new CloudError('NOT_SUPPORTED', `Network driver ${driver} does not support ${what}`, {
      details: { capability },
    })
  }
  const usesGroups = state.securityGroups.length > 0 || state.ports.some((p) => p.securityGroupIds.length > 0)
  if (state.dhcp.length > 0 && !capabilities.dhcp) unsupported('DHCP servers', 'dhcp')
  if (state.routers.length > 0 && !capabilities.routers) unsupported('routers', 'routers')
  if (usesGroups && !capabilities.securityGroups) unsupported('security groups', 'securityGroups')

  const invalid = (message: string, path: string) => {
    throw new CloudError('INVALID', `Host state of ${state.host}: ${message}`, { details: { path } })
  }
  const unique = (ids: readonly string[], path: string) => {
    const seen = new Set<string>()
    for (const id of ids) {
      if (seen.has(id)) invalid(`${id} appears twice in ${path}`, path)
      seen.add(id)
    }
    return seen
  }
  const networks = unique(
    state.networks.map((n) => n.id),
    'networks',
  )
  const groups = unique(
    state.securityGroups.map((g) => g.id),
    'securityGroups',
  )
  unique(
    state.ports.map((p) => p.id),
    'ports',
  )
  unique(
    state.ports.map((p) => p.device),
    'ports.device',
  )
  unique(
    state.dhcp.map((d) => d.networkId),
    'dhcp',
  )
  unique(
    state.routers.map((r) => r.id),
    'routers',
  )
  const onNetwork = (networkId: string, path: string) => {
    if (!networks.has(networkId)) invalid(`${path} is on network ${networkId}, absent from networks`, path)
  }
  for (const port of state.ports) {
    if (!DEVICE_NAME.test(port.device))
      invalid(`port ${port.id} has a bad device name '${port.device}'`, 'ports.device')
    onNetwork(port.networkId, `port ${port.id}`)
    for (const group of port.securityGroupIds) {
      if (!groups.has(group))
        invalid(`port ${port.id} uses security group ${group}, absent`, 'ports.securityGroupIds')
    }
  }
  for (const group of state.securityGroups) {
    for (const rule of group.rules) {
      if (rule.remoteGroupId !== null && !groups.has(rule.remoteGroupId)) {
        invalid(`rule ${rule.id} has remote group ${rule.remoteGroupId}, absent`, 'securityGroups.rules')
      }
    }
  }
  for (const dhcp of state.dhcp) onNetwork(dhcp.networkId, `the DHCP server of ${dhcp.networkId}`)
  for (const router of state.routers) {
    if (router.gateway) onNetwork(router.gateway.networkId, `the gateway of router ${router.id}`)
    for (const port of router.interfaces)
      onNetwork(port.networkId, `interface ${port.portId} of router ${router.id}`)
  }
}

/**
 * How many objects a data plane would touch going from `before` to `after`: each network, flood-list peer,
 * port, security group, rule, DHCP server, router and floating IP added, changed or removed counts once.
 * Lists that are sets on a host (member addresses, a port's groups) are compared unordered.
 */
export function countChanges(before: HostState | undefined, after: HostState | undefined): number {
  const old = objectsOf(before)
  const now = objectsOf(after)
  let changes = 0
  for (const [key, value] of now) if (!isDeepStrictEqual(old.get(key), value)) changes++
  for (const key of old.keys()) if (!now.has(key)) changes++
  return changes
}

/** The objects of a state, each under a key naming its kind and id. */
function objectsOf(state: HostState | undefined): Map<string, unknown> {
  const objects = new Map<string, unknown>()
  if (!state) return objects
  for (const { peers, ...network } of state.networks) {
    objects.set(`network ${network.id}`, network)
    for (const peer of peers) objects.set(`peer ${network.id} ${peer}`, true)
  }
  for (const port of state.ports) {
    objects.set(`port ${port.id}`, { ...port, securityGroupIds: [...port.securityGroupIds].sort() })
  }
  for (const { rules, memberIps, ...group } of state.securityGroups) {
    objects.set(`group ${group.id}`, { ...group, memberIps: [...memberIps].sort() })
    for (const rule of rules) objects.set(`rule ${group.id} ${rule.id}`, rule)
  }
  for (const dhcp of state.dhcp) objects.set(`dhcp ${dhcp.networkId}`, dhcp)
  for (const { floatingIps, ...router } of state.routers) {
    objects.set(`router ${router.id}`, router)
    for (const ip of floatingIps) objects.set(`floating ip ${router.id} ${ip.id}`, ip)
  }
  return objects
}
