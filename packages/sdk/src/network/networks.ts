import { isoTime } from '../core/clock.js'
import { isCloudError, parseOrThrow } from '../core/errors.js'
import { newId } from '../core/ids.js'
import { paginate } from '../core/pagination.js'
import { casUpdate, newResourceColumns } from '../store/cas.js'
import type { NetworkApi } from './api.js'
import { applyCommonFilters, conflict, invalidInput, isAdmin, resourceProject, writeTags } from './common.js'
import type { NetworkDeps } from './deps.js'
import './events.js'
import { type NetworkRow, networkTarget, toNetworks, visibleNetwork } from './network-rows.js'
import { deletePortRows } from './port-insert.js'
import { NetworkCreateSchema, NetworkFilterSchema, NetworkUpdateSchema } from './schemas.js'
import { chooseSegment, hasProvider, maxMtu, nextLocalId } from './segments.js'
import { deleteSubnetRows } from './subnet-delete.js'

/** Columns networks may be sorted by, as Neutron names them. */
export const NETWORK_SORT_KEYS = [
  'name',
  'project_id',
  'admin_state_up',
  'shared',
  'mtu',
  'created_at',
  'updated_at',
]

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

    async listNetworks(ctx, input = {}) {
      const { limit, marker, sortKey, sortDir, ...rest } = input
      const filters = parseOrThrow(
        NetworkFilterSchema.omit({ limit: true, marker: true, sortKey: true, sortDir: true }),
        rest,
        'network filters',
      )
      let qb = applyCommonFilters(store.db.selectFrom('net_networks').selectAll(), 'net_networks', filters)
      if (!isAdmin(ctx)) {
        qb = qb.where((eb) =>
          eb.or([eb('project_id', '=', ctx.projectId ?? ''), eb('shared', '=', 1), eb('external', '=', 1)]),
        )
      }
      if (filters.shared !== undefined) qb = qb.where('shared', '=', filters.shared ? 1 : 0)
      if (filters.external !== undefined) qb = qb.where('external', '=', filters.external ? 1 : 0)
      if (filters.adminStateUp !== undefined)
        qb = qb.where('admin_state_up', '=', filters.adminStateUp ? 1 : 0)
      if (filters.status !== undefined && filters.status !== 'ACTIVE') qb = qb.where('id', '=', '')
      if (filters.networkType !== undefined) qb = qb.where('network_type', '=', filters.networkType)
      if (filters.physicalNetwork !== undefined)
        qb = qb.where('physical_network', '=', filters.physicalNetwork)
      if (filters.segmentationId !== undefined) qb = qb.where('segmentation_id', '=', filters.segmentationId)
      if (filters.mtu !== undefined) qb = qb.where('mtu', '=', filters.mtu)
      const page = await paginate(
        qb,
        'net_networks',
        { limit, marker, sortKey, sortDir },
        { sortable: NETWORK_SORT_KEYS },
      )
      return { items: await toNetworks(store.db, page.items), next: page.next }
    },

    async updateNetwork(ctx, id, patch) {
      const body = parseOrThrow(NetworkUpdateSchema, patch, 'network update')
      return store.transaction(async (tx) => {
        const row = await visibleNetwork(tx.db, ctx, id)
        const target = networkTarget(row)
        policy.enforce(ctx, 'network:update_network', target)
        if (body.shared !== undefined && body.shared !== Boolean(row.shared)) {
          policy.enforce(ctx, 'network:update_network:shared', target)
          if (!body.shared) await refuseUnsharingInUse(deps, tx.db, row)
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

/** A shared network cannot become private while other projects have ports on it (Neutron's InvalidSharedSetting). */
async function refuseUnsharingInUse(_deps: NetworkDeps, db: NetworkDeps['store']['db'], row: NetworkRow) {
  const foreign = await db
    .selectFrom('net_ports')
    .select('id')
    .where('network_id', '=', row.id)
    .where('project_id', '!=', row.project_id)
    .where('device_owner', 'not like', 'network:%')
    .executeTakeFirst()
  if (foreign) {
    throw conflict(
      'InvalidSharedSetting',
      `Unable to reconfigure sharing settings for network ${row.id}. Multiple tenants are using it.`,
    )
  }
}

/** An external network cannot become internal while router gateways or floating IPs use it (ExternalNetworkInUse). */
async function refuseExternalInUse(db: NetworkDeps['store']['db'], id: string) {
  const used = await db
    .selectFrom('net_ports')
    .select('id')
    .where('network_id', '=', id)
    .where('device_owner', 'in', ['network:router_gateway', 'network:floatingip'])
    .executeTakeFirst()
  if (used) {
    throw conflict(
      'ExternalNetworkInUse',
      `External network ${id} cannot be updated, as it is used by one or more routers or floating IPs.`,
    )
  }
}
