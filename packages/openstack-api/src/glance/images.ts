import { type Cloud, ImageUpdateSchema } from '@nubis/sdk'
import type { FastifyInstance } from 'fastify'
import { splitUrl } from '../urls.js'
import { checkSdkInput, createInput } from './image-input.js'
import { listQueryOf } from './list-query.js'
import { mediaTypeOf, requireMediaType } from './media.js'
import { PATCH_MEDIA_TYPES, parsePatch } from './patch.js'
import { applyPatch } from './patch-apply.js'
import { imagePath, imagesPaging, imageView } from './render.js'

type IdParams = { Params: { id: string } }

/**
 * `/v2/images`: list with Glance's filters, sorting and `first`/`next` paths; create (201 with `Location` and the
 * import methods and store ids in headers); show; PATCH in Glance's two JSON-patch media types; delete (204).
 */
export function imageRoutes(api: FastifyInstance, cloud: Cloud): void {
  const { image } = cloud

  api.get('/v2/images', async (request) => {
    const { query } = splitUrl(request)
    const page = await image.listImages(request.ctx, listQueryOf(query))
    return {
      images: page.items.map(imageView),
      ...imagesPaging(query, page.next),
      schema: '/v2/schemas/images',
    }
  })

  api.post('/v2/images', async (request, reply) => {
    const created = await image.createImage(request.ctx, createInput(request.body))
    // Store ids are deployment facts Glance sends every creator, not a listing the caller's policy governs.
    const stores = await image.listStores(cloud.system(request.ctx.signal))
    reply.header('location', imagePath(created.id))
    reply.header('openstack-image-import-methods', image.importMethods().join(','))
    if (stores.length > 0) reply.header('openstack-image-store-ids', stores.map((s) => s.id).join(','))
    return reply.code(201).send(imageView(created))
  })

  api.get<IdParams>('/v2/images/:id', async (request) =>
    imageView(await image.getImage(request.ctx, request.params.id)),
  )

  api.patch<IdParams>(
    '/v2/images/:id',
    { preParsing: requireMediaType(Object.keys(PATCH_MEDIA_TYPES), true) },
    async (request) => {
      const draft = PATCH_MEDIA_TYPES[mediaTypeOf(request)] ?? 10
      const ops = parsePatch(request.body, draft)
      const current = await image.getImage(request.ctx, request.params.id)
      const update = applyPatch(current, ops, draft)
      if (update === undefined) return imageView(current)
      checkSdkInput(ImageUpdateSchema, update, 'image')
      return imageView(await image.updateImage(request.ctx, current.id, update))
    },
  )

  api.delete<IdParams>('/v2/images/:id', async (request, reply) => {
    await image.deleteImage(request.ctx, request.params.id)
    return reply.code(204).send()
  })
}
