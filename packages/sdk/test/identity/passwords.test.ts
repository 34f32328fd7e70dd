import * as argon2 from '@node-rs/argon2'
import { describe, expect, it, vi } from 'vitest'
import { DEFAULT_PASSWORD_COST, PasswordHasher } from '../../src/identity/passwords.js'

// The library's functions stay real; wrapping them lets a test count how often a hash is computed.
vi.mock('@node-rs/argon2', async (importOriginal) => {
  const real = await importOriginal<typeof import('@node-rs/argon2')>()
  return { ...real, hash: vi.fn(real.hash) }
})

const cheap = { memoryCost: 1024, timeCost: 1 }

describe('PasswordHasher', () => {
  it('hashes with argon2id at the default cost', async () => {
    const hasher = new PasswordHasher()
    const hash = await hasher.hash('correct horse battery staple')
    const { memoryCost, timeCost, parallelism } = DEFAULT_PASSWORD_COST
    expect(hash.startsWith(`$argon2id$v=19$m=${memoryCost},t=${timeCost},p=${parallelism}$`)).toBe(true)
    expect(await hasher.verify(hash, 'correct horse battery staple')).toBe(true)
  })

  it('verifies the right password and refuses a wrong one', async () => {
    const hasher = new PasswordHasher(cheap)
    const hash = await hasher.hash('s3cret')
    expect(hash.startsWith('$argon2id$v=19$m=1024,t=1,p=1$')).toBe(true)
    expect(await hasher.verify(hash, 's3cret')).toBe(true)
    expect(await hasher.verify(hash, 's3cret ')).toBe(false)
    expect(await hasher.verify(hash, '')).toBe(false)
  })

  it('salts every hash', async () => {
    const hasher = new PasswordHasher(cheap)
    expect(await hasher.hash('same')).not.toBe(await hasher.hash('same'))
  })

  it('verifies hashes made at another cost', async () => {
    const old = await new PasswordHasher({ memoryCost: 2048, timeCost: 2 }).hash('pw')
    expect(await new PasswordHasher(cheap).verify(old, 'pw')).toBe(true)
  })

  it('returns false, never throws, for malformed hashes', async () => {
    const hasher = new PasswordHasher(cheap)
    const good = await hasher.hash('pw')
    const malformed = [
      '',
      'pw',
      '$argon2id$',
      '$argon2id$v=19$m=1024,t=1,p=1$AAAA$BBBB', // output too short
      good.slice(0, -5),
      good.replace('$v=19$', '$v=99$'),
      '$2b$12$abcdefghijklmnopqrstuu5sQ7Jx5Pq2dW7YyVqR1pQyGm9xQj9Gy', // bcrypt
      '$sha256$abc$def',
    ]
    for (const hash of malformed) expect(await hasher.verify(hash, 'pw'), hash).toBe(false)
    expect(await hasher.verify(null as unknown as string, 'pw')).toBe(false)
  })

  it('spends a verify on a dummy hash made once, and always says no', async () => {
    const hasher = new PasswordHasher(cheap)
    const hash = vi.mocked(argon2.hash)
    const before = hash.mock.calls.length
    // Concurrent first callers share one dummy.
    expect(await Promise.all([hasher.verifyDummy('a'), hasher.verifyDummy('b')])).toEqual([false, false])
    expect(await hasher.verifyDummy('anything')).toBe(false)
    expect(await hasher.verifyDummy('')).toBe(false)
    expect(hash.mock.calls.length - before).toBe(1)
    const dummy = await hash.mock.results[before]?.value
    expect(dummy).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/) // same cost as real verifies
  })

  it('makes the dummy ahead of time with warmUp', async () => {
    const hasher = new PasswordHasher(cheap)
    const hash = vi.mocked(argon2.hash)
    await hasher.warmUp()
    const after = hash.mock.calls.length
    await hasher.verifyDummy('x')
    expect(hash.mock.calls.length).toBe(after)
  })

  it('tells which hashes to redo at the current cost', async () => {
    const hasher = new PasswordHasher(cheap)
    expect(hasher.needsRehash(await hasher.hash('pw'))).toBe(false)
    expect(hasher.needsRehash(await new PasswordHasher({ memoryCost: 2048, timeCost: 1 }).hash('pw'))).toBe(
      true,
    )
    expect(
      hasher.needsRehash(
        '$argon2i$v=19$m=1024,t=1,p=1$c29tZXNhbHQ$iWh06vD8Fy27wf9npn6FXWiCX4K6pW6Ue1Bnzz07Z8A',
      ),
    ).toBe(true)
    expect(hasher.needsRehash('garbage')).toBe(true)
  })

  it('keeps defaults for options given as undefined, and describes itself without secrets', () => {
    const hasher = new PasswordHasher({ memoryCost: undefined, timeCost: 3 })
    expect(hasher.cost).toEqual({ ...DEFAULT_PASSWORD_COST, timeCost: 3 })
    expect(String(hasher)).toBe(`PasswordHasher(argon2id m=${DEFAULT_PASSWORD_COST.memoryCost} t=3 p=1)`)
  })
})
