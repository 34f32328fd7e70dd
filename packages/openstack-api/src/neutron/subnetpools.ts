import { type Cloud, SubnetPoolCreateSchema, SubnetPoolUpdateSchema } from '@nubis/sdk'
import { type AttributeMap, boolean, integer } from './body.js'
import { OWNER_ATTRIBUTES, standardAttributes } from './render-common.js'
import type { ResourceSpec } from './resource.js'
import type { Arg, SubnetPool } from './sdk-types.js'

const UPDATE: AttributeMap = {
  name: 'name',
  description: 'description',
  prefixes: 'prefixes',
  default_prefixlen: integer('defaultPrefixlen'),
  min_prefixlen: integer('minPrefixlen'),
  max_prefixlen: integer('maxPrefixlen'),
  is_default: boolean('isDefault'),
}

const CREATE: AttributeMap = {
  ...UPDATE,
  ...OWNER_ATTRIBUTES,
  shared: boolean('shared'),
  tags: 'tags',
}

/** The attributes of a Neutron subnet pool, in the order it shows them. */
export const SUBNETPOOL_ATTRIBUTES = [
  'id',
  'name',
  'description',
  'tenant_id',
  'project_id',
  'ip_version',
  'prefixes',
  'default_prefixlen',
  'min_prefixlen',
  'max_prefixlen',
  'shared',
  'is_default',
  'address_scope_id',
  'default_quota',
  'tags',
  'created_at',
  'updated_at',
  'revision_number',
] as const

/**
 * `/v2.0/subnetpools` (the subnet_allocation extension). Address scopes and per-pool quotas are not
 * supported: `address_scope_id` and `default_quota` are always null.
 */
export function subnetPoolSpec(cloud: Cloud): ResourceSpec<SubnetPool> {
  const { network } = cloud
  return {
    member: 'subnetpool',
    collection: 'subnetpools',
    path: 'subnetpools',
    attributes: SUBNETPOOL_ATTRIBUTES,
    filters: {
      name: ['name', 'strings'],
      ip_version: ['ipVersion', 'integer'],
      shared: ['shared', 'boolean'],
      is_default: ['isDefault', 'boolean'],
    },
    create: { attributes: CREATE, schema: SubnetPoolCreateSchema },
    update: { attributes: UPDATE, schema: SubnetPoolUpdateSchema },
    render: (record) => ({
      id: record.id,
      name: record.name,
      description: record.description,
      tenant_id: record.projectId,
      project_id: record.projectId,
      ip_version: record.ipVersion,
      prefixes: record.prefixes,
      default_prefixlen: record.defaultPrefixlen,
      min_prefixlen: record.minPrefixlen,
      max_prefixlen: record.maxPrefixlen,
      shared: record.shared,
      is_default: record.isDefault,
      address_scope_id: null,
      default_quota: null,
      ...standardAttributes(record),
    }),
    service: {
      create: (ctx, input) => network.createSubnetPool(ctx, input as Arg<'createSubnetPool', 1>),
      get: (ctx, id) => network.getSubnetPool(ctx, id),
      list: (ctx, filter) => network.listSubnetPools(ctx, filter as Arg<'listSubnetPools', 1>),
      update: (ctx, id, patch) => network.updateSubnetPool(ctx, id, patch as Arg<'updateSubnetPool', 2>),
      delete: (ctx, id) => network.deleteSubnetPool(ctx, id),
    },
  }
}
