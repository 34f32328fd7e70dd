import { isoTime } from '../core/clock.js'
import { isCloudError, parseOrThrow } from '../core/errors.js'
import { newId } from '../core/ids.js'
import { casUpdate, newResourceColumns } from '../store/cas.js'
import type { NetworkApi } from './api.js'
import { conflict, invalidInput, resourceProject, writeTags } from './common.js'
import type { NetworkDeps } from './deps.js'
import './events.js'
import { refuseExternalInUse, refuseUnsharingInUse } from './network-checks.js'
import { networkListApi } from './network-list.js'
import { type NetworkRow, networkTarget, toNetworks, visibleNetwork } from './network-rows.js'
import { deletePortRows } from './port-insert.js'
import { NetworkCreateSchema, NetworkUpdateSchema } from './schemas.js'
import { chooseSegment, hasProvider, maxMtu, nextLocalId } from './segments.js'
import { deleteSubnetRows } from './subnet-delete.js'

export { NETWORK_SORT_KEYS } from './network-list.js'

/** How many times a create races another control plane for a segment id before giving up. */
const SEGMENT_RACE_RETRIES = 8

/** Networks: create (with a segment), read, list, update, delete. */
export function networksApi(
  deps: NetworkDeps,
): Pick<NetworkApi, 'createNetwork' | 'getNetwork' | 'listNetworks' | 'updateNetwork' | 'deleteNetwork'> {
  const { store, policy, events } = deps

  return {
    async createNetwork(ctx, input) {
      const body = parseOrThrow(NetworkCreateSchema, input, 'network')
      const projectId = resourceProject(ctx, body.projectId)
      const target = { project_id: projectId, shared: body.shared ?? false, external: body.external ?? false }
      policy.enforce(ctx, 'network:create_network', target)
      if (body.shared) policy.enforce(ctx, 'network:create_network:shared', target)
      if (body.external) policy.enforce(ctx, 'network:create_network:router:external', target)
      if (hasProvider(body)) policy.enforce(ctx, 'network:create_network:provider', target)
      const id = newId<'network'>()
      for (let attempt = 0; ; attempt++) {
        try {
          return await store.transaction(async (tx) => {
            await deps.quotas.check(tx, projectId, { network: 1 })
            const segment = await chooseSegment(deps, tx.db, body)
            await deps.driver.checkNetwork({
              type: segment.networkType,
              physicalNetwork: segment.physicalNetwork || null,
              segmentationId: segment.networkType === 'flat' ? null : segment.segmentationId,
            })
            const largest = maxMtu(deps, segment.networkType)
            if (body.mtu !== undefined && body.mtu > largest) {
              throw invalidInput(
                `MTU ${body.mtu} is larger than ${largest}, the most a ${segment.networkType} network carries`,
                'mtu',
              )
            }
            const row: NetworkRow = {
              ...newResourceColumns(id, isoTime(deps.clock.now())),
              project_id: projectId,
              name: body.name ?? '',
              description: body.description ?? '',
              admin_state_up: body.adminStateUp === false ? 0 : 1,
              shared: body.shared ? 1 : 0,
              external: body.external ? 1 : 0,
              mtu: body.mtu ?? largest,
              port_security: body.portSecurityEnabled === false ? 0 : 1,
              network_type: segment.networkType,
              physical_network: segment.physicalNetwork,
              segmentation_id: segment.segmentationId,
              local_id: await nextLocalId(tx.db),
            }
            await tx.db.insertInto('net_networks').values(row).execute()
            await writeTags(tx, id, body.tags ?? [])
            events.emitAfterCommit(tx, 'network.network.created', { id, projectId })
            return (await toNetworks(tx.db, [row]))[0]!
          })
        } catch (error) {
          // Another control plane took the same segment or local id first: choose again.
          const raced = isCloudError(error) && error.code === 'CONFLICT' && error.details?.type === undefined
          if (!raced || attempt >= SEGMENT_RACE_RETRIES) throw error
        }
      }
    },

    async getNetwork(ctx, id) {
      const row = await visibleNetwork(store.db, ctx, id)
      policy.enforce(ctx, 'network:get_network', networkTarget(row))
      return (await toNetworks(store.db, [row]))[0]!
    },

    ...networkListApi(deps),

    async updateNetwork(ctx, id, patch) {
      const body = parseOrThrow(NetworkUpdateSchema, patch, 'network update')
      return store.transaction(async (tx) => {
        const row = await visibleNetwork(tx.db, ctx, id)
        const target = networkTarget(row)
        policy.enforce(ctx, 'network:update_network', target)
        if (body.shared !== undefined && body.shared !== Boolean(row.shared)) {
          policy.enforce(ctx, 'network:update_network:shared', target)
          if (!body.shared) await refuseUnsharingInUse(tx.db, row)
        }
        if (body.external !== undefined && body.external !== Boolean(row.external)) {
          policy.enforce(ctx, 'network:update_network:router:external', target)
          if (!body.external) await refuseExternalInUse(tx.db, id)
        }
        const largest = maxMtu(deps, row.network_type as NetworkRow['network_type'] as never)
        if (body.mtu !== undefined && body.mtu > largest) {
          throw invalidInput(
            `MTU ${body.mtu} is larger than ${largest}, the most this network carries`,
            'mtu',
          )
        }
        const updated = await casUpdate(
          tx,
          'net_networks',
          id,
          row.revision,
          {
            name: body.name ?? row.name,
            description: body.description ?? row.description,
            admin_state_up: body.adminStateUp === undefined ? row.admin_state_up : body.adminStateUp ? 1 : 0,
            shared: body.shared === undefined ? row.shared : body.shared ? 1 : 0,
            external: body.external === undefined ? row.external : body.external ? 1 : 0,
            mtu: body.mtu ?? row.mtu,
            port_security:
              body.portSecurityEnabled === undefined ? row.port_security : body.portSecurityEnabled ? 1 : 0,
          },
          { type: 'network', now: isoTime(deps.clock.now()) },
        )
        events.emitAfterCommit(tx, 'network.network.updated', { id, projectId: row.project_id })
        deps.dataPlane.syncAfterCommit(tx, await deps.dataPlane.hostsOfNetworks(tx.db, [id]))
        return (await toNetworks(tx.db, [updated]))[0]!
      })
    },

    async deleteNetwork(ctx, id) {
      await store.transaction(async (tx) => {
        const row = await visibleNetwork(tx.db, ctx, id)
        policy.enforce(ctx, 'network:delete_network', networkTarget(row))
        const inUse = await tx.db
          .selectFrom('net_ports')
          .select('id')
          .where('network_id', '=', id)
          .where('device_owner', '!=', 'network:dhcp')
          .executeTakeFirst()
        if (inUse) {
          throw conflict(
            'NetworkInUse',
            `Unable to complete operation on network ${id}. There are one or more ports still in use on the network.`,
          )
        }
        const hosts = await deps.dataPlane.hostsOfNetworks(tx.db, [id])
        const dhcpPorts = await tx.db
          .selectFrom('net_ports')
          .select('id')
          .where('network_id', '=', id)
          .execute()
        await deletePortRows(
          tx,
          dhcpPorts.map((port) => port.id),
        )
        const subnets = await tx.db
          .selectFrom('net_subnets')
          .select('id')
          .where('network_id', '=', id)
          .execute()
        await deleteSubnetRows(
          tx,
          subnets.map((subnet) => subnet.id),
        )
        await tx.db.deleteFrom('net_tags').where('resource_id', '=', id).execute()
        await tx.db.deleteFrom('net_networks').where('id', '=', id).execute()
        events.emitAfterCommit(tx, 'network.network.deleted', { id, projectId: row.project_id })
        deps.dataPlane.syncAfterCommit(tx, hosts)
      })
    },
  }
}
