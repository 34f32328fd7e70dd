import { isoTime } from '../core/clock.js'
import { CloudError, parseOrThrow } from '../core/errors.js'
import { newId } from '../core/ids.js'
import { paginate } from '../core/pagination.js'
import { casUpdate, newResourceColumns } from '../store/cas.js'
import type { NetworkApi } from './api.js'
import { applyCommonFilters, bool, json, resourceProject, whereVisible, writeTags } from './common.js'
import type { NetworkDeps } from './deps.js'
import './events.js'
import { lockRows } from './locks.js'
import { SubnetPoolCreateSchema, SubnetPoolFilterSchema, SubnetPoolUpdateSchema } from './schemas.js'
import { growPrefixes, readBounds, readPrefixes } from './subnet-pool-checks.js'
import {
  refuseSecondDefault,
  type SubnetPoolRow,
  subnetPoolTarget,
  toSubnetPools,
  visibleSubnetPool,
} from './subnet-pool-rows.js'

export { cidrFromPool } from './subnet-pool-alloc.js'

/** Columns subnet pools may be sorted by. */
export const SUBNET_POOL_SORT_KEYS = [
  'name',
  'project_id',
  'ip_version',
  'default_prefixlen',
  'min_prefixlen',
  'max_prefixlen',
  'shared',
  'is_default',
  'created_at',
  'updated_at',
]

/** Subnet pools: create, read, list, update (prefixes may only grow), delete (while no subnet uses them). */
export function subnetPoolsApi(
  deps: NetworkDeps,
): Pick<
  NetworkApi,
  'createSubnetPool' | 'getSubnetPool' | 'listSubnetPools' | 'updateSubnetPool' | 'deleteSubnetPool'
