import { parseOrThrow } from '../core/errors.js'
import { paginate } from '../core/pagination.js'
import type { NetworkApi } from './api.js'
import { anyOf, applyCommonFilters, isAdmin } from './common.js'
import type { NetworkDeps } from './deps.js'
import { toPorts } from './port-rows.js'
import { PortFilterSchema } from './port-schemas.js'

/** Columns ports may be sorted by. */
export const PORT_SORT_KEYS = [
  'name',
  'project_id',
  'network_id',
  'mac_address',
  'status',
  'device_id',
  'device_owner',
  'admin_state_up',
  'created_at',
  'updated_at',
]

/** Listing ports: the caller's and those on its networks, by Neutron's filters, a page at a time. */
export function portListApi(deps: NetworkDeps): Pick<NetworkApi, 'listPorts'> {
  const { store } = deps
  return {
    async listPorts(ctx, input = {}) {
      const { limit, marker, sortKey, sortDir, ...rest } = input
      const filters = parseOrThrow(
        PortFilterSchema.omit({ limit: true, marker: true, sortKey: true, sortDir: true }),
        rest,
        'port filters',
      )
      let qb = applyCommonFilters(store.db.selectFrom('net_ports').selectAll(), 'net_ports', filters)
      if (!isAdmin(ctx)) {
        const project = ctx.projectId ?? ''
        qb = qb.where((eb) =>
          eb.or([
            eb('project_id', '=', project),
            eb.exists(
              eb
                .selectFrom('net_networks')
                .select('net_networks.id')
                .whereRef('net_networks.id', '=', 'net_ports.network_id')
                .where('net_networks.project_id', '=', project),
            ),
          ]),
        )
      }
      if (filters.networkId !== undefined) qb = qb.where('network_id', 'in', anyOf(filters.networkId))
      if (filters.deviceId !== undefined) qb = qb.where('device_id', 'in', anyOf(filters.deviceId))
      if (filters.deviceOwner !== undefined) qb = qb.where('device_owner', 'in', anyOf(filters.deviceOwner))
      if (filters.macAddress !== undefined)
        qb = qb.where('mac_address', '=', filters.macAddress.toLowerCase())
      if (filters.status !== undefined) qb = qb.where('status', '=', filters.status)
      if (filters.adminStateUp !== undefined)
        qb = qb.where('admin_state_up', '=', filters.adminStateUp ? 1 : 0)
      if (filters.bindingHostId !== undefined) qb = qb.where('binding_host_id', '=', filters.bindingHostId)
      for (const ip of filters.fixedIps ?? []) {
        qb = qb.where((eb) => {
          let sub = eb
            .selectFrom('net_ip_allocations')
            .select('net_ip_allocations.port_id')
            .whereRef('net_ip_allocations.port_id', '=', 'net_ports.id')
          if (ip.subnetId !== undefined) sub = sub.where('net_ip_allocations.subnet_id', '=', ip.subnetId)
          if (ip.ipAddress !== undefined) sub = sub.where('net_ip_allocations.ip_address', '=', ip.ipAddress)
          return eb.exists(sub)
        })
      }
      for (const group of filters.securityGroups ?? []) {
        qb = qb.where((eb) =>
          eb.exists(
            eb
              .selectFrom('net_port_security_groups')
              .select('port_id')
              .whereRef('net_port_security_groups.port_id', '=', 'net_ports.id')
              .where('security_group_id', '=', group),
          ),
        )
      }
      const page = await paginate(
        qb,
        'net_ports',
        { limit, marker, sortKey, sortDir },
        { sortable: PORT_SORT_KEYS },
      )
      return { items: await toPorts(store.db, page.items), next: page.next }
    },
  }
}
