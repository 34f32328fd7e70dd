import { randomUUID } from 'node:crypto'
import { inspect } from 'node:util'
import { type TestStore, testStore } from '@nubis/testing'
import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { systemClock } from '../../src/core/clock.js'
import { isCloudError } from '../../src/core/errors.js'
import { Settings, settingsMigrations } from '../../src/core/settings.js'
import { TOKEN_KEYS_SETTING, TokenKeyring } from '../../src/identity/token-keys.js'
import { decodeToken, encodeToken, newAuditId, type TokenPayload } from '../../src/identity/tokens.js'

function payload(): TokenPayload {
  const iat = Date.now()
  return { u: randomUUID(), m: ['password'], p: randomUUID(), a: newAuditId(), iat, exp: iat + 3_600_000 }
}

const states = (ring: TokenKeyring) => ring.list().map((key) => key.state)

describe('TokenKeyring', () => {
  let store: TestStore
  let settings: Settings
  beforeEach(async () => {
    store = await testStore('sqlite', { migrations: settingsMigrations })
    settings = new Settings(store, systemClock)
  })
  afterEach(() => store.close())

  it('creates a primary and a staged key on first load, and keeps them in settings', async () => {
    const ring = await TokenKeyring.loadOrCreate(settings)
    expect(states(ring)).toEqual(['primary', 'staged'])
    const again = await TokenKeyring.loadOrCreate(settings)
    expect(again.list()).toEqual(ring.list())
    expect(again.primary.id).toBe(ring.primary.id)
    expect(decodeToken(encodeToken(payload(), ring.primary), again)).toBeDefined()
  })

  it('lets processes starting together agree on one keyring', async () => {
    const rings = await Promise.all(
      Array.from({ length: 5 }, () => TokenKeyring.loadOrCreate(new Settings(store, systemClock))),
    )
    const primaries = new Set(rings.map((ring) => ring.primary.id))
    expect(primaries.size).toBe(1)
  })

  it('rotates: staged becomes primary, primary becomes secondary, a new key is staged', async () => {
    const ring = await TokenKeyring.loadOrCreate(settings)
    const [primary, staged] = ring.list()
    await ring.rotate()
    const after = ring.list()
    expect(after.map((key) => [key.id, key.state])).toEqual([
      [primary?.id, 'secondary'],
      [staged?.id, 'primary'],
      [after[2]?.id, 'staged'],
    ])
    expect(ring.primary.id).toBe(staged?.id)
  })

  it('keeps a token readable after rotations until its key is pruned', async () => {
    const ring = await TokenKeyring.loadOrCreate(settings)
    const token = encodeToken(payload(), ring.primary)
    for (let rotation = 1; rotation <= 3; rotation++) {
      await ring.rotate({ maxSecondaries: 3 })
      expect(decodeToken(token, ring), `after rotation ${rotation}`).toBeDefined()
    }
    await ring.rotate({ maxSecondaries: 3 })
    expect(decodeToken(token, ring)).toBeUndefined()
    expect(states(ring).filter((state) => state === 'secondary')).toHaveLength(3)
  })

  it('opens tokens of a new primary in a process that has not refreshed yet, through its staged key', async () => {
    const a = await TokenKeyring.loadOrCreate(settings)
    const b = await TokenKeyring.loadOrCreate(new Settings(store, systemClock))
    await b.rotate()
    const fromB = encodeToken(payload(), b.primary)
    expect(decodeToken(fromB, a)).toBeDefined() // a still thinks that key is staged
    expect(a.primary.id).not.toBe(b.primary.id)
    await a.refresh()
    expect(a.primary.id).toBe(b.primary.id)
    expect(a.list()).toEqual(b.list())
  })

  it('rotates from the stored keys, so rotations by two processes in turn build on each other', async () => {
    const a = await TokenKeyring.loadOrCreate(settings)
    const b = await TokenKeyring.loadOrCreate(new Settings(store, systemClock))
    const first = encodeToken(payload(), a.primary)
    await a.rotate()
    await b.rotate() // b had not refreshed: it must not undo a's rotation
    expect(states(b)).toEqual(['secondary', 'secondary', 'primary', 'staged'])
    expect(decodeToken(first, b)).toBeDefined()
  })

  it('keeps one primary, one staged key and at most maxSecondaries secondaries under any rotation sequence', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 8 }),
        async (limits) => {
          const key = `test.keys.${randomUUID()}`
          const ring = await TokenKeyring.loadOrCreate(settings, { settingsKey: key })
          const sealed: Array<{ token: string; rotations: number }> = []
          for (const maxSecondaries of limits) {
            sealed.push({ token: encodeToken(payload(), ring.primary), rotations: 0 })
            await ring.rotate({ maxSecondaries })
            for (const entry of sealed) entry.rotations++
            const list = states(ring)
            expect(list.filter((state) => state === 'primary')).toHaveLength(1)
            expect(list.filter((state) => state === 'staged')).toHaveLength(1)
            expect(list.filter((state) => state === 'secondary').length).toBeLessThanOrEqual(maxSecondaries)
            // The newest token's key was just demoted: readable iff any secondary is kept.
            expect(decodeToken(sealed.at(-1)?.token ?? '', ring) !== undefined).toBe(maxSecondaries > 0)
          }
        },
      ),
      { numRuns: 25 },
    )
  })

  it('never shows secrets in JSON, strings or inspection', async () => {
    const ring = await TokenKeyring.loadOrCreate(settings)
    const stored = JSON.parse((await settings.get(TOKEN_KEYS_SETTING)) ?? '{}') as {
      keys: Array<{ secret: string }>
    }
    const secrets = stored.keys.map((key) => key.secret)
    expect(secrets).toHaveLength(2)
    for (const shown of [JSON.stringify(ring), String(ring), inspect(ring, { showHidden: true, depth: 9 })]) {
      for (const secret of secrets) expect(shown).not.toContain(secret)
      expect(shown).toContain(String(ring.primary.id))
    }
    expect(JSON.stringify(ring.primary)).not.toContain(secrets[0])
  })

  it('refuses a corrupt keyring instead of replacing it', async () => {
    await settings.set(
      TOKEN_KEYS_SETTING,
      JSON.stringify({ keys: [{ id: 1, secret: 'c2hvcnQ=', state: 'primary' }] }),
    )
    await expect(TokenKeyring.loadOrCreate(settings)).rejects.toSatisfy((error) =>
      isCloudError(error, 'INTERNAL'),
    )
    await settings.set(TOKEN_KEYS_SETTING, 'not json')
    await expect(TokenKeyring.loadOrCreate(settings)).rejects.toSatisfy((error) =>
      isCloudError(error, 'INTERNAL'),
    )
  })

  it('keeps separate keyrings under separate settings keys', async () => {
    const tokens = await TokenKeyring.loadOrCreate(settings)
    const blobs = await TokenKeyring.loadOrCreate(settings, { settingsKey: 'identity.credential-keys' })
    expect(blobs.primary.id).not.toBe(tokens.primary.id)
    expect(decodeToken(encodeToken(payload(), blobs.primary), tokens)).toBeUndefined()
  })
})
