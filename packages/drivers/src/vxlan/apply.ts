import { type ApplyResult, CloudError, type HostState } from '@nubis/sdk'
import { convergeDhcp, dhcpFiles } from './dhcp.js'
import { listDhcpDirs, removeDnsmasq } from './dnsmasq.js'
import { convergeFilters, readFilters } from './filters.js'
import { type HostPlan, planHost } from './host-plan.js'
import { type ActualLink, convergeLink, deleteUnwanted, readLinks } from './links.js'
import { dhcpNamespace, routerNamespace, vxlanName } from './names.js'
import { createNamespace, listNamespaces } from './namespaces.js'
import { convergeRouter } from './routers.js'
import type { Runner } from './runner.js'
import { convergeFlood, type FloodTable, readFloodTable } from './segments.js'
import { checkState } from './state-check.js'

/**
 * Converges one host to `state`, reading what exists first and issuing only the commands that close the gap,
 * in dependency order: what is no longer wanted goes first (so names can be reused), then networks (bridge,
 * uplink, flood list), namespaces, ports, router and DHCP legs, security groups, router and DHCP insides.
 * Independent objects (networks, ports, namespaces) are converged side by side.
 *
 * A network that cannot be built fails its ports, and a port that cannot be plugged is reported in
 * `failedPorts` and left out of the filters, leaving no trace; everything else is still applied. A router or
 * DHCP server that fails is reported as `DRIVER_FAILED` once the rest is done.
 */
export async function applyState(runner: Runner, state: HostState): Promise<ApplyResult> {
  checkState(state)
  const { host, config } = runner
  const plan = planHost(state, host, config.stateDir, config.linkGroup)
  const [links, flood, namespaces, dhcpDirs, filters] = await Promise.all([
    readLinks(runner),
    readFloodTable(runner),
    listNamespaces(runner),
    listDhcpDirs(runner, config.stateDir, dhcpNamespace(host.namespacePrefix, '')),
    readFilters(runner),
  ])

  // Away with the rest: links, DHCP servers, namespaces.
  await deleteUnwanted(runner, links, plan.links)
  const doomedDirs = dhcpDirs.filter((dir) => !plan.namespaces.has(dir))
  await Promise.all(doomedDirs.map((dir) => removeDnsmasq(runner, dhcpFiles(config.stateDir, dir))))
  const ours = (ns: string) =>
    [routerNamespace, dhcpNamespace].some((name) => ns.startsWith(name(host.namespacePrefix, '')))
  const doomedNamespaces = [...namespaces].filter((ns) => ours(ns) && !plan.namespaces.has(ns))
  await Promise.all(doomedNamespaces.map((ns) => runner.change(['ip', 'netns', 'del', ns])))

  const failedNetworks = await buildNetworks(runner, plan, links, flood)
  const freshNamespaces = new Set([...plan.namespaces].filter((ns) => !namespaces.has(ns)))
  await Promise.all([...freshNamespaces].map((ns) => createNamespace(runner, ns)))
  const failures = await plugPorts(runner, plan, links, failedNetworks, namespaces)
  const errors = await plugLegs(runner, plan, links, failedNetworks, freshNamespaces)

  // Security groups: only on ports that are plugged, so a failed port leaves no chain behind.
  const plugged = state.ports.filter((port) => !failures.has(port.id))
  await convergeFilters(runner, { ...state, ports: plugged }, plan.networks, filters)

  // Routers and DHCP servers live in namespaces of their own: they are converged side by side.
  const report = (what: string) => (error: unknown) => {
    errors.push(`${what}: ${message(error)}`)
  }
  await Promise.all([
    ...plan.routers.map(({ router, spec }) =>
      convergeRouter(runner, router, spec).catch(report(`router ${router.id}`)),
    ),
    ...plan.dhcps.map((server) => {
      const { networkId } = server.dhcp
      const hadFiles = dhcpDirs.includes(server.spec.namespace)
      return convergeDhcp(runner, server, plan.networks.get(networkId)!, hadFiles).catch(
        report(`DHCP server of network ${networkId}`),
      )
    }),
  ])

  const failedPorts = state.ports.flatMap((port) => {
    const reason = failures.get(port.id)
    return reason === undefined ? [] : [{ id: port.id, reason }]
  })
  const result = { changes: runner.changes, failedPorts }
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

/** Bridges, uplinks and flood lists of every network; returns the networks that failed, with why. */
async function buildNetworks(
  runner: Runner,
  plan: HostPlan,
  links: Map<string, ActualLink>,
  flood: FloodTable,
) {
  const failed = new Map<string, string>()
  await Promise.all(
    [...plan.networkLinks].map(async ([id, specs]) => {
      if (!Array.isArray(specs)) return failed.set(id, specs.error)
      try {
        const made = new Set<string>()
        for (const spec of specs) if (await convergeLink(runner, spec, links)) made.add(spec.name)
        const network = plan.networks.get(id)!
        if (network.type !== 'vxlan') return
        // A device made just now has no flood entries, whatever the first read said.
        const device = vxlanName(network.segmentationId ?? 0)
        await convergeFlood(runner, network, made.has(device) ? new Set() : (flood.get(device) ?? new Set()))
      } catch (error) {
        failed.set(id, message(error))
      }
    }),
  )
  return failed
}

/** Plugs the ports; returns the ones that could not be, with why. */
async function plugPorts(
  runner: Runner,
  plan: HostPlan,
  links: Map<string, ActualLink>,
  failedNetworks: ReadonlyMap<string, string>,
  namespaces: ReadonlySet<string>,
) {
  const failures = new Map<string, string>()
  await Promise.all(
    plan.ports.map(async ({ port, link }) => {
      const broken = failedNetworks.get(port.networkId)
      if (broken !== undefined)
        return failures.set(port.id, `network ${port.networkId} could not be set up: ${broken}`)
      if (port.vif.type === 'veth' && !namespaces.has(port.vif.netns)) {
        return failures.set(port.id, `namespace ${port.vif.netns} of its veth vif does not exist`)
      }
      await convergeLink(runner, link, links).catch((error: unknown) => failures.set(port.id, message(error)))
    }),
  )
  return failures
}

/** Plugs the legs of routers and DHCP servers; returns what failed. In a new namespace every leg is new. */
async function plugLegs(
  runner: Runner,
  plan: HostPlan,
  links: Map<string, ActualLink>,
  failedNetworks: ReadonlyMap<string, string>,
  freshNamespaces: ReadonlySet<string>,
): Promise<string[]> {
  const errors: string[] = []
  await Promise.all(
    plan.legs.map(async ({ leg, link }) => {
      const where = `port ${leg.portId} in ${leg.namespace}`
      const broken = failedNetworks.get(leg.network.id)
      if (broken !== undefined)
        return errors.push(`${where}: network ${leg.network.id} could not be set up: ${broken}`)
      try {
        // The host end of a leg whose namespace was deleted may linger a moment: it is stale.
        if (freshNamespaces.has(leg.namespace) && links.has(link.name)) {
          await runner.change(['ip', 'link', 'del', 'dev', link.name], { okCodes: [1] })
          links.delete(link.name)
        }
        await convergeLink(runner, link, links)
      } catch (error) {
        errors.push(`${where}: ${message(error)}`)
      }
    }),
  )
  return errors
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
