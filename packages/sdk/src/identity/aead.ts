import {
  createCipheriv,
  createDecipheriv,
  createSecretKey,
  type KeyObject,
  randomFillSync,
} from 'node:crypto'

// AES-256-GCM envelopes shared by tokens and sealed credential blobs:
//
//   base64url( version (1) | key id (4, big-endian) | iv (12) | ciphertext | tag (16) )
//
// The version byte and key id travel in clear (the reader needs them to pick a key) but are authenticated as
// associated data, together with a per-use context label: a sealed credential blob can never be replayed as a
// token, even when both were sealed with the same key.

const HEADER_BYTES = 5
const IV_BYTES = 12
const TAG_BYTES = 16
const BODY_START = HEADER_BYTES + IV_BYTES

/** Bytes an envelope adds to its plaintext: header, IV and tag. */
export const AEAD_OVERHEAD = BODY_START + TAG_BYTES

/** Length in bytes of an AES-256 key. */
export const AEAD_KEY_BYTES = 32

/** A 256-bit AES key with the id written into every envelope it seals. */
export interface AeadKey {
  /** Unsigned 32-bit id, in clear in the envelope so readers can pick the key. */
  readonly id: number
  /** The key, imported once: `createCipheriv` with a KeyObject skips re-importing raw bytes on every call. */
  readonly key: KeyObject
}

/** Finds the key an envelope names; a keyring implements it. */
export interface AeadKeySource {
  /** The key with this id, or undefined when it is unknown (never used, or pruned). */
  find(id: number): AeadKey | undefined
}

/** Which kind of envelope: its version byte, its associated-data label, and a sanity bound on its length. */
export interface AeadFormat {
  /** First byte of every envelope of this kind. */
  readonly version: number
  /** Authenticated with the header, so envelopes of different kinds are never interchangeable. */
  readonly context: Buffer
  /** Longer strings are rejected before decoding, so a huge header cannot cost much. */
  readonly maxChars: number
}

/** Declares an envelope kind; see {@link AeadFormat}. */
export function aeadFormat(version: number, context: string, maxChars: number): AeadFormat {
  if (!Number.isInteger(version) || version < 0 || version > 0xff)
    throw new RangeError('version must be a byte')
  // Room for the 5 header bytes after the label, reused by every seal and open (JS runs them one at a time).
  const aad = Buffer.concat([Buffer.from(context, 'latin1'), Buffer.alloc(HEADER_BYTES)])
  return Object.freeze({ version, context: aad, maxChars })
}

/** Imports a 32-byte secret as an {@link AeadKey} with the given unsigned 32-bit id. */
export function aeadKey(id: number, secret: Uint8Array): AeadKey {
  if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) throw new RangeError('key id must be a uint32')
  if (secret.length !== AEAD_KEY_BYTES) throw new RangeError(`key secret must be ${AEAD_KEY_BYTES} bytes`)
  return Object.freeze({ id, key: createSecretKey(secret) })
}

function associatedData(format: AeadFormat, header: Buffer): Buffer {
  header.copy(format.context, format.context.length - HEADER_BYTES, 0, HEADER_BYTES)
  return format.context
}

/** Encrypts and authenticates `plaintext` with `key`; returns the base64url envelope. */
export function seal(format: AeadFormat, key: AeadKey, plaintext: Uint8Array): string {
  const out = Buffer.allocUnsafe(AEAD_OVERHEAD + plaintext.length)
  out[0] = format.version
  out.writeUInt32BE(key.id, 1)
  // A random 96-bit IV per message: safe for far more messages than one key seals before rotation.
  randomFillSync(out, HEADER_BYTES, IV_BYTES)
  const cipher = createCipheriv('aes-256-gcm', key.key, out.subarray(HEADER_BYTES, BODY_START), {
    authTagLength: TAG_BYTES,
  })
  cipher.setAAD(associatedData(format, out))
  const written = cipher.update(plaintext).copy(out, BODY_START)
  cipher.final()
  cipher.getAuthTag().copy(out, BODY_START + written)
  return out.toString('base64url')
}

/**
 * Decrypts an envelope of `format` with the key it names. Returns undefined — never throws — for anything but an
 * intact envelope sealed by a known key: wrong length, non-canonical base64url, other version, unknown key,
 * altered byte.
 */
export function open(format: AeadFormat, keys: AeadKeySource, sealed: string): Buffer | undefined {
  if (typeof sealed !== 'string' || sealed.length > format.maxChars) return undefined
  const raw = Buffer.from(sealed, 'base64url')
  if (raw.length < AEAD_OVERHEAD || raw[0] !== format.version) return undefined
  // Node's decoder skips stray characters and ignores the spare low bits of the last one; demanding the
  // canonical spelling means one token has exactly one string form (revocation lists and caches rely on it).
  if (raw.toString('base64url') !== sealed) return undefined
  const key = keys.find(raw.readUInt32BE(1))
  if (!key) return undefined
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.key, raw.subarray(HEADER_BYTES, BODY_START), {
      authTagLength: TAG_BYTES,
    })
    decipher.setAAD(associatedData(format, raw))
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES))
    const plaintext = decipher.update(raw.subarray(BODY_START, raw.length - TAG_BYTES))
    decipher.final() // throws when the tag does not match: altered data or another key
    return plaintext
  } catch {
    return undefined
  }
}

/** The key id an envelope names, without decrypting it (to tell when a stored blob should be re-sealed). */
export function sealedKeyId(format: AeadFormat, sealed: string): number | undefined {
  if (typeof sealed !== 'string' || sealed.length > format.maxChars) return undefined
  const raw = Buffer.from(sealed, 'base64url')
  if (raw.length < AEAD_OVERHEAD || raw[0] !== format.version) return undefined
  return raw.readUInt32BE(1)
}
