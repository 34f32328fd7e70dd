import { randomBytes } from 'node:crypto'
import { inspect } from 'node:util'
import { z } from 'zod'
import { type Clock, isoTime, systemClock } from '../core/clock.js'
import { CloudError } from '../core/errors.js'
import type { Settings } from '../core/settings.js'
import { AEAD_KEY_BYTES, type AeadKey, type AeadKeySource, aeadKey } from './aead.js'

// Fernet's key repository, kept in the settings table so every control-plane process shares it. The staged key
// exists before it is used: a process that has loaded it can already read tokens sealed with it once another
// process's rotation promotes it. Secondaries keep tokens sealed by former primaries readable until pruned.

/** The settings key holding the token keyring. */
export const TOKEN_KEYS_SETTING = 'identity.token-keys'

/** Role of a key: `primary` seals; `secondary` (a former primary) and `staged` (the next primary) only open. */
export type TokenKeyState = 'primary' | 'secondary' | 'staged'

/** What may be shown about a key: everything but its secret. */
export interface TokenKeyInfo {
  /** Unsigned 32-bit id written into every envelope the key seals. */
  id: number
  /** Its role. */
  state: TokenKeyState
  /** When it was generated (ISO-8601 UTC). */
  createdAt: string
}

/** The part of {@link Settings} a keyring uses. */
export type KeyringSettings = Pick<Settings, 'get' | 'set' | 'setIfAbsent'>

/** Options of {@link TokenKeyring.loadOrCreate}. */
export interface TokenKeyringOptions {
  /** Settings key to keep the keys under; default {@link TOKEN_KEYS_SETTING}. A second keyring (say for
   * credential blobs, whose keys must outlive token lifetimes) takes its own key. */
  settingsKey?: string
  /** Stamps `createdAt` of new keys; default the system clock. */
  clock?: Clock
}

/** Options of {@link TokenKeyring.rotate}. */
export interface RotateOptions {
  /** Former primaries kept for reading; older ones are pruned and what they sealed is no longer readable. */
  maxSecondaries?: number
}

const secretSchema = z
  .string()
  .refine((value) => Buffer.from(value, 'base64').length === AEAD_KEY_BYTES, { message: 'must be 32 bytes' })
const storedSchema = z.object({
  keys: z
    .array(
      z.object({
        id: z.number().int().min(0).max(0xffffffff),
        secret: secretSchema,
        state: z.enum(['primary', 'secondary', 'staged']),
        createdAt: z.string(),
      }),
    )
    .refine((keys) => keys.filter((key) => key.state === 'primary').length === 1, {
      message: 'must hold exactly one primary key',
    }),
})
type StoredKey = z.output<typeof storedSchema>['keys'][number]
type Entry = TokenKeyInfo & { aead: AeadKey }

/** The shared token keys of a cloud: seals with the primary, opens with any key it holds. */
export class TokenKeyring implements AeadKeySource {
  // Only imported KeyObjects are held, never the secret text: inspecting or logging a keyring shows no secret.
  #entries = new Map<number, Entry>()
  #primary!: AeadKey

  private constructor(
    private readonly settings: KeyringSettings,
    private readonly settingsKey: string,
    private readonly clock: Clock,
  ) {}

  /** Loads the keyring from `settings`, creating it on first start (two processes starting together agree). */
  static async loadOrCreate(
    settings: KeyringSettings,
    options: TokenKeyringOptions = {},
  ): Promise<TokenKeyring> {
    const ring = new TokenKeyring(
      settings,
      options.settingsKey ?? TOKEN_KEYS_SETTING,
      options.clock ?? systemClock,
    )
    await ring.refresh()
    return ring
  }

  /** The key new tokens are sealed with. */
  get primary(): AeadKey {
    return this.#primary
  }

  /** The key with this id, whatever its state, or undefined. */
  find(id: number): AeadKey | undefined {
    return this.#entries.get(id)?.aead
  }

