import { randomBytes, randomUUID } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isCloudError } from '../../src/core/errors.js'
import { type AeadKey, aeadFormat, aeadKey, seal } from '../../src/identity/aead.js'
import { sealBlob } from '../../src/identity/secrets.js'
import { decodeToken, encodeToken, newAuditId, type TokenPayload } from '../../src/identity/tokens.js'

const key = aeadKey(0xdeadbeef, randomBytes(32))
const other = aeadKey(0xdeadbeef, randomBytes(32)) // same id, other secret
const keys = { find: (id: number): AeadKey | undefined => (id === key.id ? key : undefined) }
const sameFormat = aeadFormat(1, 'nubis/token', 2048) // to forge authenticated but malformed payloads

const t0 = Date.parse('2025-01-01T00:00:00Z')
function projectToken(overrides: Partial<TokenPayload> = {}): TokenPayload {
  return {
    u: randomUUID(),
    m: ['password'],
    p: randomUUID(),
    a: newAuditId(),
    iat: t0,
    exp: t0 + 3_600_000,
    ...overrides,
  }
}

const id = fc.oneof(
  fc.uuid().map((uuid) => uuid.toLowerCase()),
  fc.uuid().map((uuid) => uuid.replaceAll('-', '').toLowerCase()),
  fc.uuid().map((uuid) => uuid.toUpperCase()),
  fc.constantFrom('default', 'password', 'token'),
  fc
    .string({ unit: 'grapheme', minLength: 1, maxLength: 60 })
    .filter((s) => s.length <= 255 && !/[\p{Cc}\p{Cs}]/u.test(s)),
)
const method = fc.oneof(
  fc.constantFrom('password', 'token', 'application_credential', 'totp'),
  fc.string({ minLength: 1, maxLength: 64 }).filter((s) => !/[\p{Cc}]/u.test(s)),
)
const auditId = fc
  .uint8Array({ minLength: 16, maxLength: 16 })
  .map((b) => Buffer.from(b).toString('base64url'))
const when = fc.integer({ min: 0, max: 2 ** 47 })
const payloadArb: fc.Arbitrary<TokenPayload> = fc
  .record({
    u: id,
    m: fc.array(method, { minLength: 1, maxLength: 8 }),
    scope: fc.oneof(
      fc.constant({}),
      id.map((p) => ({ p })),
      id.map((d) => ({ d })),
      fc.constant({ s: 1 as const }),
    ),
    a: auditId,
    pa: fc.option(auditId, { nil: undefined }),
    iat: when,
    ttl: fc.integer({ min: 0, max: 2 ** 40 }),
    ac: fc.option(id, { nil: undefined }),
  })
  .map(({ scope, ttl, pa, ac, ...rest }) => ({
    ...rest,
    ...scope,
    ...(pa && { pa }),
    ...(ac && { ac }),
    exp: rest.iat + ttl,
  }))

