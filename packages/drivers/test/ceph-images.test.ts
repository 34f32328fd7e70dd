import { execFile } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { ceph, parseRbdUrl, rbdImageStore } from '@nubis/drivers/ceph'
import { isDriver } from '@nubis/sdk'
import { type CephCluster, describeImageStoreConformance, startCeph } from '@nubis/testing'
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest'

// The run's shared throwaway cluster (test/global-setup.ts); each test uses its own image names in pool rbd.
const cluster = inject('ceph')
const skip = 'unavailable' in cluster ? cluster.unavailable : undefined
const info = 'unavailable' in cluster ? undefined : cluster
const POOL = 'rbd'
const store = () => rbdImageStore({ pool: POOL, conf: info?.conf, keyring: info?.keyring })

describeImageStoreConformance(async () => ({ driver: store() }), { label: 'ceph-rbd', skip })

// Its tests touch only their own images, so they run side by side (they mostly wait on the cluster).
describe.skipIf(skip !== undefined)(
  `ceph-rbd image store${skip ? ` [skipped: ${skip}]` : ''}`,
  { concurrent: true },
  () => {
    const c = () => info as NonNullable<typeof info>
    /** Runs rbd against the shared cluster; resolves with stdout, rejects on a non-zero exit. */
    const rbd = async (...args: string[]): Promise<string> =>
      (await promisify(execFile)('rbd', ['-c', c().conf, '--keyring', c().keyring, ...args])).stdout
    const images = async () => JSON.parse(await rbd('ls', '--format', 'json', POOL)) as string[]
    const partialsOf = async (imageId: string) =>
      (await images()).filter((name) => name.startsWith(`${imageId}.partial-`))

    it('is a driver named ceph-rbd with cowClone and prefersRaw, reachable as ceph.rbdImages', async () => {
      const driver = ceph.rbdImages({ pool: POOL, conf: c().conf, keyring: c().keyring })
      expect(isDriver(driver)).toBe(true)
      expect(driver).toMatchObject({ kind: 'image-store', name: 'ceph-rbd' })
      expect(driver.capabilities).toEqual({ rangeRead: false, cowClone: true, prefersRaw: true })
      await expect(driver.probe()).resolves.toBeUndefined()
    })

    it("writes Glance's url form and keeps pool, image and snapshot as metadata", async () => {
      const driver = store()
      const imageId = randomUUID()
      const stored = await driver.write(imageId, chunks([randomBytes(1_000)]))
      try {
        expect(stored.url).toBe(`rbd://${c().fsid}/${POOL}/${imageId}/snap`)
        expect(stored.metadata).toEqual({ pool: POOL, image: imageId, snapshot: 'snap' })
        expect(parseRbdUrl(stored.url)).toEqual({
          fsid: c().fsid,
          pool: POOL,
          image: imageId,
          snapshot: 'snap',
        })
        expect(driver.owns(`rbd://${c().fsid}/other-pool/${imageId}/snap`)).toBe(false)
        await expect(driver.read(`rbd://${c().fsid}/other-pool/${imageId}/snap`)).rejects.toMatchObject({
          code: 'INVALID',
        })
      } finally {
        await driver.delete(stored.url)
      }
    })

    it('protects the snapshot, and a copy-on-write clone of it reads the same bytes', async () => {
      const driver = store()
      const data = randomBytes(1024 * 1024 + 3)
      const imageId = randomUUID()
      const stored = await driver.write(imageId, chunks([data]))
      const clone = `${POOL}/clone-${randomUUID()}`
      try {
        const snap = JSON.parse(await rbd('info', '--format', 'json', `${POOL}/${imageId}@snap`))
        expect(snap).toMatchObject({ protected: 'true', size: data.length })
        await rbd('clone', `${POOL}/${imageId}@snap`, clone)
        expect(JSON.parse(await rbd('info', '--format', 'json', clone)).parent).toMatchObject({
          pool: POOL,
          image: imageId,
          snapshot: 'snap',
        })
        const copied = await promisify(execFile)(
          'rbd',
          ['-c', c().conf, '--keyring', c().keyring, 'export', '--no-progress', clone, '-'],
          { encoding: 'buffer', maxBuffer: 4 * 1024 * 1024 },
        )
        expect(Buffer.compare(copied.stdout, data)).toBe(0)
      } finally {
        await rbd('rm', '--no-progress', clone).catch(() => {})
        await driver.delete(stored.url)
      }
    })

    it('refuses to delete or replace data with clones (CONFLICT), keeps it, and deletes it once they are gone', async () => {
      const driver = store()
      const data = randomBytes(300_000)
      const imageId = randomUUID()
      const stored = await driver.write(imageId, chunks([data]))
      const clone = `${POOL}/clone-${randomUUID()}`
      await rbd('clone', `${POOL}/${imageId}@snap`, clone)
      try {
        await expect(driver.delete(stored.url)).rejects.toMatchObject({
          code: 'CONFLICT',
          driver: 'ceph-rbd',
          message: expect.stringContaining('in use by clones'),
        })
        await expect(driver.write(imageId, chunks([randomBytes(10)]))).rejects.toMatchObject({
          code: 'CONFLICT',
        })
        expect(await partialsOf(imageId)).toEqual([])
        expect(Buffer.compare(await readAll(await driver.read(stored.url)), data)).toBe(0)
        expect(JSON.parse(await rbd('info', '--format', 'json', `${POOL}/${imageId}@snap`))).toMatchObject({
          protected: 'true',
        })
      } finally {
        await rbd('rm', '--no-progress', clone)
      }
      await driver.delete(stored.url)
      await expect(driver.stat(stored.url)).rejects.toMatchObject({ code: 'NOT_FOUND' })
      expect(await images()).not.toContain(imageId)
    })

    it('leaves no partial image behind a write aborted mid-stream, nor one whose source fails', async () => {
      const driver = store()
      const aborted = randomUUID()
      const controller = new AbortController()
      async function* slow() {
        for (let i = 0; i < 200; i++) {
          if (i === 5) controller.abort()
          yield randomBytes(64 * 1024)
          await sleep(5)
        }
      }
      await expect(driver.write(aborted, slow(), { signal: controller.signal })).rejects.toMatchObject({
        code: 'ABORTED',
      })
      // The call rejects at once on abort; the driver's own clean-up follows within moments.
      await vi.waitFor(async () => expect(await partialsOf(aborted)).toEqual([]), {
        timeout: 5_000,
        interval: 50,
      })

      const failed = randomUUID()
      async function* broken() {
        yield randomBytes(200_000)
        throw new Error('upload connection reset')
      }
      await expect(driver.write(failed, broken())).rejects.toThrow('upload connection reset')
      expect(await partialsOf(failed)).toEqual([])
      expect(await images()).not.toContain(failed)
    })

    it('discards what a crashed write left: partial images, snapshot and all', async () => {
      const driver = store()
      const imageId = randomUUID()
      const left = [`${imageId}.partial-dead01`, `${imageId}.partial-dead02`]
      await rbd('create', '--size', '1M', `${POOL}/${left[0]}`)
      await rbd('create', '--size', '1M', `${POOL}/${left[1]}`)
      await rbd('snap', 'create', '--no-progress', `${POOL}/${left[1]}@snap`)
      await rbd('snap', 'protect', `${POOL}/${left[1]}@snap`)
      await driver.discardPartial(imageId)
      expect(await partialsOf(imageId)).toEqual([])
    })

    it('reports bad credentials as DRIVER_FAILED at once, and never takes them for missing data', async () => {
      const stored = await store().write(randomUUID(), chunks([randomBytes(100)]))
      const dir = await mkdtemp(path.join(tmpdir(), 'nubis-ceph-keys-'))
      try {
        const noKeyring = rbdImageStore({ pool: POOL, conf: c().conf, keyring: path.join(dir, 'missing') })
        const otherUser = rbdImageStore({ pool: POOL, conf: c().conf, keyring: c().keyring, user: 'nobody' })
        for (const driver of [noKeyring, otherUser]) {
          await expect(driver.delete(stored.url)).rejects.toMatchObject({
            code: 'DRIVER_FAILED',
            retryable: false,
          })
          await expect(driver.stat(stored.url)).rejects.toMatchObject({ code: 'DRIVER_FAILED' })
          await expect(driver.probe()).rejects.toMatchObject({ code: 'DRIVER_FAILED' })
        }
        await expect(store().stat(stored.url)).resolves.toEqual({ size: 100 })
      } finally {
        await store().delete(stored.url)
        await rm(dir, { recursive: true, force: true })
      }
    })

    describe('with an unreachable cluster', () => {
      let dir = ''
      let conf = ''
      const fsid = randomUUID()
      beforeAll(async () => {
        // A conf naming a monitor on a port nothing listens on (one just freed by the kernel's choice).
        dir = await mkdtemp(path.join(tmpdir(), 'nubis-ceph-unreachable-'))
        conf = path.join(dir, 'ceph.conf')
        const port = await freePort()
        await writeFile(conf, `[global]\nfsid = ${fsid}\nmon_host = v1:127.0.0.1:${port}\n`)
      })
      afterAll(() => rm(dir, { recursive: true, force: true }))

      it('answers UNAVAILABLE, retryable, within seconds', async () => {
        const driver = rbdImageStore({ pool: POOL, conf, keyring: c().keyring })
        const started = Date.now()
        const outcomes = await Promise.allSettled([
          driver.probe(),
          driver.stat(`rbd://${fsid}/${POOL}/${randomUUID()}/snap`),
          driver.write(randomUUID(), chunks([randomBytes(100_000)])),
          driver.discardPartial(randomUUID()),
        ])
        for (const outcome of outcomes) {
          expect(outcome).toMatchObject({
            status: 'rejected',
            reason: { code: 'UNAVAILABLE', retryable: true, driver: 'ceph-rbd' },
          })
        }
        expect(Date.now() - started).toBeLessThan(10_000)
      })
    })
  },
)

