import { type ApplyResult, CloudError, type HostNetwork, type HostState } from '@nubis/sdk'
import { dhcpFiles, dhcpSpec, dnsmasqConfig } from './dhcp.js'
import { convergeDnsmasq, listDhcpDirs, removeDnsmasq } from './dnsmasq.js'
import { convergeFilters, readFilters } from './filters.js'
import { convergeLink, deleteUnwanted, type LinkSpec, readLinks } from './links.js'
import { dhcpNamespace, routerNamespace, vxlanName } from './names.js'
import { convergeNamespace, createNamespace, listNamespaces } from './namespaces.js'
import { legLink, portLink } from './ports.js'
import { convergeRouter, routerSpec } from './routers.js'
import type { Runner } from './runner.js'
import { convergeFlood, networkLinks, readFloodTable } from './segments.js'
import { checkState } from './state-check.js'

/**
 * Converges one host to `state`, reading what exists first and issuing only the commands that close the gap,
 * in dependency order: what is no longer wanted goes first (so names can be reused), then networks (bridge,
 * uplink, flood list), namespaces, ports, router and DHCP legs, security groups, router and DHCP insides.
 *
 * A network that cannot be built fails its ports, and a port that cannot be plugged is reported in
 * `failedPorts` and left out of the filters, leaving no trace; everything else is still applied. A router or
 * DHCP server that fails is reported as `DRIVER_FAILED` once the rest is done.
 */
