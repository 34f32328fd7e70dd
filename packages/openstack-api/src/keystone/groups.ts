import {
  type Cloud,
  GroupCreateSchema,
  type GroupFilters,
  GroupUpdateSchema,
  type ListQueryInput,
} from '@nubis/sdk'
import type { FastifyInstance } from 'fastify'
import { type FieldMap, listQuery, readResource } from './input.js'
import { collection, groupView, userView } from './render.js'

/** Keystone's names of a group's fields. */
const GROUP_FIELDS: FieldMap = { name: 'name', domain_id: 'domainId', description: 'description' }

/** The filters of `GET /v3/groups`. */
const GROUP_FILTERS: FieldMap = { name: 'name', domain_id: 'domainId' }

type IdParams = { Params: { id: string } }
type MemberParams = { Params: { id: string; userId: string } }

/**
 * `/v3/groups`: create (201), list (`?name`, `?domain_id`), show, update (PATCH, 200) and delete (204); the
 * members of a group (`/v3/groups/{id}/users`), and adding (PUT), checking (GET/HEAD) and removing (DELETE)
 * one member, each answered 204.
 */
export function groupRoutes(api: FastifyInstance, cloud: Cloud): void {
  const { identity } = cloud

  api.post('/v3/groups', async (request, reply) => {
    const input = readResource(GroupCreateSchema, request.body, 'group', GROUP_FIELDS)
    const group = await identity.createGroup(request.ctx, input)
    return reply.code(201).send({ group: groupView(request, group) })
  })

  api.get('/v3/groups', async (request) => {
    const filters = listQuery<GroupFilters & ListQueryInput>(request, GROUP_FILTERS)
    const page = await identity.listGroups(request.ctx, filters)
    return collection(
      request,
      'groups',
      page.items.map((group) => groupView(request, group)),
      page,
    )
  })

  api.get<IdParams>('/v3/groups/:id', async (request) => ({
    group: groupView(request, await identity.getGroup(request.ctx, request.params.id)),
  }))

  api.patch<IdParams>('/v3/groups/:id', async (request) => {
    const { id } = request.params
    const patch = readResource(GroupUpdateSchema, request.body, 'group', GROUP_FIELDS, { id })
    return { group: groupView(request, await identity.updateGroup(request.ctx, id, patch)) }
  })

  api.delete<IdParams>('/v3/groups/:id', async (request, reply) => {
    await identity.deleteGroup(request.ctx, request.params.id)
    return reply.code(204).send()
  })

  api.get<IdParams>('/v3/groups/:id/users', async (request) => {
    const users = await identity.listUsersInGroup(request.ctx, request.params.id)
    return collection(
      request,
      'users',
      users.map((user) => userView(request, user)),
    )
  })

  api.put<MemberParams>('/v3/groups/:id/users/:userId', async (request, reply) => {
    await identity.addUserToGroup(request.ctx, request.params.id, request.params.userId)
    return reply.code(204).send()
  })

  // GET and the HEAD fastify derives from it: both 204 when the user is a member, 404 when not.
  api.get<MemberParams>('/v3/groups/:id/users/:userId', async (request, reply) => {
    await identity.checkUserInGroup(request.ctx, request.params.id, request.params.userId)
    return reply.code(204).send()
  })

  api.delete<MemberParams>('/v3/groups/:id/users/:userId', async (request, reply) => {
    await identity.removeUserFromGroup(request.ctx, request.params.id, request.params.userId)
    return reply.code(204).send()
  })
}