> {
  const { store, policy, events } = deps
  return {
    async createSubnetPool(ctx, input) {
      const body = parseOrThrow(SubnetPoolCreateSchema, input, 'subnetpool')
      const projectId = resourceProject(ctx, body.projectId)
      const target = { project_id: projectId, shared: body.shared ?? false, external: false }
      policy.enforce(ctx, 'network:create_subnetpool', target)
      if (body.shared) policy.enforce(ctx, 'network:create_subnetpool:shared', target)
      if (body.isDefault) policy.enforce(ctx, 'network:create_subnetpool:is_default', target)
      const { version, prefixes } = readPrefixes(body.prefixes)
      const bounds = readBounds(version, body)
      return store.transaction(async (tx) => {
        await deps.quotas.check(tx, projectId, { subnetpool: 1 })
        if (body.isDefault) await refuseSecondDefault(tx, version)
        const id = newId<'subnetpool'>()
        const row: SubnetPoolRow = {
          ...newResourceColumns(id, isoTime(deps.clock.now())),
          project_id: projectId,
          name: body.name ?? '',
          description: body.description ?? '',
          ip_version: version,
          prefixes: JSON.stringify(prefixes.map((prefix) => prefix.text)),
          default_prefixlen: bounds.defaultPrefixlen,
          min_prefixlen: bounds.minPrefixlen,
          max_prefixlen: bounds.maxPrefixlen,
          shared: body.shared ? 1 : 0,
          is_default: body.isDefault ? 1 : 0,
        }
        await tx.db.insertInto('net_subnet_pools').values(row).execute()
        await writeTags(tx, id, body.tags ?? [])
        events.emitAfterCommit(tx, 'network.subnetpool.created', { id, projectId })
        return (await toSubnetPools(tx.db, [row]))[0]!
      })
    },

    async getSubnetPool(ctx, id) {
      const row = await visibleSubnetPool(store.db, ctx, id)
      policy.enforce(ctx, 'network:get_subnetpool', subnetPoolTarget(row))
      return (await toSubnetPools(store.db, [row]))[0]!
    },

    async listSubnetPools(ctx, input = {}) {
      const { limit, marker, sortKey, sortDir, ...rest } = input
      const filters = parseOrThrow(
        SubnetPoolFilterSchema.omit({ limit: true, marker: true, sortKey: true, sortDir: true }),
        rest,
        'subnetpool filters',
      )
      let qb = applyCommonFilters(
        store.db.selectFrom('net_subnet_pools').selectAll(),
        'net_subnet_pools',
        filters,
      )
      qb = whereVisible(qb, ctx, ['shared'])
      if (filters.ipVersion !== undefined) qb = qb.where('ip_version', '=', filters.ipVersion)
      if (filters.shared !== undefined) qb = qb.where('shared', '=', filters.shared ? 1 : 0)
      if (filters.isDefault !== undefined) qb = qb.where('is_default', '=', filters.isDefault ? 1 : 0)
      const page = await paginate(
        qb,
        'net_subnet_pools',
        { limit, marker, sortKey, sortDir },
        { sortable: SUBNET_POOL_SORT_KEYS },
      )
      return { items: await toSubnetPools(store.db, page.items), next: page.next }
    },

    async updateSubnetPool(ctx, id, patch) {
      const body = parseOrThrow(SubnetPoolUpdateSchema, patch, 'subnetpool update')
      return store.transaction(async (tx) => {
        const row = await visibleSubnetPool(tx.db, ctx, id)
        const target = subnetPoolTarget(row)
        policy.enforce(ctx, 'network:update_subnetpool', target)
        const version = row.ip_version === 6 ? 6 : 4
        if (body.isDefault !== undefined && body.isDefault !== bool(row.is_default)) {
          policy.enforce(ctx, 'network:update_subnetpool:is_default', target)
          if (body.isDefault) await refuseSecondDefault(tx, version, id)
        }
        const prefixes = body.prefixes
          ? growPrefixes(json<string[]>(row.prefixes), body.prefixes, version).map((prefix) => prefix.text)
          : json<string[]>(row.prefixes)
        // Neutron checks the bounds as they will be, the unchanged ones included.
        const bounds = readBounds(version, {
          minPrefixlen: body.minPrefixlen ?? row.min_prefixlen,
          maxPrefixlen: body.maxPrefixlen ?? row.max_prefixlen,
          defaultPrefixlen: body.defaultPrefixlen ?? row.default_prefixlen,
        })
        const updated = await casUpdate(
          tx,
          'net_subnet_pools',
          id,
          row.revision,
          {
            name: body.name ?? row.name,
            description: body.description ?? row.description,
            prefixes: JSON.stringify(prefixes),
            default_prefixlen: bounds.defaultPrefixlen,
            min_prefixlen: bounds.minPrefixlen,
            max_prefixlen: bounds.maxPrefixlen,
            is_default: body.isDefault === undefined ? row.is_default : body.isDefault ? 1 : 0,
          },
          { type: 'subnetpool', now: isoTime(deps.clock.now()) },
        )
        events.emitAfterCommit(tx, 'network.subnetpool.updated', { id, projectId: row.project_id })
        return (await toSubnetPools(tx.db, [updated]))[0]!
      })
    },

    async deleteSubnetPool(ctx, id) {
      await store.transaction(async (tx) => {
        // Locked as an allocation locks it, so no subnet can be taken from the pool while it goes.
        await lockRows(tx, 'net_subnet_pools', [id])
        const row = await visibleSubnetPool(tx.db, ctx, id)
        policy.enforce(ctx, 'network:delete_subnetpool', subnetPoolTarget(row))
        const used = await tx.db
          .selectFrom('net_subnets')
          .select('id')
          .where('subnetpool_id', '=', id)
          .executeTakeFirst()
        if (used) {
          // Neutron's SubnetPoolDeleteError is a 400, not a 409.
          throw new CloudError(
            'INVALID',
            'Unable to delete subnet pool: Subnet pool has existing allocations.',
            {
              resource: { type: 'subnetpool', id },
              details: { type: 'SubnetPoolDeleteError', path: 'id' },
            },
          )
        }
        await tx.db.deleteFrom('net_tags').where('resource_id', '=', id).execute()
        await tx.db.deleteFrom('net_subnet_pools').where('id', '=', id).execute()
        events.emitAfterCommit(tx, 'network.subnetpool.deleted', { id, projectId: row.project_id })
      })
    },
  }
}
