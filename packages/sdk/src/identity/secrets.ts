import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { type AeadKey, type AeadKeySource, aeadFormat, open, seal, sealedKeyId } from './aead.js'
import type { PasswordHasher } from './passwords.js'

// Two kinds of stored secrets. Application-credential secrets are only ever compared, so they are hashed.
// EC2/S3 credential secrets must be recovered to check request signatures, so their blobs are encrypted.

const SECRET_BYTES = 32
const SALT_BYTES = 16
const SHA256_PREFIX = '$sha256$'

/** A new random secret: 32 bytes in base64url, 43 characters. */
export function generateSecret(): string {
  return randomBytes(SECRET_BYTES).toString('base64url')
}

/** Options of {@link hashSecret}. */
export interface HashSecretOptions {
  /** Hashes user-chosen secrets. */
  hasher: PasswordHasher
  /**
   * True when the secret came from {@link generateSecret}. Such a secret has 256 bits of entropy, so a salted
   * SHA-256 (microseconds, where argon2id costs tens of milliseconds and megabytes per check) is as safe as
   * argon2id: no amount of guessing finds it. A secret a user chose may be weak and gets argon2id.
   */
  generated?: boolean
}

/** The stored form of `secret`: `$sha256$<salt>$<hash>` for generated secrets, an argon2id PHC string otherwise. */
export async function hashSecret(secret: string, options: HashSecretOptions): Promise<string> {
  if (!options.generated) return options.hasher.hash(secret)
  const salt = randomBytes(SALT_BYTES)
  return `${SHA256_PREFIX}${salt.toString('base64url')}$${sha256(salt, secret).toString('base64url')}`
}

/**
 * Whether `secret` matches `stored` (from {@link hashSecret}), dispatching on its prefix. False — never an
 * exception — for a malformed or unknown stored form. Comparisons take constant time.
 */
export async function verifySecret(stored: string, secret: string, hasher: PasswordHasher): Promise<boolean> {
  if (typeof stored !== 'string' || typeof secret !== 'string') return false
  if (!stored.startsWith(SHA256_PREFIX)) return hasher.verify(stored, secret)
  const [salt, digest, ...rest] = stored.slice(SHA256_PREFIX.length).split('$')
  if (salt === undefined || digest === undefined || rest.length > 0) return false
  const expected = Buffer.from(digest, 'base64url')
  const actual = sha256(Buffer.from(salt, 'base64url'), secret)
  // timingSafeEqual throws on a length mismatch; only a corrupt row has one, and it is simply no match.
  return expected.length === actual.length && timingSafeEqual(expected, actual)
}

function sha256(salt: Buffer, secret: string): Buffer {
  return createHash('sha256').update(salt).update(secret, 'utf8').digest()
}

// Sealed blobs share the token envelope but not its label: neither can be passed off as the other.
const BLOB_FORMAT = aeadFormat(1, 'nubis/credential-blob', 262_144)

/**
 * Encrypts a credential blob (the JSON of an EC2 access/secret pair, say) for storage with `key`, the primary of
 * the credential keyring. Use a keyring of its own (a `TokenKeyring` under another settings key) and never prune
 * a key before re-sealing what it sealed: unlike a token, a blob sealed with a pruned key is lost.
 */
export function sealBlob(plaintext: string, key: AeadKey): string {
  return seal(BLOB_FORMAT, key, Buffer.from(plaintext, 'utf8'))
}

/** The plaintext of a blob from {@link sealBlob}, or undefined if it is altered or its key is unknown. */
export function openBlob(sealed: string, keyring: AeadKeySource): string | undefined {
  return open(BLOB_FORMAT, keyring, sealed)?.toString('utf8')
}

/** The id of the key a sealed blob names, so blobs not sealed by the current primary can be re-sealed. */
export function blobKeyId(sealed: string): number | undefined {
  return sealedKeyId(BLOB_FORMAT, sealed)
}
