import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import {
  CloudError,
  checkReadRange,
  checkStoreImageId,
  type DiscardOptions,
  type Driver,
  defineDriver,
  type ImageStoreDriver,
  isCloudError,
  type StoreCallOptions,
  type StoredData,
  type StoreReadOptions,
  type StoreWriteOptions,
  throwIfAborted,
} from '@nubis/sdk'
import { type CephClientOptions, cephCli, fsidFromConf } from './cli.js'
import { formatRbdUrl, isRbdName, parseRbdUrl, type RbdLocation } from './location.js'
import { rbdImageOps } from './rbd-ops.js'
import { rbdExport, rbdImport } from './rbd-stream.js'

/** Options of {@link rbdImageStore}. */
export interface RbdImageStoreOptions extends CephClientOptions {
  /** The pool holding the images, e.g. `images`; it must exist (`ceph osd pool create` + `rbd pool init`). */
  pool: string
  /** Name of the protected snapshot each image gets, which clones are made from; default `snap`. */
  snapshot?: string
  /** The cluster's fsid, for urls, when the conf does not name it; else read from the conf or asked once. */
  fsid?: string
}

/** Image ids this store accepts: they become RBD image names. */
const IMAGE_ID = /^[A-Za-z0-9_-]{1,64}$/
/** Marks the names of writes in progress: `<imageId>.partial-<random>`, never a valid image id. */
const PARTIAL = '.partial-'

/**
 * An image store keeping each image as an RBD image in a Ceph pool (`kind: 'image-store'`, name `ceph-rbd`),
 * as Glance's rbd store does: the image is named by the image id and has a protected snapshot, so volumes and
 * servers can clone it copy-on-write (`cowClone`); the url is `rbd://<fsid>/<pool>/<imageId>/<snapshot>`.
 * Raw data clones best (`prefersRaw`). Reads stream `rbd export` of the snapshot; a range is cut from the
 * stream (no `rangeRead`).
 *
 * A write streams into `rbd import` of `<imageId>.partial-<random>`, snapshots and protects it, then renames
 * it to `<imageId>`: the image appears whole or not at all. A failed or aborted write removes the partial
 * image; one cut short by a crash (or whose cluster became unreachable) leaves it until
 * `discardPartial(imageId)`. Writing an id again replaces its data at the same url, unless the old data has
 * clones (`CONFLICT`). Deleting data that has clones is `CONFLICT` and leaves it whole.
 *
 * The Ceph tools are run with argv arrays (never a shell) and time bounds, so an unreachable cluster is
 * `UNAVAILABLE` (retryable) within seconds. Mutating commands are never killed on abort — a killed rbd
 * keeps its watch on the image for 30 s, blocking its removal — the driver checks the signal between them.
 *
 * @example
 * const images = rbdImageStore({ pool: 'images', conf: '/etc/ceph/ceph.conf', user: 'glance' })
 * const { url } = await images.write(imageId, request.body, { signal })
 */
