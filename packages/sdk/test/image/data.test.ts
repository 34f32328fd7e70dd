import { randomBytes } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { CloudError } from '../../src/core/errors.js'
import type { ImageCreate } from '../../src/image/schemas.js'
import { chunksOf, hashOf, type ImageFixture, imageFixture, qcow2Header, readAll } from './fixture.js'

let f: ImageFixture
beforeEach(async () => {
  f = await imageFixture()
})
afterEach(() => f.close())

const errorOf = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a rejection')
    },
    (error: CloudError) => error,
  )
const rawImage = (extra: ImageCreate = {}) =>
  f.cloud.image.createImage(f.alice, { diskFormat: 'raw', containerFormat: 'bare', ...extra })

describe('image upload and download', () => {
  it('streams data in, hashes it in one pass, and reads it back whole or by range', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 17)
    const image = await rawImage()
    const active = await f.cloud.image.uploadImageData(f.alice, image.id, chunksOf(data))
    expect(active).toMatchObject({
      status: 'active',
      size: data.length,
      virtualSize: data.length,
      checksum: hashOf('md5', data),
      hashAlgo: 'sha512',
      hashValue: hashOf('sha512', data),
    })
    expect(active.locations.map((l) => l.store)).toEqual(['main'])
    const whole = await f.cloud.image.downloadImageData(f.alice, image.id)
    expect(whole).toMatchObject({
      size: data.length,
      offset: 0,
      length: data.length,
      checksum: hashOf('md5', data),
    })
    expect((await readAll(whole.stream)).equals(data)).toBe(true)
    const part = await f.cloud.image.downloadImageData(f.alice, image.id, { offset: 100, length: 1000 })
    expect((await readAll(part.stream)).equals(data.subarray(100, 1100))).toBe(true)
    expect(
      (await errorOf(f.cloud.image.downloadImageData(f.alice, image.id, { offset: data.length }))).code,
    ).toBe('INVALID')
  })

  it('refuses a second upload with CONFLICT, and data before the formats are set with INVALID', async () => {
    const image = await rawImage()
    await f.cloud.image.uploadImageData(f.alice, image.id, chunksOf(Buffer.from('x')))
    expect(
      (await errorOf(f.cloud.image.uploadImageData(f.alice, image.id, chunksOf(Buffer.from('y'))))).code,
    ).toBe('CONFLICT')
    const bare = await f.cloud.image.createImage(f.alice, {})
    expect(
      (await errorOf(f.cloud.image.uploadImageData(f.alice, bare.id, chunksOf(Buffer.from('y'))))).code,
    ).toBe('INVALID')
  })

  it('on a checksum or size mismatch keeps nothing and puts the image back to queued', async () => {
    const image = await rawImage()
    const data = randomBytes(4096)
    const bad = await errorOf(
      f.cloud.image.uploadImageData(f.alice, image.id, chunksOf(data), {
        expect: { checksum: 'f'.repeat(32) },
      }),
    )
    expect(bad.code).toBe('INVALID')
    expect(bad.details).toMatchObject({ reason: 'checksum-mismatch' })
    expect(
      (
        await errorOf(
          f.cloud.image.uploadImageData(f.alice, image.id, chunksOf(data), { expect: { size: 1 } }),
        )
      ).code,
    ).toBe('INVALID')
    expect(f.main.locations()).toEqual([])
    expect(f.main.partials()).toBe(0)
    expect(await f.cloud.image.getImage(f.alice, image.id)).toMatchObject({ status: 'queued', size: null })
    await f.cloud.image.uploadImageData(f.alice, image.id, chunksOf(data), {
      expect: { checksum: hashOf('md5', data) },
    })
  })

  it('leaves no data and a queued image when the client goes away mid-upload', async () => {
    const image = await rawImage()
    async function* dropped() {
      yield randomBytes(1024)
      throw new Error('socket hang up')
    }
    await errorOf(f.cloud.image.uploadImageData(f.alice, image.id, dropped()))
    const controller = new AbortController()
    async function* stalled() {
      yield randomBytes(1024)
      controller.abort()
      yield randomBytes(1024)
    }
    const ctx = { ...f.alice, signal: controller.signal }
    await errorOf(f.cloud.image.uploadImageData(ctx, image.id, stalled()))
    expect(f.main.locations()).toEqual([])
    expect(f.main.partials()).toBe(0)
    expect((await f.cloud.image.getImage(f.alice, image.id)).status).toBe('queued')
  })

  it('checks the data against the declared format and refuses unsafe qcow2 images', async () => {
    const raw = await f.cloud.image.createImage(f.alice, { diskFormat: 'qcow2', containerFormat: 'bare' })
    expect(
      (await errorOf(f.cloud.image.uploadImageData(f.alice, raw.id, chunksOf(randomBytes(8192))))).code,
    ).toBe('INVALID')
    const disguised = await rawImage()
    expect(
      (await errorOf(f.cloud.image.uploadImageData(f.alice, disguised.id, chunksOf(qcow2Header(1 << 30)))))
        .code,
    ).toBe('INVALID')
    const backed = await f.cloud.image.createImage(f.alice, { diskFormat: 'qcow2', containerFormat: 'bare' })
    const attack = await errorOf(
      f.cloud.image.uploadImageData(f.alice, backed.id, chunksOf(qcow2Header(1 << 30, '/etc/shadow'))),
    )
    expect(attack.code).toBe('INVALID')
    expect(f.main.locations()).toEqual([])
    const good = await f.cloud.image.createImage(f.alice, { diskFormat: 'qcow2', containerFormat: 'bare' })
    const ok = await f.cloud.image.uploadImageData(f.alice, good.id, chunksOf(qcow2Header(1 << 30)))
    expect(ok).toMatchObject({ status: 'active', virtualSize: 1 << 30, size: 4096 })
  })

  it('answers UNAVAILABLE (retryable) when the store is down, and keeps the image queued', async () => {
    const image = await rawImage()
    f.main.setUnavailable(true)
    const down = await errorOf(f.cloud.image.uploadImageData(f.alice, image.id, chunksOf(randomBytes(100))))
    expect(down.code).toBe('UNAVAILABLE')
    expect(down.retryable).toBe(true)
    expect((await f.cloud.image.getImage(f.alice, image.id)).status).toBe('queued')
    f.main.setUnavailable(false)
    await f.cloud.image.uploadImageData(f.alice, image.id, chunksOf(randomBytes(100)))
  })

  it('stops an upload that goes over the size quota and keeps nothing', async () => {
    await f.close()
    f = await imageFixture({ quotas: { defaults: { image_size_total: 1 } } })
    const image = await rawImage()
    const over = await errorOf(
      f.cloud.image.uploadImageData(f.alice, image.id, chunksOf(randomBytes(2 * 1024 * 1024))),
    )
    expect(over.code).toBe('QUOTA_EXCEEDED')
    expect(f.main.locations()).toEqual([])
    expect((await f.cloud.image.getImage(f.alice, image.id)).status).toBe('queued')
    const hinted = await errorOf(
      f.cloud.image.uploadImageData(f.alice, image.id, chunksOf(randomBytes(10)), {
        sizeHint: 5 * 1024 * 1024,
      }),
    )
    expect(hinted.code).toBe('QUOTA_EXCEEDED')
    await f.cloud.image.uploadImageData(f.alice, image.id, chunksOf(randomBytes(1000)))
  })

  it('deactivation stops downloads by non-admins; deletion removes the data', async () => {
    const image = await rawImage()
    await f.cloud.image.uploadImageData(f.alice, image.id, chunksOf(randomBytes(100)))
    expect((await errorOf(f.cloud.image.deactivateImage(f.bob, image.id))).code).toBe('NOT_FOUND')
    await f.cloud.image.deactivateImage(f.alice, image.id)
    expect((await errorOf(f.cloud.image.downloadImageData(f.alice, image.id))).code).toBe('FORBIDDEN')
    await expect(f.cloud.image.downloadImageData(f.admin, image.id)).resolves.toMatchObject({ size: 100 })
    await f.cloud.image.reactivateImage(f.alice, image.id)
    await f.cloud.image.downloadImageData(f.alice, image.id)
    await f.cloud.image.deleteImage(f.alice, image.id)
    expect(f.main.locations()).toEqual([])
  })

  it('keeps an image whose data is in use (clones) and says CONFLICT', async () => {
    const image = await rawImage()
    const active = await f.cloud.image.uploadImageData(f.alice, image.id, chunksOf(randomBytes(100)))
    f.main.inUse(active.locations[0]!.url)
    expect((await errorOf(f.cloud.image.deleteImage(f.alice, image.id))).code).toBe('CONFLICT')
    expect((await f.cloud.image.getImage(f.alice, image.id)).locations).toHaveLength(1)
    f.main.inUse(active.locations[0]!.url, false)
    await f.cloud.image.deleteImage(f.alice, image.id)
  })

  it('a queued image has no data to download', async () => {
    const image = await rawImage()
    const none = await errorOf(f.cloud.image.downloadImageData(f.alice, image.id))
    expect(none.code).toBe('NOT_FOUND')
    expect(none.details).toMatchObject({ reason: 'no-data' })
  })
})

describe('large uploads', () => {
  it('hash SHA-512 on the worker thread past 16 MiB and still get both digests right', async () => {
    const data = randomBytes(40 * 1024 * 1024 + 5)
    const image = await rawImage()
    const active = await f.cloud.image.uploadImageData(f.alice, image.id, chunksOf(data, 1024 * 1024 + 3))
    expect(active).toMatchObject({
      size: data.length,
      checksum: hashOf('md5', data),
      hashValue: hashOf('sha512', data),
    })
    // Two at once share the worker without mixing their streams.
    const [a, b] = await Promise.all([rawImage(), rawImage()])
    const other = randomBytes(20 * 1024 * 1024)
    const [ia, ib] = await Promise.all([
      f.cloud.image.uploadImageData(f.alice, a.id, chunksOf(data)),
      f.cloud.image.uploadImageData(f.alice, b.id, chunksOf(other)),
    ])
    expect(ia.hashValue).toBe(hashOf('sha512', data))
    expect(ib.hashValue).toBe(hashOf('sha512', other))
  })
})
