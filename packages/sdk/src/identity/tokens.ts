import { randomBytes } from 'node:crypto'
import { z } from 'zod'
import { CloudError, parseOrThrow } from '../core/errors.js'
import { type AeadKey, type AeadKeySource, aeadFormat, open, seal } from './aead.js'

// A token is an AES-256-GCM envelope (see aead.ts) around a packed payload. Nothing about a token is stored:
// validating one costs a decryption, and revocation is checked by the caller against revocation events.

// The length bound fits the largest payload the schema admits (about 4.7 KB packed); real tokens are ~130 chars.
const TOKEN_FORMAT = aeadFormat(1, 'nubis/token', 8192)

// One check per field (a plain regex for strings, one function for times, one for the whole object): zod's cost
// grows with the number of checks, and decoding runs on every request. Lone surrogates, which UTF-8 cannot
// carry, are refused when packing (decoded UTF-8 never has them).
function printable(max: number) {
  const pattern = new RegExp(`^[^\\x00-\\x1f\\x7f-\\x9f]{1,${max}}$`)
  return z.string().regex(pattern, { message: `must be 1 to ${max} printable characters` })
}
const refSchema = printable(255)
const methodSchema = printable(64)
const AUDIT_ID = /^[A-Za-z0-9_-]{21}[AQgw]$/ // the canonical base64url of 16 bytes
const auditIdSchema = z.string().regex(AUDIT_ID, { message: 'must be 16 bytes in base64url' })
const MAX_MS = 2 ** 48 - 1 // packed in 6 bytes
const msSchema = z
  .number()
  .refine((n) => Number.isInteger(n) && n >= 0 && n <= MAX_MS, { message: 'must be a uint48' })

/**
 * What a token carries, with one-letter keys as it is packed: `u` user id, `m` authentication methods, at most one
 * scope of `p` project id, `d` domain id or `s: 1` (system `all`), `a` audit id, `pa` the audit id of the token it
 * was rescoped from, `iat`/`exp` issue and expiry times in epoch milliseconds, `ac` application credential id.
 */
export const TokenPayloadSchema = z
  .strictObject({
    u: refSchema,
    m: z.array(methodSchema).min(1).max(8),
    p: refSchema.optional(),
    d: refSchema.optional(),
    s: z.literal(1).optional(),
    a: auditIdSchema,
    pa: auditIdSchema.optional(),
    iat: msSchema,
    exp: msSchema,
    ac: refSchema.optional(),
  })
  .superRefine((t, ctx) => {
    if (Number(t.p !== undefined) + Number(t.d !== undefined) + Number(t.s !== undefined) > 1)
      ctx.addIssue({ code: 'custom', message: 'a token has at most one scope' })
    if (t.exp < t.iat)
      ctx.addIssue({ code: 'custom', message: 'expires before it was issued', path: ['exp'] })
  })

/** The payload of a token; see {@link TokenPayloadSchema}. */
export type TokenPayload = z.output<typeof TokenPayloadSchema>

/** A new audit id: 16 random bytes in base64url (22 characters), as Keystone makes them. */
export function newAuditId(): string {
  return randomBytes(16).toString('base64url')
}

/** Seals `payload` with `key` (the keyring's primary) into a token string. Throws INVALID on a bad payload. */
export function encodeToken(payload: TokenPayload, key: AeadKey): string {
  return seal(TOKEN_FORMAT, key, pack(parseOrThrow(TokenPayloadSchema, payload, 'token payload')))
}

/**
 * The payload of `token`, or undefined for anything that is not an intact token sealed by a key of `keys`:
 * garbage, truncated or altered text, an unknown or pruned key, a payload that fails the schema. Never throws.
 * Expiry and revocation are the caller's to check.
 */
export function decodeToken(token: string, keys: AeadKeySource): TokenPayload | undefined {
  const packed = open(TOKEN_FORMAT, keys, token)
  if (!packed) return undefined
  let unpacked: unknown
  try {
    unpacked = unpack(packed)
  } catch {
    return undefined
  }
  const result = TokenPayloadSchema.safeParse(unpacked)
  return result.success ? result.data : undefined
}