export function rbdImageStore(options: RbdImageStoreOptions): Driver<ImageStoreDriver> {
  const pool = options?.pool
  const snapshot = options?.snapshot ?? 'snap'
  if (!isRbdName(pool)) throw invalidOption('pool', 'rbdImageStore needs a pool name (options.pool)')
  if (!isRbdName(snapshot))
    throw invalidOption('snapshot', `Invalid snapshot name ${JSON.stringify(snapshot)}`)
  const name = 'ceph-rbd'
  const cli = cephCli(options, name)
  const ops = rbdImageOps(cli, pool, name)
  const graceMs = options.timeoutMs ?? 30_000

  let fsid = options.fsid?.toLowerCase() ?? fsidFromConf(cli.confPath)
  let fsidLookup: Promise<string> | undefined
  /** The cluster's fsid: from the options or conf, else asked of the cluster once (shared by callers). */
  const clusterFsid = async (): Promise<string> => {
    if (fsid) return fsid
    fsidLookup ??= cli
      .exec('ceph', ['fsid', '--format', 'json'], { what: 'read the cluster fsid' })
      .then((result) => {
        fsid = String((JSON.parse(result.stdout) as { fsid: string }).fsid).toLowerCase()
        return fsid
      })
      .finally(() => {
        fsidLookup = undefined
      })
    return fsidLookup
  }
  /** The location of a url of this store; INVALID for any other url. */
  const locate = async (url: string): Promise<RbdLocation> => {
    const location = parseRbdUrl(url)
    if (location && location.pool === pool && location.fsid === (await clusterFsid())) return location
    throw new CloudError('INVALID', `Not a location of the ceph-rbd image store of pool ${pool}: ${url}`, {
      details: { path: 'url' },
    })
  }

  /** Writes in progress, by partial image name; `ending` is set once a write fails or is aborted. */
  const writes = new Map<string, { imageId: string; ending?: Promise<void> }>()

  return defineDriver({
    kind: 'image-store',
    name,
    capabilities: { rangeRead: false, cowClone: true, prefersRaw: true },

    async write(
      imageId: string,
      source: AsyncIterable<Uint8Array>,
      { signal }: StoreWriteOptions = {},
    ): Promise<StoredData> {
      checkImageId(imageId)
      const clusterId = await clusterFsid()
      throwIfAborted(signal, 'rbd image write')
      const partial = `${imageId}${PARTIAL}${randomBytes(6).toString('hex')}`
      const resource = { type: 'image data', id: imageId }
      let settle = () => {}
      const entry: { imageId: string; ending?: Promise<void> } = { imageId }
      const ended = new Promise<void>((resolve) => {
        settle = resolve
      })
      const ending = () => {
        entry.ending = ended
      }
      writes.set(partial, entry)
      signal?.addEventListener('abort', ending, { once: true })
      const iterator = source[Symbol.asyncIterator]()
      let stage: 'import' | 'snapshot' | 'placed' = 'import'
      try {
        const size = await rbdImport(cli, `${pool}/${partial}`, iterator, {
          signal,
          graceMs,
          context: { what: `write image data ${imageId}`, resource, onMissing: missingPool(pool) },
          driver: name,
        })
        throwIfAborted(signal, 'rbd image write')
        stage = 'snapshot'
        await ops.snapshot(partial, snapshot)
        throwIfAborted(signal, 'rbd image write')
        await ops.place(partial, imageId, snapshot)
        stage = 'placed'
        // Aborted while the rename was on its way: the caller is told ABORTED, so nothing may stay.
        throwIfAborted(signal, 'rbd image write')
        return {
          url: formatRbdUrl({ fsid: clusterId, pool, image: imageId, snapshot }),
          size,
          metadata: { pool, image: imageId, snapshot },
        }
      } catch (error) {
        ending()
        // An unreachable cluster cannot be cleaned up now: discardPartial does it later.
        if (!isCloudError(error, 'UNAVAILABLE')) {
          const image = stage === 'placed' ? imageId : partial
          await (stage === 'import' ? ops.removeBare(image) : ops.remove(image, snapshot)).catch(() => {})
        }
        throw error
      } finally {
        signal?.removeEventListener('abort', ending)
        writes.delete(partial)
        settle()
        // Released last, so a source that has finished tells its owner the write's clean-up is done too.
        Promise.resolve()
          .then(() => iterator.return?.())
          .catch(() => {})
      }
    },

    async read(url: string, { offset = 0, length, signal }: StoreReadOptions = {}): Promise<Readable> {
      const location = await locate(url)
      checkReadRange(offset, length)
      if (length === 0) {
        await ops.size(location, signal)
        return Readable.from([])
      }
      const spec = `${location.pool}/${location.image}@${location.snapshot}`
      return rbdExport(cli, spec, {
        offset,
        length,
        signal,
        context: {
          what: `read image data ${location.image}`,
          resource: { type: 'image data', id: location.image },
        },
        driver: name,
      })
    },

    async stat(url: string, { signal }: StoreCallOptions = {}): Promise<{ size: number }> {
      return { size: await ops.size(await locate(url), signal) }
    },

    async delete(url: string, _options?: StoreCallOptions): Promise<void> {
      const location = await locate(url)
      await ops.remove(location.image, location.snapshot)
    },

    async discardPartial(imageId: string, { signal, complete }: DiscardOptions = {}): Promise<void> {
      checkImageId(imageId)
      // Writes of this process that are winding down remove their own partial image: wait for them.
      const winding = [...writes.values()].filter((write) => write.imageId === imageId && write.ending)
      await Promise.all(winding.map((write) => write.ending))
      for (const image of await ops.list(signal)) {
        const partial = image.startsWith(`${imageId}${PARTIAL}`) && !writes.has(image)
        if (partial || (complete && image === imageId)) await ops.remove(image, snapshot)
      }
    },

    async probe({ signal }: StoreCallOptions = {}): Promise<void> {
      await ops.probe(signal)
    },

    owns(url: string): boolean {
      const location = parseRbdUrl(url)
      // Until the fsid is known (it is once the conf named it or after the first call), the pool decides.
      return (
        location !== undefined && location.pool === pool && (fsid === undefined || location.fsid === fsid)
      )
    },
  })
}

function checkImageId(imageId: string): void {
  checkStoreImageId('ceph-rbd', IMAGE_ID, imageId)
}

/** A write into a pool that does not exist is a broken configuration, not missing data. */
function missingPool(pool: string) {
  return (message: string) =>
    new CloudError('DRIVER_FAILED', `${message}; does the pool ${pool} exist?`, { retryable: false })
}

function invalidOption(path: string, message: string): CloudError {
  return new CloudError('INVALID', message, { details: { path } })
}
