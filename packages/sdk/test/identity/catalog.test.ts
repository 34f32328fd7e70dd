import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createContext } from '../../src/core/context.js'
import { isCloudError } from '../../src/core/errors.js'
import { formatUrl } from '../../src/identity/token-catalog.js'
import { admin, type Fixture, fixture, memberOf, systemReader } from './deps.js'

const code = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: unknown) => (isCloudError(error) ? error.code : String(error)),
  )

describe('catalog', () => {
  let f: Fixture
  beforeEach(async () => {
    f = await fixture('sqlite')
  })
  afterEach(() => f.close())

  it('nests regions, refuses cycles, and deletes only unused regions', async () => {
    const one = await f.id.createRegion(admin, { id: 'RegionOne', description: 'first' })
    expect(one).toMatchObject({ id: 'RegionOne', parentRegionId: null, description: 'first' })
    expect(await code(f.id.createRegion(admin, { id: 'RegionOne' }))).toBe('CONFLICT')
    const sub = await f.id.createRegion(admin, { id: 'RegionOne-a', parentRegionId: 'RegionOne' })
    expect(sub.parentRegionId).toBe('RegionOne')
    expect(await code(f.id.createRegion(admin, { id: 'x', parentRegionId: 'nowhere' }))).toBe('INVALID')
    expect(await code(f.id.updateRegion(admin, 'RegionOne', { parentRegionId: 'RegionOne-a' }))).toBe(
      'INVALID',
    )
    expect((await f.id.listRegions(admin, { parentRegionId: 'RegionOne' })).items.map((r) => r.id)).toEqual([
      'RegionOne-a',
    ])
    expect(await code(f.id.deleteRegion(admin, 'RegionOne'))).toBe('CONFLICT')
    await f.id.deleteRegion(admin, 'RegionOne-a')
    await f.id.deleteRegion(admin, 'RegionOne')
    // Any token may read regions; only admins write them.
    const anyone = createContext({ userId: 'u' })
    expect((await f.id.listRegions(anyone)).items).toEqual([])
    expect(await code(f.id.createRegion(memberOf('p'), { id: 'R2' }))).toBe('FORBIDDEN')
  })

  it('manages services and endpoints, and deletes a service with its endpoints', async () => {
    await f.id.createRegion(admin, { id: 'RegionOne' })
    const nova = await f.id.createService(admin, { type: 'compute', name: 'nova' })
    expect(nova).toMatchObject({ type: 'compute', name: 'nova', enabled: true })
    const e = await f.id.createEndpoint(admin, {
      serviceId: nova.id,
      regionId: 'RegionOne',
      interface: 'public',
      url: 'http://nova/v2.1',
    })
    expect(e).toMatchObject({ serviceId: nova.id, regionId: 'RegionOne', interface: 'public', enabled: true })
    expect(await code(f.id.createEndpoint(admin, { serviceId: 'nope', interface: 'public', url: 'x' }))).toBe(
      'INVALID',
    )
    expect(
      await code(f.id.createEndpoint(admin, { serviceId: nova.id, interface: 'private' as never, url: 'x' })),
    ).toBe('INVALID')
    expect((await f.id.updateEndpoint(admin, e.id, { url: 'http://nova2/v2.1' })).url).toBe(
      'http://nova2/v2.1',
    )
    expect((await f.id.listEndpoints(systemReader, { serviceId: nova.id })).items).toHaveLength(1)
    expect((await f.id.listServices(admin, { type: 'compute' })).items.map((s) => s.id)).toEqual([nova.id])
    expect(await code(f.id.listServices(memberOf('p')))).toBe('FORBIDDEN')
    await f.id.deleteService(admin, nova.id)
    expect(await code(f.id.getEndpoint(admin, e.id))).toBe('NOT_FOUND')
  })

  it('builds a token catalog of enabled services with their enabled, fillable endpoints', async () => {
    const nova = await f.id.createService(admin, { type: 'compute', name: 'nova' })
    const swift = await f.id.createService(admin, { type: 'object-store', name: 'swift' })
    const off = await f.id.createService(admin, { type: 'image', name: 'glance', enabled: false })
    await f.id.createEndpoint(admin, { serviceId: nova.id, interface: 'public', url: 'http://nova' })
    await f.id.createEndpoint(admin, {
      serviceId: nova.id,
      interface: 'admin',
      url: 'http://x',
      enabled: false,
    })
    const sw = await f.id.createEndpoint(admin, {
      serviceId: swift.id,
      interface: 'public',
      url: 'http://swift/v1/AUTH_$(project_id)s',
    })
    await f.id.createEndpoint(admin, { serviceId: off.id, interface: 'public', url: 'http://glance' })

    const scoped = await f.id.catalog({ projectId: 'p1' })
    expect(scoped.map((s) => s.type)).toEqual(['compute', 'object-store'])
    expect(scoped[0]!.endpoints.map((e) => e.url)).toEqual(['http://nova'])
    expect(scoped[1]!.endpoints).toEqual([
      { id: sw.id, interface: 'public', regionId: null, url: 'http://swift/v1/AUTH_p1' },
    ])
    // Unscoped, the swift endpoint cannot be filled in and is left out.
    expect((await f.id.catalog())[1]!.endpoints).toEqual([])
    await f.id.updateService(admin, nova.id, { enabled: false })
    expect((await f.id.catalog({ projectId: 'p1' })).map((s) => s.type)).toEqual(['object-store'])
  })

  it('fills Keystone URL templates', () => {
    expect(formatUrl('http://h/v1/AUTH_%(tenant_id)s', { projectId: 'abc' })).toBe('http://h/v1/AUTH_abc')
    expect(formatUrl('http://h/$(user_id)s', { projectId: 'abc' })).toBeUndefined()
    expect(formatUrl('http://h/plain', {})).toBe('http://h/plain')
  })
})
