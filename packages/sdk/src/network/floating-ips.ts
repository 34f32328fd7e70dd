import { isoTime } from '../core/clock.js'
import { parseOrThrow } from '../core/errors.js'
import { newId } from '../core/ids.js'
import { paginate } from '../core/pagination.js'
import { casUpdate, newResourceColumns } from '../store/cas.js'
import type { Transaction } from '../store/types.js'
import type { NetworkApi } from './api.js'
import { applyCommonFilters, bool, invalidInput, resourceProject, whereVisible, writeTags } from './common.js'
import type { NetworkDeps } from './deps.js'
import { addressRequest } from './floating-ip-address.js'
import { NO_ASSOCIATION, refuseFixedIpAlone, resolveAssociation } from './floating-ip-assoc.js'
import {
  FLOATING_IP_OWNER,
  FLOATING_IP_SORT_KEYS,
  type FloatingIpRow,
  floatingIpEvent,
  floatingIpTarget,
  toFloatingIps,
  visibleFloatingIp,
} from './floating-ip-rows.js'
import { visibleNetwork } from './network-rows.js'
import { loadFixedIps } from './port-rows.js'
import { deleteServicePorts, insertServicePort, portById } from './router-ports.js'
import { routerHosts } from './router-rows.js'
import { FloatingIpCreateSchema, FloatingIpFilterSchema, FloatingIpUpdateSchema } from './router-schemas.js'

/** Floating IPs: create (and associate), read, list, update (associate, move, disassociate), delete. */
export function floatingIpsApi(
  deps: NetworkDeps,
): Pick<
  NetworkApi,
  'createFloatingIp' | 'getFloatingIp' | 'listFloatingIps' | 'updateFloatingIp' | 'deleteFloatingIp'