describe('token codec', () => {
  it('round-trips every valid payload', () => {
    fc.assert(
      fc.property(payloadArb, (payload) => {
        expect(decodeToken(encodeToken(payload, key), keys)).toEqual(payload)
      }),
    )
  })

  it('keeps a project-scoped token short enough for a header', () => {
    const token = encodeToken(projectToken(), key)
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/)
    expect(token.length).toBeLessThan(250)
    const keystoneStyle = encodeToken(projectToken({ u: randomUUID().replaceAll('-', '') }), key)
    expect(keystoneStyle.length).toBeLessThan(250)
  })

  it('round-trips the largest payload the schema admits', () => {
    const long = '中'.repeat(255) // 255 UTF-16 units, 765 bytes of UTF-8
    const method = 'ü'.repeat(64)
    const biggest = projectToken({ u: long, p: long, ac: long, pa: newAuditId(), m: Array(8).fill(method) })
    expect(decodeToken(encodeToken(biggest, key), keys)).toEqual(biggest)
  })

  it('seals a fresh IV each time, so one payload gives different tokens', () => {
    const payload = projectToken()
    expect(encodeToken(payload, key)).not.toBe(encodeToken(payload, key))
  })

  it('refuses to encode an invalid payload', () => {
    const cases: Array<Partial<TokenPayload>> = [
      { d: 'default' }, // a project and a domain: two scopes
      { exp: t0 - 1 },
      { a: 'not-an-audit-id' },
      { m: [] },
      { u: 'bad\u0000id' },
      { u: 'lone\ud800surrogate' },
    ]
    for (const bad of cases) {
      let error: unknown
      try {
        encodeToken(projectToken(bad), key)
      } catch (caught) {
        error = caught
      }
      expect(isCloudError(error, 'INVALID')).toBe(true)
    }
  })

  it('rejects a token sealed with another key of the same id, or an unknown key', () => {
    expect(decodeToken(encodeToken(projectToken(), other), keys)).toBeUndefined()
    expect(decodeToken(encodeToken(projectToken(), key), { find: () => undefined })).toBeUndefined()
  })

  it('rejects a sealed credential blob presented as a token', () => {
    const blob = sealBlob(JSON.stringify(projectToken()), key)
    expect(decodeToken(blob, keys)).toBeUndefined()
  })

  it('rejects authenticated payloads that do not unpack or fail the schema', () => {
    const forged = [
      Buffer.alloc(0), // empty
      Buffer.from([0x80]), // unknown flag
      Buffer.concat([Buffer.from([0]), Buffer.alloc(12), Buffer.alloc(16)]), // cut before the user
      Buffer.concat([Buffer.from([0]), Buffer.alloc(28), Buffer.from([2, 0, 1, 2, 200])]), // unknown word
      Buffer.concat([Buffer.from([0]), Buffer.alloc(28), Buffer.from([2, 0, 1, 2, 0, 9])]), // trailing byte
      Buffer.concat([Buffer.from([0]), Buffer.alloc(28), Buffer.from([2, 0, 0])]), // no methods
      Buffer.concat([Buffer.from([0]), Buffer.alloc(28), Buffer.from([7, 0, 1, 2, 0])]), // unknown tag
      Buffer.concat([Buffer.from([3]), Buffer.alloc(28), Buffer.from([2, 0, 1, 2, 0, 2, 7, 2, 7])]), // 2 scopes
    ]
    const valid = Buffer.concat([Buffer.from([0]), Buffer.alloc(28), Buffer.from([2, 0, 1, 2, 0])])
    expect(decodeToken(seal(sameFormat, key, valid), keys)).toMatchObject({ u: 'password', m: ['password'] })
    for (const packed of forged) expect(decodeToken(seal(sameFormat, key, packed), keys)).toBeUndefined()
  })

  it('never throws on arbitrary strings, and accepts none', () => {
    const header = Buffer.from([1, 0xde, 0xad, 0xbe, 0xef])
    const strings = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 400 }),
      fc.stringMatching(/^[A-Za-z0-9_-]{0,300}$/),
      fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.concat([header, bytes]).toString('base64url')), // right version and key id
    )
    fc.assert(
      fc.property(strings, (text) => {
        expect(decodeToken(text, keys)).toBeUndefined()
      }),
      { numRuns: 2000 },
    )
  })

  it('rejects every mutation of a valid token: bit flips, truncation, extension, character swaps', () => {
    const token = encodeToken(projectToken(), key)
    const raw = Buffer.from(token, 'base64url')
    const mutation = fc.oneof(
      fc.tuple(fc.nat(raw.length - 1), fc.integer({ min: 0, max: 7 })).map(([at, bit]) => {
        const copy = Buffer.from(raw)
        copy[at] = (copy[at] ?? 0) ^ (1 << bit)
        return copy.toString('base64url')
      }),
      fc.nat(token.length - 1).map((length) => token.slice(0, length)),
      fc.string({ minLength: 1, maxLength: 8 }).map((tail) => token + tail),
      fc
        .tuple(fc.nat(token.length - 1), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }))
        .map(([at, char]) => token.slice(0, at) + char + token.slice(at + 1)),
      fc.constant(`${token}=`),
      fc.constant(` ${token}`),
    )
    fc.assert(
      fc.property(
        mutation.filter((text) => text !== token),
        (text) => {
          expect(decodeToken(text, keys)).toBeUndefined()
        },
      ),
      { numRuns: 2000 },
    )
  })

  it('makes audit ids of 16 random bytes', () => {
    const ids = new Set(Array.from({ length: 100 }, newAuditId))
    expect(ids.size).toBe(100)
    for (const audit of ids) expect(Buffer.from(audit, 'base64url')).toHaveLength(16)
  })

  it('checks key ids and secret lengths when importing a key', () => {
    expect(() => aeadKey(-1, randomBytes(32))).toThrow(RangeError)
    expect(() => aeadKey(2 ** 32, randomBytes(32))).toThrow(RangeError)
    expect(() => aeadKey(1, randomBytes(16))).toThrow(RangeError)
  })
})