  /** The keys without their secrets, in the order they were created. */
  list(): TokenKeyInfo[] {
    return [...this.#entries.values()].map(({ id, state, createdAt }) => ({ id, state, createdAt }))
  }

  /** Reloads the keys from settings, picking up another process's rotation; creates them if there are none. */
  async refresh(): Promise<void> {
    let text = await this.settings.get(this.settingsKey)
    if (text === undefined) {
      const primary = this.newKey('primary')
      const first = [primary, this.newKey('staged', [primary])]
      // The loser of a first-start race drops its keys and reads the winner's.
      await this.settings.setIfAbsent(this.settingsKey, JSON.stringify({ keys: first }))
      text = await this.settings.get(this.settingsKey)
    }
    this.adopt(this.parse(text))
  }

  /**
   * Staged → primary, primary → secondary, a new staged key; then the oldest secondaries beyond
   * `maxSecondaries` (default 3) are dropped. Works on the freshly read keys so earlier rotations are kept.
   * Two processes rotating in the same instant both write and the last one wins; each promotes the same staged
   * key, so only one of the two new staged keys survives, and no issued token is lost.
   */
  async rotate(options: RotateOptions = {}): Promise<void> {
    const maxSecondaries = options.maxSecondaries ?? 3
    const keys = this.parse(await this.settings.get(this.settingsKey))
    const staged = keys.find((key) => key.state === 'staged') ?? this.newKey('staged', keys)
    const rotated: StoredKey[] = keys
      .filter((key) => key !== staged)
      .map((key) => (key.state === 'primary' ? { ...key, state: 'secondary' } : key))
    const secondaries = rotated.filter((key) => key.state === 'secondary')
    const pruned = new Set(secondaries.slice(0, Math.max(0, secondaries.length - maxSecondaries)))
    const next = [
      ...rotated.filter((key) => !pruned.has(key)),
      { ...staged, state: 'primary' as const },
      this.newKey('staged', keys),
    ]
    await this.settings.set(this.settingsKey, JSON.stringify({ keys: next }))
    this.adopt(next)
  }

  /** A redacted form: ids, states and dates, never secrets. */
  toJSON(): { keys: TokenKeyInfo[] } {
    return { keys: this.list() }
  }

  /** A redacted form; see {@link toJSON}. */
  toString(): string {
    return `TokenKeyring(${this.list()
      .map((key) => `${key.id}:${key.state}`)
      .join(', ')})`
  }

  /** Shown by console.log and util.inspect instead of the fields. */
  [inspect.custom](): string {
    return this.toString()
  }

  private newKey(state: TokenKeyState, taken: readonly StoredKey[] = []): StoredKey {
    let id = randomBytes(4).readUInt32BE(0)
    while (taken.some((key) => key.id === id)) id = randomBytes(4).readUInt32BE(0)
    const secret = randomBytes(AEAD_KEY_BYTES).toString('base64')
    return { id, secret, state, createdAt: isoTime(this.clock.now()) }
  }

  private parse(text: string | undefined): StoredKey[] {
    const result = storedSchema.safeParse(text === undefined ? undefined : safeJson(text))
    if (!result.success) {
      // Never silently replaced: new keys would invalidate every token and sealed blob of the cloud.
      throw new CloudError('INTERNAL', `The keyring in setting ${this.settingsKey} is missing or corrupt`, {
        details: { issues: result.error.issues.map((issue) => issue.message) },
      })
    }
    return result.data.keys
  }

  private adopt(keys: readonly StoredKey[]): void {
    const entries = new Map<number, Entry>()
    for (const { id, secret, state, createdAt } of keys) {
      const entry = { id, state, createdAt, aead: aeadKey(id, Buffer.from(secret, 'base64')) }
      entries.set(id, entry)
      if (state === 'primary') this.#primary = entry.aead
    }
    this.#entries = entries
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
