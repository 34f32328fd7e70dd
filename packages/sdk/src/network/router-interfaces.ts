import { isoTime } from '../core/clock.js'
import type { RequestContext } from '../core/context.js'
import { CloudError } from '../core/errors.js'
import { casUpdate } from '../store/cas.js'
import type { Transaction } from '../store/types.js'
import { conflict, invalidInput } from './common.js'
import type { NetworkDeps } from './deps.js'
import { assignFixedIps, releaseFixedIps } from './port-ips.js'
import { loadFixedIps, type PortRow, portEvent, visiblePort } from './port-rows.js'
import type { RouterInterfaceInfo } from './records.js'
import {
  checkInterfacePort,
  type InterfaceSubnet,
  ipv6InterfaceOn,
  refuseDuplicateSubnets,
  refuseInterfaceInUse,
} from './router-interface-checks.js'
import { deleteServicePorts, insertServicePort, portById } from './router-ports.js'
import { ROUTER_INTERFACE, type RouterRow, routerIps, routerPortStatus } from './router-rows.js'
import { visibleSubnet } from './subnet-rows.js'

// Connecting a router to a subnet: by subnet (the router takes the subnet's gateway address on a port of its
// own) or by port (a port the caller made becomes the router's). Removing either deletes the port, as Neutron
// does, unless other IPv6 subnets still share it.

/** An interface request after parsing: exactly one of the two. */
export interface InterfaceInput {
  subnetId?: string | undefined
  portId?: string | undefined
}

/** What an interface change reports, and the network whose hosts it concerns. */
export interface InterfaceChange {
  info: RouterInterfaceInfo
  networkId: string
}

function change(router: RouterRow, port: PortRow, subnetIds: string[], subnetId: string): InterfaceChange {
  const info = {
    id: router.id,
    projectId: port.project_id,
    portId: port.id,
    subnetId,
    subnetIds,
    networkId: port.network_id,
  }
  return { info, networkId: port.network_id }
}

/** Bumps a port's revision after its addresses or owner changed, and says so. */
async function touchPort(
  deps: NetworkDeps,
  tx: Transaction,
  port: PortRow,
  patch: Partial<Pick<PortRow, 'device_owner' | 'device_id' | 'status'>> = {},
): Promise<PortRow> {
  const updated = await casUpdate(tx, 'net_ports', port.id, port.revision, patch, {
    type: 'port',
    now: isoTime(deps.clock.now()),
  })
  deps.events.emitAfterCommit(tx, 'network.port.updated', portEvent(updated))
  return updated
}

async function subnetsOf(tx: Transaction, ids: readonly string[]): Promise<InterfaceSubnet[]> {
  if (ids.length === 0) return []
  const rows = await tx.db
    .selectFrom('net_subnets')
    .select(['id', 'cidr', 'ip_version'])
    .where('id', 'in', ids)
    .execute()
  return ids.flatMap((id) => rows.filter((row) => row.id === id))
}

async function addBySubnet(
  deps: NetworkDeps,
  tx: Transaction,
  ctx: RequestContext,
  router: RouterRow,
  subnetId: string,
): Promise<InterfaceChange> {
  const { row: subnet } = await visibleSubnet(tx.db, ctx, subnetId)
  if (subnet.gateway_ip === null) {
    throw invalidInput(
      `Subnet ${subnet.id} does not have a gateway IP: a router interface needs one`,
      'subnetId',
    )
  }
  if (subnet.ip_version === 6 && subnet.ipv6_ra_mode === null && subnet.ipv6_address_mode !== null) {
    throw invalidInput(
      `IPv6 subnet ${subnet.id} configured to receive RAs from an external router cannot be added to Neutron Router.`,
      'subnetId',
    )
  }
  await refuseDuplicateSubnets(tx, router.id, [subnet])
  const fixedIp = { subnetId: subnet.id, ipAddress: subnet.gateway_ip }
  const shared = subnet.ip_version === 6 ? await ipv6InterfaceOn(tx, router.id, subnet.network_id) : undefined
  if (shared) {
    const port = (await portById(tx, shared.portId))!
    await assignFixedIps(tx, port.network_id, port.id, port.mac_address, [fixedIp])
    return change(router, await touchPort(deps, tx, port), [subnet.id], subnet.id)
  }
  const port = await insertServicePort(deps, tx, {
    networkId: subnet.network_id,
    projectId: router.project_id,
    deviceOwner: ROUTER_INTERFACE,
    deviceId: router.id,
    fixedIps: [fixedIp],
    status: routerPortStatus(router),
  })
  return change(router, port, [subnet.id], subnet.id)
}

