import { type Cloud, CreateAppCredentialSchema } from '@nubis/sdk'
import type { FastifyInstance } from 'fastify'
import { type FieldMap, queryString, readResource } from './input.js'
import { appCredentialView, collection } from './render.js'

/** Keystone's names of an application credential's fields. */
const APP_CREDENTIAL_FIELDS: FieldMap = {
  name: 'name',
  description: 'description',
  secret: 'secret',
  expires_at: 'expiresAt',
  roles: 'roles',
  unrestricted: 'unrestricted',
  // Not supported by the SDK: passed on so that its schema refuses them (400) rather than dropping them.
  access_rules: 'accessRules',
}

type UserParams = { Params: { userId: string } }
type OneParams = { Params: { userId: string; id: string } }

/**
 * `/v3/users/{user}/application_credentials`: create (201; the answer carries the secret, shown this once),
 * list (`?name`), show and delete (204). Only the user may create them, with a token scoped to the project the
 * credential is for; its roles are a subset of the token's.
 */
export function appCredentialRoutes(api: FastifyInstance, cloud: Cloud): void {
  const { identity } = cloud
  const base = '/v3/users/:userId/application_credentials'

  api.post<UserParams>(base, async (request, reply) => {
    const input = readResource(
      CreateAppCredentialSchema,
      request.body,
      'application_credential',
      APP_CREDENTIAL_FIELDS,
    )
    const credential = await identity.createApplicationCredential(request.ctx, request.params.userId, input)
    return reply.code(201).send({ application_credential: appCredentialView(request, credential) })
  })

  api.get<UserParams>(base, async (request) => {
    const name = queryString(request, 'name')
    const credentials = await identity.listApplicationCredentials(
      request.ctx,
      request.params.userId,
      name === undefined ? {} : { name },
    )
    return collection(
      request,
      'application_credentials',
      credentials.map((credential) => appCredentialView(request, credential)),
    )
  })

  api.get<OneParams>(`${base}/:id`, async (request) => {
    const { userId, id } = request.params
    const credential = await identity.getApplicationCredential(request.ctx, userId, id)
    return { application_credential: appCredentialView(request, credential) }
  })

  api.delete<OneParams>(`${base}/:id`, async (request, reply) => {
    await identity.deleteApplicationCredential(request.ctx, request.params.userId, request.params.id)
    return reply.code(204).send()
  })
}
