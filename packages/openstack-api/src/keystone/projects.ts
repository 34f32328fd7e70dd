import {
  type Cloud,
  type ListQueryInput,
  type Project,
  ProjectCreateSchema,
  type ProjectFilters,
  ProjectUpdateSchema,
} from '@nubis/sdk'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { parseBody } from '../body.js'
import { type FieldMap, listQuery, queryFlag, readResource } from './input.js'
import { collection, projectView, v3Url } from './render.js'

/** Keystone's names of a project's fields; other attributes are kept as extra ones. */
const PROJECT_FIELDS: FieldMap = {
  name: 'name',
  domain_id: 'domainId',
  parent_id: 'parentId',
  description: 'description',
  enabled: 'enabled',
  is_domain: 'isDomain',
  tags: 'tags',
  options: 'options',
}

/** The filters of `GET /v3/projects`, Keystone's tag filters included. */
const PROJECT_FILTERS: FieldMap = {
  name: 'name',
  domain_id: 'domainId',
  parent_id: 'parentId',
  enabled: 'enabled',
  tags: 'tags',
  'tags-any': 'tagsAny',
  'not-tags': 'notTags',
  'not-tags-any': 'notTagsAny',
}

// `PUT /v3/projects/{id}/tags` replaces the tags with this list; the SDK checks each tag.
const TagsBody = z.object({ tags: z.array(z.string()) })

type IdParams = { Params: { id: string } }
type TagParams = { Params: { id: string; tag: string } }

/**
 * `/v3/projects`: create (201), list with Keystone's filters, show (with `?parents_as_list` and
 * `?subtree_as_list`), update (PATCH, 200) and delete (204); and a project's tags under `/tags`.
 */
export function projectRoutes(api: FastifyInstance, cloud: Cloud): void {
  const { identity } = cloud

  api.post('/v3/projects', async (request, reply) => {
    const input = readResource(ProjectCreateSchema, request.body, 'project', PROJECT_FIELDS, {
      extra: true,
    })
    const project = await identity.createProject(request.ctx, input)
    return reply.code(201).send({ project: projectView(request, project) })
  })

  api.get('/v3/projects', async (request) => {
    const filters = listQuery<ProjectFilters & ListQueryInput>(request, PROJECT_FILTERS)
    const page = await identity.listProjects(request.ctx, filters)
    return collection(
      request,
      'projects',
      page.items.map((project) => projectView(request, project)),
      page,
    )
  })

  api.get<IdParams>('/v3/projects/:id', async (request) => {
    const { id } = request.params
    const body: Record<string, unknown> = projectView(request, await identity.getProject(request.ctx, id))
    if (queryFlag(request, 'parents_as_list')) {
      body.parents = wrapEach(request, await identity.listProjectParents(request.ctx, id))
    }
    if (queryFlag(request, 'subtree_as_list')) {
      body.subtree = wrapEach(request, await identity.listProjectSubtree(request.ctx, id))
    }
    return { project: body }
  })

  api.patch<IdParams>('/v3/projects/:id', async (request) => {
    const { id } = request.params
    const patch = readResource(ProjectUpdateSchema, request.body, 'project', PROJECT_FIELDS, {
      extra: true,
      id,
    })
    return { project: projectView(request, await identity.updateProject(request.ctx, id, patch)) }
  })

  api.delete<IdParams>('/v3/projects/:id', async (request, reply) => {
    await identity.deleteProject(request.ctx, request.params.id)
    return reply.code(204).send()
  })

  projectTagRoutes(api, cloud)
}

/** Keystone's `parents`/`subtree` lists: each project wrapped as `{ project: {...} }`. */
function wrapEach(request: FastifyRequest, projects: readonly Project[]) {
  return projects.map((project) => ({ project: projectView(request, project) }))
}

/** `/v3/projects/{id}/tags`: list, replace, clear, and check (204), add (201) or remove (204) one tag. */
function projectTagRoutes(api: FastifyInstance, cloud: Cloud): void {
  const { identity } = cloud

  api.get<IdParams>('/v3/projects/:id/tags', async (request) => ({
    tags: await identity.listProjectTags(request.ctx, request.params.id),
  }))

  api.put<IdParams>('/v3/projects/:id/tags', async (request) => {
    const { tags } = parseBody(TagsBody, request.body)
    return { tags: await identity.replaceProjectTags(request.ctx, request.params.id, tags) }
  })

  api.delete<IdParams>('/v3/projects/:id/tags', async (request, reply) => {
    await identity.replaceProjectTags(request.ctx, request.params.id, [])
    return reply.code(204).send()
  })

  api.get<TagParams>('/v3/projects/:id/tags/:tag', async (request, reply) => {
    await identity.checkProjectTag(request.ctx, request.params.id, request.params.tag)
    return reply.code(204).send()
  })

  api.put<TagParams>('/v3/projects/:id/tags/:tag', async (request, reply) => {
    const { id, tag } = request.params
    await identity.addProjectTag(request.ctx, id, tag)
    const location = v3Url(request, `/projects/${id}/tags/${encodeURIComponent(tag)}`)
    return reply.code(201).header('location', location).send()
  })

  api.delete<TagParams>('/v3/projects/:id/tags/:tag', async (request, reply) => {
    await identity.removeProjectTag(request.ctx, request.params.id, request.params.tag)
    return reply.code(204).send()
  })
}
