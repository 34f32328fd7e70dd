import { type Cloud, CloudError, SubnetCreateSchema, SubnetUpdateSchema } from '@nubis/sdk'
import { z } from 'zod'
import { type AttributeMap, boolean, camelKeys, integer, list, nested } from './body.js'
import { OWNER_ATTRIBUTES, standardAttributes } from './render-common.js'
import type { ResourceSpec } from './resource.js'
import type { Arg, Ctx, NetworkService, Subnet } from './sdk-types.js'

const UPDATE: AttributeMap = {
  name: 'name',
  description: 'description',
  gateway_ip: 'gatewayIp',
  allocation_pools: nested('allocationPools'),
  enable_dhcp: boolean('enableDhcp'),
  dns_nameservers: list('dnsNameservers'),
  host_routes: list('hostRoutes', camelKeys),
}

const CREATE: AttributeMap = {
  ...UPDATE,
  ...OWNER_ATTRIBUTES,
  network_id: 'networkId',
  ip_version: integer('ipVersion'),
  cidr: 'cidr',
  subnetpool_id: 'subnetpoolId',
  prefixlen: integer('prefixlen'),
  ipv6_address_mode: 'ipv6AddressMode',
  ipv6_ra_mode: 'ipv6RaMode',
  use_default_subnetpool: boolean('useDefaultSubnetpool'),
  tags: 'tags',
}

// The default-subnetpools extension's flag is resolved here, into the pool it names, before the SDK is called.
const CreateSchema = SubnetCreateSchema.extend({ useDefaultSubnetpool: z.boolean().optional() })

/** The attributes of a Neutron subnet, in the order it shows them. */
export const SUBNET_ATTRIBUTES = [
  'id',
  'name',
  'description',
  'tenant_id',
  'project_id',
  'network_id',
  'ip_version',
  'subnetpool_id',
  'cidr',
  'gateway_ip',
  'allocation_pools',
  'enable_dhcp',
  'dns_nameservers',
  'host_routes',
  'ipv6_address_mode',
  'ipv6_ra_mode',
  'service_types',
  'tags',
  'created_at',
  'updated_at',
  'revision_number',
] as const

/**
 * `use_default_subnetpool: true` → the default pool of the subnet's IP version (the default-subnetpools
 * extension); 400 when there is none, as Neutron answers.
 */
async function resolveDefaultPool(
  network: NetworkService,
  ctx: Ctx,
  input: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const { useDefaultSubnetpool, ...rest } = input
  if (useDefaultSubnetpool !== true || rest.subnetpoolId !== undefined) return rest
  const ipVersion = rest.ipVersion as 4 | 6
  const pools = await network.listSubnetPools(ctx, { isDefault: true, ipVersion, limit: 1 })
  const pool = pools.items[0]
  if (pool === undefined) {
    throw new CloudError('INVALID', `No default subnetpool found for IPv${ipVersion}`, {
      details: { path: 'use_default_subnetpool' },
    })
  }
  return { ...rest, subnetpoolId: pool.id }
}

/** `/v2.0/subnets`. */
export function subnetSpec(cloud: Cloud): ResourceSpec<Subnet> {
  const { network } = cloud
  return {
    member: 'subnet',
    collection: 'subnets',
    path: 'subnets',
    attributes: SUBNET_ATTRIBUTES,
    filters: {
      name: ['name', 'strings'],
      network_id: ['networkId', 'strings'],
      ip_version: ['ipVersion', 'integer'],
      cidr: ['cidr', 'string'],
      gateway_ip: ['gatewayIp', 'string'],
      enable_dhcp: ['enableDhcp', 'boolean'],
      subnetpool_id: ['subnetpoolId', 'string'],
    },
    create: {
      attributes: CREATE,
      schema: CreateSchema,
      bulk: true,
      prepare: (ctx, input) => resolveDefaultPool(network, ctx, input),
    },
    update: { attributes: UPDATE, schema: SubnetUpdateSchema },
    render: (record) => ({
      id: record.id,
      name: record.name,
      description: record.description,
      tenant_id: record.projectId,
      project_id: record.projectId,
      network_id: record.networkId,
      ip_version: record.ipVersion,
      subnetpool_id: record.subnetpoolId,
      cidr: record.cidr,
      gateway_ip: record.gatewayIp,
      allocation_pools: record.allocationPools.map(({ start, end }) => ({ start, end })),
      enable_dhcp: record.enableDhcp,
      dns_nameservers: record.dnsNameservers,
      host_routes: record.hostRoutes.map(({ destination, nexthop }) => ({ destination, nexthop })),
      ipv6_address_mode: record.ipv6AddressMode,
      ipv6_ra_mode: record.ipv6RaMode,
      service_types: [],
      ...standardAttributes(record),
    }),
    service: {
      create: (ctx, input) => network.createSubnet(ctx, input as Arg<'createSubnet', 1>),
      get: (ctx, id) => network.getSubnet(ctx, id),
      list: (ctx, filter) => network.listSubnets(ctx, filter as Arg<'listSubnets', 1>),
      update: (ctx, id, patch) => network.updateSubnet(ctx, id, patch as Arg<'updateSubnet', 2>),
      delete: (ctx, id) => network.deleteSubnet(ctx, id),
    },
  }
}