// Packed layout: flags (1) | iat (6) | exp (6) | a (16) | pa (16)? | u | method count (1) | methods | p? d? ac?
// Ids are UUIDs nearly always; packing them as 16 bytes instead of 32–36 characters keeps a project-scoped token
// near 130 characters (Keystone's Fernet payloads pack UUIDs to bytes the same way). Other strings are tagged.
const FLAG_P = 1
const FLAG_D = 2
const FLAG_S = 4
const FLAG_PA = 8
const FLAG_AC = 16
const DASHED = 0
const HEX = 1
const WORD = 2
const TEXT = 3
// Frequent strings, packed as their index. Append only: indexes live inside tokens already issued.
const WORDS = ['password', 'token', 'application_credential', 'totp', 'external', 'default']
const WORD_INDEX = new Map(WORDS.map((word, index) => [word, index]))
const DASHED_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const HEX_UUID = /^[0-9a-f]{32}$/
const LONE_SURROGATE = /\p{Cs}/u

// Packing happens synchronously into one buffer, large enough for the longest payload the schema admits.
const scratch = Buffer.allocUnsafe(8192)

function writeString(at: number, value: string): number {
  const word = WORD_INDEX.get(value)
  if (word !== undefined) {
    scratch[at] = WORD
    scratch[at + 1] = word
    return at + 2
  }
  const hex = HEX_UUID.test(value) ? value : DASHED_UUID.test(value) ? value.replaceAll('-', '') : undefined
  if (hex !== undefined) {
    scratch[at] = hex === value ? HEX : DASHED
    scratch.write(hex, at + 1, 'hex')
    return at + 17
  }
  if (LONE_SURROGATE.test(value))
    throw new CloudError('INVALID', 'Invalid token payload: not well-formed text')
  scratch[at] = TEXT
  const length = scratch.write(value, at + 3, 'utf8')
  scratch.writeUInt16BE(length, at + 1)
  return at + 3 + length
}

function pack(t: TokenPayload): Buffer {
  const flags =
    (t.p === undefined ? 0 : FLAG_P) |
    (t.d === undefined ? 0 : FLAG_D) |
    (t.s === undefined ? 0 : FLAG_S) |
    (t.pa === undefined ? 0 : FLAG_PA) |
    (t.ac === undefined ? 0 : FLAG_AC)
  scratch[0] = flags
  scratch.writeUIntBE(t.iat, 1, 6)
  scratch.writeUIntBE(t.exp, 7, 6)
  scratch.write(t.a, 13, 'base64url')
  let at = 29
  if (t.pa !== undefined) at += scratch.write(t.pa, at, 'base64url')
  at = writeString(at, t.u)
  scratch[at++] = t.m.length
  for (const method of t.m) at = writeString(at, method)
  if (t.p !== undefined) at = writeString(at, t.p)
  if (t.d !== undefined) at = writeString(at, t.d)
  if (t.ac !== undefined) at = writeString(at, t.ac)
  return scratch.subarray(0, at)
}

// Reads a packed payload, throwing on any inconsistency (decodeToken turns that into undefined). The cursor is
// module state rather than closures: decoding is synchronous, and this is the hot path of every API request.
let input: Buffer = Buffer.alloc(0)
let cursor = 0

function take(n: number): number {
  if (cursor + n > input.length) throw new RangeError('truncated payload')
  cursor += n
  return cursor - n
}

function readString(): string {
  const tag = input[take(1)]
  if (tag === WORD) {
    const word = WORDS[input[take(1)] ?? -1]
    if (word === undefined) throw new RangeError('unknown word')
    return word
  }
  if (tag === HEX || tag === DASHED) {
    const hex = input.toString('hex', take(16), cursor)
    if (tag === HEX) return hex
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
  }
  if (tag !== TEXT) throw new RangeError('unknown string tag')
  const length = input.readUInt16BE(take(2))
  return input.toString('utf8', take(length), cursor)
}

function unpack(buf: Buffer): Record<string, unknown> {
  input = buf
  cursor = 0
  const flags = input[take(1)] ?? 0
  if (flags & ~(FLAG_P | FLAG_D | FLAG_S | FLAG_PA | FLAG_AC)) throw new RangeError('unknown flags')
  const t: Record<string, unknown> = { iat: input.readUIntBE(take(6), 6), exp: input.readUIntBE(take(6), 6) }
  t.a = input.toString('base64url', take(16), cursor)
  if (flags & FLAG_PA) t.pa = input.toString('base64url', take(16), cursor)
  t.u = readString()
  const methods: string[] = []
  for (let count = input[take(1)] ?? 0; count > 0; count--) methods.push(readString())
  t.m = methods
  if (flags & FLAG_P) t.p = readString()
  if (flags & FLAG_D) t.d = readString()
  if (flags & FLAG_S) t.s = 1
  if (flags & FLAG_AC) t.ac = readString()
  if (cursor !== input.length) throw new RangeError('trailing bytes')
  return t
}
