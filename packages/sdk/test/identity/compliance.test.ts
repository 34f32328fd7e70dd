import { describe, expect, it } from 'vitest'
import { isCloudError } from '../../src/core/errors.js'
import {
  checkMinimumPasswordAge,
  checkPasswordHistory,
  checkPasswordStrength,
  isLockedOut,
  passwordExpiresAt,
  type SecurityCompliance,
  type SecurityComplianceInput,
  SecurityComplianceSchema,
} from '../../src/identity/compliance.js'
import { PasswordHasher } from '../../src/identity/passwords.js'

const opts = (input: SecurityComplianceInput = {}): SecurityCompliance =>
  SecurityComplianceSchema.parse(input)
const DAY = 86_400_000
const t0 = Date.parse('2025-03-01T12:00:00.000Z')

function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  return undefined
}

describe('SecurityComplianceSchema', () => {
  it('turns every feature off by default, with a 30-minute lockout duration', () => {
    expect(opts()).toEqual({ lockoutDurationSec: 1800, changePasswordUponFirstUse: false })
  })

  it('rejects an invalid regex, unknown keys and nonsense numbers', () => {
    expect(SecurityComplianceSchema.safeParse({ passwordRegex: '(' }).success).toBe(false)
    expect(SecurityComplianceSchema.safeParse({ lockout_failure_attempts: 3 }).success).toBe(false)
    expect(SecurityComplianceSchema.safeParse({ lockoutFailureAttempts: 0 }).success).toBe(false)
    expect(SecurityComplianceSchema.safeParse({ passwordExpiresDays: 1.5 }).success).toBe(false)
  })
})

describe('checkPasswordStrength', () => {
  const strong = opts({
    passwordRegex: '^(?=.*\\d)(?=.*[a-zA-Z]).{7,}$',
    passwordRegexDescription:
      'Passwords must contain at least 1 letter, 1 digit, and be a minimum length of 7.',
  })

  it('accepts anything without a regex, and a matching password with one', () => {
    expect(() => checkPasswordStrength('x', opts())).not.toThrow()
    expect(() => checkPasswordStrength('abc1234', strong)).not.toThrow()
  })

  it('throws INVALID with the description for a failing password', () => {
    const error = thrown(() => checkPasswordStrength('abcdefgh', strong))
    expect(isCloudError(error, 'INVALID')).toBe(true)
    expect((error as Error).message).toContain('minimum length of 7')
    expect(
      isCloudError(
        thrown(() => checkPasswordStrength('a1', opts({ passwordRegex: '.{3}' }))),
        'INVALID',
      ),
    ).toBe(true)
  })
})

describe('isLockedOut', () => {
  const three = opts({ lockoutFailureAttempts: 3, lockoutDurationSec: 60 })
  const at = (ms: number) => new Date(ms).toISOString()

  it('never locks without lockoutFailureAttempts', () => {
    expect(isLockedOut({ failedAuthCount: 1000, failedAuthAt: at(t0) }, t0, opts())).toBe(false)
  })

  it('locks from the threshold until the duration has passed since the last failure', () => {
    expect(isLockedOut({ failedAuthCount: 2, failedAuthAt: at(t0) }, t0, three)).toBe(false)
    expect(isLockedOut({ failedAuthCount: 3, failedAuthAt: at(t0) }, t0, three)).toBe(true)
    expect(isLockedOut({ failedAuthCount: 4, failedAuthAt: at(t0) }, t0 + 59_999, three)).toBe(true)
    expect(isLockedOut({ failedAuthCount: 4, failedAuthAt: at(t0) }, t0 + 60_000, three)).toBe(false)
  })

  it('is not locked without a failure time, and locked for an unreadable one', () => {
    expect(isLockedOut({ failedAuthCount: 3, failedAuthAt: null }, t0, three)).toBe(false)
    expect(isLockedOut({ failedAuthCount: 3, failedAuthAt: 'yesterday' }, t0, three)).toBe(true)
  })
})

describe('passwordExpiresAt', () => {
  it('is null unless passwords expire, else creation plus the days', () => {
    expect(passwordExpiresAt(at0(), opts())).toBeNull()
    expect(passwordExpiresAt(at0(), opts({ passwordExpiresDays: 90 }))).toBe(
      new Date(t0 + 90 * DAY).toISOString(),
    )
    expect(passwordExpiresAt(t0, opts({ passwordExpiresDays: 1 }))).toBe('2025-03-02T12:00:00.000Z')
    expect(() => passwordExpiresAt('not a date', opts({ passwordExpiresDays: 1 }))).toThrow(RangeError)
  })
})

function at0(): string {
  return new Date(t0).toISOString()
}

describe('checkMinimumPasswordAge', () => {
  const oneDay = opts({ minimumPasswordAgeDays: 1 })

  it('refuses a change before the minimum age, and allows it after', () => {
    expect(
      isCloudError(
        thrown(() => checkMinimumPasswordAge(at0(), t0 + DAY - 1, oneDay)),
        'INVALID',
      ),
    ).toBe(true)
    expect(() => checkMinimumPasswordAge(at0(), t0 + DAY, oneDay)).not.toThrow()
  })

  it('does not apply when unset or without a current password', () => {
    expect(() => checkMinimumPasswordAge(at0(), t0, opts())).not.toThrow()
    expect(() => checkMinimumPasswordAge(null, t0, oneDay)).not.toThrow()
  })
})

describe('checkPasswordHistory', () => {
  const hasher = new PasswordHasher({ memoryCost: 1024, timeCost: 1 })

  it('refuses any of the last count - 1 passwords, newest first, and allows older ones', async () => {
    const history = [await hasher.hash('third'), await hasher.hash('second'), await hasher.hash('first')]
    const three = opts({ uniqueLastPasswordCount: 3 })
    await expect(checkPasswordHistory('third', history, hasher, three)).rejects.toSatisfy((e) =>
      isCloudError(e, 'INVALID'),
    )
    await expect(checkPasswordHistory('second', history, hasher, three)).rejects.toSatisfy((e) =>
      isCloudError(e, 'INVALID'),
    )
    await expect(checkPasswordHistory('first', history, hasher, three)).resolves.toBeUndefined()
    await expect(checkPasswordHistory('fourth', history, hasher, three)).resolves.toBeUndefined()
  })

  it('checks nothing when the count is unset or 1', async () => {
    const history = [await hasher.hash('same')]
    await expect(checkPasswordHistory('same', history, hasher, opts())).resolves.toBeUndefined()
    await expect(
      checkPasswordHistory('same', history, hasher, opts({ uniqueLastPasswordCount: 1 })),
    ).resolves.toBeUndefined()
  })
})
