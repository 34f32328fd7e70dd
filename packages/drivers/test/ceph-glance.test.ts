// Glance v2 over REST (fastify inject) on the run's real Ceph (test/global-setup.ts), and on a Ceph that cannot be
// reached: data goes through the rbd store, errors come back in Glance's body.
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { ceph } from '@nubis/drivers/ceph'
import { createApiServer, glanceApi } from '@nubis/openstack-api'
import { createCloud } from '@nubis/sdk'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'

const cluster = inject('ceph')
const skip = 'unavailable' in cluster ? cluster.unavailable : undefined
const info = 'unavailable' in cluster ? undefined : cluster
const POOL = 'rbd'
const PASSWORD = 'a long and secret password'

/** Glance's (webob's) error body of a status. */
const glanceError = (status: number, title: string) => ({
  code: `${status} ${title}`,
  title,
  message: expect.stringMatching(/<br \/><br \/>\n\n\n$/),
})

/** A Glance server over a cloud whose image store is `conf`'s Ceph: members of projects ops and dev. */
async function glanceOnCeph(conf: string, keyring: string) {
  const cloud = await createCloud({
    identity: { passwordHashing: { memoryCost: 1024, timeCost: 1 } },
    image: { stores: { ceph: ceph.rbdImages({ pool: POOL, conf, keyring }) } },
  })
  const ctx = cloud.system()
  const tokenOf = async (name: string, projectName: string) => {
    const project = await cloud.identity.createProject(ctx, { name: projectName, domainId: 'default' })
    const user = await cloud.identity.createUser(ctx, { name, domainId: 'default', password: PASSWORD })
    const role = (await cloud.identity.listRoles(ctx, { name: 'member' })).items[0]
    await cloud.identity.grantRole(ctx, { roleId: role?.id ?? '', userId: user.id, projectId: project.id })
    const { token } = await cloud.identity.authenticate({
      identity: { methods: ['password'], password: { user: { id: user.id, password: PASSWORD } } },
      scope: { project: { id: project.id } },
    })
    return token
  }
  const opsToken = await tokenOf('pleb', 'ops')
  const devToken = await tokenOf('stranger', 'dev')
  const app = createApiServer({ cloud })
  await app.register(glanceApi, { prefix: '/image', cloud })
  await app.ready()
  const call = (
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ) => {
    const raw = typeof options.body === 'string' || Buffer.isBuffer(options.body)
    return app.inject({
      method,
      url: `/image${url}`,
      headers: {
        host: 'glance.test',
        accept: 'application/json',
        'x-auth-token': options.token ?? opsToken,
        ...(options.body !== undefined && !raw && { 'content-type': 'application/json' }),
        ...options.headers,
      },
      ...(options.body !== undefined && {
        payload: raw ? (options.body as Buffer) : JSON.stringify(options.body),
      }),
    })
  }
  const create = async (body: Record<string, unknown> = {}) => {
    const response = await call('POST', '/v2/images', {
      body: { disk_format: 'raw', container_format: 'bare', ...body },
    })
    expect(response.statusCode, response.body).toBe(201)
    return response.json() as { id: string } & Record<string, unknown>
  }
  const upload = (id: string, data: Buffer) =>
    call('PUT', `/v2/images/${id}/file`, {
      body: data,
      headers: { 'content-type': 'application/octet-stream' },
    })
  return {
    cloud,
    call,
    create,
    upload,
    devToken,
    async close() {
      await app.close()
      await cloud.close()
    },
  }
}

type Glance = Awaited<ReturnType<typeof glanceOnCeph>>

describe.skipIf(skip !== undefined)(`Glance REST on Ceph RBD${skip ? ` [skipped: ${skip}]` : ''}`, () => {
  const c = () => info as NonNullable<typeof info>

  describe('with the cluster up', () => {
    let g: Glance
    beforeAll(async () => {
      g = await glanceOnCeph(c().conf, c().keyring)
    })
    afterAll(() => g?.close())

    it('uploads into Ceph (204), downloads it whole (200) and by Range (206), and deletes it (204)', async () => {
      const data = randomBytes(1024 * 1024 + 5)
      const image = await g.create({ name: 'on-ceph' })
      const uploaded = await g.upload(image.id, data)
      expect(uploaded.statusCode, uploaded.body).toBe(204)
      expect((await g.call('GET', `/v2/images/${image.id}`)).json()).toMatchObject({
        status: 'active',
        size: data.length,
        checksum: createHash('md5').update(data).digest('hex'),
        stores: 'ceph',
      })
      const whole = await g.call('GET', `/v2/images/${image.id}/file`)
      expect(whole.statusCode).toBe(200)
      expect(Buffer.compare(whole.rawPayload, data)).toBe(0)
      const part = await g.call('GET', `/v2/images/${image.id}/file`, {
        headers: { range: 'bytes=700000-700099' },
      })
      expect(part.statusCode).toBe(206)
      expect(part.headers['content-range']).toBe(`bytes 700000-700099/${data.length}`)
      expect(Buffer.compare(part.rawPayload, data.subarray(700_000, 700_100))).toBe(0)
      expect((await g.call('DELETE', `/v2/images/${image.id}`)).statusCode).toBe(204)
      expect((await g.call('GET', `/v2/images/${image.id}`)).statusCode).toBe(404)
    })
  })

  describe('with a cluster that cannot be reached', () => {
    let g: Glance
    let dir = ''
    beforeAll(async () => {
      // A copy of the cluster's conf whose monitor is on a port nothing listens on.
      dir = await mkdtemp(path.join(tmpdir(), 'nubis-ceph-glance-down-'))
      const conf = path.join(dir, 'ceph.conf')
      const port = await freePort()
      const text = await readFile(c().conf, 'utf8')
      await writeFile(conf, text.replace(/^mon_host\s*=.*$/m, `mon_host = v1:127.0.0.1:${port}`))
      g = await glanceOnCeph(conf, c().keyring)
    })
    afterAll(async () => {
      await g?.close()
      await rm(dir, { recursive: true, force: true })
    })

    it("answers an upload 503 in Glance's body, without Ceph's details, and leaves the image queued", async () => {
      const image = await g.create()
      const started = Date.now()
      const response = await g.upload(image.id, randomBytes(100_000))
      expect(Date.now() - started).toBeLessThan(15_000)
      expect(response.statusCode).toBe(503)
      const body = response.json()
      expect(body).toEqual(glanceError(503, 'Service Unavailable'))
      expect(body.message).toContain('The service is temporarily unavailable; try again later.')
      expect(body.message).not.toMatch(/rbd|ceph|monclient/i)
      expect((await g.call('GET', `/v2/images/${image.id}`)).json().status).toBe('queued')
    })

    it("hides another project's private image (404) and refuses to delete a protected one (403)", async () => {
      const secret = await g.create({ visibility: 'private' })
      const hidden = await g.call('GET', `/v2/images/${secret.id}`, { token: g.devToken })
      expect(hidden.statusCode).toBe(404)
      expect(hidden.json()).toEqual(glanceError(404, 'Not Found'))
      expect((await g.call('GET', `/v2/images/${secret.id}`)).statusCode).toBe(200)

      const kept = await g.create({ protected: true })
      const refused = await g.call('DELETE', `/v2/images/${kept.id}`)
      expect(refused.statusCode).toBe(403)
      expect(refused.json()).toEqual(glanceError(403, 'Forbidden'))
      expect((await g.call('GET', `/v2/images/${kept.id}`)).json()).toMatchObject({ protected: true })
    })
  })
})

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}
