import {
  type Cloud,
  EndpointCreateSchema,
  type EndpointFilters,
  EndpointUpdateSchema,
  isCloudError,
  type ListQueryInput,
  RegionCreateSchema,
  RegionUpdateSchema,
  ServiceCreateSchema,
  type ServiceFilters,
  ServiceUpdateSchema,
} from '@nubis/sdk'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { z } from 'zod'
import { checkInput, type FieldMap, listQuery, readResource, rename, unwrap } from './input.js'
import { collection, endpointView, regionView, serviceView } from './render.js'

/** Keystone's names of a region's fields. */
const REGION_FIELDS: FieldMap = {
  id: 'id',
  description: 'description',
  parent_region_id: 'parentRegionId',
}

/** Keystone's names of a service's fields. */
const SERVICE_FIELDS: FieldMap = {
  type: 'type',
  name: 'name',
  description: 'description',
  enabled: 'enabled',
}

/** Keystone's names of an endpoint's fields; the legacy `region` is read as `region_id` when that is absent. */
const ENDPOINT_FIELDS: FieldMap = {
  service_id: 'serviceId',
  region_id: 'regionId',
  interface: 'interface',
  url: 'url',
  enabled: 'enabled',
}

type IdParams = { Params: { id: string } }

/**
 * The catalog's resources, each with create (201), list, show, update (PATCH, 200) and delete (204):
 * `/v3/regions` (`?parent_region_id`; `PUT /v3/regions/{id}` creates a region with that id),
 * `/v3/services` (`?type`, `?name`) and `/v3/endpoints` (`?service_id`, `?region_id`, `?interface`).
 */
export function catalogRoutes(api: FastifyInstance, cloud: Cloud): void {
  const { identity } = cloud

  // POST chooses the id (or lets one be made); PUT /v3/regions/{id} creates the region with the id of its URL.
  const createRegion = async (request: FastifyRequest<{ Params: { id?: string } }>, reply: FastifyReply) => {
    const { id } = request.params
    const input = readResource(RegionCreateSchema, request.body, 'region', REGION_FIELDS, { id })
    const region = await identity.createRegion(request.ctx, id === undefined ? input : { ...input, id })
    return reply.code(201).send({ region: regionView(request, region) })
  }
  api.post('/v3/regions', createRegion)
  api.put('/v3/regions/:id', createRegion)

  api.get('/v3/regions', async (request) => {
    const filters = listQuery<ListQueryInput>(request, { parent_region_id: 'parentRegionId' })
    const page = await identity.listRegions(request.ctx, filters)
    return collection(
      request,
      'regions',
      page.items.map((region) => regionView(request, region)),
      page,
    )
  })

  api.get<IdParams>('/v3/regions/:id', async (request) => ({
    region: regionView(request, await identity.getRegion(request.ctx, request.params.id)),
  }))

  api.patch<IdParams>('/v3/regions/:id', async (request) => {
    const { id } = request.params
    const patch = readResource(RegionUpdateSchema, request.body, 'region', REGION_FIELDS, { id })
    return { region: regionView(request, await identity.updateRegion(request.ctx, id, patch)) }
  })

  api.delete<IdParams>('/v3/regions/:id', async (request, reply) => {
    await identity.deleteRegion(request.ctx, request.params.id)
    return reply.code(204).send()
  })

  api.post('/v3/services', async (request, reply) => {
    const input = readResource(ServiceCreateSchema, request.body, 'service', SERVICE_FIELDS)
    const service = await identity.createService(request.ctx, input)
    return reply.code(201).send({ service: serviceView(request, service) })
  })

  api.get('/v3/services', async (request) => {
    const filters = listQuery<ServiceFilters & ListQueryInput>(request, { type: 'type', name: 'name' })
    const page = await identity.listServices(request.ctx, filters)
    return collection(
      request,
      'services',
      page.items.map((service) => serviceView(request, service)),
      page,
    )
  })

  api.get<IdParams>('/v3/services/:id', async (request) => ({
    service: serviceView(request, await identity.getService(request.ctx, request.params.id)),
  }))

  api.patch<IdParams>('/v3/services/:id', async (request) => {
    const { id } = request.params
    const patch = readResource(ServiceUpdateSchema, request.body, 'service', SERVICE_FIELDS, { id })
    return { service: serviceView(request, await identity.updateService(request.ctx, id, patch)) }
  })

  api.delete<IdParams>('/v3/services/:id', async (request, reply) => {
    await identity.deleteService(request.ctx, request.params.id)
    return reply.code(204).send()
  })

  endpointRoutes(api, cloud)
}

/** An endpoint body, the legacy `region` standing for `region_id`, renamed and checked by the SDK's `schema`. */
function endpointInput<S extends typeof EndpointCreateSchema | typeof EndpointUpdateSchema>(
  schema: S,
  body: unknown,
  id?: string,
): z.input<S> {
  const { region, ...endpoint } = unwrap(body, 'endpoint')
  const withRegion =
    endpoint.region_id === undefined && region !== undefined ? { ...endpoint, region_id: region } : endpoint
  const input = rename(withRegion, ENDPOINT_FIELDS, { id })
  checkInput(schema, input, 'endpoint', ENDPOINT_FIELDS)
  return input as z.input<S>
}

/** `/v3/endpoints`. */
function endpointRoutes(api: FastifyInstance, cloud: Cloud): void {
  const { identity } = cloud
  // Keystone creates a region named only by the legacy `region` attribute of an endpoint, for the clients of
  // v2-era catalogs that never made regions; `region_id` must name an existing one.
  const ensureLegacyRegion = async (request: FastifyRequest, regionId: string | null | undefined) => {
    const legacy = (request.body as { endpoint?: { region?: unknown; region_id?: unknown } } | undefined)
      ?.endpoint
    if (!regionId || legacy?.region === undefined || legacy.region_id !== undefined) return
    await identity.getRegion(request.ctx, regionId).catch(async (error: unknown) => {
      if (!isCloudError(error, 'NOT_FOUND')) throw error
      await identity.createRegion(request.ctx, { id: regionId })
    })
  }
  const filters: FieldMap = { service_id: 'serviceId', region_id: 'regionId', interface: 'interface' }

  api.post('/v3/endpoints', async (request, reply) => {
    const input = endpointInput(EndpointCreateSchema, request.body)
    await ensureLegacyRegion(request, input.regionId)
    const endpoint = await identity.createEndpoint(request.ctx, input)
    return reply.code(201).send({ endpoint: endpointView(request, endpoint) })
  })

  api.get('/v3/endpoints', async (request) => {
    const page = await identity.listEndpoints(
      request.ctx,
      listQuery<EndpointFilters & ListQueryInput>(request, filters),
    )
    return collection(
      request,
      'endpoints',
      page.items.map((endpoint) => endpointView(request, endpoint)),
      page,
    )
  })

  api.get<IdParams>('/v3/endpoints/:id', async (request) => ({
    endpoint: endpointView(request, await identity.getEndpoint(request.ctx, request.params.id)),
  }))

  api.patch<IdParams>('/v3/endpoints/:id', async (request) => {
    const { id } = request.params
    const patch = endpointInput(EndpointUpdateSchema, request.body, id)
    await ensureLegacyRegion(request, patch.regionId)
    return { endpoint: endpointView(request, await identity.updateEndpoint(request.ctx, id, patch)) }
  })

  api.delete<IdParams>('/v3/endpoints/:id', async (request, reply) => {
    await identity.deleteEndpoint(request.ctx, request.params.id)
    return reply.code(204).send()
  })
}
