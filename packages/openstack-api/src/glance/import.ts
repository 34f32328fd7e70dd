import { type Cloud, CloudError } from '@nubis/sdk'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { STORE_HEADER } from './image-data.js'
import type { ImportRequest } from './sdk-types.js'

type IdParams = { Params: { id: string } }

const bad = (message: string) => new CloudError('INVALID', message)

/** An optional boolean member of the import body, with Glance's message when it is something else. */
function flag(body: Record<string, unknown>, key: string): boolean | undefined {
  const value = body[key]
  if (value === undefined) return undefined
  if (typeof value !== 'boolean') throw bad(`'${key}' must be boolean value only`)
  return value
}

/**
 * The SDK's import request of a Glance import body, `{"method": {"name": …, "uri": …}, "stores": […],
 * "all_stores": …, "all_stores_must_succeed": …}`, checked as Glance's deserializer does. Without `stores` or
 * `all_stores`, the store named in `X-Image-Meta-Store` is the target, as in Glance.
 */
export function importRequestOf(request: FastifyRequest, methods: readonly string[]): ImportRequest {
  const body = request.body
  if (body === undefined || body === null) throw bad('Body expected in request.')
  if (typeof body !== 'object' || Array.isArray(body)) throw bad("Import request requires a 'method' field.")
  const source = body as Record<string, unknown>
  const method = source.method
  if (method === undefined || method === null || typeof method !== 'object') {
    throw bad("Import request requires a 'method' field.")
  }
  const { name, uri } = method as Record<string, unknown>
  if (name === undefined) throw bad("Import request requires a 'name' field.")
  if (typeof name !== 'string' || !methods.includes(name))
    throw bad(`Unknown import method name '${String(name)}'.`)
  if (uri !== undefined && typeof uri !== 'string') throw bad("'uri' must be a string")
  const allStores = flag(source, 'all_stores')
  const allStoresMustSucceed = flag(source, 'all_stores_must_succeed')
  let stores = source.stores
  if (stores !== undefined && (!Array.isArray(stores) || stores.some((s) => typeof s !== 'string'))) {
    throw bad("'stores' must be a list of store identifiers")
  }
  const named = request.headers[STORE_HEADER]
  if (stores === undefined && !allStores && typeof named === 'string' && named.trim()) stores = [named.trim()]
  return {
    method: name as ImportRequest['method'],
    ...(uri !== undefined && { uri }),
    ...(stores !== undefined && { stores: stores as string[] }),
    ...(allStores !== undefined && { allStores }),
    ...(allStoresMustSucceed !== undefined && { allStoresMustSucceed }),
  }
}

/**
 * Glance's interoperable import: `POST /v2/images/{id}/import` (202, the work goes on in a task),
 * `GET /v2/info/import` (the methods offered) and `GET /v2/info/stores` (the stores, the default one marked
 * `"default": "true"`, a string as Glance writes it).
 */
export function importRoutes(api: FastifyInstance, cloud: Cloud): void {
  const { image } = cloud

  api.post<IdParams>('/v2/images/:id/import', async (request, reply) => {
    const input = importRequestOf(request, image.importMethods())
    await image.importImage(request.ctx, request.params.id, input)
    return reply.code(202).send()
  })

  api.get('/v2/info/import', async () => ({
    'import-methods': {
      description: 'Import methods available.',
      type: 'array',
      value: image.importMethods(),
    },
  }))

  api.get('/v2/info/stores', async (request) => {
    const stores = await image.listStores(request.ctx)
    if (stores.length === 0) {
      throw new CloudError('NOT_FOUND', 'Multi backend is not supported at this site.')
    }
    return {
      stores: stores.map((store) => ({
        id: store.id,
        ...(store.description && { description: store.description }),
        ...(store.default && { default: 'true' }),
      })),
    }
  })
}
