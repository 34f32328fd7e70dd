import {
  type Cloud,
  DomainCreateSchema,
  type DomainFilters,
  DomainUpdateSchema,
  type ListQueryInput,
} from '@nubis/sdk'
import type { FastifyInstance } from 'fastify'
import { type FieldMap, listQuery, readResource } from './input.js'
import { collection, domainView } from './render.js'

/** Keystone's names of a domain's fields. */
const DOMAIN_FIELDS: FieldMap = {
  id: 'id',
  name: 'name',
  description: 'description',
  enabled: 'enabled',
  options: 'options',
}

/** The filters of `GET /v3/domains`. */
const DOMAIN_FILTERS: FieldMap = { name: 'name', enabled: 'enabled' }

type IdParams = { Params: { id: string } }

/**
 * `/v3/domains`: create (201), list (`?name`, `?enabled`), show, update (PATCH, 200) and delete (204). An
 * enabled domain cannot be deleted (403, as Keystone answers); disable it first.
 */
export function domainRoutes(api: FastifyInstance, cloud: Cloud): void {
  const { identity } = cloud

  api.post('/v3/domains', async (request, reply) => {
    const input = readResource(DomainCreateSchema, request.body, 'domain', DOMAIN_FIELDS)
    const domain = await identity.createDomain(request.ctx, input)
    return reply.code(201).send({ domain: domainView(request, domain) })
  })

  api.get('/v3/domains', async (request) => {
    const filters = listQuery<DomainFilters & ListQueryInput>(request, DOMAIN_FILTERS)
    const page = await identity.listDomains(request.ctx, filters)
    return collection(
      request,
      'domains',
      page.items.map((domain) => domainView(request, domain)),
      page,
    )
  })

  api.get<IdParams>('/v3/domains/:id', async (request) => ({
    domain: domainView(request, await identity.getDomain(request.ctx, request.params.id)),
  }))

  api.patch<IdParams>('/v3/domains/:id', async (request) => {
    const { id } = request.params
    const patch = readResource(DomainUpdateSchema, request.body, 'domain', DOMAIN_FIELDS, { id })
    return { domain: domainView(request, await identity.updateDomain(request.ctx, id, patch)) }
  })

  api.delete<IdParams>('/v3/domains/:id', async (request, reply) => {
    await identity.deleteDomain(request.ctx, request.params.id)
    return reply.code(204).send()
  })
}
