import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type GlanceFixture, glanceError, glanceFixture } from './glance-fixtures.js'

let f: GlanceFixture
beforeAll(async () => {
  f = await glanceFixture()
})
afterAll(() => f.close())

const DATA = Buffer.from('0123456789abcdefghij')
const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex')
const download = (id: string, headers: Record<string, string> = {}, token?: string) =>
  f.call('GET', `/v2/images/${id}/file`, undefined, { token: token ?? f.memberToken, headers })

describe('Glance image data', () => {
  it('uploads, then downloads the whole image or a range of it', async () => {
    const image = await f.create({ name: 'data' })
    expect((await download(image.id)).statusCode).toBe(204)
    const uploaded = await f.upload(image.id, DATA)
    expect(uploaded.statusCode, uploaded.body).toBe(204)
    const shown = (await f.call('GET', `/v2/images/${image.id}`)).json()
    expect(shown).toMatchObject({
      status: 'active',
      size: DATA.length,
      checksum: md5(DATA),
      os_hash_algo: 'sha512',
      os_hash_value: createHash('sha512').update(DATA).digest('hex'),
      stores: 'local',
    })
    expect(shown).not.toHaveProperty('locations')
    expect(shown).not.toHaveProperty('direct_url')

    const whole = await download(image.id)
    expect(whole.statusCode).toBe(200)
    expect(whole.rawPayload).toEqual(DATA)
    expect(whole.headers['content-type']).toBe('application/octet-stream')
    expect(whole.headers['content-length']).toBe(String(DATA.length))
    expect(whole.headers['content-md5']).toBe(md5(DATA))

    for (const [range, from, to] of [
      ['bytes=2-5', 2, 5],
      ['bytes=15-', 15, 19],
      ['bytes=-4', 16, 19],
      ['bytes=10-99', 10, 19],
      ['bytes=-50', 0, 19],
    ] as const) {
      const part = await download(image.id, { range })
      expect(part.statusCode, range).toBe(206)
      expect(part.rawPayload).toEqual(DATA.subarray(from, to + 1))
      expect(part.headers['content-range']).toBe(`bytes ${from}-${to}/${DATA.length}`)
      expect(part.headers['content-length']).toBe(String(to - from + 1))
    }
    for (const range of ['bytes=20-', 'bytes=5-2', 'items=1-2', 'bytes=-']) {
      const refused = await download(image.id, { range })
      expect(refused.statusCode, range).toBe(416)
      expect(refused.headers['content-range']).toBe(`bytes */${DATA.length}`)
      expect(refused.json()).toEqual(glanceError(416, 'Request Range Not Satisfiable'))
    }
    expect((await download(image.id, { range: 'bytes=0-1,3-4' })).statusCode).toBe(400)
  })

  it('refuses a second upload (409), another media type (415) and a checksum mismatch (400)', async () => {
    const image = await f.create()
    const wrongType = await f.call('PUT', `/v2/images/${image.id}/file`, 'abc', {
      token: f.memberToken,
      headers: { 'content-type': 'text/plain' },
    })
    expect(wrongType.statusCode).toBe(415)
    expect(wrongType.json()).toEqual(glanceError(415, 'Unsupported Media Type'))
    const mismatch = await f.call('PUT', `/v2/images/${image.id}/file`, DATA, {
      token: f.memberToken,
      headers: { 'content-type': 'application/octet-stream', 'content-md5': md5(Buffer.from('other')) },
    })
    expect(mismatch.statusCode).toBe(400)
    expect(mismatch.json()).toEqual(glanceError(400, 'Bad Request'))
    expect((await f.call('GET', `/v2/images/${image.id}`)).json().status).toBe('queued')
    const base64 = createHash('md5').update(DATA).digest('base64')
    const matching = await f.call('PUT', `/v2/images/${image.id}/file`, DATA, {
      token: f.memberToken,
      headers: { 'content-type': 'application/octet-stream', 'content-md5': base64 },
    })
    expect(matching.statusCode, matching.body).toBe(204)
    const twice = await f.upload(image.id, DATA)
    expect(twice.statusCode).toBe(409)
    expect(twice.json()).toEqual(glanceError(409, 'Conflict'))
  })

  it('needs formats before data (400) and hides the data of images others cannot see (404)', async () => {
    const bare = await f.create({ disk_format: null, container_format: null })
    expect((await f.upload(bare.id, DATA)).statusCode).toBe(400)
    const mine = await f.create({ visibility: 'private' })
    expect((await f.upload(mine.id, DATA, f.devToken)).statusCode).toBe(404)
    expect((await download(mine.id, {}, f.devToken)).statusCode).toBe(404)
  })

  it('forbids downloads of a deactivated image to non-admins until it is reactivated', async () => {
    const image = await f.create()
    await f.upload(image.id, DATA)
    expect((await f.call('POST', `/v2/images/${image.id}/actions/deactivate`)).statusCode).toBe(204)
    expect((await f.call('GET', `/v2/images/${image.id}`)).json().status).toBe('deactivated')
    const refused = await download(image.id)
    expect(refused.statusCode).toBe(403)
    expect(refused.json()).toEqual(glanceError(403, 'Forbidden'))
    expect((await download(image.id, {}, f.adminToken)).statusCode).toBe(200)
    expect((await f.call('POST', `/v2/images/${image.id}/actions/reactivate`)).statusCode).toBe(204)
    expect((await download(image.id)).rawPayload).toEqual(DATA)
  })
})

describe('Glance interoperable import', () => {
  it('lists the methods and stores, stages data and imports it with glance-direct', async () => {
    const info = (await f.call('GET', '/v2/info/import')).json()
    expect(info).toEqual({
      'import-methods': { description: 'Import methods available.', type: 'array', value: expect.any(Array) },
    })
    expect(info['import-methods'].value).toContain('glance-direct')
    const stores = (await f.call('GET', '/v2/info/stores')).json()
    expect(stores.stores).toContainEqual(expect.objectContaining({ id: 'local', default: 'true' }))

    const image = await f.create({ name: 'staged' })
    const staged = await f.call('PUT', `/v2/images/${image.id}/stage`, DATA, {
      token: f.memberToken,
      headers: { 'content-type': 'application/octet-stream' },
    })
    expect(staged.statusCode, staged.body).toBe(204)
    expect((await f.call('GET', `/v2/images/${image.id}`)).json().status).toBe('uploading')
    const post = (body: unknown) =>
      f.call('POST', `/v2/images/${image.id}/import`, body, { token: f.memberToken })
    expect((await post({})).json().message).toContain("Import request requires a 'method' field.")
    expect((await post({ method: {} })).json().message).toContain("Import request requires a 'name' field.")
    expect((await post({ method: { name: 'carrier-pigeon' } })).statusCode).toBe(400)
    expect((await post({ method: { name: 'glance-direct' }, all_stores: 'yes' })).statusCode).toBe(400)
    const accepted = await post({ method: { name: 'glance-direct' } })
    expect(accepted.statusCode, accepted.body).toBe(202)
    const active = await f.cloud.image.waitForImage(f.cloud.system(), image.id, { status: 'active' })
    expect(active.checksum).toBe(md5(DATA))
    expect((await download(image.id)).rawPayload).toEqual(DATA)
  })
})
