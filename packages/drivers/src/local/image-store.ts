import { randomBytes } from 'node:crypto'
import { constants, createReadStream, createWriteStream } from 'node:fs'
import { access, mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises'
import path from 'node:path'
import { Readable, type Writable } from 'node:stream'
import { pathToFileURL } from 'node:url'
import {
  abortError,
  CloudError,
  checkReadRange,
  checkStoreImageId,
  type DiscardOptions,
  type Driver,
  defineDriver,
  type ImageStoreDriver,
  type StoreCallOptions,
  type StoredData,
  type StoreReadOptions,
  type StoreWriteOptions,
  throwIfAborted,
} from '@nubis/sdk'

/** Options of {@link localImageStore}. */
export interface LocalImageStoreOptions {
  /**
   * Directory holding the images, one file per image named by its id; created (mode 0700) on first use.
   * Writes in progress live in its `.partial` subdirectory until they are complete.
   */
  dir: string
  /**
   * Flush each image to disk (file, then directory entry) before `write` resolves, so a power cut never
   * loses or truncates data that was reported stored. Default true; turn it off only for throwaway data.
   */
  fsync?: boolean
}

/** Image ids this store accepts: they become file names, so nothing that could leave the directory. */
const IMAGE_ID = /^[A-Za-z0-9-]{1,64}$/
/** Subdirectory of writes in progress; its name is not a valid image id, so it never looks like an image. */
const PARTIAL_DIR = '.partial'
/**
 * Writes buffer this much before the stream pushes back; queued chunks go to disk in one `writev`. Large, so the
 * caller (hashing on the main thread) runs ahead while the disk writes on the thread pool: both at once.
 */
const WRITE_BUFFER = 32 * 1024 * 1024
/** Reads come off the disk in chunks this big. */
const READ_CHUNK = 1024 * 1024

/**
 * An image store keeping each image as a file in a local directory (`kind: 'image-store'`, name `local`).
 * Its urls are `file://` urls of those files.
 *
 * A write streams into `<dir>/.partial/<imageId>.<random>`, flushes it, then renames it to `<dir>/<imageId>`
 * and flushes the directory: the image appears whole or not at all, even if the process is killed. A failed
 * or aborted write removes its temporary file; one cut short by a crash leaves it in `.partial` until
 * `discardPartial(imageId)`. Writing an id again replaces its data at the same url.
 *
 * @example
 * const store = localImageStore({ dir: '/srv/nubis/images' })
 * const { url, size } = await store.write(imageId, request.body, { signal })
 */
export function localImageStore(options: LocalImageStoreOptions): Driver<ImageStoreDriver> {
  if (typeof options?.dir !== 'string' || options.dir === '') {
    throw new CloudError('INVALID', 'localImageStore needs a directory (options.dir)', {
      details: { path: 'dir' },
    })
  }
  const dir = path.resolve(options.dir)
  const partialDir = path.join(dir, PARTIAL_DIR)
  const fsync = options.fsync ?? true
  const dirUrl = pathToFileURL(dir).href
  const urlPrefix = dirUrl.endsWith('/') ? dirUrl : `${dirUrl}/`

  /** The image id a url of this store names, or undefined for any other url. */
  const idOf = (url: string): string | undefined => {
    if (typeof url !== 'string' || !url.startsWith(urlPrefix)) return undefined
    const id = url.slice(urlPrefix.length)
    // The id alphabet has nothing a file URL encodes, so an owned url is exactly prefix + id: no `..`, no
    // `%2F`, no query or fragment can slip through.
    return IMAGE_ID.test(id) ? id : undefined
  }
  const fileOf = (url: string): { id: string; file: string } => {
    const id = idOf(url)
    if (id === undefined) {
      throw new CloudError('INVALID', `Not a location of the local image store at ${dirUrl}: ${url}`, {
        details: { path: 'url' },
      })
    }
    return { id, file: path.join(dir, id) }
  }

  return defineDriver({
    kind: 'image-store',
    name: 'local',
    capabilities: { rangeRead: true, cowClone: false, prefersRaw: false },

    async write(
      imageId: string,
      source: AsyncIterable<Uint8Array>,
      { signal }: StoreWriteOptions = {},
    ): Promise<StoredData> {
      checkImageId(imageId)
      throwIfAborted(signal, 'local image write')
      await mkdir(partialDir, { recursive: true, mode: 0o700 })
      const temp = path.join(partialDir, `${imageId}.${randomBytes(8).toString('hex')}`)
      const final = path.join(dir, imageId)
      let renamed = false
      try {
        // The stream owns its descriptor and closes it when done (a FileHandle lent to a stream stays referenced
        // by it, and closing it then waits forever). It queues chunks while a write is on the disk and sends them
        // in one writev; `pump` waits for `drain`, so a fast source never outruns the disk by more than
        // WRITE_BUFFER.
        const size = await pump(
          source,
          createWriteStream(temp, { flags: 'wx', mode: 0o600, highWaterMark: WRITE_BUFFER }),
          signal,
        )
        // fsync through another descriptor flushes the same file: the data is on disk before it becomes visible.
        if (fsync) await syncFile(temp)
        throwIfAborted(signal, 'local image write')
        await rename(temp, final)
        renamed = true
        if (fsync) await syncDirectory(dir)
        // Aborted while the rename was on its way: the caller is told ABORTED, so nothing may stay.
        throwIfAborted(signal, 'local image write')
        return { url: pathToFileURL(final).href, size, metadata: {} }
      } catch (error) {
        await unlink(renamed ? final : temp).catch(() => {})
        throw error
      }
    },

    async read(url: string, { offset = 0, length, signal }: StoreReadOptions = {}): Promise<Readable> {
      const { id, file } = fileOf(url)
      checkReadRange(offset, length)
      // Opening is the existence check, and the stream reads that very file even if it is deleted meanwhile.
      const handle = await open(file, 'r').catch((error: unknown) => {
        throw missing(error, id) ?? error
      })
      const info = await handle.stat().catch(async (error: unknown) => {
        await handle.close()
        throw error
      })
      if (!info.isFile() || length === 0) {
        await handle.close()
        if (!info.isFile()) throw notFound(id)
        return Readable.from([])
      }
      return createReadStream(file, {
        fd: handle,
        start: offset,
        ...(length === undefined ? {} : { end: offset + length - 1 }),
        highWaterMark: READ_CHUNK,
        ...(signal ? { signal } : {}),
      })
    },

    async stat(url: string, _options?: StoreCallOptions): Promise<{ size: number }> {
      const { id, file } = fileOf(url)
      const info = await stat(file).catch((error: unknown) => {
        throw missing(error, id) ?? error
      })
      if (!info.isFile()) throw notFound(id)
      return { size: info.size }
    },

    async delete(url: string, _options?: StoreCallOptions): Promise<void> {
      const { file } = fileOf(url)
      await unlink(file).catch((error: unknown) => {
        if (errorCode(error) !== 'ENOENT') throw error
      })
    },

    async discardPartial(imageId: string, { complete }: DiscardOptions = {}): Promise<void> {
      checkImageId(imageId)
      if (complete) {
        await unlink(path.join(dir, imageId)).catch((error: unknown) => {
          if (errorCode(error) !== 'ENOENT') throw error
        })
      }
      const names = await readdir(partialDir).catch((error: unknown) => {
        if (errorCode(error) === 'ENOENT') return []
        throw error
      })
      const prefix = `${imageId}.`
      for (const name of names) {
        if (!name.startsWith(prefix)) continue
        await unlink(path.join(partialDir, name)).catch((error: unknown) => {
          if (errorCode(error) !== 'ENOENT') throw error
        })
      }
    },

    async probe(_options?: StoreCallOptions): Promise<void> {
      try {
        await mkdir(partialDir, { recursive: true, mode: 0o700 })
        await access(dir, constants.W_OK | constants.X_OK)
        await access(partialDir, constants.W_OK | constants.X_OK)
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error)
        throw new CloudError('UNAVAILABLE', `Local image store directory ${dir} is not writable: ${reason}`, {
          retryable: true,
          cause: error,
        })
      }
    },

    owns(url: string): boolean {
      return idOf(url) !== undefined
    },
  })
}

