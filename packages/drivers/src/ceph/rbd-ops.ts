import { CloudError } from '@nubis/sdk'
import type { CephCli } from './cli.js'
import type { RbdLocation } from './location.js'

/**
 * The metadata commands of the RBD image store, each a short `rbd` call through the local Transport.
 * Mutating ones get no abort signal: killing rbd mid-way leaves its watch on the image for 30 s, during which
 * the image cannot be removed. Each is bounded by the driver's `timeoutMs` all the same.
 */
export function rbdImageOps(cli: CephCli, pool: string, driver: string) {
  const spec = (image: string) => `${pool}/${image}`
  const resource = (image: string) => ({ type: 'image data', id: image })

  return {
    /** Bytes of the data at `location` (its snapshot's size). */
    async size(location: RbdLocation, signal: AbortSignal | undefined): Promise<number> {
      const { stdout } = await cli.exec(
        'rbd',
        ['info', '--format', 'json', `${location.pool}/${location.image}@${location.snapshot}`],
        { what: `find image data ${location.image}`, resource: resource(location.image) },
        { signal },
      )
      const size = (JSON.parse(stdout) as { size?: unknown }).size
      if (typeof size !== 'number') throw new CloudError('DRIVER_FAILED', `rbd info gave no size: ${stdout}`)
      return size
    },

    /** Takes and protects the snapshot clones are made from. */
    async snapshot(image: string, snapshot: string): Promise<void> {
      const context = { what: `snapshot image data ${image}`, resource: resource(image) }
      await cli.exec('rbd', ['snap', 'create', '--no-progress', `${spec(image)}@${snapshot}`], context)
      await cli.exec('rbd', ['snap', 'protect', `${spec(image)}@${snapshot}`], context)
    },

    /**
     * Renames the complete `partial` image to `image`. Data already there is replaced: removed first, unless
     * it has clones (`CONFLICT`, and the old data stays).
     */
    async place(partial: string, image: string, snapshot: string): Promise<void> {
      const context = { what: `rename image data ${partial} to ${image}`, resource: resource(image) }
      const rename = () => cli.exec('rbd', ['rename', spec(partial), spec(image)], context, { okCodes: [17] })
      if ((await rename()).exitCode === 0) return
      await this.remove(image, snapshot)
      if ((await rename()).exitCode === 0) return
      throw new CloudError('CONFLICT', `Image data ${image} was written again while this write replaced it`, {
        resource: resource(image),
        driver,
      })
    },

    /** Removes an image and its snapshots; a missing one is fine, one with clones is `CONFLICT`. */
    async remove(image: string, snapshot: string): Promise<void> {
      const what = `delete image data ${image}`
      const unprotect = await cli.exec(
        'rbd',
        ['snap', 'unprotect', `${spec(image)}@${snapshot}`],
        {
          what,
          resource: resource(image),
          busy: `Image data ${image} is in use by clones of ${spec(image)}@${snapshot}`,
        },
        // 2: no such image (or pool, or snapshot); 22: the snapshot is not protected.
        { okCodes: [2, 22] },
      )
      if (unprotect.exitCode === 2 && /error opening (image|pool)/.test(unprotect.stderr)) return
      // `snap purge` exits 0 even when it skips a protected snapshot (someone else's): `rm` then says 39.
      const purge = await cli.exec(
        'rbd',
        ['snap', 'purge', '--no-progress', spec(image)],
        { what },
        { okCodes: [2] },
      )
      if (purge.exitCode === 2) return
      await this.removeBare(image)
    },

    /** Removes an image that has no snapshots (a partial import). */
    async removeBare(image: string): Promise<void> {
      await cli.exec(
        'rbd',
        ['rm', '--no-progress', spec(image)],
        {
          what: `delete image data ${image}`,
          resource: resource(image),
          busy: `Image data ${image} is open by another client (a crashed one lets go within 30 s)`,
          busyRetryable: true,
        },
        { okCodes: [2] },
      )
    },

    /** Names of the images in the pool. */
    async list(signal: AbortSignal | undefined): Promise<string[]> {
      const { stdout } = await cli.exec(
        'rbd',
        ['ls', '--format', 'json', pool],
        { what: `list the images of pool ${pool}`, onMissing: poolMissing(pool, driver) },
        { signal },
      )
      return JSON.parse(stdout) as string[]
    },

    /** Resolves when the cluster answers and the pool exists: a cheap read of the pool. */
    async probe(signal: AbortSignal | undefined): Promise<void> {
      await cli.exec(
        'rbd',
        ['namespace', 'ls', '--format', 'json', pool],
        { what: `reach pool ${pool}`, onMissing: poolMissing(pool, driver) },
        { signal },
      )
    },
  }
}

function poolMissing(pool: string, driver: string) {
  return (message: string) =>
    new CloudError('UNAVAILABLE', `${message}: the pool ${pool} does not exist`, { retryable: false, driver })
}
