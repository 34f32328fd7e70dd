import { CloudError } from '@nubis/sdk'
import { checkWritable } from './image-input.js'
import { imageProperties } from './image-schemas.js'
import { violation } from './schema-check.js'

// Glance's PATCH: a JSON array of operations on one attribute each, in one of two media types. `v2.1` is JSON
// patch proper (`{"op": "add", "path": "/name", "value": …}`); `v2.0` is an older draft
// (`{"add": "/name", "value": …}`) whose `add` refuses an attribute that exists. Operations are checked here, as
// Glance's deserializer does before it looks the image up.

/** The media types of Glance's PATCH, and the JSON-schema draft each follows. */
export const PATCH_MEDIA_TYPES: Readonly<Record<string, 4 | 10>> = {
  'application/openstack-images-v2.0-json-patch': 4,
  'application/openstack-images-v2.1-json-patch': 10,
}

/** One operation, its pointer decoded to the attribute it names. */
export interface PatchOp {
  op: 'add' | 'replace' | 'remove'
  /** The attribute (`name`, `tags`, a custom property). */
  key: string
  value?: unknown
}

const OPS = ['add', 'remove', 'replace'] as const
const bad = (message: string) => new CloudError('INVALID', message)

/** The operation and pointer of one change, per the media type's draft. */
function opAndPath(change: Record<string, unknown>, draft: 4 | 10): { op: PatchOp['op']; path: unknown } {
  if (draft === 10) {
    const op = change.op
    if (op === undefined) {
      throw bad(
        `Unable to find \`op\` in JSON Schema change. It must be one of the following: ${OPS.join(', ')}.`,
      )
    }
    if (!OPS.includes(op as PatchOp['op'])) {
      throw bad(`Invalid operation: \`${String(op)}\`. It must be one of the following: ${OPS.join(', ')}.`)
    }
    if (!('path' in change)) throw bad("Unable to find 'path' in JSON Schema change")
    return { op: op as PatchOp['op'], path: change.path }
  }
  const named = OPS.filter((op) => op in change)
  if (named.length !== 1) {
    throw bad(
      named.length === 0
        ? 'Operation objects must contain exactly one member named "add", "remove", or "replace".'
        : 'Operation objects must contain only one member named "add", "remove", or "replace".',
    )
  }
  return { op: named[0]!, path: change[named[0]!] }
}

/** The tokens of a JSON pointer, after Glance's checks of its form. */
function decodePointer(pointer: unknown): string[] {
  const text = typeof pointer === 'string' ? pointer : String(pointer)
  if (!text.startsWith('/')) throw bad(`Pointer \`${text}\` does not start with "/".`)
  if (/\/\s*?\//.test(text.slice(1))) throw bad(`Pointer \`${text}\` contains adjacent "/".`)
  if (text.length > 1 && text.endsWith('/')) throw bad(`Pointer \`${text}\` end with "/".`)
  if (text.slice(1).trim() === '/') throw bad(`Pointer \`${text}\` does not contains valid token.`)
  if (/~[^01]/.test(text) || text.endsWith('~')) {
    throw bad(`Pointer \`${text}\` contains "~" not part of a recognized escape sequence.`)
  }
  return text
    .replace(/^\/+/, '')
    .split('/')
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~').trim())
}

// Locations are hidden in this cloud, as in Glance's default configuration, which then refuses to edit them.
const LOCATION_VERBS = { add: 'add', replace: 'update', remove: 'remove' } as const

/** Checks one decoded operation as Glance's `_validate_path` and `_validate_change` do. */
function checkOp(op: PatchOp['op'], path: string[], value: unknown): void {
  const [key = ''] = path
  if (key === 'locations') {
    if (path.length > (op === 'replace' ? 1 : 2)) {
      throw bad(`Invalid JSON pointer for this resource: '/${path.join('/')}'`)
    }
    throw new CloudError(
      'FORBIDDEN',
      `It's not allowed to ${LOCATION_VERBS[op]} locations if locations are invisible.`,
    )
  }
  if (path.length !== 1) throw bad(`Invalid JSON pointer for this resource: '/${path.join('/')}'`)
  checkWritable(key)
  if (op === 'remove') return
  const properties = imageProperties()
  const property = Object.hasOwn(properties, key) ? properties[key]! : { type: 'string' }
  const reason = violation(property, value)
  if (reason !== undefined) throw bad(`Provided object does not match schema 'image': ${reason}`)
}

/**
 * The operations of a PATCH body in `draft`'s form, each checked: a malformed body or pointer is INVALID (400), a
 * read-only or reserved attribute FORBIDDEN (403), as Glance answers.
 */
export function parsePatch(body: unknown, draft: 4 | 10): PatchOp[] {
  if (body === undefined) throw bad('Body expected in request.')
  if (!Array.isArray(body)) throw bad('Request body must be a JSON array of operation objects.')
  return body.map((change: unknown): PatchOp => {
    if (change === null || typeof change !== 'object' || Array.isArray(change)) {
      throw bad('Operations must be JSON objects.')
    }
    const raw = change as Record<string, unknown>
    const { op, path } = opAndPath(raw, draft)
    const tokens = decodePointer(path)
    if (op !== 'remove' && !('value' in raw)) throw bad(`Operation "${op}" requires a member named "value".`)
    checkOp(op, tokens, raw.value)
    return op === 'remove' ? { op, key: tokens[0]! } : { op, key: tokens[0]!, value: raw.value }
  })
}