export async function applyState(runner: Runner, state: HostState): Promise<ApplyResult> {
  checkState(state)
  const { host, config } = runner
  const group = config.linkGroup
  const prefix = host.namespacePrefix
  const networks = new Map(state.networks.map((network) => [network.id, network]))
  const network = (id: string) => networks.get(id) as HostNetwork

  const [links, flood, namespaces, dhcpDirs, filters] = await Promise.all([
    readLinks(runner),
    readFloodTable(runner),
    listNamespaces(runner),
    listDhcpDirs(runner, config.stateDir, `${prefix}qdhcp-`),
    readFilters(runner),
  ])

  // What the host must have.
  const failedNetworks = new Map<string, string>()
  const networkSpecs = new Map<string, LinkSpec[]>()
  for (const n of state.networks) {
    try {
      networkSpecs.set(n.id, networkLinks(n, host, group))
    } catch (error) {
      failedNetworks.set(n.id, message(error))
    }
  }
  const routers = state.routers.map((router) => ({ router, spec: routerSpec(router, prefix, networks) }))
  const dhcps = state.dhcp.map((dhcp) => {
    const spec = dhcpSpec(dhcp, prefix, network(dhcp.networkId))
    return { dhcp, spec, files: dhcpFiles(config.stateDir, spec.namespace) }
  })
  const services = [...routers, ...dhcps]
  const legs = services.flatMap(({ spec }) => spec.legs.map((leg) => ({ leg, link: legLink(leg, group) })))
  const portSpecs = state.ports.map((port) => ({
    port,
    link: portLink(port, network(port.networkId), group),
  }))
  const wantedLinks = new Set([
    ...[...networkSpecs.values()].flat().map((spec) => spec.name),
    ...portSpecs.map(({ link }) => link.name),
    ...legs.map(({ link }) => link.name),
  ])
  const wantedNamespaces = new Set(services.map(({ spec }) => spec.namespace))

  // Away with the rest: links, DHCP servers, namespaces.
  await deleteUnwanted(runner, links, wantedLinks)
  const unwantedDirs = dhcpDirs.filter((dir) => !wantedNamespaces.has(dir))
  await Promise.all(unwantedDirs.map((dir) => removeDnsmasq(runner, dhcpFiles(config.stateDir, dir))))
  const ours = (ns: string) =>
    ns.startsWith(routerNamespace(prefix, '')) || ns.startsWith(dhcpNamespace(prefix, ''))
  const unwantedNamespaces = [...namespaces].filter((ns) => ours(ns) && !wantedNamespaces.has(ns))
  await Promise.all(unwantedNamespaces.map((ns) => runner.change(['ip', 'netns', 'del', ns])))

  // Networks, side by side (each one's links in order: bridge first).
  await Promise.all(
    state.networks.map(async (n) => {
      const specs = networkSpecs.get(n.id)
      if (!specs) return
      try {
        let fresh = false
        for (const spec of specs) fresh = (await convergeLink(runner, spec, links)) || fresh
        if (n.type === 'vxlan') {
          const device = vxlanName(n.segmentationId ?? 0)
          await convergeFlood(runner, n, fresh ? new Set() : (flood.get(device) ?? new Set()))
        }
      } catch (error) {
        failedNetworks.set(n.id, message(error))
      }
    }),
  )

  // Namespaces of routers and DHCP servers; in a new one, every leg is new (a stale host end goes first).
  const freshNamespaces = new Set([...wantedNamespaces].filter((ns) => !namespaces.has(ns)))
  await Promise.all([...freshNamespaces].map((ns) => createNamespace(runner, ns)))

  // Ports, side by side.
  const failures = new Map<string, string>()
  await Promise.all(
    portSpecs.map(async ({ port, link }) => {
      const broken = failedNetworks.get(port.networkId)
      if (broken !== undefined) {
        failures.set(port.id, `network ${port.networkId} could not be set up: ${broken}`)
      } else if (port.vif.type === 'veth' && !namespaces.has(port.vif.netns)) {
        failures.set(port.id, `namespace ${port.vif.netns} of its veth vif does not exist`)
      } else {
        await convergeLink(runner, link, links).catch((error: unknown) =>
          failures.set(port.id, message(error)),
        )
      }
    }),
  )
  const failedPorts = state.ports.flatMap((port) => {
    const reason = failures.get(port.id)
    return reason === undefined ? [] : [{ id: port.id, reason }]
  })

  // Legs of routers and DHCP servers, side by side.
  const errors: string[] = []
  await Promise.all(
    legs.map(async ({ leg, link }) => {
      const broken = failedNetworks.get(leg.network.id)
      if (broken !== undefined) {
        errors.push(
          `port ${leg.portId} in ${leg.namespace}: network ${leg.network.id} could not be set up: ${broken}`,
        )
        return
      }
      try {
        if (freshNamespaces.has(leg.namespace) && links.has(link.name)) {
          await runner.change(['ip', 'link', 'del', 'dev', link.name], { okCodes: [1] })
          links.delete(link.name)
        }
        await convergeLink(runner, link, links)
      } catch (error) {
        errors.push(`port ${leg.portId} in ${leg.namespace}: ${message(error)}`)
      }
    }),
  )

  // Security groups: only on ports that are plugged, so a failed port leaves no chain behind.
  const plugged = state.ports.filter((port) => !failures.has(port.id))
  await convergeFilters(runner, { ...state, ports: plugged }, networks, filters)

  // Routers and DHCP servers live in namespaces of their own: they are converged side by side.
  await Promise.all([
    ...routers.map(({ router, spec }) =>
      convergeRouter(runner, router, spec).catch((error: unknown) => {
        errors.push(`router ${router.id}: ${message(error)}`)
      }),
    ),
    ...dhcps.map(async ({ dhcp, spec, files }) => {
      try {
        await convergeNamespace(runner, spec)
        const wanted = dnsmasqConfig(dhcp, network(dhcp.networkId), files)
        if (wanted) await convergeDnsmasq(runner, spec.namespace, files, wanted)
        else if (dhcpDirs.includes(spec.namespace)) await removeDnsmasq(runner, files)
      } catch (error) {
        errors.push(`DHCP server of network ${dhcp.networkId}: ${message(error)}`)
      }
    }),
  ])

  const result = {
    changes: runner.changes,
    failedPorts,
  }
  if (errors.length > 0) {
    throw new CloudError(
      'DRIVER_FAILED',
      `Host ${host.name} was only partly converged: ${errors.join('; ')}`,
      {
        details: { ...result, errors },
      },
    )
  }
  return result
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
