import { randomBytes, randomUUID } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type AeadKey, aeadKey } from '../../src/identity/aead.js'
import { PasswordHasher } from '../../src/identity/passwords.js'
import {
  blobKeyId,
  generateSecret,
  hashSecret,
  openBlob,
  sealBlob,
  verifySecret,
} from '../../src/identity/secrets.js'
import { encodeToken, newAuditId } from '../../src/identity/tokens.js'

const hasher = new PasswordHasher({ memoryCost: 1024, timeCost: 1 })
const old = aeadKey(1, randomBytes(32))
const current = aeadKey(2, randomBytes(32))
const ring = (...keys: AeadKey[]) => ({ find: (id: number) => keys.find((key) => key.id === id) })

describe('application credential secrets', () => {
  it('generates 43-character base64url secrets of 32 random bytes', () => {
    const secrets = Array.from({ length: 50 }, generateSecret)
    for (const secret of secrets) {
      expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/)
      expect(Buffer.from(secret, 'base64url')).toHaveLength(32)
    }
    expect(new Set(secrets).size).toBe(50)
  })

  it('hashes generated secrets with salted SHA-256 and verifies them', async () => {
    const secret = generateSecret()
    const stored = await hashSecret(secret, { hasher, generated: true })
    expect(stored).toMatch(/^\$sha256\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/)
    expect(stored).not.toBe(await hashSecret(secret, { hasher, generated: true })) // salted
    expect(await verifySecret(stored, secret, hasher)).toBe(true)
    expect(await verifySecret(stored, generateSecret(), hasher)).toBe(false)
    expect(await verifySecret(stored, secret.slice(1), hasher)).toBe(false)
  })

  it('hashes user-chosen secrets with argon2id and verifies them', async () => {
    const stored = await hashSecret('my own secret', { hasher })
    expect(stored.startsWith('$argon2id$')).toBe(true)
    expect(await verifySecret(stored, 'my own secret', hasher)).toBe(true)
    expect(await verifySecret(stored, 'my own secreT', hasher)).toBe(false)
  })

  it('returns false, never throws, for malformed stored forms', async () => {
    const good = await hashSecret('s', { hasher, generated: true })
    const [, , salt, digest] = good.split('$')
    const malformed = [
      '',
      '$sha256$',
      '$sha256$$',
      `$sha256$${salt}`,
      `$sha256$${salt}$${digest}$extra`,
      `$sha256$${salt}$${digest?.slice(0, -2)}`,
      `$sha256$${salt}$!!!`,
      `$sha256$${salt?.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'))}$${digest}`,
      '$md5$x$y',
      'plain',
    ]
    for (const stored of malformed) expect(await verifySecret(stored, 's', hasher), stored).toBe(false)
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary' }), fc.string(), async (stored, secret) => {
        expect(await verifySecret(`$sha256$${stored}`, secret, hasher)).toBe(false)
      }),
      { numRuns: 300 },
    )
  })
})

describe('sealed credential blobs', () => {
  const blob = JSON.stringify({ access: randomUUID(), secret: generateSecret(), trust_id: null })

  it('round-trips through the key that sealed it, while that key is known', () => {
    const sealed = sealBlob(blob, old)
    expect(openBlob(sealed, ring(old, current))).toBe(blob)
    expect(blobKeyId(sealed)).toBe(1)
    expect(openBlob(sealed, ring(current))).toBeUndefined()
    expect(sealed).not.toContain(blob.slice(12, 30))
  })

  it('round-trips any text, empty and non-ASCII included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (text) => {
        expect(openBlob(sealBlob(text, current), ring(current))).toBe(text)
      }),
    )
  })

  it('detects tampering', () => {
    const raw = Buffer.from(sealBlob(blob, current), 'base64url')
    fc.assert(
      fc.property(fc.nat(raw.length - 1), fc.integer({ min: 0, max: 7 }), (at, bit) => {
        const copy = Buffer.from(raw)
        copy[at] = (copy[at] ?? 0) ^ (1 << bit)
        expect(openBlob(copy.toString('base64url'), ring(current))).toBeUndefined()
      }),
    )
  })

  it('does not open a token, however its key is shared', () => {
    const iat = Date.now()
    const token = encodeToken(
      { u: randomUUID(), m: ['password'], a: newAuditId(), iat, exp: iat + 1 },
      current,
    )
    expect(openBlob(token, ring(current))).toBeUndefined()
    expect(openBlob('garbage', ring(current))).toBeUndefined()
    expect(blobKeyId('garbage')).toBeUndefined()
  })
})
