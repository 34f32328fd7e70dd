import { type Cloud, CloudError, CreateCredentialSchema } from '@nubis/sdk'
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { parseBody } from '../body.js'
import { type FieldMap, queryString, readResource } from './input.js'
import { collection, credentialView } from './render.js'

/** Keystone's names of a credential's fields. */
const CREDENTIAL_FIELDS: FieldMap = {
  user_id: 'userId',
  project_id: 'projectId',
  type: 'type',
  blob: 'blob',
}

// What an update may carry. The SDK changes the blob and the project only; Keystone also takes `user_id` and
// `type`, accepted here when they leave the credential's own unchanged.
const CredentialUpdateBody = z.object({
  credential: z
    .object({
      blob: z.string().min(1).max(65_535).optional(),
      project_id: z.string().min(1).max(64).nullable().optional(),
      user_id: z.string().optional(),
      type: z.string().optional(),
    })
    .refine((c) => Object.keys(c).length > 0, { message: 'at least one attribute is required' }),
})

type IdParams = { Params: { id: string } }

/**
 * `/v3/credentials`: create (201), list (`?user_id`, `?type`; users who are not admins see their own), show,
 * update (PATCH, 200) and delete (204). The blob is the string the client stored (for `ec2`, JSON with `access`
 * and `secret`).
 */
export function credentialRoutes(api: FastifyInstance, cloud: Cloud): void {
  const { identity } = cloud

  api.post('/v3/credentials', async (request, reply) => {
    const input = readResource(CreateCredentialSchema, request.body, 'credential', CREDENTIAL_FIELDS)
    const credential = await identity.createCredential(request.ctx, input)
    return reply.code(201).send({ credential: credentialView(request, credential) })
  })

  api.get('/v3/credentials', async (request) => {
    const userId = queryString(request, 'user_id')
    const type = queryString(request, 'type')
    const credentials = await identity.listCredentials(request.ctx, {
      ...(userId !== undefined && { userId }),
      ...(type !== undefined && { type }),
    })
    return collection(
      request,
      'credentials',
      credentials.map((credential) => credentialView(request, credential)),
    )
  })

  api.get<IdParams>('/v3/credentials/:id', async (request) => ({
    credential: credentialView(request, await identity.getCredential(request.ctx, request.params.id)),
  }))

  api.patch<IdParams>('/v3/credentials/:id', async (request) => {
    const { id } = request.params
    const { credential: body } = parseBody(CredentialUpdateBody, request.body)
    if (body.user_id !== undefined || body.type !== undefined) {
      const current = await identity.getCredential(request.ctx, id)
      for (const [field, now] of [
        ['user_id', current.userId],
        ['type', current.type],
      ] as const) {
        if (body[field] !== undefined && body[field] !== now) {
          throw new CloudError('INVALID', `Changing the ${field} of a credential is not supported.`, {
            details: { path: field },
          })
        }
      }
    }
    const credential = await identity.updateCredential(request.ctx, id, {
      ...(body.blob !== undefined && { blob: body.blob }),
      ...(body.project_id !== undefined && { projectId: body.project_id }),
    })
    return { credential: credentialView(request, credential) }
  })

  api.delete<IdParams>('/v3/credentials/:id', async (request, reply) => {
    await identity.deleteCredential(request.ctx, request.params.id)
    return reply.code(204).send()
  })
}
