import type { Transaction } from '../store/types.js'
import { newHexId } from './common.js'
import type { IdentityDeps } from './deps.js'
import type { UserOptions } from './schemas.js'

const DAY_MS = 86_400_000

/** The password columns of a user row after an administrator set `hash` (or cleared it with null). */
export function passwordColumns(
  deps: Pick<IdentityDeps, 'options'>,
  hash: string | null,
  options: UserOptions,
  now: string,
) {
  return {
    password_hash: hash,
    password_created_at: hash ? now : null,
    password_expires_at: hash ? expiry(deps, options, now) : null,
    // A new password from an administrator is also how a locked-out user is let back in.
    failed_auth_count: 0,
    failed_auth_at: null,
  }
}

// Keystone's rules for a password an administrator sets: with change_password_upon_first_use it is born
// expired, so the user must choose their own at first use; else it lasts password_expires_days when set.
function expiry(deps: Pick<IdentityDeps, 'options'>, options: UserOptions, now: string): string | null {
  const config = deps.options
  if (config.changePasswordUponFirstUse && !options.ignore_change_password_upon_first_use) return now
  if (config.passwordExpiresDays && !options.ignore_password_expiry) {
    return new Date(Date.parse(now) + config.passwordExpiresDays * DAY_MS).toISOString()
  }
  return null
}

/**
 * Records `hash` as the user's newest password and drops the history beyond what
 * `uniqueLastPasswordCount` needs (the current password is always kept).
 */
export async function recordPassword(
  deps: Pick<IdentityDeps, 'options'>,
  tx: Transaction,
  userId: string,
  hash: string,
  now: string,
): Promise<void> {
  const id = newHexId()
  await tx.db
    .insertInto('identity_password_history')
    .values({ id, user_id: userId, hash, created_at: now })
    .execute()
  const keep = Math.max(1, deps.options.uniqueLastPasswordCount ?? 1)
  const stale = await tx.db
    .selectFrom('identity_password_history')
    .select('id')
    .where('user_id', '=', userId)
    .where('id', '<>', id) // the new one is the newest even when the clock stood still
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .offset(keep - 1)
    .limit(1000)
    .execute()
  if (stale.length === 0) return
  await tx.db
    .deleteFrom('identity_password_history')
    .where(
      'id',
      'in',
      stale.map((row) => row.id),
    )
    .execute()
}
