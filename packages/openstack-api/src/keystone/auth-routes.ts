import { type Cloud, CloudError } from '@nubis/sdk'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { headerToken } from '../auth.js'
import { parseBody } from '../body.js'
import { collectionLinks } from '../paging.js'
import { collection, domainView, projectView } from './render.js'
import { catalogBody, tokenBody } from './token-body.js'

const SUBJECT_TOKEN_HEADER = 'x-subject-token'

// Only the envelope is checked here; the SDK validates the `auth` object itself, field by field.
const AuthBodySchema = z.object({
  auth: z.object({
    identity: z.object({ application_credential: z.unknown().optional() }).catchall(z.unknown()),
    scope: z.unknown().optional(),
  }),
})

function subjectToken(request: FastifyRequest): string {
  const token = headerToken(request, SUBJECT_TOKEN_HEADER)
  if (!token) throw new CloudError('INVALID', 'The X-Subject-Token header is required.')
  return token
}

// Keystone treats `?nocatalog` as true whatever its value, even empty.
const wantsCatalog = (request: FastifyRequest) => !Object.hasOwn(request.query as object, 'nocatalog')

/** `/v3/auth/*`: issuing, validating and revoking tokens, and what a token gives access to. */
export function authRoutes(api: FastifyInstance, cloud: Cloud): void {
  const { identity } = cloud

  api.post('/v3/auth/tokens', { config: { auth: false } }, async (request, reply) => {
    const { auth } = parseBody(AuthBodySchema, request.body)
    const { application_credential, ...methods } = auth.identity
    const info = await identity.authenticate({
      identity: { ...methods, applicationCredential: application_credential },
      scope: auth.scope,
    } as Parameters<typeof identity.authenticate>[0])
    const catalog = wantsCatalog(request) ? await identity.tokenCatalog(info) : undefined
    return reply.code(201).header(SUBJECT_TOKEN_HEADER, info.token).send(tokenBody(info, catalog))
  })

  api.get('/v3/auth/tokens', async (request, reply) => {
    const info = await identity.validateToken(request.ctx, subjectToken(request))
    const catalog = wantsCatalog(request) ? await identity.tokenCatalog(info) : undefined
    return reply.header(SUBJECT_TOKEN_HEADER, info.token).send(tokenBody(info, catalog))
  })

  api.delete('/v3/auth/tokens', async (request, reply) => {
    await identity.revokeToken(request.ctx, subjectToken(request))
    return reply.code(204).send()
  })

  // The caller's token was validated by the authenticate hook; its context carries the scope the catalog needs.
  api.get('/v3/auth/catalog', async (request) => {
    const { projectId, userId } = request.ctx
    return {
      catalog: catalogBody(await identity.catalog({ projectId, userId })),
      links: collectionLinks(request),
    }
  })

  api.get('/v3/auth/projects', async (request) => {
    const projects = await identity.listAuthProjects(request.ctx)
    return collection(
      request,
      'projects',
      projects.map((project) => projectView(request, project)),
    )
  })

  api.get('/v3/auth/domains', async (request) => {
    const domains = await identity.listAuthDomains(request.ctx)
    return collection(
      request,
      'domains',
      domains.map((domain) => domainView(request, domain)),
    )
  })

  api.get('/v3/auth/system', async (request) => {
    const system = (await identity.hasSystemAccess(request.ctx)) ? [{ all: true }] : []
    return { system, links: collectionLinks(request) }
  })
}
