import { CloudError } from '@nubis/sdk'
import { IMAGE_FIELDS } from './image-input.js'
import type { PatchOp } from './patch.js'
import type { Image, ImageUpdate } from './sdk-types.js'

// Glance applies a PATCH's operations one after the other to the image in memory and saves once, so a failing
// operation leaves the image untouched. Here they are applied to the image's attributes as Glance names them,
// and the result becomes one `updateImage` call carrying only what changed.

// The base attributes a PATCH may change (the read-only ones were refused when the body was parsed).
const SETTABLE = Object.keys(IMAGE_FIELDS).filter((key) => key !== 'id')

/** The settable attributes of `image`, by Glance's names. */
function baseOf(image: Image): Record<string, unknown> {
  return {
    name: image.name,
    visibility: image.visibility,
    protected: image.protected,
    os_hidden: image.hidden,
    disk_format: image.diskFormat,
    container_format: image.containerFormat,
    min_disk: image.minDisk,
    min_ram: image.minRam,
    tags: image.tags,
    owner: image.owner,
  }
}

const conflict = (message: string, key: string) =>
  new CloudError('CONFLICT', message, { details: { path: key } })

/** True when two attribute values are the same (tags compare as sets, since Glance keeps them unordered). */
function same(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && [...a].sort().join('\0') === [...b].sort().join('\0')
  }
  return a === b
}

/**
 * The update that `ops` make to `image`, or undefined when they change nothing. `draft` 4 is the v2.0 media type,
 * whose `add` of an existing attribute is a conflict.
 *
 * @throws CloudError CONFLICT for a `replace` or `remove` of a missing custom property, FORBIDDEN for a `remove`
 *   of a base attribute, INVALID for a value the SDK refuses.
 */
export function applyPatch(image: Image, ops: readonly PatchOp[], draft: 4 | 10): ImageUpdate | undefined {
  const before = baseOf(image)
  const base = { ...before }
  const properties: Record<string, string> = { ...image.properties }
  for (const { op, key, value } of ops) {
    const isBase = SETTABLE.includes(key)
    const exists = isBase || Object.hasOwn(properties, key)
    if (op === 'remove') {
      if (isBase)
        throw new CloudError('FORBIDDEN', `Property ${key} may not be removed.`, { details: { path: key } })
      if (!exists) throw conflict(`Property ${key} does not exist.`, key)
      delete properties[key]
    } else {
      if (op === 'replace' && !exists) throw conflict(`Property ${key} does not exist.`, key)
      if (op === 'add' && draft === 4 && exists) throw conflict(`Property ${key} already present.`, key)
      if (isBase) base[key] = value
      else properties[key] = value as string
    }
  }
  const update: Record<string, unknown> = {}
  for (const key of SETTABLE) {
    if (!same(base[key], before[key])) update[IMAGE_FIELDS[key]!] = base[key]
  }
  const changed: Record<string, string | null> = {}
  for (const [key, value] of Object.entries(properties)) {
    if (image.properties[key] !== value) changed[key] = value
  }
  for (const key of Object.keys(image.properties)) if (!Object.hasOwn(properties, key)) changed[key] = null
  if (Object.keys(changed).length > 0) update.properties = changed
  if (Object.keys(update).length === 0) return undefined
  return update as ImageUpdate
}
