import type { z } from 'zod'
import { isoTime } from '../core/clock.js'
import type { RequestContext } from '../core/context.js'
import { casUpdate } from '../store/cas.js'
import type { Transaction } from '../store/types.js'
import { normalizeIp } from './cidr.js'
import { bool, conflict, invalidInput } from './common.js'
import type { NetworkDeps } from './deps.js'
import { visibleNetwork } from './network-rows.js'
import { assignFixedIps, type FixedIpRequest, releaseFixedIps } from './port-ips.js'
import { loadFixedIps, type PortRow, portEvent } from './port-rows.js'
import type { FixedIp } from './records.js'
import { deleteServicePorts, insertServicePort, portById } from './router-ports.js'
import { ROUTER_GATEWAY, type RouterRow, routerPortStatus, routerTarget } from './router-rows.js'
import type { externalGatewaySchema } from './router-schemas.js'

// A router's gateway: one port on an external network (device_owner `network:router_gateway`, no project, as
// Neutron makes it) whose id the router row keeps in `gw_port_id`, and whether SNAT is on.

/** The gateway part of a create or update, after parsing. */
export type GatewayInput = z.output<typeof externalGatewaySchema>

/** The router columns a gateway change sets, and the networks whose hosts it concerns. */
export interface GatewayChange {
  gw_port_id: string | null
  enable_snat: number
  networkIds: string[]
}

/** Refuses to take the gateway away while floating IPs reach their ports through this router. */
export async function refuseGatewayInUse(
  tx: Transaction,
  routerId: string,
  networkId: string,
): Promise<void> {
  const used = await tx.db
    .selectFrom('net_floating_ips')
    .select('id')
    .where('router_id', '=', routerId)
    .executeTakeFirst()
  if (used) {
    throw conflict(
      'RouterExternalGatewayInUseByFloatingIp',
      `Gateway cannot be updated for router ${routerId}, since a gateway to external network ${networkId} is required by one or more floating IPs.`,
    )
  }
}

/** Requested gateway addresses; an empty list asks for nothing in particular, as in Neutron. */
function requestsOf(input: GatewayInput): FixedIpRequest[] | undefined {
  if (!input.externalFixedIps?.length) return undefined
  return input.externalFixedIps.map((ip, i) => {
    const path = `externalGateway.externalFixedIps.${i}`
    if (ip.subnetId === undefined && ip.ipAddress === undefined) {
      throw invalidInput('An external fixed IP needs a subnetId or an ipAddress', path)
    }
    return {
      ...(ip.subnetId !== undefined && { subnetId: ip.subnetId }),
      ...(ip.ipAddress !== undefined && { ipAddress: normalizeIp(ip.ipAddress, path) }),
    }
  })
}

/** Gives the gateway port the requested addresses, keeping those it already holds that match a request. */
async function changeGatewayIps(
  deps: NetworkDeps,
  tx: Transaction,
  port: PortRow,
  wanted: readonly FixedIpRequest[],
): Promise<void> {
  const held = (await loadFixedIps(tx.db, [port.id])).get(port.id) ?? []
  const keep: FixedIp[] = []
  const fresh: FixedIpRequest[] = []
  for (const want of wanted) {
    const match = held.find(
      (ip) =>
        !keep.includes(ip) &&
        (want.ipAddress === undefined || ip.ipAddress === want.ipAddress) &&
        (want.subnetId === undefined || ip.subnetId === want.subnetId),
    )
    if (match) keep.push(match)
    else fresh.push(want)
  }
  if (fresh.length === 0 && keep.length === held.length) return
  await releaseFixedIps(tx, port.id, keep)
  await assignFixedIps(tx, port.network_id, port.id, port.mac_address, fresh)
  const updated = await casUpdate(
    tx,
    'net_ports',
    port.id,
    port.revision,
    {},
    {
      type: 'port',
      now: isoTime(deps.clock.now()),
    },
  )
  deps.events.emitAfterCommit(tx, 'network.port.updated', portEvent(updated))
}

/**
 * Sets (`input`), keeps or clears (`null`) the gateway of `router` inside `tx`, checking Neutron's rules: an
 * external network, admin-only SNAT and address choices, no floating IP left stranded. Returns the router
 * columns to write; the caller writes them.
 */
export async function applyGateway(
  deps: NetworkDeps,
  tx: Transaction,
  ctx: RequestContext,
  router: RouterRow,
  input: GatewayInput | null,
): Promise<GatewayChange> {
  const current = router.gw_port_id ? await portById(tx, router.gw_port_id) : undefined
  if (input === null) {
    if (!current) return { gw_port_id: null, enable_snat: router.enable_snat, networkIds: [] }
    await refuseGatewayInUse(tx, router.id, current.network_id)
    await deleteServicePorts(deps, tx, [current])
    return { gw_port_id: null, enable_snat: 1, networkIds: [current.network_id] }
  }
  const target = routerTarget(router)
  if (input.enableSnat !== undefined) {
    deps.policy.enforce(ctx, 'network:create_router:external_gateway_info:enable_snat', target)
  }
  const requests = requestsOf(input)
  if (requests)
    deps.policy.enforce(ctx, 'network:create_router:external_gateway_info:external_fixed_ips', target)
  const network = await visibleNetwork(tx.db, ctx, input.networkId)
  if (!bool(network.external)) {
    throw invalidInput(`Network ${network.id} is not an external network`, 'externalGateway.networkId')
  }
  // As Neutron: a gateway given without enable_snat gets the default (on), even on an update.
  const enable_snat = input.enableSnat === false ? 0 : 1
  if (current && current.network_id === network.id) {
    if (requests) await changeGatewayIps(deps, tx, current, requests)
    return { gw_port_id: current.id, enable_snat, networkIds: [network.id] }
  }
  if (current) {
    await refuseGatewayInUse(tx, router.id, current.network_id)
    await deleteServicePorts(deps, tx, [current])
  }
  const port = await insertServicePort(deps, tx, {
    networkId: network.id,
    projectId: '',
    deviceOwner: ROUTER_GATEWAY,
    deviceId: router.id,
    fixedIps: requests,
    status: routerPortStatus(router),
  })
  return {
    gw_port_id: port.id,
    enable_snat,
    networkIds: [...(current ? [current.network_id] : []), network.id],
  }
}
