// The Image service end to end on the run's real Ceph (test/global-setup.ts): uploads, ranges, clones, glance-direct
// of a real qcow2 converted to raw, copy-image from the local store, and a cluster that cannot be reached.
import { execFile } from 'node:child_process'
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { accessSync, constants, createReadStream } from 'node:fs'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { Readable } from 'node:stream'
import { promisify } from 'node:util'
import { ceph } from '@nubis/drivers/ceph'
import { localImageStore } from '@nubis/drivers/local'
import { type Cloud, CloudError, createCloud, createContext, type ImageStoreDriver } from '@nubis/sdk'
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest'

const cluster = inject('ceph')
const skip = 'unavailable' in cluster ? cluster.unavailable : undefined
const info = 'unavailable' in cluster ? undefined : cluster
const POOL = 'rbd'
const MIB = 1024 * 1024
const run = promisify(execFile)

const member = createContext({ userId: 'alice', projectId: 'web', roles: ['member', 'reader'] })
const admin = createContext({ userId: 'root', projectId: 'web', roles: ['admin', 'member', 'reader'] })

describe.skipIf(skip !== undefined)(`Image service on Ceph RBD${skip ? ` [skipped: ${skip}]` : ''}`, () => {
  const c = () => info as NonNullable<typeof info>
  const rbd = async (...args: string[]): Promise<string> =>
    (await run('rbd', ['-c', c().conf, '--keyring', c().keyring, ...args])).stdout
  const rbdImages = async () => JSON.parse(await rbd('ls', '--format', 'json', POOL)) as string[]

  let dir = ''
  let cloud: Cloud
  let local: ImageStoreDriver
  let rbdStore: ImageStoreDriver
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'nubis-ceph-service-'))
    local = localImageStore({ dir: path.join(dir, 'local') })
    rbdStore = ceph.rbdImages({ pool: POOL, conf: c().conf, keyring: c().keyring })
    cloud = await createCloud({
      // glance-direct stages on the local store and imports into Ceph.
      image: { stores: { local, ceph: rbdStore }, defaultStore: 'ceph', staging: local, workDir: dir },
    })
  })
  afterAll(async () => {
    await cloud?.close()
    await rm(dir, { recursive: true, force: true })
  })
  const storeOf = (name: string) => (name === 'ceph' ? rbdStore : local)

  it('uploads into Ceph with a protected snapshot, reads it back whole or by range, and refuses to delete it while a clone uses it', async () => {
    const data = randomBytes(3 * MIB + 123)
    const image = await cloud.image.createImage(member, { diskFormat: 'raw', containerFormat: 'bare' })
    const active = await cloud.image.uploadImageData(member, image.id, chunks(data, 256 * 1024))
    const url = `rbd://${c().fsid}/${POOL}/${image.id}/snap`
    expect(active).toMatchObject({ status: 'active', size: data.length, checksum: md5(data) })
    expect(active.locations).toEqual([
      { store: 'ceph', url, metadata: { pool: POOL, image: image.id, snapshot: 'snap' } },
    ])

    const whole = await cloud.image.downloadImageData(member, image.id)
    expect(whole).toMatchObject({ size: data.length, offset: 0, length: data.length, checksum: md5(data) })
    expect(Buffer.compare(await readAll(whole.stream), data)).toBe(0)
    const offset = MIB + 4_097
    const part = await cloud.image.downloadImageData(member, image.id, { offset, length: 70_000 })
    expect(part).toMatchObject({ offset, length: 70_000 })
    expect(Buffer.compare(await readAll(part.stream), data.subarray(offset, offset + 70_000))).toBe(0)
    const tail = await cloud.image.downloadImageData(member, image.id, { offset: data.length - 10 })
    expect(Buffer.compare(await readAll(tail.stream), data.subarray(-10))).toBe(0)

    expect(JSON.parse(await rbd('info', '--format', 'json', `${POOL}/${image.id}@snap`))).toMatchObject({
      protected: 'true',
      size: data.length,
    })
    const clone = `clone-${randomUUID()}`
    await rbd('clone', `${POOL}/${image.id}@snap`, `${POOL}/${clone}`)
    try {
      expect(JSON.parse(await rbd('info', '--format', 'json', `${POOL}/${clone}`)).parent).toMatchObject({
        pool: POOL,
        image: image.id,
        snapshot: 'snap',
      })
      const refused = await cloud.image.deleteImage(member, image.id).catch((e: unknown) => e)
      expect(refused).toBeInstanceOf(CloudError)
      expect(refused).toMatchObject({ code: 'CONFLICT' })
      const kept = await cloud.image.getImage(member, image.id)
      expect(kept.status).toBe('active')
      expect(kept.locations).toEqual(active.locations)
      expect(md5(await readAll((await cloud.image.downloadImageData(member, image.id)).stream))).toBe(
        md5(data),
      )
    } finally {
      await rbd('rm', '--no-progress', `${POOL}/${clone}`)
    }
    await cloud.image.deleteImage(member, image.id)
    await expect(cloud.image.getImage(member, image.id)).rejects.toMatchObject({ code: 'NOT_FOUND' })
    expect(await rbdImages()).not.toContain(image.id)
  })

  it('imports a qcow2 staged on the local store into Ceph as raw (glance-direct)', async () => {
    const qcow2 = path.join(dir, `${randomUUID()}.qcow2`)
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', qcow2, '8M'])
    if (onPath('qemu-io')) {
      await run('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x5a 0 1M', '-c', 'write -P 0xa5 5M 64k', qcow2])
    }
    const converted = `${qcow2}.raw`
    await run('qemu-img', ['convert', '-q', '-f', 'qcow2', '-O', 'raw', qcow2, converted])
    const expected = await readFile(converted)
    expect(expected.length).toBe(8 * MIB)

    const image = await cloud.image.createImage(member, { diskFormat: 'qcow2', containerFormat: 'bare' })
    const staged = await cloud.image.stageImageData(member, image.id, createReadStream(qcow2))
    expect(staged.status).toBe('uploading')
    expect(await readdir(path.join(dir, 'local'))).toContain(`staged-${image.id}`)
    const importing = await cloud.image.importImage(member, image.id, {
      method: 'glance-direct',
      stores: ['ceph'],
    })
    expect(importing.status).toBe('importing')
    const active = await cloud.image.waitForImage(member, image.id, { status: 'active', timeoutMs: 60_000 })
    try {
      expect(active).toMatchObject({
        status: 'active',
        diskFormat: 'raw',
        size: 8 * MIB,
        checksum: md5(expected),
      })
      // Glance's import progress properties, left empty once all went well.
      expect(active.properties).toMatchObject({
        os_glance_importing_to_stores: '',
        os_glance_failed_import: '',
      })
      expect(active.locations).toEqual([
        expect.objectContaining({ store: 'ceph', url: `rbd://${c().fsid}/${POOL}/${image.id}/snap` }),
      ])
      // The staged qcow2 is gone once the image points at Ceph.
      expect(await readdir(path.join(dir, 'local'))).not.toContain(`staged-${image.id}`)

      // qemu itself, reading the RBD image through librbd, sees raw data of 8 MiB.
      const { stdout } = await run('qemu-img', [
        'info',
        '--output',
        'json',
        `rbd:${POOL}/${image.id}:conf=${c().conf}:keyring=${c().keyring}`,
      ])
      expect(JSON.parse(stdout)).toMatchObject({ format: 'raw', 'virtual-size': 8 * MIB })

      const fromCeph = await run(
        'rbd',
        [
          '-c',
          c().conf,
          '--keyring',
          c().keyring,
          'export',
          '--no-progress',
          `${POOL}/${image.id}@snap`,
          '-',
        ],
        { encoding: 'buffer', maxBuffer: 16 * MIB },
      )
      expect(Buffer.compare(fromCeph.stdout, expected)).toBe(0)
      const downloaded = await readAll((await cloud.image.downloadImageData(member, image.id)).stream)
      expect(Buffer.compare(downloaded, expected)).toBe(0)
    } finally {
      await cloud.image.deleteImage(member, image.id)
    }
    expect(await rbdImages()).not.toContain(image.id)
  })

  it('copies an image from the local store into Ceph (copy-image), with the same checksum', async () => {
    const data = randomBytes(MIB + 7)
    const image = await cloud.image.createImage(member, { diskFormat: 'raw', containerFormat: 'bare' })
    const uploaded = await cloud.image.uploadImageData(member, image.id, chunks(data, 64 * 1024), {
      store: 'local',
    })
    expect(uploaded.locations.map((l) => l.store)).toEqual(['local'])
    try {
      // Members may not copy; admins may.
      await expect(
        cloud.image.importImage(member, image.id, { method: 'copy-image', stores: ['ceph'] }),
      ).rejects.toMatchObject({ code: 'FORBIDDEN' })
      await cloud.image.importImage(admin, image.id, { method: 'copy-image', stores: ['ceph'] })
      const copied = await vi.waitFor(
        async () => {
          const now = await cloud.image.getImage(admin, image.id)
          // The copy is done once os_glance_importing_to_stores is empty; os_glance_failed_import names no store.
          expect(now.properties).toMatchObject({
            os_glance_importing_to_stores: '',
            os_glance_failed_import: '',
          })
          return now
        },
        { timeout: 30_000, interval: 100 },
      )
      expect(copied).toMatchObject({ status: 'active', size: data.length, checksum: uploaded.checksum })
      expect(copied.hashValue).toBe(uploaded.hashValue)
      expect(copied.locations.map((l) => [l.store, l.url])).toEqual([
        ['local', uploaded.locations[0]?.url],
        ['ceph', `rbd://${c().fsid}/${POOL}/${image.id}/snap`],
      ])
      const [fromLocal, fromCeph] = await Promise.all(
        copied.locations.map(async (l) => md5(await readAll(await storeOf(l.store).read(l.url)))),
      )
      expect(fromLocal).toBe(uploaded.checksum)
      expect(fromCeph).toBe(uploaded.checksum)
    } finally {
      await cloud.image.deleteImage(member, image.id)
    }
    expect(await rbdImages()).not.toContain(image.id)
  })

  describe('with a Ceph that cannot be reached', () => {
    let unreachable: Cloud
    let badDir = ''
    beforeAll(async () => {
      badDir = await mkdtemp(path.join(tmpdir(), 'nubis-ceph-down-'))
      const conf = path.join(badDir, 'ceph.conf')
      const text = await readFile(c().conf, 'utf8')
      const port = await freePort()
      await writeFile(conf, text.replace(/^mon_host\s*=.*$/m, `mon_host = v1:127.0.0.1:${port}`))
      unreachable = await createCloud({
        image: { stores: { ceph: ceph.rbdImages({ pool: POOL, conf, keyring: c().keyring }) } },
      })
    })
    afterAll(async () => {
      await unreachable?.close()
      await rm(badDir, { recursive: true, force: true })
    })

    it('fails an upload with UNAVAILABLE (retryable) within seconds and puts the image back to queued', async () => {
      const image = await unreachable.image.createImage(member, {
        diskFormat: 'raw',
        containerFormat: 'bare',
      })
      const started = Date.now()
      const error = await unreachable.image
        .uploadImageData(member, image.id, chunks(randomBytes(200_000), 64 * 1024))
        .catch((e: unknown) => e)
      const elapsed = Date.now() - started
      expect(error).toBeInstanceOf(CloudError)
      expect(error).toMatchObject({ code: 'UNAVAILABLE', retryable: true })
      expect(elapsed).toBeLessThan(15_000)
      expect((await unreachable.image.getImage(member, image.id)).status).toBe('queued')
    })
  })
})

function md5(data: Uint8Array): string {
  return createHash('md5').update(data).digest('hex')
}

/** `data` as a source of chunks of `size` bytes. */
async function* chunks(data: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size)
}

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const part of stream) parts.push(part as Buffer)
  return Buffer.concat(parts)
}

function onPath(program: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => {
    try {
      accessSync(path.join(dir, program), constants.X_OK)
      return dir !== ''
    } catch {
      return false
    }
  })
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}
