import { type Cloud, PortCreateSchema, PortUpdateSchema } from '@nubis/sdk'
import { type AttributeMap, boolean, list, nested } from './body.js'
import { OWNER_ATTRIBUTES, standardAttributes } from './render-common.js'
import type { ResourceSpec } from './resource.js'
import type { Arg, Port } from './sdk-types.js'

const UPDATE: AttributeMap = {
  name: 'name',
  description: 'description',
  admin_state_up: boolean('adminStateUp'),
  mac_address: 'macAddress',
  fixed_ips: nested('fixedIps'),
  device_owner: 'deviceOwner',
  device_id: 'deviceId',
  'binding:host_id': 'bindingHostId',
  // Free-form: its keys are the client's (`{"vif": "veth", "netns": …}`), never renamed.
  'binding:profile': 'bindingProfile',
  'binding:vnic_type': 'bindingVnicType',
  port_security_enabled: boolean('portSecurityEnabled'),
  security_groups: list('securityGroups'),
  allowed_address_pairs: nested('allowedAddressPairs'),
}

const CREATE: AttributeMap = {
  ...UPDATE,
  ...OWNER_ATTRIBUTES,
  network_id: 'networkId',
  tags: 'tags',
}

/** The attributes of a Neutron port, in the order it shows them. */
export const PORT_ATTRIBUTES = [
  'id',
  'name',
  'description',
  'network_id',
  'tenant_id',
  'project_id',
  'admin_state_up',
  'status',
  'mac_address',
  'fixed_ips',
  'device_id',
  'device_owner',
  'binding:host_id',
  'binding:profile',
  'binding:vif_type',
  'binding:vif_details',
  'binding:vnic_type',
  'port_security_enabled',
  'security_groups',
  'allowed_address_pairs',
  'tags',
  'created_at',
  'updated_at',
  'revision_number',
] as const

/**
 * `/v2.0/ports`. The binding attributes but `binding:vnic_type` are shown only to callers the
 * `network:get_port:binding` rule allows (administrators by default), as Neutron hides them.
 */
export function portSpec(cloud: Cloud): ResourceSpec<Port> {
  const { network, policy } = cloud
  return {
    member: 'port',
    collection: 'ports',
    path: 'ports',
    attributes: PORT_ATTRIBUTES,
    filters: {
      name: ['name', 'strings'],
      network_id: ['networkId', 'strings'],
      device_id: ['deviceId', 'strings'],
      device_owner: ['deviceOwner', 'strings'],
      mac_address: ['macAddress', 'string'],
      status: ['status', 'string'],
      admin_state_up: ['adminStateUp', 'boolean'],
      'binding:host_id': ['bindingHostId', 'string'],
      fixed_ips: ['fixedIps', 'fixed-ips'],
      security_groups: ['securityGroups', 'list'],
    },
    create: { attributes: CREATE, schema: PortCreateSchema, bulk: true },
    update: { attributes: UPDATE, schema: PortUpdateSchema },
    render(record, request) {
      const showBinding = policy.check(request.ctx, 'network:get_port:binding', {
        project_id: record.projectId,
      })
      return {
        id: record.id,
        name: record.name,
        description: record.description,
        network_id: record.networkId,
        tenant_id: record.projectId,
        project_id: record.projectId,
        admin_state_up: record.adminStateUp,
        status: record.status,
        mac_address: record.macAddress,
        fixed_ips: record.fixedIps.map((ip) => ({ subnet_id: ip.subnetId, ip_address: ip.ipAddress })),
        device_id: record.deviceId,
        device_owner: record.deviceOwner,
        ...(showBinding && {
          'binding:host_id': record.bindingHostId,
          'binding:profile': record.bindingProfile,
          'binding:vif_type': record.bindingVifType,
          'binding:vif_details': record.bindingVifDetails,
        }),
        'binding:vnic_type': record.bindingVnicType,
        port_security_enabled: record.portSecurityEnabled,
        security_groups: record.securityGroups,
        allowed_address_pairs: record.allowedAddressPairs.map((pair) => ({
          ip_address: pair.ipAddress,
          mac_address: pair.macAddress,
        })),
        ...standardAttributes(record),
      }
    },
    service: {
      create: (ctx, input) => network.createPort(ctx, input as Arg<'createPort', 1>),
      get: (ctx, id) => network.getPort(ctx, id),
      list: (ctx, filter) => network.listPorts(ctx, filter as Arg<'listPorts', 1>),
      update: (ctx, id, patch) => network.updatePort(ctx, id, patch as Arg<'updatePort', 2>),
      delete: (ctx, id) => network.deletePort(ctx, id),
    },
  }
}
