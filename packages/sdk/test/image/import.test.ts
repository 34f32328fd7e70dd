import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { CloudError } from '../../src/core/errors.js'
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
const hasQemuImg = ['/usr/bin/qemu-img', '/usr/local/bin/qemu-img'].some((p) => existsSync(p))

describe('interoperable import', () => {
  it('glance-direct: stage, import, active with the data in the default store and the staging area empty', async () => {
    const data = randomBytes(200_000)
    const image = await f.cloud.image.createImage(f.alice, { diskFormat: 'raw', containerFormat: 'bare' })
    const staged = await f.cloud.image.stageImageData(f.alice, image.id, chunksOf(data))
    expect(staged.status).toBe('uploading')
    const importing = await f.cloud.image.importImage(f.alice, image.id, { method: 'glance-direct' })
    expect(['importing', 'active']).toContain(importing.status)
    const active = await f.cloud.image.waitForImage(f.alice, image.id, { status: 'active' })
    expect(active).toMatchObject({ size: data.length, checksum: hashOf('md5', data) })
    expect(active.locations.map((l) => l.store)).toEqual(['main'])
    // Only the image's own data remains in the store that also served as the staging area.
    expect(f.main.locations()).toEqual([active.locations[0]!.url])
    const back = await f.cloud.image.downloadImageData(f.alice, image.id)
    expect((await readAll(back.stream)).equals(data)).toBe(true)
  })

  it('copy-image puts an active image into another store as well (admins)', async () => {
    const data = randomBytes(50_000)
    const image = await f.cloud.image.createImage(f.alice, { diskFormat: 'raw', containerFormat: 'bare' })
    await f.cloud.image.uploadImageData(f.alice, image.id, chunksOf(data))
    expect(
      (await errorOf(f.cloud.image.importImage(f.alice, image.id, { method: 'copy-image', stores: ['raw'] })))
        .code,
    ).toBe('FORBIDDEN')
    await f.cloud.image.importImage(f.admin, image.id, { method: 'copy-image', stores: ['raw'] })
    await expect
      .poll(async () => (await f.cloud.image.getImage(f.alice, image.id)).locations.map((l) => l.store), {
        timeout: 5000,
      })
      .toEqual(['main', 'raw'])
    expect(
      (await errorOf(f.cloud.image.importImage(f.admin, image.id, { method: 'copy-image', stores: ['raw'] })))
        .code,
    ).toBe('CONFLICT')
  })

  it('refuses web-download, an unknown store, and an import of nothing staged', async () => {
    const image = await f.cloud.image.createImage(f.alice, { diskFormat: 'raw', containerFormat: 'bare' })
    const web = await errorOf(
      f.cloud.image.importImage(f.alice, image.id, { method: 'web-download', uri: 'http://198.18.0.1/x' }),
    )
    expect(web.code).toBe('NOT_SUPPORTED')
    expect(
      (
        await errorOf(
          f.cloud.image.importImage(f.alice, image.id, { method: 'glance-direct', stores: ['nope'] }),
        )
      ).code,
    ).toBe('INVALID')
    expect(
      (await errorOf(f.cloud.image.importImage(f.alice, image.id, { method: 'glance-direct' }))).code,
    ).toBe('CONFLICT')
    expect(f.cloud.image.importMethods()).toEqual(['glance-direct', 'copy-image'])
  })

  it('a failed import (data not of the declared format) goes back to queued and keeps nothing', async () => {
    const image = await f.cloud.image.createImage(f.alice, { diskFormat: 'raw', containerFormat: 'bare' })
    await f.cloud.image.stageImageData(f.alice, image.id, chunksOf(qcow2Header(1 << 20)))
    await f.cloud.image.importImage(f.alice, image.id, { method: 'glance-direct' })
    const failed = await errorOf(
      f.cloud.image.waitForImage(f.alice, image.id, { status: 'active', timeoutMs: 5000 }),
    )
    expect(failed.code).toBe('DRIVER_FAILED')
    const queued = await f.cloud.image.getImage(f.alice, image.id)
    expect(queued).toMatchObject({ status: 'queued', properties: { os_glance_failed_import: 'main' } })
    expect(f.main.locations()).toEqual([])
    expect(f.main.partials()).toBe(0)
  })

  it.skipIf(!hasQemuImg)(
    'converts qcow2 to raw when importing into a store that prefers raw (needs qemu-img)',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'nubis-qcow2-'))
      try {
        const file = join(dir, 'disk.qcow2')
        execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', file, '4M'])
        const image = await f.cloud.image.createImage(f.alice, {
          diskFormat: 'qcow2',
          containerFormat: 'bare',
        })
        await f.cloud.image.stageImageData(f.alice, image.id, chunksOf(readFileSync(file)))
        await f.cloud.image.importImage(f.alice, image.id, { method: 'glance-direct', stores: ['raw'] })
        const active = await f.cloud.image.waitForImage(f.alice, image.id, { status: 'active' })
        expect(active).toMatchObject({
          diskFormat: 'raw',
          size: 4 * 1024 * 1024,
          virtualSize: 4 * 1024 * 1024,
        })
        expect(active.locations.map((l) => l.store)).toEqual(['raw'])
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    },
  )
})
