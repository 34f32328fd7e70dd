import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type GlanceFixture, glanceError, glanceFixture } from './glance-fixtures.js'

let f: GlanceFixture
const ids: Record<string, string> = {}
beforeAll(async () => {
  f = await glanceFixture()
  // Created one after the other, so the default order (created_at desc) is the reverse of this list.
  for (const [name, extra] of [
    ['alpha', { disk_format: 'qcow2', tags: ['x86', 'linux'], os_distro: 'debian' }],
    ['bravo', { disk_format: 'raw', tags: ['x86'], protected: true }],
    ['charlie', { disk_format: 'raw', os_hidden: true }],
    ['delta', { container_format: 'ova', visibility: 'private' }],
  ] as const) {
    ids[name] = (await f.create({ name, ...extra })).id
  }
  await f.upload(ids.bravo!, 'x'.repeat(100))
})
afterAll(() => f.close())

type Listed = { images: { name: string; id: string }[]; first: string; next?: string; schema: string }
const list = async (query = '', token?: string): Promise<Listed> => {
  const response = await f.call('GET', `/v2/images${query}`, undefined, { token: token ?? f.memberToken })
  expect(response.statusCode, response.body).toBe(200)
  return response.json()
}
const names = (body: Listed) => body.images.map((image) => image.name)

describe('Glance image lists', () => {
  it('lists visible images newest first, without hidden ones', async () => {
    const body = await list()
    expect(names(body)).toEqual(['delta', 'bravo', 'alpha'])
    expect(body.first).toBe('/v2/images')
    expect(body.schema).toBe('/v2/schemas/images')
    expect(body.next).toBeUndefined()
    expect(names(await list('?os_hidden=true'))).toEqual(['charlie'])
  })

  it('filters by attributes, tags, sizes and custom properties', async () => {
    expect(names(await list('?name=alpha'))).toEqual(['alpha'])
    expect(names(await list('?disk_format=raw&sort_key=name&sort_dir=asc'))).toEqual(['bravo', 'delta'])
    expect(names(await list('?container_format=ova'))).toEqual(['delta'])
    expect(names(await list('?visibility=private'))).toEqual(['delta'])
    expect(names(await list('?protected=true'))).toEqual(['bravo'])
    expect(names(await list('?status=active'))).toEqual(['bravo'])
    expect(names(await list('?tag=x86&sort=name:asc'))).toEqual(['alpha', 'bravo'])
    expect(names(await list('?tag=x86&tag=linux'))).toEqual(['alpha'])
    expect(names(await list('?size_min=50&size_max=100'))).toEqual(['bravo'])
    expect(names(await list('?size_min=101'))).toEqual([])
    expect(names(await list('?size=100'))).toEqual(['bravo'])
    expect(names(await list('?size=99'))).toEqual([])
    expect(names(await list('?size=100&size_max=50'))).toEqual([])
    expect(names(await list('?os_distro=debian'))).toEqual(['alpha'])
    expect(names(await list(`?owner=${f.opsId}&sort=name:desc`))).toEqual(['delta', 'bravo', 'alpha'])
  })

  it('sorts in both syntaxes and refuses bad sort parameters as Glance does', async () => {
    expect(names(await list('?sort=name:asc'))).toEqual(['alpha', 'bravo', 'delta'])
    expect(names(await list('?sort_key=name'))).toEqual(['delta', 'bravo', 'alpha'])
    expect(names(await list('?sort_key=disk_format&sort_key=name&sort_dir=asc&sort_dir=desc'))).toEqual([
      'alpha',
      'delta',
      'bravo',
    ])
    const bad = async (query: string, status = 400) => {
      const response = await f.call('GET', `/v2/images${query}`)
      expect(response.statusCode, query).toBe(status)
      return response.json().message as string
    }
    expect(await bad('?sort_key=owner')).toContain('Invalid sort key: owner.')
    expect(await bad('?sort_dir=up')).toContain('Invalid sort direction: up')
    expect(await bad('?sort=name&sort_key=name')).toContain('Old and new sorting syntax cannot be combined')
    expect(await bad('?sort_key=name&sort_key=size&sort_key=id&sort_dir=asc&sort_dir=desc')).toContain(
      'Number of sort dirs does not match the number of sort keys',
    )
    expect(await bad('?limit=x')).toContain('limit param must be an integer')
    expect(await bad('?visibility=everyone')).toBeTruthy()
    expect(await bad('?changes-since=2020-01-01')).toContain('no longer available')
    expect(await bad('?checksum=abc', 501)).toContain('checksum')
  })

  it('pages with next paths that keep the query and set the marker', async () => {
    const first = await list('?limit=2&sort=name:asc')
    expect(names(first)).toEqual(['alpha', 'bravo'])
    expect(first.first).toBe('/v2/images?limit=2&sort=name%3Aasc')
    expect(first.next).toBe(`/v2/images?limit=2&sort=name%3Aasc&marker=${ids.bravo}`)
    const second = await list(first.next!.slice('/v2/images'.length))
    expect(names(second)).toEqual(['delta'])
    expect(second.first).toBe(first.first)
    expect(second.next).toBeUndefined()
    const unknown = await f.call('GET', '/v2/images?marker=0c9a5b3e-0000-4000-8000-000000000000')
    expect(unknown.statusCode).toBe(400)
    expect(unknown.json()).toEqual(glanceError(400, 'Bad Request'))
  })

  it("shows another project's shared image only once its member accepted it", async () => {
    expect(names(await list('', f.devToken))).toEqual(['bravo'].filter(() => false))
    const added = await f.call(
      'POST',
      `/v2/images/${ids.alpha}/members`,
      { member: f.devId },
      { token: f.memberToken },
    )
    expect(added.statusCode).toBe(200)
    expect(names(await list('', f.devToken))).toEqual([])
    expect(names(await list('?member_status=pending', f.devToken))).toEqual(['alpha'])
    const accepted = await f.call(
      'PUT',
      `/v2/images/${ids.alpha}/members/${f.devId}`,
      { status: 'accepted' },
      { token: f.devToken },
    )
    expect(accepted.statusCode).toBe(200)
    expect(names(await list('', f.devToken))).toEqual(['alpha'])
  })
})
