import { z } from 'zod'
import { CloudError } from '../core/errors.js'
import type { PasswordHasher } from './passwords.js'

// Keystone's [security_compliance] options and the pure checks they drive. Every feature is off unless its
// option is set, as in Keystone; user options (ignore_lockout_failure_attempts, ignore_password_expiry, …) are
// the caller's to apply before calling these.

const DAY_MS = 86_400_000

function isValidRegex(source: string): boolean {
  try {
    new RegExp(source, 'u')
    return true
  } catch {
    return false
  }
}

/** Keystone's `[security_compliance]` options, camelCased. */
export const SecurityComplianceSchema = z.strictObject({
  /** Failed password authentications in a row that lock the account; unset: never locked. */
  lockoutFailureAttempts: z.number().int().min(1).optional(),
  /** Seconds an account stays locked once `lockoutFailureAttempts` is reached. */
  lockoutDurationSec: z.number().int().min(1).default(1800),
  /** Days a password stays valid; unset: passwords never expire. */
  passwordExpiresDays: z.number().int().min(0).optional(),
  /** How many most recent passwords, the new one included, must all differ; unset or 1: no history check. */
  uniqueLastPasswordCount: z.number().int().min(0).optional(),
  /** Days a password must be kept before its owner may change it again; unset: any time. */
  minimumPasswordAgeDays: z.number().int().min(0).optional(),
  /** A regular expression (JavaScript syntax) every new password must match; unset: any password. */
  passwordRegex: z
    .string()
    .refine(isValidRegex, { message: 'must be a valid regular expression' })
    .optional(),
  /** The requirement the regex expresses, in words, shown to users whose password fails it. */
  passwordRegexDescription: z.string().optional(),
  /** Whether a user must change a password set by an administrator before using it. */
  changePasswordUponFirstUse: z.boolean().default(false),
})

/** Parsed security compliance options; see {@link SecurityComplianceSchema}. */
export type SecurityCompliance = z.output<typeof SecurityComplianceSchema>

/** The options as given, before defaults; see {@link SecurityComplianceSchema}. */
export type SecurityComplianceInput = z.input<typeof SecurityComplianceSchema>

/** Throws INVALID, with the regex description Keystone shows, when `password` fails `passwordRegex`. */
export function checkPasswordStrength(password: string, opts: SecurityCompliance): void {
  if (opts.passwordRegex === undefined || new RegExp(opts.passwordRegex, 'u').test(password)) return
  const detail = opts.passwordRegexDescription ?? 'it does not match the password regular expression'
  throw new CloudError(
    'INVALID',
    `Password validation error: The password does not meet the requirements: ${detail}`,
    {
      details: { path: 'password' },
    },
  )
}

/** The failure counters of a user, as stored (`failedAuthAt` ISO-8601). */
export interface FailedAuthState {
  /** Failed password authentications since the last success. */
  failedAuthCount: number
  /** When the last one happened, or null. */
  failedAuthAt: string | null
}

/**
 * Whether the account is locked at `now` (epoch ms): `lockoutFailureAttempts` failures reached, and the last
 * one less than `lockoutDurationSec` ago. Once the duration has passed the account is open again and the
 * caller restarts the count on the next failure, as Keystone does.
 */
export function isLockedOut(user: FailedAuthState, now: number, opts: SecurityCompliance): boolean {
  const attempts = opts.lockoutFailureAttempts
  if (attempts === undefined || user.failedAuthCount < attempts) return false
  if (user.failedAuthAt === null) return false
  const lastFailure = Date.parse(user.failedAuthAt)
  // An unreadable date fails safe: locked, like an attempt made just now.
  if (Number.isNaN(lastFailure)) return true
  return now < lastFailure + opts.lockoutDurationSec * 1000
}

/** When a password set at `createdAt` (ISO-8601 or epoch ms) expires, as ISO-8601, or null if never. */
export function passwordExpiresAt(createdAt: string | number, opts: SecurityCompliance): string | null {
  if (opts.passwordExpiresDays === undefined) return null
  const created = typeof createdAt === 'number' ? createdAt : Date.parse(createdAt)
  if (Number.isNaN(created)) throw new RangeError(`not a date: ${createdAt}`)
  return new Date(created + opts.passwordExpiresDays * DAY_MS).toISOString()
}

/**
 * Throws INVALID when the current password, set at `passwordCreatedAt`, is younger than
 * `minimumPasswordAgeDays` at `now` (epoch ms). Administrators resetting a password are not subject to it.
 */
export function checkMinimumPasswordAge(
  passwordCreatedAt: string | null,
  now: number,
  opts: SecurityCompliance,
): void {
  const days = opts.minimumPasswordAgeDays
  if (!days || passwordCreatedAt === null) return
  if (now >= Date.parse(passwordCreatedAt) + days * DAY_MS) return
  throw new CloudError(
    'INVALID',
    'You cannot change your password at this time due to the minimum password age. Once you change your ' +
      `password, it must be used for ${days} day(s) before it can be changed. Please try again in ` +
      `${Math.ceil((Date.parse(passwordCreatedAt) + days * DAY_MS - now) / DAY_MS)} day(s) or contact your ` +
      'administrator to reset your password.',
    { details: { path: 'password' } },
  )
}

/**
 * Throws INVALID when `password` equals one of the `uniqueLastPasswordCount - 1` most recent passwords
 * (`recentHashes`, newest first, the current one included). Costs one verify per hash compared.
 */
export async function checkPasswordHistory(
  password: string,
  recentHashes: readonly string[],
  hasher: PasswordHasher,
  opts: SecurityCompliance,
): Promise<void> {
  const count = opts.uniqueLastPasswordCount ?? 0
  if (count <= 1) return
  for (const hash of recentHashes.slice(0, count - 1)) {
    if (await hasher.verify(hash, password)) {
      throw new CloudError(
        'INVALID',
        'Password validation error: The new password cannot be identical to a previous password. The total ' +
          `number which includes the new password must be unique is ${count}.`,
        { details: { path: 'password' } },
      )
    }
  }
}
