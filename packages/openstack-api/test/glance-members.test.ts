import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type GlanceFixture, glanceError, glanceFixture } from './glance-fixtures.js'

let f: GlanceFixture
beforeAll(async () => {
  f = await glanceFixture()
})
afterAll(() => f.close())

const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/

describe('Glance members', () => {
  it('shares an image: add, list as member, accept, and the member sees it listed', async () => {
    const image = await f.create({ name: 'shared' })
    const members = `/v2/images/${image.id}/members`
    const added = await f.call('POST', members, { member: f.devId }, { token: f.memberToken })
    expect(added.statusCode).toBe(200)
    expect(added.json()).toEqual({
      image_id: image.id,
      member_id: f.devId,
      status: 'pending',
      created_at: expect.stringMatching(TIME),
      updated_at: expect.stringMatching(TIME),
      schema: '/v2/schemas/member',
    })
    const again = await f.call('POST', members, { member: f.devId }, { token: f.memberToken })
    expect(again.statusCode).toBe(409)

    const asMember = await f.call('GET', members, undefined, { token: f.devToken })
    expect(asMember.statusCode).toBe(200)
    expect(asMember.json()).toEqual({ members: [added.json()], schema: '/v2/schemas/members' })
    const visible = await f.call('GET', `/v2/images/${image.id}`, undefined, { token: f.devToken })
    expect(visible.statusCode).toBe(200)
    const before = (await f.call('GET', '/v2/images', undefined, { token: f.devToken })).json()
    expect(before.images.map((i: { id: string }) => i.id)).not.toContain(image.id)

    const byOwner = await f.call(
      'PUT',
      `${members}/${f.devId}`,
      { status: 'accepted' },
      { token: f.memberToken },
    )
    expect(byOwner.statusCode).toBe(403)
    const accepted = await f.call(
      'PUT',
      `${members}/${f.devId}`,
      { status: 'accepted' },
      { token: f.devToken },
    )
    expect(accepted.statusCode).toBe(200)
    expect(accepted.json().status).toBe('accepted')
    const shown = await f.call('GET', `${members}/${f.devId}`, undefined, { token: f.devToken })
    expect(shown.json().status).toBe('accepted')
    const after = (await f.call('GET', '/v2/images', undefined, { token: f.devToken })).json()
    expect(after.images.map((i: { id: string }) => i.id)).toContain(image.id)

    expect(
      (await f.call('DELETE', `${members}/${f.devId}`, undefined, { token: f.memberToken })).statusCode,
    ).toBe(204)
    const gone = await f.call('GET', `${members}/${f.devId}`, undefined, { token: f.memberToken })
    expect(gone.statusCode).toBe(404)
  })

  it('checks member bodies as Glance does, and refuses members of a private image', async () => {
    const image = await f.create()
    const members = `/v2/images/${image.id}/members`
    const missing = await f.call('POST', members, {}, { token: f.memberToken })
    expect(missing.statusCode).toBe(400)
    expect(missing.json().message).toContain('Member to be added not specified')
    expect((await f.call('POST', members, { member: '' }, { token: f.memberToken })).statusCode).toBe(400)
    await f.call('POST', members, { member: f.devId }, { token: f.memberToken })
    const noStatus = await f.call('PUT', `${members}/${f.devId}`, {}, { token: f.devToken })
    expect(noStatus.json().message).toContain('Status not specified')
    const badStatus = await f.call('PUT', `${members}/${f.devId}`, { status: 'maybe' }, { token: f.devToken })
    expect(badStatus.statusCode).toBe(400)
    const secret = await f.create({ visibility: 'private' })
    const refused = await f.call(
      'POST',
      `/v2/images/${secret.id}/members`,
      { member: f.devId },
      { token: f.memberToken },
    )
    expect(refused.statusCode).toBe(403)
    expect(refused.json()).toEqual(glanceError(403, 'Forbidden'))
  })
})

describe('Glance tags', () => {
  it('adds and removes tags (204), 404 for a tag the image lacks', async () => {
    const image = await f.create({ tags: ['one'] })
    const tag = (method: string, name: string) =>
      f.call(method, `/v2/images/${image.id}/tags/${encodeURIComponent(name)}`, undefined, {
        token: f.memberToken,
      })
    expect((await tag('PUT', 'two')).statusCode).toBe(204)
    expect((await tag('PUT', 'two')).statusCode).toBe(204)
    expect((await tag('PUT', 'with space')).statusCode).toBe(204)
    const asGlanceclient = await f.call('PUT', `/v2/images/${image.id}/tags/three`, '', {
      token: f.memberToken,
      headers: { 'content-type': 'application/octet-stream' },
    })
    expect(asGlanceclient.statusCode).toBe(204)
    expect((await tag('DELETE', 'three')).statusCode).toBe(204)
    expect((await f.call('GET', `/v2/images/${image.id}`)).json().tags).toEqual(['one', 'two', 'with space'])
    expect((await tag('DELETE', 'one')).statusCode).toBe(204)
    const missing = await tag('DELETE', 'one')
    expect(missing.statusCode).toBe(404)
    expect(missing.json()).toEqual(glanceError(404, 'Not Found'))
    expect((await tag('PUT', 'a/b')).statusCode).toBe(400)
    expect((await f.call('GET', `/v2/images/${image.id}`)).json().tags).toEqual(['two', 'with space'])
  })
})