describe.skipIf(skip !== undefined)(`ceph-rbd with a stuck OSD${skip ? ` [skipped: ${skip}]` : ''}`, () => {
  // A private cluster: its OSD is frozen (SIGSTOP) while the monitor still answers.
  let own: CephCluster | undefined
  beforeAll(async () => {
    own = await startCeph({ memstoreBytes: 64 * 1024 * 1024 })
  })
  afterAll(() => own?.stop())

  it('answers UNAVAILABLE, retryable, once the op timeout passes, and works again after', async () => {
    const cluster = own as CephCluster
    const driver = rbdImageStore({
      pool: POOL,
      conf: cluster.conf,
      keyring: cluster.keyring,
      opTimeoutMs: 2_000,
    })
    const stored = await driver.write(randomUUID(), chunks([randomBytes(100_000)]))
    const osd = Number((await readFile(path.join(cluster.dir, 'run', 'osd.0.pid'), 'utf8')).trim())
    process.kill(osd, 'SIGSTOP')
    try {
      const started = Date.now()
      const outcomes = await Promise.allSettled([
        driver.probe(),
        driver.stat(stored.url),
        driver.read(stored.url),
        driver.write(randomUUID(), chunks([randomBytes(100_000)])),
      ])
      for (const outcome of outcomes) {
        expect(outcome).toMatchObject({
          status: 'rejected',
          reason: { code: 'UNAVAILABLE', retryable: true },
        })
      }
      expect(Date.now() - started).toBeLessThan(8_000)
    } finally {
      process.kill(osd, 'SIGCONT')
    }
    await expect(driver.stat(stored.url)).resolves.toEqual({ size: 100_000 })
    await driver.delete(stored.url)
  })
})

/** A source over `parts`. */
async function* chunks(parts: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield part
}

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const part of stream) parts.push(part as Buffer)
  return Buffer.concat(parts)
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
