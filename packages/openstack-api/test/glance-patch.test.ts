import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type GlanceFixture, glanceError, glanceFixture } from './glance-fixtures.js'

let f: GlanceFixture
beforeAll(async () => {
  f = await glanceFixture()
})
afterAll(() => f.close())

const V21 = 'application/openstack-images-v2.1-json-patch'
const V20 = 'application/openstack-images-v2.0-json-patch'

const patch = (id: string, ops: unknown, type = V21, token?: string) =>
  f.call('PATCH', `/v2/images/${id}`, JSON.stringify(ops), {
    token: token ?? f.memberToken,
    headers: { 'content-type': type },
  })

describe('Glance PATCH', () => {
  it('adds, replaces and removes base attributes, tags and custom properties in one go', async () => {
    const image = await f.create({ name: 'before', os_distro: 'debian', kept: 'yes' })
    const response = await patch(image.id, [
      { op: 'replace', path: '/name', value: 'after' },
      { op: 'add', path: '/min_ram', value: 512 },
      { op: 'replace', path: '/os_hidden', value: true },
      { op: 'replace', path: '/tags', value: ['b', 'a'] },
      { op: 'add', path: '/hw_disk_bus', value: 'virtio' },
      { op: 'replace', path: '/os_distro', value: 'ubuntu' },
      { op: 'remove', path: '/kept' },
      { op: 'add', path: '/a~1b', value: 'slash' },
    ])
    expect(response.statusCode, response.body).toBe(200)
    const body = response.json()
    expect(body).toMatchObject({
      name: 'after',
      min_ram: 512,
      os_hidden: true,
      tags: ['a', 'b'],
      hw_disk_bus: 'virtio',
      os_distro: 'ubuntu',
      'a/b': 'slash',
    })
    expect(body).not.toHaveProperty('kept')
    const shown = (await f.call('GET', `/v2/images/${image.id}`)).json()
    expect(shown).toEqual(body)
    const nothing = await patch(image.id, [])
    expect(nothing.statusCode).toBe(200)
    expect(nothing.json()).toEqual(body)
  })

  it('answers errors with Glance’s statuses and changes nothing when one operation fails', async () => {
    const image = await f.create({ name: 'steady' })
    const expectStatus = async (ops: unknown, status: number, text?: string, type = V21) => {
      const response = await patch(image.id, ops, type)
      expect(response.statusCode, JSON.stringify(ops)).toBe(status)
      if (text) expect(response.json().message).toContain(text)
    }
    await expectStatus([{ op: 'remove', path: '/missing' }], 409, 'Property missing does not exist.')
    await expectStatus([{ op: 'replace', path: '/missing', value: 'x' }], 409)
    await expectStatus([{ op: 'remove', path: '/name' }], 403, 'Property name may not be removed.')
    for (const key of ['id', 'status', 'size', 'checksum', 'created_at', 'os_hash_value']) {
      await expectStatus(
        [{ op: 'replace', path: `/${key}`, value: 'x' }],
        403,
        `Attribute '${key}' is read-only.`,
      )
    }
    await expectStatus(
      [{ op: 'add', path: '/os_glance_x', value: 'x' }],
      403,
      "Attribute 'os_glance_x' is reserved.",
    )
    await expectStatus([{ op: 'add', path: '/locations/-', value: {} }], 403, 'locations are invisible')
    await expectStatus([{ op: 'replace', path: '/min_ram', value: 'lots' }], 400, "is not of type 'integer'")
    await expectStatus([{ op: 'replace', path: '/visibility', value: 'everyone' }], 400)
    await expectStatus([{ op: 'add', path: '/custom', value: 5 }], 400)
    await expectStatus([{ op: 'move', path: '/name' }], 400, 'Invalid operation: `move`.')
    await expectStatus([{ op: 'add', path: 'name', value: 'x' }], 400, 'does not start with "/"')
    await expectStatus([{ op: 'add', path: '/tags/-', value: 'x' }], 400, 'Invalid JSON pointer')
    await expectStatus([{ op: 'add', path: '/name' }], 400, 'requires a member named "value"')
    await expectStatus({ op: 'add' }, 400, 'must be a JSON array')
    await expectStatus(
      [
        { op: 'replace', path: '/name', value: 'changed' },
        { op: 'remove', path: '/missing' },
      ],
      409,
    )
    await expectStatus([{ op: 'replace', path: '/visibility', value: 'public' }], 403)
    expect((await f.call('GET', `/v2/images/${image.id}`)).json().name).toBe('steady')
  })

  it('speaks the v2.0 draft, whose add refuses an existing attribute', async () => {
    const image = await f.create({ name: 'old', colour: 'red' })
    const added = await patch(image.id, [{ add: '/shape', value: 'round' }], V20)
    expect(added.statusCode).toBe(200)
    expect(added.json().shape).toBe('round')
    const again = await patch(image.id, [{ add: '/colour', value: 'blue' }], V20)
    expect(again.statusCode).toBe(409)
    expect(again.json().message).toContain('Property colour already present.')
    const replaced = await patch(image.id, [{ replace: '/name', value: 'new' }], V20)
    expect(replaced.json().name).toBe('new')
    const overwrite = await patch(image.id, [{ op: 'add', path: '/colour', value: 'blue' }], V21)
    expect(overwrite.json().colour).toBe('blue')
  })

  it('answers 415 with Accept-Patch for another media type, and 404 for an unknown image', async () => {
    const image = await f.create()
    const json = await f.call('PATCH', `/v2/images/${image.id}`, [{ op: 'remove', path: '/x' }])
    expect(json.statusCode).toBe(415)
    expect(json.headers['accept-patch']).toBe(`${V20}, ${V21}`)
    expect(json.json()).toEqual(glanceError(415, 'Unsupported Media Type'))
    const missing = await patch('9d0e7b1c-0000-4000-8000-000000000000', [])
    expect(missing.statusCode).toBe(404)
    const other = await patch(image.id, [{ op: 'replace', path: '/name', value: 'mine' }], V21, f.devToken)
    expect(other.statusCode).toBe(404)
  })
})
