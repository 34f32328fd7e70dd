import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type GlanceFixture, glanceError, glanceFixture } from './glance-fixtures.js'

let f: GlanceFixture
beforeAll(async () => {
  f = await glanceFixture()
})
afterAll(() => f.close())

const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/

describe('Glance version discovery', () => {
  it('answers 300 at the root and 200 at /versions, v2.11 CURRENT first, without a token', async () => {
    const root = await f.call('GET', '/', undefined, { token: null })
    expect(root.statusCode).toBe(300)
    const { versions } = root.json()
    expect(versions).toHaveLength(12)
    expect(versions[0]).toEqual({
      id: 'v2.11',
      status: 'CURRENT',
      links: [{ rel: 'self', href: 'http://glance.test/image/v2/' }],
    })
    expect(versions.at(-1).id).toBe('v2.0')
    expect(versions.slice(1).every((v: { status: string }) => v.status === 'SUPPORTED')).toBe(true)
    const listed = await f.call('GET', '/versions', undefined, { token: null })
    expect(listed.statusCode).toBe(200)
    expect(listed.json()).toEqual(root.json())
    const server = await f.app.inject({ method: 'GET', url: '/', headers: { host: 'glance.test' } })
    expect(server.json().versions.values).toContainEqual(expect.objectContaining({ id: 'v2.11' }))
  })
})

describe('Glance images', () => {
  it('creates an image and shows it as Glance does', async () => {
    const response = await f.call(
      'POST',
      '/v2/images',
      { name: 'cirros', disk_format: 'qcow2', container_format: 'bare', tags: ['a'], os_distro: 'cirros' },
      { token: f.memberToken },
    )
    expect(response.statusCode).toBe(201)
    const image = response.json()
    expect(response.headers.location).toBe(`/v2/images/${image.id}`)
    expect(response.headers['openstack-image-import-methods']).toContain('glance-direct')
    expect(response.headers['openstack-image-store-ids']).toBe('local')
    expect(image).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'cirros',
      status: 'queued',
      visibility: 'shared',
      protected: false,
      os_hidden: false,
      owner: f.opsId,
      disk_format: 'qcow2',
      container_format: 'bare',
      size: null,
      virtual_size: null,
      checksum: null,
      os_hash_algo: null,
      os_hash_value: null,
      min_disk: 0,
      min_ram: 0,
      tags: ['a'],
      os_distro: 'cirros',
      created_at: expect.stringMatching(TIME),
      updated_at: expect.stringMatching(TIME),
      self: `/v2/images/${image.id}`,
      file: `/v2/images/${image.id}/file`,
      schema: '/v2/schemas/image',
    })
    const shown = await f.call('GET', `/v2/images/${image.id}`, undefined, { token: f.memberToken })
    expect(shown.statusCode).toBe(200)
    expect(shown.json()).toEqual(image)
  })

  it('refuses what the service owns: read-only 403, reserved 403, a bad body 400, a taken id 409', async () => {
    const post = (body: unknown) => f.call('POST', '/v2/images', body, { token: f.memberToken })
    for (const key of ['size', 'checksum', 'status', 'self', 'stores']) {
      const value = key === 'size' ? 1 : key === 'status' ? 'active' : 'v'
      const response = await post({ name: 'x', [key]: value })
      expect(response.statusCode, key).toBe(403)
      expect(response.json().message).toContain(`Attribute '${key}' is read-only.`)
    }
    for (const [key, value] of [
      ['locations', []],
      ['os_glance_foo', 'bar'],
      ['deleted', 'x'],
    ] as const) {
      const response = await post({ [key]: value })
      expect(response.statusCode, key).toBe(403)
      expect(response.json().message).toContain(`Attribute '${key}' is reserved.`)
    }
    const invalid = await post({ container_format: 'tarball' })
    expect(invalid.statusCode).toBe(400)
    expect(invalid.json()).toEqual(glanceError(400, 'Bad Request'))
    expect(invalid.json().message).toContain("Provided object does not match schema 'image'")
    expect((await post({ min_ram: -1 })).statusCode).toBe(400)
    expect((await post({ custom: 5 })).statusCode).toBe(400)
    expect((await post({ id: 'not-a-uuid' })).statusCode).toBe(400)
    // glanceclient labels every request octet-stream; Glance reads a JSON body whatever its declared type.
    const labelled = await f.call('POST', '/v2/images', '{"name": "labelled"}', {
      token: f.memberToken,
      headers: { 'content-type': 'application/octet-stream' },
    })
    expect(labelled.statusCode).toBe(201)
    expect(labelled.json().name).toBe('labelled')
    const garbled = await f.call('POST', '/v2/images', '{"name": ', {
      token: f.memberToken,
      headers: { 'content-type': 'application/octet-stream' },
    })
    expect(garbled.statusCode).toBe(400)
    const id = '4b4e3c1e-7d71-4a8e-9f0a-1a2b3c4d5e6f'
    expect((await post({ id })).statusCode).toBe(201)
    const taken = await post({ id })
    expect(taken.statusCode).toBe(409)
    expect(taken.json()).toEqual(glanceError(409, 'Conflict'))
  })

  it("hides another project's private image (404) and refuses to delete a protected one (403)", async () => {
    const secret = await f.create({ name: 'secret', visibility: 'private', protected: true })
    const hidden = await f.call('GET', `/v2/images/${secret.id}`, undefined, { token: f.devToken })
    expect(hidden.statusCode).toBe(404)
    expect(hidden.json()).toEqual(glanceError(404, 'Not Found'))
    expect(hidden.json().message).toBe(`No image found with ID ${secret.id}<br /><br />\n\n\n`)
    const refused = await f.call('DELETE', `/v2/images/${secret.id}`, undefined, { token: f.memberToken })
    expect(refused.statusCode).toBe(403)
    expect(refused.json()).toEqual(glanceError(403, 'Forbidden'))
    const unprotect = await f.call(
      'PATCH',
      `/v2/images/${secret.id}`,
      [{ op: 'replace', path: '/protected', value: false }],
      { token: f.memberToken, headers: { 'content-type': 'application/openstack-images-v2.1-json-patch' } },
    )
    expect(unprotect.statusCode).toBe(200)
    expect(
      (await f.call('DELETE', `/v2/images/${secret.id}`, undefined, { token: f.memberToken })).statusCode,
    ).toBe(204)
    expect((await f.call('GET', `/v2/images/${secret.id}`)).statusCode).toBe(404)
  })

  it('answers 401 without a token in keystonemiddleware’s shape', async () => {
    const response = await f.call('GET', '/v2/images', undefined, { token: null })
    expect(response.statusCode).toBe(401)
    expect(response.headers['www-authenticate']).toMatch(/^Keystone uri=/)
    expect(response.json()).toEqual({
      error: { code: 401, title: 'Unauthorized', message: expect.any(String) },
    })
  })

  it('answers unknown URLs under /image with a webob 404', async () => {
    const response = await f.call('GET', '/v2/nothing')
    expect(response.statusCode).toBe(404)
    expect(response.json()).toEqual(glanceError(404, 'Not Found'))
  })
})

