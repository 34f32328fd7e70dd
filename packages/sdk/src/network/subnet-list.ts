import { parseOrThrow } from '../core/errors.js'
import { paginate } from '../core/pagination.js'
import type { NetworkApi } from './api.js'
import { anyOf, applyCommonFilters, isAdmin } from './common.js'
import type { NetworkDeps } from './deps.js'
import { SubnetFilterSchema } from './schemas.js'
import { toSubnets } from './subnet-rows.js'

/** Columns subnets may be sorted by. */
export const SUBNET_SORT_KEYS = [
  'name',
  'project_id',
  'network_id',
  'ip_version',
  'cidr',
  'created_at',
  'updated_at',
]

/** Listing subnets: the caller's and those on shared networks, by Neutron's filters, a page at a time. */
export function subnetListApi(deps: NetworkDeps): Pick<NetworkApi, 'listSubnets'> {
  const { store } = deps
  return {
    async listSubnets(ctx, input = {}) {
      const { limit, marker, sortKey, sortDir, ...rest } = input
      const filters = parseOrThrow(
        SubnetFilterSchema.omit({ limit: true, marker: true, sortKey: true, sortDir: true }),
        rest,
        'subnet filters',
      )
      let qb = applyCommonFilters(store.db.selectFrom('net_subnets').selectAll(), 'net_subnets', filters)
      if (!isAdmin(ctx)) {
        qb = qb.where((eb) =>
          eb.or([
            eb('project_id', '=', ctx.projectId ?? ''),
            eb.exists(
              eb
                .selectFrom('net_networks')
                .select('net_networks.id')
                .whereRef('net_networks.id', '=', 'net_subnets.network_id')
                .where('net_networks.shared', '=', 1),
            ),
          ]),
        )
      }
      if (filters.networkId !== undefined) qb = qb.where('network_id', 'in', anyOf(filters.networkId))
      if (filters.ipVersion !== undefined) qb = qb.where('ip_version', '=', filters.ipVersion)
      if (filters.cidr !== undefined) qb = qb.where('cidr', '=', filters.cidr)
      if (filters.gatewayIp !== undefined) qb = qb.where('gateway_ip', '=', filters.gatewayIp)
      if (filters.enableDhcp !== undefined) qb = qb.where('enable_dhcp', '=', filters.enableDhcp ? 1 : 0)
      if (filters.subnetpoolId !== undefined) qb = qb.where('subnetpool_id', '=', filters.subnetpoolId)
      const page = await paginate(
        qb,
        'net_subnets',
        { limit, marker, sortKey, sortDir },
        { sortable: SUBNET_SORT_KEYS },
      )
      return { items: await toSubnets(store.db, page.items), next: page.next }
    },
  }
}
