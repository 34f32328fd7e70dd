import { type Cloud, RouterCreateSchema, RouterInterfaceSchema, RouterUpdateSchema } from '@nubis/sdk'
import type { FastifyInstance } from 'fastify'
import { type AttributeMap, boolean, camelKeys, list, toBoolean, toInput } from './body.js'
import { OWNER_ATTRIBUTES, standardAttributes } from './render-common.js'
import type { ResourceSpec } from './resource.js'
import type { Arg, Router, RouterInterfaceInfo } from './sdk-types.js'

/**
 * `external_gateway_info`: `null` or `{}` means no gateway (the openstack CLI's `router unset
 * --external-gateway` sends `{}`); otherwise its members are renamed and `enable_snat` read as Neutron reads
 * booleans.
 */
function gateway(value: unknown): unknown {
  if (
    value === null ||
    (typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0)
  ) {
    return null
  }
  const info = camelKeys(value)
  if (info === null || typeof info !== 'object' || Array.isArray(info)) return info
  const { enableSnat, ...rest } = info as Record<string, unknown>
  return enableSnat === undefined ? rest : { ...rest, enableSnat: toBoolean(enableSnat) }
}

const COMMON: AttributeMap = {
  name: 'name',
  description: 'description',
  admin_state_up: boolean('adminStateUp'),
  external_gateway_info: { field: 'externalGateway', convert: gateway },
}

const CREATE: AttributeMap = { ...COMMON, ...OWNER_ATTRIBUTES, tags: 'tags' }

const UPDATE: AttributeMap = { ...COMMON, routes: list('routes', camelKeys) }

/** The attributes of a Neutron router, in the order it shows them. */
export const ROUTER_ATTRIBUTES = [
  'id',
  'name',
  'description',
  'tenant_id',
  'project_id',
  'admin_state_up',
  'status',
  'external_gateway_info',
  'routes',
  'availability_zone_hints',
  'availability_zones',
  'tags',
  'created_at',
  'updated_at',
  'revision_number',
] as const

/** `/v2.0/routers`, with static routes (the extraroute extension) and gateways (ext-gw-mode). */
export function routerSpec(cloud: Cloud): ResourceSpec<Router> {
  const { network } = cloud
  return {
    member: 'router',
    collection: 'routers',
    path: 'routers',
    attributes: ROUTER_ATTRIBUTES,
    filters: {
      name: ['name', 'strings'],
      admin_state_up: ['adminStateUp', 'boolean'],
      status: ['status', 'string'],
    },
    create: { attributes: CREATE, schema: RouterCreateSchema },
    update: { attributes: UPDATE, schema: RouterUpdateSchema },
    render: (record) => {
      const info = record.externalGatewayInfo
      return {
        id: record.id,
        name: record.name,
        description: record.description,
        tenant_id: record.projectId,
        project_id: record.projectId,
        admin_state_up: record.adminStateUp,
        status: record.status,
        external_gateway_info: info && {
          network_id: info.networkId,
          enable_snat: info.enableSnat,
          external_fixed_ips: info.externalFixedIps.map((ip) => ({
            subnet_id: ip.subnetId,
            ip_address: ip.ipAddress,
          })),
        },
        routes: record.routes.map(({ destination, nexthop }) => ({ destination, nexthop })),
        availability_zone_hints: [],
        availability_zones: [],
        ...standardAttributes(record),
      }
    },
    service: {
      create: (ctx, input) => network.createRouter(ctx, input as Arg<'createRouter', 1>),
      get: (ctx, id) => network.getRouter(ctx, id),
      list: (ctx, filter) => network.listRouters(ctx, filter as Arg<'listRouters', 1>),
      update: (ctx, id, patch) => network.updateRouter(ctx, id, patch as Arg<'updateRouter', 2>),
      delete: (ctx, id) => network.deleteRouter(ctx, id),
    },
  }
}

const INTERFACE: AttributeMap = { subnet_id: 'subnetId', port_id: 'portId' }

/** What adding or removing an interface answers, unwrapped as Neutron sends it. */
function interfaceView(info: RouterInterfaceInfo) {
  return {
    id: info.id,
    tenant_id: info.projectId,
    project_id: info.projectId,
    port_id: info.portId,
    subnet_id: info.subnetId,
    subnet_ids: info.subnetIds,
    network_id: info.networkId,
  }
}

type IdParams = { Params: { id: string } }

/**
 * `PUT /v2.0/routers/{id}/add_router_interface` and `…/remove_router_interface`: the body is
 * `{"subnet_id": …}` or `{"port_id": …}`, not wrapped, and so is the answer.
 */
export function routerInterfaceRoutes(api: FastifyInstance, cloud: Cloud): void {
  const { network } = cloud
  const read = (body: unknown) => {
    const object = body !== null && typeof body === 'object' && !Array.isArray(body) ? body : {}
    const options = { method: 'PUT', readOnly: [], schema: RouterInterfaceSchema, member: 'router' } as const
    return toInput(object as Record<string, unknown>, INTERFACE, options) as Arg<'addRouterInterface', 2>
  }
  api.put<IdParams>('/v2.0/routers/:id/add_router_interface', async (request) =>
    interfaceView(await network.addRouterInterface(request.ctx, request.params.id, read(request.body))),
  )
  api.put<IdParams>('/v2.0/routers/:id/remove_router_interface', async (request) =>
    interfaceView(await network.removeRouterInterface(request.ctx, request.params.id, read(request.body))),
  )
}