describe('Glance schemas', () => {
  it('serves the image, images, member and members documents', async () => {
    const image = (await f.call('GET', '/v2/schemas/image', undefined, { token: f.memberToken })).json()
    expect(image.name).toBe('image')
    expect(image.additionalProperties).toEqual({ type: 'string' })
    expect(image.properties.visibility.enum).toEqual(['public', 'private', 'shared', 'community'])
    expect(image.properties.disk_format.enum).toContain('qcow2')
    expect(image.properties.disk_format.enum[0]).toBeNull()
    expect(image.properties.container_format.enum).toContain('bare')
    expect(image.properties.status.enum).toContain('deactivated')
    for (const key of [
      'id',
      'name',
      'tags',
      'min_ram',
      'os_hidden',
      'os_hash_value',
      'self',
      'file',
      'schema',
    ]) {
      expect(image.properties[key]?.type, key).toBeDefined()
    }
    const images = (await f.call('GET', '/v2/schemas/images')).json()
    expect(images.name).toBe('images')
    expect(images.properties.images.items).toEqual(image)
    expect(images.properties.next).toEqual({ type: 'string' })
    const member = (await f.call('GET', '/v2/schemas/member')).json()
    expect(member.name).toBe('member')
    expect(member.properties.status.enum).toEqual(['pending', 'accepted', 'rejected'])
    const members = (await f.call('GET', '/v2/schemas/members')).json()
    expect(members.properties.members.items).toEqual(member)
    expect((await f.call('GET', '/v2/schemas/image', undefined, { token: null })).statusCode).toBe(401)
  })
})

describe('Glance error representations', () => {
  const missing = '/v2/images/5f0c2a8e-0000-4000-8000-000000000000'
  const get = (accept?: string) =>
    f.app.inject({
      method: 'GET',
      url: `/image${missing}`,
      headers: { 'x-auth-token': f.adminToken, ...(accept !== undefined && { accept }) },
    })

  it('answers webob’s HTML page to */* (glanceclient), JSON to application/json, text otherwise', async () => {
    for (const accept of [undefined, '*/*', 'text/html', 'application/json;q=0.5, text/html']) {
      const html = await get(accept)
      expect(html.statusCode).toBe(404)
      expect(html.headers['content-type']).toBe('text/html; charset=UTF-8')
      expect(html.body).toBe(
        '<html>\n <head>\n  <title>404 Not Found</title>\n </head>\n <body>\n  <h1>404 Not Found</h1>\n' +
          `  No image found with ID ${missing.slice(11)}<br /><br />\n\n\n\n </body>\n</html>`,
      )
    }
    const json = await get('application/json')
    expect(json.json()).toEqual(glanceError(404, 'Not Found'))
    const text = await get('text/csv')
    expect(text.headers['content-type']).toBe('text/plain; charset=UTF-8')
    expect(text.body).toBe(`404 Not Found\n\nNo image found with ID ${missing.slice(11)}\n\n   `)
    const unauthenticated = await f.app.inject({ method: 'GET', url: `/image${missing}` })
    expect(unauthenticated.statusCode).toBe(401)
    expect(unauthenticated.json().error.code).toBe(401)
  })
})
