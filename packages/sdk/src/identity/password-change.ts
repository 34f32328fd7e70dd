import { z } from 'zod'
import { isoTime } from '../core/clock.js'
import { parseOrThrow } from '../core/errors.js'
import {
  checkMinimumPasswordAge,
  checkPasswordHistory,
  checkPasswordStrength,
  passwordExpiresAt,
  type SecurityCompliance,
} from './compliance.js'
import type { IdentityDeps } from './deps.js'
import { type PasswordMethodDeps, verifyPasswordMethod } from './password-method.js'
import { findUser } from './principals.js'
import { recordPassword } from './user-passwords.js'

/** What a user sends to change their own password (`POST /v3/users/{id}/password`). */
export const ChangePasswordSchema = z
  .object({
    originalPassword: z.string().max(4096),
    password: z.string().min(1).max(4096),
  })
  .strict()

/** Input of {@link changeOwnPassword}. */
export type ChangePasswordInput = z.input<typeof ChangePasswordSchema>

/**
 * A user changes their own password. No token is needed — a user whose password expired cannot get one — so
 * the original password is the proof, checked like a login (lockout included). The new password must pass the
 * strength rule, the minimum age and the history; every token of the user is revoked.
 */
export async function changeOwnPassword(
  deps: IdentityDeps & PasswordMethodDeps & { compliance: SecurityCompliance },
  userId: string,
  input: ChangePasswordInput,
): Promise<void> {
  const body = parseOrThrow(ChangePasswordSchema, input, 'user')
  const user = await findUser(deps.store.db, { id: userId })
  await verifyPasswordMethod({ ...deps, ignoreExpiry: true }, user, body.originalPassword)
  const now = deps.clock.now()
  checkPasswordStrength(body.password, deps.compliance)
  checkMinimumPasswordAge(user!.passwordCreatedAt, now, deps.compliance)
  const history = await deps.store.db
    .selectFrom('identity_password_history')
    .select('hash')
    .where('user_id', '=', userId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute()
  await checkPasswordHistory(
    body.password,
    history.map((row) => row.hash),
    deps.passwords,
    deps.compliance,
  )
  const hash = await deps.passwords.hash(body.password)
  const at = isoTime(now)
  await deps.store.transaction(async (tx) => {
    await tx.db
      .updateTable('identity_users')
      .set({
        password_hash: hash,
        password_created_at: at,
        password_expires_at: user!.options.ignore_password_expiry
          ? null
          : passwordExpiresAt(at, deps.compliance),
        failed_auth_count: 0,
        failed_auth_at: null,
      })
      .where('id', '=', userId)
      .execute()
    await recordPassword(deps, tx, userId, hash, at)
    await deps.revoke(tx, { userId })
    deps.events.emitAfterCommit(tx, 'identity.user.updated', { id: userId, domainId: user!.domain.id })
  })
}
