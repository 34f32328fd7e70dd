import { type Cloud, NetworkCreateSchema, NetworkUpdateSchema } from '@nubis/sdk'
import { type AttributeMap, boolean, integer, toInteger } from './body.js'
import { OWNER_ATTRIBUTES, standardAttributes } from './render-common.js'
import type { ResourceSpec } from './resource.js'
import type { Arg, Network } from './sdk-types.js'

/** Provider attributes: a `null` (what some clients send for "unset") means the attribute is not given. */
const provider = (field: string, convert?: (value: unknown) => unknown) => ({
  field,
  convert: (value: unknown) => (value === null ? undefined : convert ? convert(value) : value),
})

const UPDATE: AttributeMap = {
  name: 'name',
  description: 'description',
  admin_state_up: boolean('adminStateUp'),
  shared: boolean('shared'),
  'router:external': boolean('external'),
  mtu: integer('mtu'),
  port_security_enabled: boolean('portSecurityEnabled'),
}

const CREATE: AttributeMap = {
  ...UPDATE,
  ...OWNER_ATTRIBUTES,
  'provider:network_type': provider('networkType'),
  'provider:physical_network': provider('physicalNetwork'),
  'provider:segmentation_id': provider('segmentationId', toInteger),
  tags: 'tags',
}

/** The attributes of a Neutron network, in the order it shows them. */
export const NETWORK_ATTRIBUTES = [
  'id',
  'name',
  'description',
  'tenant_id',
  'project_id',
  'admin_state_up',
  'status',
  'shared',
  'router:external',
  'mtu',
  'port_security_enabled',
  'provider:network_type',
  'provider:physical_network',
  'provider:segmentation_id',
  'subnets',
  'availability_zone_hints',
  'availability_zones',
  'tags',
  'created_at',
  'updated_at',
  'revision_number',
] as const

/**
 * `/v2.0/networks`. Provider attributes (`provider:network_type`, `…:physical_network`, `…:segmentation_id`) are
 * shown only to callers the `network:get_network:provider` rule allows (administrators by default), as Neutron
 * hides them; setting them is the SDK's `network:create_network:provider` rule.
 */
export function networkSpec(cloud: Cloud): ResourceSpec<Network> {
  const { network, policy } = cloud
  return {
    member: 'network',
    collection: 'networks',
    path: 'networks',
    attributes: NETWORK_ATTRIBUTES,
    filters: {
      name: ['name', 'strings'],
      admin_state_up: ['adminStateUp', 'boolean'],
      status: ['status', 'string'],
      shared: ['shared', 'boolean'],
      'router:external': ['external', 'boolean'],
      mtu: ['mtu', 'integer'],
      'provider:network_type': ['networkType', 'string'],
      'provider:physical_network': ['physicalNetwork', 'string'],
      'provider:segmentation_id': ['segmentationId', 'integer'],
    },
    create: { attributes: CREATE, schema: NetworkCreateSchema, bulk: true },
    update: { attributes: UPDATE, schema: NetworkUpdateSchema },
    render(record, request) {
      const target = { project_id: record.projectId, shared: record.shared, external: record.external }
      const showProvider = policy.check(request.ctx, 'network:get_network:provider', target)
      return {
        id: record.id,
        name: record.name,
        description: record.description,
        tenant_id: record.projectId,
        project_id: record.projectId,
        admin_state_up: record.adminStateUp,
        status: record.status,
        shared: record.shared,
        'router:external': record.external,
        mtu: record.mtu,
        port_security_enabled: record.portSecurityEnabled,
        ...(showProvider && {
          'provider:network_type': record.networkType,
          'provider:physical_network': record.physicalNetwork,
          'provider:segmentation_id': record.segmentationId,
        }),
        subnets: record.subnets,
        availability_zone_hints: [],
        availability_zones: [],
        ...standardAttributes(record),
      }
    },
    service: {
      create: (ctx, input) => network.createNetwork(ctx, input as Arg<'createNetwork', 1>),
      get: (ctx, id) => network.getNetwork(ctx, id),
      list: (ctx, filter) => network.listNetworks(ctx, filter as Arg<'listNetworks', 1>),
      update: (ctx, id, patch) => network.updateNetwork(ctx, id, patch as Arg<'updateNetwork', 2>),
      delete: (ctx, id) => network.deleteNetwork(ctx, id),
    },
  }
}
