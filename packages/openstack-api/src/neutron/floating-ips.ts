import { type Cloud, FloatingIpCreateSchema, FloatingIpUpdateSchema } from '@nubis/sdk'
import type { AttributeMap } from './body.js'
import { OWNER_ATTRIBUTES, standardAttributes } from './render-common.js'
import type { ResourceSpec } from './resource.js'
import type { Arg, FloatingIp } from './sdk-types.js'

const UPDATE: AttributeMap = {
  port_id: 'portId',
  fixed_ip_address: 'fixedIpAddress',
  description: 'description',
}

const CREATE: AttributeMap = {
  ...UPDATE,
  ...OWNER_ATTRIBUTES,
  floating_network_id: 'floatingNetworkId',
  subnet_id: 'subnetId',
  floating_ip_address: 'floatingIpAddress',
  tags: 'tags',
}

/** The attributes of a Neutron floating IP, in the order it shows them. */
export const FLOATINGIP_ATTRIBUTES = [
  'id',
  'tenant_id',
  'project_id',
  'floating_network_id',
  'floating_ip_address',
  'router_id',
  'port_id',
  'fixed_ip_address',
  'status',
  'description',
  'tags',
  'created_at',
  'updated_at',
  'revision_number',
] as const

/**
 * `/v2.0/floatingips`: allocate from an external network, associate (`port_id`), move to another port, or
 * disassociate (`port_id: null`).
 */
export function floatingIpSpec(cloud: Cloud): ResourceSpec<FloatingIp> {
  const { network } = cloud
  return {
    member: 'floatingip',
    collection: 'floatingips',
    path: 'floatingips',
    attributes: FLOATINGIP_ATTRIBUTES,
    filters: {
      floating_network_id: ['floatingNetworkId', 'string'],
      floating_ip_address: ['floatingIpAddress', 'string'],
      port_id: ['portId', 'string'],
      fixed_ip_address: ['fixedIpAddress', 'string'],
      router_id: ['routerId', 'string'],
      status: ['status', 'string'],
    },
    create: { attributes: CREATE, schema: FloatingIpCreateSchema },
    update: { attributes: UPDATE, schema: FloatingIpUpdateSchema },
    render: (record) => ({
      id: record.id,
      tenant_id: record.projectId,
      project_id: record.projectId,
      floating_network_id: record.floatingNetworkId,
      floating_ip_address: record.floatingIpAddress,
      router_id: record.routerId,
      port_id: record.portId,
      fixed_ip_address: record.fixedIpAddress,
      status: record.status,
      description: record.description,
      ...standardAttributes(record),
    }),
    service: {
      create: (ctx, input) => network.createFloatingIp(ctx, input as Arg<'createFloatingIp', 1>),
      get: (ctx, id) => network.getFloatingIp(ctx, id),
      list: (ctx, filter) => network.listFloatingIps(ctx, filter as Arg<'listFloatingIps', 1>),
      update: (ctx, id, patch) => network.updateFloatingIp(ctx, id, patch as Arg<'updateFloatingIp', 2>),
      delete: (ctx, id) => network.deleteFloatingIp(ctx, id),
    },
  }
}
