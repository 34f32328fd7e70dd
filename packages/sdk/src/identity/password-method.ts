import type { Clock } from '../core/clock.js'
import { isoTime } from '../core/clock.js'
import { CloudError } from '../core/errors.js'
import type { Store } from '../store/types.js'
import type { SecurityCompliance } from './compliance.js'
import { isLockedOut } from './compliance.js'
import type { PasswordHasher } from './passwords.js'
import { assertUserUsable, authFailed, type UserFacts } from './principals.js'

/** What the password method needs. */
export interface PasswordMethodDeps {
  store: Store
  clock: Clock
  passwords: PasswordHasher
  compliance: SecurityCompliance
  /** Accept an expired password: changing it is what an expired password is still good for. */
  ignoreExpiry?: boolean
}

/**
 * Checks a password for a user found by {@link findUser} (undefined when none was). Every failure is the same
 * 401 and costs the same hashing time; wrong passwords count towards the lockout, and a locked-out user is
 * refused before the password is even checked.
 */
export async function verifyPasswordMethod(
  deps: PasswordMethodDeps,
  user: UserFacts | undefined,
  password: string,
): Promise<UserFacts> {
  if (!user?.passwordHash) {
    await deps.passwords.verifyDummy(password)
    throw authFailed(user ? `user ${user.id} has no password` : 'no such user')
  }
  const now = deps.clock.now()
  const ignoreLockout = user.options.ignore_lockout_failure_attempts === true
  if (!ignoreLockout && isLockedOut(user, now, deps.compliance)) {
    await deps.passwords.verifyDummy(password)
    throw new CloudError('UNAUTHORIZED', `The account is locked for user: ${user.id}.`, {
      resource: { type: 'user', id: user.id },
    })
  }
  if (!(await deps.passwords.verify(user.passwordHash, password))) {
    await recordFailure(deps, user, now)
    throw authFailed(`wrong password for user ${user.id}`)
  }
  assertUserUsable(user)
  if (user.failedAuthCount > 0) await resetFailures(deps, user.id)
  const expired =
    !deps.ignoreExpiry &&
    user.passwordExpiresAt !== null &&
    user.options.ignore_password_expiry !== true &&
    Date.parse(user.passwordExpiresAt) <= now
  if (expired) {
    throw new CloudError(
      'UNAUTHORIZED',
      `The password is expired and needs to be changed for user: ${user.id}.`,
      {
        resource: { type: 'user', id: user.id },
      },
    )
  }
  return user
}

// Counted in one UPDATE so that concurrent failures all count. A user past the threshold who got here is no
// longer locked out (the lockout expired), so counting starts again.
async function recordFailure(deps: PasswordMethodDeps, user: UserFacts, now: number): Promise<void> {
  const attempts = deps.compliance.lockoutFailureAttempts
  if (!attempts) return
  const restart = user.failedAuthCount >= attempts
  await deps.store.db
    .updateTable('identity_users')
    .set((eb) => ({
      failed_auth_count: restart ? 1 : eb('failed_auth_count', '+', 1),
      failed_auth_at: isoTime(now),
    }))
    .where('id', '=', user.id)
    .execute()
}

async function resetFailures(deps: PasswordMethodDeps, userId: string): Promise<void> {
  await deps.store.db
    .updateTable('identity_users')
    .set({ failed_auth_count: 0, failed_auth_at: null })
    .where('id', '=', userId)
    .execute()
}
