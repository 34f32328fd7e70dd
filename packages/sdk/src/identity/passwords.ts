import { randomBytes } from 'node:crypto'
import { hash as argon2Hash, verify as argon2Verify, parseOptions } from '@node-rs/argon2'

// Argon2id through @node-rs/argon2: its default algorithm (the package's `Algorithm` is a const enum, which
// isolated modules cannot import, so the algorithm is left to the default and checked in the PHC prefix). The
// hashing runs on libuv's thread pool, off the event loop.

/** Argon2id cost parameters; see {@link DEFAULT_PASSWORD_COST}. */
export interface PasswordHasherOptions {
  /** Memory per hash in KiB: the cost that makes GPU and ASIC cracking expensive. */
  memoryCost?: number
  /** Passes over that memory. */
  timeCost?: number
  /** Lanes computed in parallel; changing it changes the hash, and p=1 leaves the other cores to requests. */
  parallelism?: number
}

/**
 * Default cost: 50 MiB, 2 passes, 1 lane — about 50 ms per hash on the 2-core build machine, above OWASP's
 * minimum (19 MiB, 2 passes). Each login in flight holds the memory, and libuv runs at most 4 hashes at a time
 * by default, so the peak is about 200 MiB.
 */
export const DEFAULT_PASSWORD_COST: Readonly<Required<PasswordHasherOptions>> = Object.freeze({
  memoryCost: 51_200,
  timeCost: 2,
  parallelism: 1,
})

const ARGON2ID_PREFIX = '$argon2id$'

/**
 * Hashes and checks passwords with argon2id, in PHC strings (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`) that carry
 * their own cost, so hashes made under an older cost keep verifying after the cost changes.
 *
 * @example
 * const passwords = new PasswordHasher()
 * const stored = await passwords.hash('s3cret')
 * await passwords.verify(stored, 's3cret') // true
 */
export class PasswordHasher {
  /** The cost new hashes are made with. */
  readonly cost: Readonly<Required<PasswordHasherOptions>>
  #dummy: Promise<string> | undefined

  /** A hasher with the given cost; omitted fields take {@link DEFAULT_PASSWORD_COST}. */
  constructor(options: PasswordHasherOptions = {}) {
    this.cost = Object.freeze({ ...DEFAULT_PASSWORD_COST, ...definedOnly(options) })
  }

  /** The PHC string of `password`, with a fresh random salt. */
  hash(password: string): Promise<string> {
    return argon2Hash(password, this.cost)
  }

  /**
   * Whether `password` matches `hash`. False — never an exception — for a malformed or non-argon2 hash, so a
   * corrupt row fails like a wrong password. The comparison inside the library is constant-time.
   */
  async verify(hash: string, password: string): Promise<boolean> {
    if (typeof hash !== 'string' || !hash.startsWith('$argon2')) return false
    try {
      return await argon2Verify(hash, password)
    } catch {
      return false
    }
  }

  /**
   * Spends the time of a {@link verify} against a fixed dummy hash of this hasher's cost and returns false.
   * Called when there is no user (or no password) to check, so an unknown user name costs as much as a wrong
   * password and response times do not reveal which user names exist. The dummy is made on first use.
   */
  async verifyDummy(password: string): Promise<false> {
    await this.verify(await this.dummy(), password)
    return false
  }

  /** Makes the dummy hash now, so the first unknown-user login is not slower than the rest. */
  async warmUp(): Promise<void> {
    await this.dummy()
  }

  /**
   * Whether `hash` should be replaced by a hash of the same password at the current cost: it is not argon2id,
   * is malformed, or was made with another cost. Meant for right after a successful {@link verify}.
   */
  needsRehash(hash: string): boolean {
    if (!hash.startsWith(ARGON2ID_PREFIX)) return true
    try {
      const used = parseOptions(hash)
      return (
        used.memoryCost !== this.cost.memoryCost ||
        used.timeCost !== this.cost.timeCost ||
        used.parallelism !== this.cost.parallelism
      )
    } catch {
      return true
    }
  }

  // A hash of a random password nobody knows, made once and shared by concurrent first callers.
  private dummy(): Promise<string> {
    this.#dummy ??= argon2Hash(randomBytes(32).toString('base64url'), this.cost)
    return this.#dummy
  }

  /** A redacted description: the cost only. */
  toString(): string {
    const { memoryCost, timeCost, parallelism } = this.cost
    return `PasswordHasher(argon2id m=${memoryCost} t=${timeCost} p=${parallelism})`
  }
}

// `{ memoryCost: undefined }` must not override the default with undefined.
function definedOnly(options: PasswordHasherOptions): PasswordHasherOptions {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined))
}
