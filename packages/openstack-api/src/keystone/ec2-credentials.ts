import { createHash, randomBytes } from 'node:crypto'
import { type Cloud, CloudError, type Credential } from '@nubis/sdk'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { parseBody } from '../body.js'
import { selfLinks } from './render.js'

const CreateBody = z.object({ tenant_id: z.string().min(1).max(64) }).loose()

type UserParams = { Params: { userId: string } }
type AccessParams = { Params: { userId: string; access: string } }

/** An EC2 credential as `OS-EC2` shows it: access, secret and the project it signs for. */
function ec2View(request: FastifyRequest, credential: Credential) {
  const blob = JSON.parse(credential.blob) as { access: string; secret: string; trust_id?: string | null }
  return {
    user_id: credential.userId,
    tenant_id: credential.projectId,
    access: blob.access,
    secret: blob.secret,
    trust_id: blob.trust_id ?? null,
    links: selfLinks(request, `/users/${credential.userId}/credentials/OS-EC2/${blob.access}`),
  }
}

/**
 * Keystone's `OS-EC2` extension, what `openstack ec2 credentials create|list|show|delete` uses: access/secret
 * pairs for S3-style signatures, kept as `ec2` credentials (their id is the SHA-256 of the access key).
 */
export function ec2CredentialRoutes(api: FastifyInstance, cloud: Cloud): void {
  const { identity } = cloud
  const base = '/v3/users/:userId/credentials/OS-EC2'
  const find = async (request: FastifyRequest<AccessParams>) => {
    const id = createHash('sha256').update(request.params.access).digest('hex')
    const credential = await identity.getCredential(request.ctx, id)
    if (credential.type !== 'ec2' || credential.userId !== request.params.userId) {
      throw new CloudError('NOT_FOUND', `Could not find credential: ${request.params.access}.`)
    }
    return credential
  }

  api.post<UserParams>(base, async (request, reply) => {
    const { tenant_id: projectId } = parseBody(CreateBody, request.body)
    const access = randomBytes(16).toString('hex')
    const secret = randomBytes(16).toString('hex')
    const blob = JSON.stringify({ access, secret, trust_id: null, project_id: projectId })
    const credential = await identity.createCredential(request.ctx, {
      userId: request.params.userId,
      projectId,
      type: 'ec2',
      blob,
    })
    return reply.code(201).send({ credential: ec2View(request, credential) })
  })

  api.get<UserParams>(base, async (request) => {
    const all = await identity.listCredentials(request.ctx, { userId: request.params.userId, type: 'ec2' })
    return {
      credentials: all.filter((c) => c.userId === request.params.userId).map((c) => ec2View(request, c)),
      links: {
        ...selfLinks(request, `/users/${request.params.userId}/credentials/OS-EC2`),
        previous: null,
        next: null,
      },
    }
  })

  api.get<AccessParams>(`${base}/:access`, async (request) => ({
    credential: ec2View(request, await find(request)),
  }))

  api.delete<AccessParams>(`${base}/:access`, async (request, reply) => {
    const credential = await find(request)
    await identity.deleteCredential(request.ctx, credential.id)
    return reply.code(204).send()
  })
}