async function addByPort(
  deps: NetworkDeps,
  tx: Transaction,
  ctx: RequestContext,
  router: RouterRow,
  portId: string,
): Promise<InterfaceChange> {
  const { row: port } = await visiblePort(tx.db, ctx, portId)
  const inUse = (what: string) =>
    conflict(
      'PortInUse',
      `Unable to complete operation on port ${port.id} for network ${port.network_id}. ${what}`,
    )
  if (port.device_id !== '') throw inUse(`Port already has an attached device ${port.device_id}.`)
  if (port.binding_host_id !== '') throw inUse(`Port is bound to host ${port.binding_host_id}.`)
  const ips = (await loadFixedIps(tx.db, [port.id])).get(port.id) ?? []
  const subnets = await subnetsOf(tx, [...new Set(ips.map((ip) => ip.subnetId))])
  await checkInterfacePort(tx, router.id, port, subnets)
  const updated = await touchPort(deps, tx, port, {
    device_owner: ROUTER_INTERFACE,
    device_id: router.id,
    status: routerPortStatus(router),
  })
  const ids = subnets.map((subnet) => subnet.id)
  return change(router, updated, ids, ids.at(-1)!)
}

/** Adds an interface to `router` inside `tx`; the router is locked and the caller's right to change it checked. */
export function addInterface(
  deps: NetworkDeps,
  tx: Transaction,
  ctx: RequestContext,
  router: RouterRow,
  input: InterfaceInput,
): Promise<InterfaceChange> {
  return input.portId !== undefined
    ? addByPort(deps, tx, ctx, router, input.portId)
    : addBySubnet(deps, tx, ctx, router, input.subnetId!)
}

function interfaceNotFound(type: string, message: string, resource: { type: string; id: string }) {
  return new CloudError('NOT_FOUND', message, { resource, details: { type } })
}

/** Removes an interface of `router` inside `tx`: `CONFLICT` while floating IPs or routes need it. */
export async function removeInterface(
  deps: NetworkDeps,
  tx: Transaction,
  ctx: RequestContext,
  router: RouterRow,
  input: InterfaceInput,
): Promise<InterfaceChange> {
  if (input.portId !== undefined) {
    const port = await portById(tx, input.portId)
    if (!port || port.device_id !== router.id || port.device_owner !== ROUTER_INTERFACE) {
      const message = `Router ${router.id} does not have an interface with id ${input.portId}`
      throw interfaceNotFound('RouterInterfaceNotFound', message, { type: 'port', id: input.portId })
    }
    const ips = (await loadFixedIps(tx.db, [port.id])).get(port.id) ?? []
    const subnets = await subnetsOf(tx, [...new Set(ips.map((ip) => ip.subnetId))])
    for (const subnet of subnets) await refuseInterfaceInUse(tx, router.id, subnet)
    await deleteServicePorts(deps, tx, [port])
    const ids = subnets.map((subnet) => subnet.id)
    return change(router, port, ids, ids[0] ?? '')
  }
  const { row: subnet } = await visibleSubnet(tx.db, ctx, input.subnetId!)
  const held = (await routerIps(tx.db, router.id)).find(
    (ip) => ip.deviceOwner === ROUTER_INTERFACE && ip.subnetId === subnet.id,
  )
  if (!held) {
    const message = `Router ${router.id} has no interface on subnet ${subnet.id}`
    throw interfaceNotFound('RouterInterfaceNotFoundForSubnet', message, { type: 'subnet', id: subnet.id })
  }
  await refuseInterfaceInUse(tx, router.id, subnet)
  const port = (await portById(tx, held.portId))!
  const ips = (await loadFixedIps(tx.db, [port.id])).get(port.id) ?? []
  const others = ips.filter((ip) => ip.subnetId !== subnet.id)
  if (others.length === 0) {
    await deleteServicePorts(deps, tx, [port])
    return change(router, port, [subnet.id], subnet.id)
  }
  // An IPv6 port shared by several subnets loses only this subnet's address.
  await releaseFixedIps(tx, port.id, others)
  return change(router, await touchPort(deps, tx, port), [subnet.id], subnet.id)
}
