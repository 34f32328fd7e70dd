import { type Cloud, CloudError } from '@nubis/sdk'
import type { FastifyInstance } from 'fastify'
import type { ResourceSpec } from './resource.js'
import type { Ctx, TaggableResource } from './sdk-types.js'

/** The resources that carry tags (the standard-attr-tag extension), by their member name. */
const TAGGABLE: ReadonlySet<string> = new Set<TaggableResource>([
  'network',
  'subnet',
  'subnetpool',
  'port',
  'router',
  'floatingip',
  'security_group',
])

type IdParams = { Params: { id: string } }
type TagParams = { Params: { id: string; tag: string } }

/** The `tags` of `{"tags": [...]}`, a list of strings; the SDK judges each tag. */
function tagsOf(body: unknown): string[] {
  const tags = body !== null && typeof body === 'object' ? (body as { tags?: unknown }).tags : undefined
  if (!Array.isArray(tags) || !tags.every((tag) => typeof tag === 'string')) {
    throw new CloudError('INVALID', 'Invalid input for tags: expected {"tags": ["tag", ...]}', {
      details: { path: 'tags' },
    })
  }
  return tags
}

/**
 * Neutron's tag routes under `/v2.0/<collection>/{id}/tags` for every taggable collection of `specs`: `GET`
 * (`{"tags": [...]}`), `PUT` (replace all, 200), `DELETE` (remove all, 204), and per tag `GET` (204 when the
 * resource has it, 404 `TagNotFound` when not), `PUT` (add, 201) and `DELETE` (remove, 204).
 */
export function tagRoutes(
  api: FastifyInstance,
  cloud: Cloud,
  specs: readonly ResourceSpec<{ id: string; tags?: string[] }>[],
): void {
  const { network } = cloud
  for (const spec of specs) {
    if (!TAGGABLE.has(spec.member)) continue
    const type = spec.member as TaggableResource
    const base = `/v2.0/${spec.path}/:id/tags`
    const tagsNow = async (ctx: Ctx, id: string) => (await spec.service.get(ctx, id)).tags ?? []

    api.get<IdParams>(base, async (request) => ({ tags: await tagsNow(request.ctx, request.params.id) }))

    api.put<IdParams>(base, async (request) => ({
      tags: await network.setTags(request.ctx, type, request.params.id, tagsOf(request.body)),
    }))

    api.delete<IdParams>(base, async (request, reply) => {
      await network.setTags(request.ctx, type, request.params.id, [])
      return reply.code(204).send()
    })

    api.get<TagParams>(`${base}/:tag`, async (request, reply) => {
      const { id, tag } = request.params
      if (!(await tagsNow(request.ctx, id)).includes(tag)) {
        throw new CloudError('NOT_FOUND', `Tag ${tag} could not be found for ${type} ${id}.`, {
          resource: { type: 'tag', id: tag },
          details: { type: 'TagNotFound' },
        })
      }
      return reply.code(204).send()
    })

    api.put<TagParams>(`${base}/:tag`, async (request, reply) => {
      await network.addTag(request.ctx, type, request.params.id, request.params.tag)
      return reply.code(201).send()
    })

    api.delete<TagParams>(`${base}/:tag`, async (request, reply) => {
      await network.removeTag(request.ctx, type, request.params.id, request.params.tag)
      return reply.code(204).send()
    })
  }
}
