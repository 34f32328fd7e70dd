import type { FastifyInstance } from 'fastify'
import { collectionSchema, imageSchema, memberSchema } from './image-schemas.js'

/**
 * `/v2/schemas/image`, `/images`, `/member` and `/members`: the JSON-schema documents clients build their models
 * from (glanceclient validates a PATCH against `image` before sending it). They need a token, as in Glance.
 */
export function schemaRoutes(api: FastifyInstance): void {
  api.get('/v2/schemas/image', async () => imageSchema())
  api.get('/v2/schemas/images', async () => collectionSchema('images', imageSchema()))
  api.get('/v2/schemas/member', async () => memberSchema())
  api.get('/v2/schemas/members', async () => collectionSchema('members', memberSchema()))
}
