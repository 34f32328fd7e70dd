import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { CloudError } from '../../src/core/errors.js'
import { type ImageFixture, imageFixture } from './fixture.js'

let f: ImageFixture
beforeEach(async () => {
  f = await imageFixture()
})
afterEach(() => f.close())

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: CloudError) => error.code,
  )

describe('image members', () => {
  it('shares an image: pending members see it by id, accepted ones also in their list', async () => {
    const image = await f.cloud.image.createImage(f.alice, { name: 'shared' })
    const listed = async () => (await f.cloud.image.listImages(f.bob)).items.map((i) => i.id)
    await expect(codeOf(f.cloud.image.getImage(f.bob, image.id))).resolves.toBe('NOT_FOUND')
    const member = await f.cloud.image.addImageMember(f.alice, image.id, 'p-bob')
    expect(member).toMatchObject({ imageId: image.id, memberId: 'p-bob', status: 'pending' })
    await expect(f.cloud.image.getImage(f.bob, image.id)).resolves.toMatchObject({ id: image.id })
    expect(await listed()).toEqual([])
    expect((await f.cloud.image.listImages(f.bob, { memberStatus: 'pending' })).items).toHaveLength(1)
    // Only the member decides.
    await expect(
      codeOf(f.cloud.image.updateImageMember(f.alice, image.id, 'p-bob', 'accepted')),
    ).resolves.toBe('FORBIDDEN')
    await f.cloud.image.updateImageMember(f.bob, image.id, 'p-bob', 'accepted')
    expect(await listed()).toEqual([image.id])
    expect((await f.cloud.image.listImageMembers(f.bob, image.id)).map((m) => m.status)).toEqual(['accepted'])
    await f.cloud.image.updateImageMember(f.bob, image.id, 'p-bob', 'rejected')
    expect(await listed()).toEqual([])
    await f.cloud.image.removeImageMember(f.alice, image.id, 'p-bob')
    await expect(codeOf(f.cloud.image.getImage(f.bob, image.id))).resolves.toBe('NOT_FOUND')
  })

  it('refuses members on non-shared images, duplicates, and sharing by a member', async () => {
    const priv = await f.cloud.image.createImage(f.alice, { visibility: 'private' })
    await expect(codeOf(f.cloud.image.addImageMember(f.alice, priv.id, 'p-bob'))).resolves.toBe('FORBIDDEN')
    const image = await f.cloud.image.createImage(f.alice, {})
    await f.cloud.image.addImageMember(f.alice, image.id, 'p-bob')
    await expect(codeOf(f.cloud.image.addImageMember(f.alice, image.id, 'p-bob'))).resolves.toBe('CONFLICT')
    await expect(codeOf(f.cloud.image.addImageMember(f.bob, image.id, 'p-carol'))).resolves.toBe('FORBIDDEN')
    await expect(codeOf(f.cloud.image.getImageMember(f.alice, image.id, 'p-carol'))).resolves.toBe(
      'NOT_FOUND',
    )
  })
})
