import type { Clock } from '../core/clock.js'
import type { EventBus } from '../core/events.js'
import type { Policy } from '../core/policy.js'
import type { Store, Transaction } from '../store/types.js'
import type { PasswordHasher } from './passwords.js'

/**
 * What a revocation event names: every token issued before now that matches all the given fields becomes
 * invalid. `roleId` narrows a role removal to the tokens carrying that role, where the revocation list supports it.
 */
export interface RevocationInput {
  userId?: string
  projectId?: string
  domainId?: string
  roleId?: string
}

/**
 * The Identity settings the resource layer reads, after Keystone's `[security_compliance]` and `[resource]`
 * sections. Everything is optional; unset means Keystone's default.
 */
export interface IdentityConfig {
  /** Days a password stays valid after it is set; unset: passwords never expire. */
  passwordExpiresDays?: number
  /** How many past password hashes to keep so a user cannot reuse them; at least the current one is kept. */
  uniqueLastPasswordCount?: number
  /** A password set by an administrator must be changed by the user at first use (it is born expired). */
  changePasswordUponFirstUse?: boolean
  /** Deepest project hierarchy, counting the top-level project as 1 (Keystone's `max_project_tree_depth`). */
  maxProjectTreeDepth?: number
}

/** The shared dependencies every Identity module factory takes. */
export interface IdentityDeps {
  store: Store
  events: EventBus
  policy: Policy
  clock: Clock
  passwords: PasswordHasher
  options: IdentityConfig
  /** Records a revocation event in `tx`, so tokens issued before it stop validating once it commits. */
  revoke(tx: Transaction, event: RevocationInput): Promise<void>
}