> {
  const { store, policy, events } = deps
  const now = () => isoTime(deps.clock.now())
  // Floating IPs live in the router on the gateway host; their ports are never plugged anywhere.
  const hosts = (tx: Transaction) => routerHosts(deps, tx.db, [])

  return {
    async createFloatingIp(ctx, input) {
      const body = parseOrThrow(FloatingIpCreateSchema, input, 'floating IP')
      const projectId = resourceProject(ctx, body.projectId)
      const target = { project_id: projectId }
      policy.enforce(ctx, 'network:create_floatingip', target)
      if (body.floatingIpAddress !== undefined) {
        policy.enforce(ctx, 'network:create_floatingip:floating_ip_address', target)
      }
      refuseFixedIpAlone(body)
      const fip = await store.transaction(async (tx) => {
        const network = await visibleNetwork(tx.db, ctx, body.floatingNetworkId)
        if (!bool(network.external)) {
          throw invalidInput(`Network ${network.id} is not a valid external network`, 'floatingNetworkId')
        }
        await deps.quotas.check(tx, projectId, { floatingip: 1 })
        const id = newId<'floatingip'>()
        const port = await insertServicePort(deps, tx, {
          networkId: network.id,
          projectId: '',
          deviceOwner: FLOATING_IP_OWNER,
          deviceId: id,
          fixedIps: [await addressRequest(tx, network.id, body)],
          status: 'DOWN',
        })
        let row: FloatingIpRow = {
          ...newResourceColumns(id, now()),
          project_id: projectId,
          floating_network_id: network.id,
          floating_port_id: port.id,
          floating_ip_address: (await loadFixedIps(tx.db, [port.id])).get(port.id)![0]!.ipAddress,
          ...NO_ASSOCIATION,
          description: body.description ?? '',
        }
        if (body.portId)
          row = { ...row, ...(await resolveAssociation(tx, ctx, row, body.portId, body.fixedIpAddress)) }
        await tx.db.insertInto('net_floating_ips').values(row).execute()
        await writeTags(tx, id, body.tags ?? [])
        deps.dataPlane.syncAfterCommit(tx, await hosts(tx))
        events.emitAfterCommit(tx, 'network.floatingip.created', floatingIpEvent(row))
        return (await toFloatingIps(tx.db, [row]))[0]!
      })
      await deps.dataPlane.flush()
      return fip
    },

    async getFloatingIp(ctx, id) {
      const row = await visibleFloatingIp(store.db, ctx, id)
      policy.enforce(ctx, 'network:get_floatingip', floatingIpTarget(row))
      return (await toFloatingIps(store.db, [row]))[0]!
    },

    async listFloatingIps(ctx, input = {}) {
      const { limit, marker, sortKey, sortDir, ...rest } = input
      const filters = parseOrThrow(
        FloatingIpFilterSchema.omit({ limit: true, marker: true, sortKey: true, sortDir: true }),
        rest,
        'floating IP filters',
      )
      // Floating IPs have no name: a name filter is ignored rather than sent to a column that does not exist.
      const common = { ...filters, name: undefined }
      let qb = applyCommonFilters(
        store.db.selectFrom('net_floating_ips').selectAll(),
        'net_floating_ips',
        common,
      )
      qb = whereVisible(qb, ctx)
      if (filters.floatingNetworkId !== undefined)
        qb = qb.where('floating_network_id', '=', filters.floatingNetworkId)
      if (filters.floatingIpAddress !== undefined)
        qb = qb.where('floating_ip_address', '=', filters.floatingIpAddress)
      if (filters.portId !== undefined) qb = qb.where('fixed_port_id', '=', filters.portId)
      if (filters.fixedIpAddress !== undefined) qb = qb.where('fixed_ip_address', '=', filters.fixedIpAddress)
      if (filters.routerId !== undefined) qb = qb.where('router_id', '=', filters.routerId)
      if (filters.status === 'ACTIVE') qb = qb.where('router_id', 'is not', null)
      else if (filters.status === 'DOWN') qb = qb.where('router_id', 'is', null)
      else if (filters.status !== undefined) qb = qb.where('id', '=', '')
      const page = await paginate(
        qb,
        'net_floating_ips',
        { limit, marker, sortKey, sortDir },
        { sortable: FLOATING_IP_SORT_KEYS },
      )
      return { items: await toFloatingIps(store.db, page.items), next: page.next }
    },

    async updateFloatingIp(ctx, id, patch) {
      const body = parseOrThrow(FloatingIpUpdateSchema, patch, 'floating IP update')
      refuseFixedIpAlone(body)
      const fip = await store.transaction(async (tx) => {
        const row = await visibleFloatingIp(tx.db, ctx, id)
        policy.enforce(ctx, 'network:update_floatingip', floatingIpTarget(row))
        // Only a request naming portId changes the association: a description alone leaves it, as in Neutron.
        const association =
          body.portId === undefined
            ? {}
            : body.portId === null
              ? NO_ASSOCIATION
              : await resolveAssociation(tx, ctx, row, body.portId, body.fixedIpAddress)
        const updated = await casUpdate(
          tx,
          'net_floating_ips',
          id,
          row.revision,
          { ...association, description: body.description ?? row.description },
          { type: 'floatingip', now: now() },
        )
        deps.dataPlane.syncAfterCommit(tx, await hosts(tx))
        events.emitAfterCommit(tx, 'network.floatingip.updated', floatingIpEvent(updated))
        return (await toFloatingIps(tx.db, [updated]))[0]!
      })
      await deps.dataPlane.flush()
      return fip
    },

    async deleteFloatingIp(ctx, id) {
      await store.transaction(async (tx) => {
        const row = await visibleFloatingIp(tx.db, ctx, id)
        policy.enforce(ctx, 'network:delete_floatingip', floatingIpTarget(row))
        const port = await portById(tx, row.floating_port_id)
        if (port) await deleteServicePorts(deps, tx, [port])
        await tx.db.deleteFrom('net_tags').where('resource_id', '=', id).execute()
        await tx.db.deleteFrom('net_floating_ips').where('id', '=', id).execute()
        deps.dataPlane.syncAfterCommit(tx, await hosts(tx))
        events.emitAfterCommit(tx, 'network.floatingip.deleted', floatingIpEvent(row))
      })
      await deps.dataPlane.flush()
    },
  }
}
