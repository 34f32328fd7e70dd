import type { Cloud } from '@nubis/sdk'
import type { FastifyInstance } from 'fastify'

type TagParams = { Params: { id: string; tag: string } }
type ActionParams = { Params: { id: string } }

/**
 * An image's tags, `PUT` and `DELETE /v2/images/{id}/tags/{tag}` (204; deleting a tag the image lacks is 404),
 * and its actions, `POST /v2/images/{id}/actions/deactivate` and `…/reactivate` (204; admins only by default).
 */
export function tagAndActionRoutes(api: FastifyInstance, cloud: Cloud): void {
  const { image } = cloud

  api.put<TagParams>('/v2/images/:id/tags/:tag', async (request, reply) => {
    await image.addImageTag(request.ctx, request.params.id, request.params.tag)
    return reply.code(204).send()
  })

  api.delete<TagParams>('/v2/images/:id/tags/:tag', async (request, reply) => {
    await image.removeImageTag(request.ctx, request.params.id, request.params.tag)
    return reply.code(204).send()
  })

  api.post<ActionParams>('/v2/images/:id/actions/deactivate', async (request, reply) => {
    await image.deactivateImage(request.ctx, request.params.id)
    return reply.code(204).send()
  })

  api.post<ActionParams>('/v2/images/:id/actions/reactivate', async (request, reply) => {
    await image.reactivateImage(request.ctx, request.params.id)
    return reply.code(204).send()
  })
}
