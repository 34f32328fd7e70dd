import { readFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NEUTRON_EXTENSIONS } from '../src/index.js'
import { expectNeutronError, type NeutronFixture, neutronFixture } from './neutron-fixtures.js'

let f: NeutronFixture
beforeAll(async () => {
  f = await neutronFixture()
})
afterAll(() => f.close())

describe('Neutron discovery', () => {
  it('GET / answers 200 with v2.0 CURRENT and its link, without a token', async () => {
    const response = await f.call('GET', '/', undefined, null)
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({
      versions: [
        {
          id: 'v2.0',
          status: 'CURRENT',
          links: [{ rel: 'self', href: 'http://neutron.test/network/v2.0/' }],
        },
      ],
    })
  })

  it('the server root lists the Networking version beside the others', async () => {
    const response = await f.app.inject({ method: 'GET', url: '/', headers: { host: 'neutron.test' } })
    expect(response.json().versions.values).toContainEqual(
      expect.objectContaining({
        id: 'v2.0',
        links: [{ rel: 'self', href: 'http://neutron.test/network/v2.0/' }],
      }),
    )
  })

  it('GET /v2.0 lists the core resources, with a token only', async () => {
    for (const path of ['/v2.0', '/v2.0/']) {
      const response = await f.call('GET', path)
      expect(response.statusCode).toBe(200)
      expect(response.json().resources).toContainEqual({
        links: [{ rel: 'self', href: 'http://neutron.test/network/v2.0/networks' }],
        name: 'network',
        collection: 'networks',
      })
    }
    const anonymous = await f.call('GET', '/v2.0', undefined, null)
    expectNeutronError(anonymous, 401, 'HTTPUnauthorized')
    expect(anonymous.headers['www-authenticate']).toMatch(/^Keystone uri=/)
  })

  it('a bad token is 401 and an unknown URL 404, both as NeutronError', async () => {
    expectNeutronError(await f.call('GET', '/v2.0/networks', undefined, 'nope'), 401)
    expectNeutronError(await f.call('GET', '/v2.0/nothing'), 404, 'HTTPNotFound')
  })
})

describe('Neutron extensions', () => {
  it('lists every extension served, with alias, name, description, updated and links', async () => {
    const response = await f.call('GET', '/v2.0/extensions')
    expect(response.statusCode).toBe(200)
    const { extensions } = response.json() as { extensions: Record<string, unknown>[] }
    const aliases = extensions.map((extension) => extension.alias)
    for (const alias of [
      'network',
      'subnet',
      'port',
      'router',
      'ext-gw-mode',
      'extraroute',
      'security-group',
      'port-security',
      'binding',
      'allowed-address-pairs',
      'provider',
      'external-net',
      'quotas',
      'quota_details',
      'standard-attr-tag',
      'standard-attr-revisions',
      'standard-attr-description',
      'standard-attr-timestamp',
      'subnet_allocation',
      'default-subnetpools',
      'net-mtu',
      'project-id',
      'pagination',
      'sorting',
      'filter-validation',
    ]) {
      expect(aliases).toContain(alias)
    }
    expect(new Set(aliases).size).toBe(aliases.length)
    for (const extension of extensions) {
      expect(extension).toEqual({
        alias: expect.any(String),
        name: expect.any(String),
        description: expect.any(String),
        updated: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        links: [],
      })
    }
  })

  it('shows one by alias, and answers 404 NeutronError for an alias not served', async () => {
    const shown = await f.call('GET', '/v2.0/extensions/router')
    expect(shown.statusCode).toBe(200)
    expect(shown.json().extension).toMatchObject({ alias: 'router', name: 'Neutron L3 Router' })
    const missing = await f.call('GET', '/v2.0/extensions/dvr')
    expect(expectNeutronError(missing, 404, 'ExtensionNotFound')).toContain('dvr')
  })

  it('is the list test/tempest/configure.sh gives Tempest', async () => {
    const script = await readFile(new URL('../../../test/tempest/configure.sh', import.meta.url), 'utf8')
    const listed = script.match(/net_ext = e\('NETWORK_API_EXTENSIONS'\) or \(([^)]*)\)/)?.[1]
    expect(listed, 'the NETWORK_API_EXTENSIONS default of configure.sh').toBeDefined()
    const aliases = [...listed!.matchAll(/'([^']*)'/g)]
      .map((match) => match[1])
      .join('')
      .split(',')
    expect(aliases.sort()).toEqual(NEUTRON_EXTENSIONS.map((extension) => extension.alias).sort())
  })
})
