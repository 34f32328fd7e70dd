import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { CloudError } from '../../src/core/errors.js'
import { type ImageFixture, imageFixture, memberOf } from './fixture.js'

let f: ImageFixture
beforeEach(async () => {
  f = await imageFixture({ quotas: { defaults: { image_count_total: 5 } } })
})
afterEach(() => f.close())

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: CloudError) => error.code,
  )

describe('image records', () => {
  it('creates a queued image owned by the caller, with Glance defaults', async () => {
    const image = await f.cloud.image.createImage(f.alice, {
      name: 'cirros',
      diskFormat: 'qcow2',
      containerFormat: 'bare',
      tags: ['a', 'a', 'b'],
      properties: { os_distro: 'cirros' },
    })
    expect(image).toMatchObject({
      name: 'cirros',
      status: 'queued',
      visibility: 'shared',
      owner: 'p-alice',
      protected: false,
      size: null,
      checksum: null,
      tags: ['a', 'b'],
      properties: { os_distro: 'cirros' },
      locations: [],
    })
    expect(await f.cloud.image.getImage(f.alice, image.id)).toEqual(image)
  })

  it('refuses reserved properties, a public image from a member, and a duplicate id', async () => {
    await expect(codeOf(f.cloud.image.createImage(f.alice, { properties: { size: '1' } }))).resolves.toBe(
      'INVALID',
    )
    await expect(codeOf(f.cloud.image.createImage(f.alice, { visibility: 'public' }))).resolves.toBe(
      'FORBIDDEN',
    )
    await expect(codeOf(f.cloud.image.createImage(f.alice, { owner: 'p-bob' }))).resolves.toBe('FORBIDDEN')
    const image = await f.cloud.image.createImage(f.admin, { visibility: 'public' })
    await expect(codeOf(f.cloud.image.createImage(f.admin, { id: image.id }))).resolves.toBe('CONFLICT')
  })

  it('hides another project’s private image as NOT_FOUND, and shows public and community ones', async () => {
    const hidden = await f.cloud.image.createImage(f.alice, { visibility: 'private' })
    const community = await f.cloud.image.createImage(f.alice, { visibility: 'community' })
    const pub = await f.cloud.image.createImage(f.admin, { visibility: 'public' })
    await expect(codeOf(f.cloud.image.getImage(f.bob, hidden.id))).resolves.toBe('NOT_FOUND')
    await expect(codeOf(f.cloud.image.deleteImage(f.bob, hidden.id))).resolves.toBe('NOT_FOUND')
    await expect(f.cloud.image.getImage(f.bob, community.id)).resolves.toMatchObject({ id: community.id })
    const listed = (await f.cloud.image.listImages(f.bob)).items.map((i) => i.id)
    expect(listed).toEqual([pub.id]) // community images only when asked for
    const all = (await f.cloud.image.listImages(f.bob, { visibility: 'all' })).items.map((i) => i.id)
    expect(all.sort()).toEqual([community.id, pub.id].sort())
    // Someone else's visible image can be read, not changed.
    await expect(codeOf(f.cloud.image.updateImage(f.bob, pub.id, { name: 'x' }))).resolves.toBe('FORBIDDEN')
  })

  it('merges custom properties, removes them with null, and refuses to remove a missing one', async () => {
    const image = await f.cloud.image.createImage(f.alice, { properties: { a: '1', b: '2' } })
    const updated = await f.cloud.image.updateImage(f.alice, image.id, {
      properties: { a: null, c: '3' },
      minRam: 512,
    })
    expect(updated.properties).toEqual({ b: '2', c: '3' })
    expect(updated.minRam).toBe(512)
    await expect(
      codeOf(f.cloud.image.updateImage(f.alice, image.id, { properties: { zz: null } })),
    ).resolves.toBe('CONFLICT')
  })

  it('filters, sorts and pages the list', async () => {
    for (const [name, disk] of [
      ['a', 'raw'],
      ['b', 'qcow2'],
      ['c', 'raw'],
    ] as const) {
      await f.cloud.image.createImage(f.alice, {
        name,
        diskFormat: disk,
        tags: [disk],
        properties: { kind: disk },
      })
    }
    const names = async (filters: Parameters<typeof f.cloud.image.listImages>[1]) =>
      (await f.cloud.image.listImages(f.alice, filters)).items.map((i) => i.name)
    expect(await names({ diskFormat: 'raw', sortKey: 'name', sortDir: 'asc' })).toEqual(['a', 'c'])
    expect(await names({ tags: ['qcow2'] })).toEqual(['b'])
    expect(await names({ properties: { kind: 'raw' }, sortKey: 'name', sortDir: 'desc' })).toEqual(['c', 'a'])
    const first = await f.cloud.image.listImages(f.alice, { limit: 2, sortKey: 'name', sortDir: 'asc' })
    expect(first.items.map((i) => i.name)).toEqual(['a', 'b'])
    const second = await f.cloud.image.listImages(f.alice, {
      limit: 2,
      marker: first.next,
      sortKey: 'name',
      sortDir: 'asc',
    })
    expect(second.items.map((i) => i.name)).toEqual(['c'])
    expect(second.next).toBeUndefined()
    await expect(codeOf(f.cloud.image.listImages(f.alice, { sortKey: 'properties' }))).resolves.toBe(
      'INVALID',
    )
  })

  it('keeps protected images, counts images against the quota, and deletes tags with the image', async () => {
    const image = await f.cloud.image.createImage(f.alice, { protected: true, tags: ['t'] })
    await expect(codeOf(f.cloud.image.deleteImage(f.alice, image.id))).resolves.toBe('FORBIDDEN')
    await f.cloud.image.updateImage(f.alice, image.id, { protected: false })
    await f.cloud.image.deleteImage(f.alice, image.id)
    await expect(codeOf(f.cloud.image.getImage(f.alice, image.id))).resolves.toBe('NOT_FOUND')
    expect(await f.cloud.store.db.selectFrom('image_tags').selectAll().execute()).toEqual([])
    for (let i = 0; i < 5; i++) await f.cloud.image.createImage(f.alice, {})
    await expect(codeOf(f.cloud.image.createImage(f.alice, {}))).resolves.toBe('QUOTA_EXCEEDED')
    await expect(f.cloud.image.createImage(memberOf('p-other'), {})).resolves.toBeDefined()
  })

  it('adds tags idempotently and reports a missing one', async () => {
    const image = await f.cloud.image.createImage(f.alice, {})
    await f.cloud.image.addImageTag(f.alice, image.id, 'x')
    await f.cloud.image.addImageTag(f.alice, image.id, 'x')
    expect((await f.cloud.image.getImage(f.alice, image.id)).tags).toEqual(['x'])
    await f.cloud.image.removeImageTag(f.alice, image.id, 'x')
    await expect(codeOf(f.cloud.image.removeImageTag(f.alice, image.id, 'x'))).resolves.toBe('NOT_FOUND')
  })

  it('emits events after commit', async () => {
    const seen: string[] = []
    f.cloud.events.onAny((event) => {
      if (event.type.startsWith('image.')) seen.push(event.type)
    })
    const image = await f.cloud.image.createImage(f.alice, {})
    await f.cloud.image.updateImage(f.alice, image.id, { name: 'n' })
    await f.cloud.image.deleteImage(f.alice, image.id)
    expect(seen).toEqual(['image.image.created', 'image.image.updated', 'image.image.deleted'])
  })
})
