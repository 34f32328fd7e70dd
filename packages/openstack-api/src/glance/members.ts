import { type Cloud, CloudError, MEMBER_STATUSES } from '@nubis/sdk'
import type { FastifyInstance } from 'fastify'
import { memberView } from './render.js'
import type { MemberStatus } from './sdk-types.js'

type IdParams = { Params: { id: string } }
type MemberParams = { Params: { id: string; memberId: string } }

const bad = (message: string, path: string) => new CloudError('INVALID', message, { details: { path } })

/** The object body of a member request, or Glance's 400. */
function objectBody(body: unknown, form: string): Record<string, unknown> {
  if (body === undefined || body === null) throw bad('Body expected in request.', '')
  if (typeof body !== 'object' || Array.isArray(body)) throw bad(`Expected a ${form}`, '')
  return body as Record<string, unknown>
}

/** The project of `POST …/members`: `{"member": "<project id>"}`. */
function memberOf(body: unknown): string {
  const source = objectBody(body, 'member in the form: {"member": "image_id"}')
  if (!('member' in source)) throw bad('Member to be added not specified', 'member')
  const member = source.member
  if (member === '' || member === null || member === undefined) throw bad("Member can't be empty", 'member')
  if (typeof member !== 'string') throw bad('Expected a member in the form: {"member": "image_id"}', 'member')
  return member
}

/** The status of `PUT …/members/{member}`: `{"status": "accepted"}`. */
function statusOf(body: unknown): MemberStatus {
  const source = objectBody(body, 'status in the form: {"status": "status"}')
  if (!('status' in source)) throw bad('Status not specified', 'status')
  const status = source.status
  if (typeof status !== 'string' || !(MEMBER_STATUSES as readonly string[]).includes(status)) {
    throw bad(`Invalid status: ${String(status)}`, 'status')
  }
  return status as MemberStatus
}

/**
 * `/v2/images/{id}/members`: the owner shares a `shared` image with a project (200, as Glance answers) and
 * lists or removes its members; the member reads its membership and accepts or rejects it.
 */
export function memberRoutes(api: FastifyInstance, cloud: Cloud): void {
  const { image } = cloud

  api.get<IdParams>('/v2/images/:id/members', async (request) => {
    const members = await image.listImageMembers(request.ctx, request.params.id)
    return { members: members.map(memberView), schema: '/v2/schemas/members' }
  })

  api.post<IdParams>('/v2/images/:id/members', async (request) => {
    const member = memberOf(request.body)
    return memberView(await image.addImageMember(request.ctx, request.params.id, member))
  })

  api.get<MemberParams>('/v2/images/:id/members/:memberId', async (request) => {
    const { id, memberId } = request.params
    return memberView(await image.getImageMember(request.ctx, id, memberId))
  })

  api.put<MemberParams>('/v2/images/:id/members/:memberId', async (request) => {
    const { id, memberId } = request.params
    const status = statusOf(request.body)
    return memberView(await image.updateImageMember(request.ctx, id, memberId, status))
  })

  api.delete<MemberParams>('/v2/images/:id/members/:memberId', async (request, reply) => {
    const { id, memberId } = request.params
    await image.removeImageMember(request.ctx, id, memberId)
    return reply.code(204).send()
  })
}
