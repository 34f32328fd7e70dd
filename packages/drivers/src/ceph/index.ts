/**
 * Ceph back ends for Nubis, driven through the Ceph command-line tools (`rbd`, `ceph`) with argv arrays:
 * `ceph.rbdImages`, an image store of RBD images with protected snapshots that volumes and servers clone.
 *
 * @example
 * import { ceph } from '@nubis/drivers/ceph'
 * const images = ceph.rbdImages({ pool: 'images', user: 'glance' })
 * const cloud = await createCloud({ store, image: { stores: { ceph: images } } })
 *
 * @packageDocumentation
 */
import { rbdImageStore } from './rbd-images.js'

export type { CephClientOptions } from './cli.js'
export { formatRbdUrl, parseRbdUrl, type RbdLocation } from './location.js'
export { type RbdImageStoreOptions, rbdImageStore } from './rbd-images.js'

/** The Ceph drivers by role: `ceph.rbdImages(options)` is {@link rbdImageStore}. */
export const ceph = {
  /** An image store of RBD images; see {@link rbdImageStore}. */
  rbdImages: rbdImageStore,
} as const
