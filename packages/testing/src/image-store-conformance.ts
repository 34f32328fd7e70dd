import { randomBytes, randomUUID } from 'node:crypto'
import type { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { CloudError, type ImageStoreDriver, type StoredData } from '@nubis/sdk'
import { expect, vi } from 'vitest'
import { type ConformanceTestOptions, defineConformanceSuite } from './conformance.js'

/**
 * The behaviour every image store must have (the contract written on `ImageStoreDriver`), run against the
 * test double and every real store. Each test writes under fresh image ids (`randomUUID()`) and deletes what
 * it wrote; the factory's `cleanup` should remove whatever a failing test leaves.
 *
 * Writing an image id twice is allowed either to replace the data at the same url or to store the second
 * data at a distinct url; the test accepts both, and in the second case both urls must stay readable until
 * deleted.
 *
 * @example
 * describeImageStoreConformance(async () => {
 *   const dir = await mkdtemp(join(tmpdir(), 'images-'))
 *   return { driver: localImageStore({ dir }), cleanup: () => rm(dir, { recursive: true, force: true }) }
 * }, { label: 'local' })
 */
export const describeImageStoreConformance = defineConformanceSuite<ImageStoreDriver>(
  'image store',
  (ctx) => {
    /** A test whose writes through `images` are deleted when it ends, whatever its outcome. */
    const imageTest = (
      name: string,
      fn: (env: { driver: ImageStoreDriver; signal: AbortSignal; images: Written }) => Promise<void>,
      options?: ConformanceTestOptions,
    ) =>
      ctx.test(
        name,
        async ({ driver, signal }) => {
          const images = written(driver, signal)
          try {
            await fn({ driver, signal, images })
          } finally {
            await images.dispose()
          }
        },
        options,
      )

    imageTest(
      'writes 3 MiB of random data and reads back the same bytes',
      async ({ driver, signal, images }) => {
        const data = randomBytes(3 * 1024 * 1024 + 17)
        const stored = await images.write(randomUUID(), chunked(data, [65_536, 1, 1_000_003, 4_096, 333_333]))
        expect(stored.size).toBe(data.length)
        expect(driver.owns(stored.url)).toBe(true)
        expect(Object.values(stored.metadata).every((value) => typeof value === 'string')).toBe(true)
        expect(equal(await readAll(await driver.read(stored.url, { signal })), data)).toBe(true)
      },
    )

    imageTest('writes and reads back an empty image', async ({ driver, signal, images }) => {
      const none = await images.write(randomUUID(), chunked(new Uint8Array(0), [1]))
      const emptyChunks = await images.write(randomUUID(), fromChunks([new Uint8Array(0), new Uint8Array(0)]))
      for (const stored of [none, emptyChunks]) {
        expect(stored.size).toBe(0)
        await expect(driver.stat(stored.url, { signal })).resolves.toEqual({ size: 0 })
        expect((await readAll(await driver.read(stored.url, { signal }))).length).toBe(0)
      }
    })

    imageTest('writes many small chunks, empty ones among them', async ({ driver, signal, images }) => {
      const chunks = Array.from({ length: 5_000 }, (_, i) => randomBytes(i % 97))
      const stored = await images.write(randomUUID(), fromChunks(chunks))
      const data = Buffer.concat(chunks)
      expect(stored.size).toBe(data.length)
      expect(equal(await readAll(await driver.read(stored.url, { signal })), data)).toBe(true)
    })

    imageTest('reports the size of stored data with stat', async ({ driver, signal, images }) => {
      const stored = await images.write(randomUUID(), fromChunks([randomBytes(1_000), randomBytes(234)]))
      await expect(driver.stat(stored.url, { signal })).resolves.toMatchObject({ size: 1_234 })
    })

    imageTest(
      'reads ranges: from an offset, an offset and a length, the last byte',
      async ({ driver, signal, images }) => {
        const data = randomBytes(2 * 1024 * 1024 + 5)
        const { url } = await images.write(randomUUID(), chunked(data, [262_144]))
        await expectRanges(driver, url, data, signal)
      },
      { requires: 'rangeRead' },
    )

    imageTest(
      'returns the requested bytes of a range, with or without rangeRead',
      async ({ driver, signal, images }) => {
        // A store without rangeRead may read from the start and skip, but the bytes must be the same.
        const data = randomBytes(300_001)
        const { url } = await images.write(randomUUID(), chunked(data, [4_096, 100_000]))
        await expectRanges(driver, url, data, signal)
      },
    )

    imageTest('keeps nothing of a write aborted mid-stream', async ({ driver, signal, images }) => {
      const imageId = randomUUID()
      const url = await urlOf(driver, imageId, signal)
      const controller = new AbortController()
      const source = tracked(async function* () {
        for (let i = 0; i < 400; i++) {
          if (i === 3) controller.abort()
          yield randomBytes(65_536)
          await sleep(5)
        }
      })
      await expect(
        driver.write(imageId, source.iterable, { signal: controller.signal }),
      ).rejects.toMatchObject({
        code: 'ABORTED',
      })
      await source.settled()
      await expect(driver.stat(url, { signal })).rejects.toMatchObject({ code: 'NOT_FOUND' })
      await driver.discardPartial(imageId, { signal })
      await driver.discardPartial(imageId, { signal })
      const again = await images.write(imageId, fromChunks([Buffer.from('second try')]))
      expect((await readAll(await driver.read(again.url, { signal }))).toString()).toBe('second try')
    })

    imageTest(
      'keeps nothing of a write whose source throws mid-stream',
      async ({ driver, signal, images }) => {
        const imageId = randomUUID()
        const url = await urlOf(driver, imageId, signal)
        const source = tracked(async function* () {
          yield randomBytes(100_000)
          yield randomBytes(100_000)
          throw new Error('the upload connection broke')
        })
        await expect(driver.write(imageId, source.iterable, { signal })).rejects.toThrow()
        await source.settled()
        await expect(driver.stat(url, { signal })).rejects.toMatchObject({ code: 'NOT_FOUND' })
        await driver.discardPartial(imageId, { signal })
        const again = await images.write(imageId, fromChunks([Buffer.from('retried')]))
        expect((await readAll(await driver.read(again.url, { signal }))).toString()).toBe('retried')
      },
    )

    ctx.test('passes a CloudError thrown by the source through unchanged', async ({ driver, signal }) => {
      // The image service verifies checksums inside the source: its INVALID must reach the caller as is.
      const failure = new CloudError('INVALID', 'checksum mismatch')
      async function* source() {
        yield randomBytes(10_000)
        throw failure
      }
      await expect(driver.write(randomUUID(), source(), { signal })).rejects.toMatchObject({
        code: 'INVALID',
        message: 'checksum mismatch',
      })
    })

    imageTest('shows nothing at the url before the write resolves', async ({ driver, signal, images }) => {
      const imageId = randomUUID()
      const url = await urlOf(driver, imageId, signal)
      let open = () => {}
      const gate = new Promise<void>((resolve) => {
        open = resolve
      })
      const first = randomBytes(200_000)
      const last = randomBytes(1_000)
      let firstTaken = false
      async function* source() {
        yield first
        firstTaken = true
        await gate
        yield last
      }
      const pending = images.write(imageId, source())
      await vi.waitFor(() => expect(firstTaken).toBe(true))
      await sleep(20)
      await expect(driver.stat(url, { signal })).rejects.toMatchObject({ code: 'NOT_FOUND' })
      await expect(driver.read(url, { signal })).rejects.toMatchObject({ code: 'NOT_FOUND' })
      open()
      const stored = await pending
      expect(
        equal(await readAll(await driver.read(stored.url, { signal })), Buffer.concat([first, last])),
      ).toBe(true)
    })

    ctx.test('reports deleted data as NOT_FOUND, naming the driver', async ({ driver, signal }) => {
      const stored = await driver.write(randomUUID(), fromChunks([randomBytes(4_096)]), { signal })
      await driver.delete(stored.url, { signal })
      const notFound = { code: 'NOT_FOUND', driver: driver.name }
      await expect(driver.stat(stored.url, { signal })).rejects.toMatchObject(notFound)
      await expect(driver.read(stored.url, { signal })).rejects.toMatchObject(notFound)
      await expect(driver.read(stored.url, { offset: 1, length: 2, signal })).rejects.toMatchObject(notFound)
    })

    ctx.test('deletes a missing location without error', async ({ driver, signal }) => {
      const stored = await driver.write(randomUUID(), fromChunks([randomBytes(10)]), { signal })
      await driver.delete(stored.url, { signal })
      await expect(driver.delete(stored.url, { signal })).resolves.toBeUndefined()
    })

    ctx.test('discards complete data only when told it is unreferenced', async ({ driver, signal }) => {
      const imageId = randomUUID()
      const stored = await driver.write(imageId, fromChunks([randomBytes(10)]), { signal })
      await driver.discardPartial(imageId, { signal })
      await expect(driver.stat(stored.url, { signal })).resolves.toEqual({ size: 10 })
      await driver.discardPartial(imageId, { signal, complete: true })
      await expect(driver.stat(stored.url, { signal })).rejects.toMatchObject({ code: 'NOT_FOUND' })
    })

    ctx.test('discards partial data of an image never written', async ({ driver, signal }) => {
      const imageId = randomUUID()
      await expect(driver.discardPartial(imageId, { signal })).resolves.toBeUndefined()
      await expect(driver.discardPartial(imageId, { signal })).resolves.toBeUndefined()
    })

    imageTest('owns the urls it writes and no foreign url', async ({ driver, images }) => {
      const stored = await images.write(randomUUID(), fromChunks([randomBytes(10)]))
      expect(driver.owns(stored.url)).toBe(true)
      for (const foreign of [
        'https://images.example.com/v2/images/x/file',
        'file:///etc/passwd',
        'rbd://00000000-0000-0000-0000-000000000000/foreign-pool/x/snap',
        'memory://someone-else-entirely/x',
        '',
      ]) {
        if (foreign === stored.url) continue
        expect(driver.owns(foreign), foreign).toBe(false)
      }
    })

    ctx.test('answers probe', async ({ driver, signal }) => {
      await expect(driver.probe({ signal })).resolves.toBeUndefined()
    })

    imageTest(
      'writing an image id again replaces its data at the same url, or keeps both at distinct urls',
      async ({ driver, signal, images }) => {
        const imageId = randomUUID()
        const one = randomBytes(50_000)
        const two = randomBytes(70_000)
        const first = await images.write(imageId, fromChunks([one]))
        const second = await images.write(imageId, fromChunks([two]))
        expect(second.size).toBe(two.length)
        const read = async (stored: StoredData) => readAll(await driver.read(stored.url, { signal }))
        expect(equal(await read(second), two)).toBe(true)
        if (first.url !== second.url) {
          expect(equal(await read(first), one)).toBe(true)
          await driver.delete(first.url, { signal })
          expect(equal(await read(second), two)).toBe(true)
        }
      },
    )
  },
)

/** Checks the range reads every store must answer right over `data` stored at `url`. */
async function expectRanges(
  driver: ImageStoreDriver,
  url: string,
  data: Buffer,
  signal: AbortSignal,
): Promise<void> {
  const range = async (offset?: number, length?: number) =>
    readAll(
      await driver.read(url, {
        signal,
        ...(offset === undefined ? {} : { offset }),
        ...(length === undefined ? {} : { length }),
      }),
    )
  const end = data.length
  const mid = Math.floor(end / 2) + 3
  expect(equal(await range(mid), data.subarray(mid)), 'offset only').toBe(true)
  expect(equal(await range(0, 1), data.subarray(0, 1)), 'first byte').toBe(true)
  expect(equal(await range(mid, 100_003), data.subarray(mid, mid + 100_003)), 'offset and length').toBe(true)
  expect(equal(await range(end - 1), data.subarray(end - 1)), 'last byte by offset').toBe(true)
  expect(equal(await range(end - 1, 1), data.subarray(end - 1)), 'last byte by offset and length').toBe(true)
  expect(equal(await range(undefined, 10), data.subarray(0, 10)), 'length only').toBe(true)
  expect(equal(await range(0, end), data), 'the whole data').toBe(true)
  expect((await range(mid, 0)).length, 'zero length').toBe(0)
}

/** Learns the url a store gives `imageId` by writing and deleting a byte (stores that name data by id). */
async function urlOf(driver: ImageStoreDriver, imageId: string, signal: AbortSignal): Promise<string> {
  const stored = await driver.write(imageId, fromChunks([Buffer.from('x')]), { signal })
  await driver.delete(stored.url, { signal })
  return stored.url
}

/** Writes of one test, deleted when it ends. */
interface Written {
  write(imageId: string, source: AsyncIterable<Uint8Array>): Promise<StoredData>
  dispose(): Promise<void>
}

/** Writes through `driver`, remembering the urls so the test deletes them when it ends. */
function written(driver: ImageStoreDriver, signal: AbortSignal): Written {
  const urls = new Set<string>()
  return {
    async write(imageId: string, source: AsyncIterable<Uint8Array>): Promise<StoredData> {
      const stored = await driver.write(imageId, source, { signal })
      urls.add(stored.url)
      return stored
    },
    async dispose() {
      for (const url of urls) await driver.delete(url).catch(() => {})
    },
  }
}

/** A source over `chunks`, yielding each as it is. */
async function* fromChunks(chunks: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield chunk
}

/** A source over `data` cut in chunks of the given sizes, in turn. */
async function* chunked(data: Uint8Array, sizes: readonly number[]): AsyncGenerator<Uint8Array> {
  let at = 0
  for (let i = 0; at < data.length; i++) {
    const size = sizes[i % sizes.length] ?? 65_536
    yield data.subarray(at, at + size)
    at += size
  }
}

/**
 * A source whose end can be awaited: when it has finished or been stopped by its reader (a store may still be
 * cleaning up when its call rejects; this waits for the source, then a moment more).
 */
function tracked(make: () => AsyncGenerator<Uint8Array>) {
  let done = false
  async function* iterable(): AsyncGenerator<Uint8Array> {
    try {
      yield* make()
    } finally {
      done = true
    }
  }
  return {
    iterable: iterable(),
    async settled() {
      await vi.waitFor(() => expect(done).toBe(true), { timeout: 10_000, interval: 10 })
      await sleep(50)
    },
  }
}

/** All the bytes of a stream. */
async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array))
  return Buffer.concat(chunks)
}

/** Byte equality without printing megabytes on failure. */
function equal(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b)) === 0
}
