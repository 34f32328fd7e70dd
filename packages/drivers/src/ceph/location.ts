/** Where image data lives in Ceph: an RBD image's snapshot in a pool of one cluster. */
export interface RbdLocation {
  /** The cluster's fsid. */
  fsid: string
  pool: string
  image: string
  snapshot: string
}

/**
 * The url of a location, as Glance's rbd store writes it: `rbd://<fsid>/<pool>/<image>/<snapshot>`, each part
 * percent-encoded. Nova and Cinder parse the same form to clone from the snapshot.
 */
export function formatRbdUrl(location: RbdLocation): string {
  const { fsid, pool, image, snapshot } = location
  return `rbd://${[fsid, pool, image, snapshot].map(encodeURIComponent).join('/')}`
}

/** The location an `rbd://` url names, or undefined when `url` is not one of that form. */
export function parseRbdUrl(url: string): RbdLocation | undefined {
  if (typeof url !== 'string' || !url.startsWith('rbd://')) return undefined
  const parts = url.slice('rbd://'.length).split('/')
  if (parts.length !== 4) return undefined
  try {
    const [fsid, pool, image, snapshot] = parts.map(decodeURIComponent) as [string, string, string, string]
    if (![fsid, pool, image, snapshot].every(isRbdName)) return undefined
    return { fsid: fsid.toLowerCase(), pool, image, snapshot }
  } catch {
    return undefined // malformed percent-encoding
  }
}

/** A pool, image or snapshot name rbd takes as one part of `pool/image@snap`. */
export function isRbdName(name: string): boolean {
  return typeof name === 'string' && name.length > 0 && name.length <= 255 && !/[/@\s\0]/.test(name)
}