function checkImageId(imageId: string): void {
  checkStoreImageId('local', IMAGE_ID, imageId)
}

/**
 * Writes all of `source` into `sink` and ends it, resolving with the bytes written once the file is closed.
 *
 * Unlike `stream.pipeline`, a failure or an abort settles it at once, even while the source is stalled (a
 * pipeline waits for its source's next chunk): the sink is destroyed and its descriptor closed before it
 * rejects, so the caller can remove the file, and the source is asked to stop without waiting for it.
 * No promise outlives one step, so a long upload accumulates no listeners.
 */
async function pump(
  source: AsyncIterable<Uint8Array>,
  sink: Writable & { readonly bytesWritten: number },
  signal: AbortSignal | undefined,
): Promise<number> {
  let failure: { error: unknown } | undefined
  let interrupt: ((error: unknown) => void) | undefined
  const fail = (error: unknown) => {
    failure ??= { error }
    interrupt?.(failure.error)
  }
  const onAbort = () => fail(abortError(signal as AbortSignal, 'local image write'))
  const closed = new Promise<void>((resolve) => sink.once('close', resolve))
  sink.on('error', fail)
  signal?.addEventListener('abort', onAbort, { once: true })
  /** `step`, unless a failure or an abort comes first. */
  const until = <T>(step: Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (failure) return reject(failure.error)
      interrupt = reject
      step.then(resolve, reject)
    })
  const iterator = source[Symbol.asyncIterator]()
  let drained = false
  try {
    if (signal?.aborted) onAbort()
    for (;;) {
      const next = await until(iterator.next())
      if (next.done) break
      if (!sink.write(next.value)) await until(new Promise((resolve) => sink.once('drain', resolve)))
    }
    drained = true
    sink.end()
    await until(closed)
    return sink.bytesWritten
  } catch (error) {
    sink.destroy()
    await closed
    throw error
  } finally {
    signal?.removeEventListener('abort', onAbort)
    sink.off('error', fail)
    // Tell an unfinished source to stop; it settles when the source gets to it, so it is not awaited.
    if (!drained) Promise.resolve(iterator.return?.()).catch(() => {})
  }
}

/** Flushes a file's data to disk. */
async function syncFile(file: string): Promise<void> {
  const handle = await open(file, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** Makes a rename in `dir` durable. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

function notFound(id: string): CloudError {
  return new CloudError('NOT_FOUND', `Image data ${id} could not be found`, {
    resource: { type: 'image data', id },
  })
}

/** NOT_FOUND for a file system error saying the file is not there. */
function missing(error: unknown, id: string): CloudError | undefined {
  const code = errorCode(error)
  return code === 'ENOENT' || code === 'EISDIR' ? notFound(id) : undefined
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined
}
