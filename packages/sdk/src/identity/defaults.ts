import { newResourceColumns } from '../store/cas.js'
import type { Transaction } from '../store/types.js'
import { newHexId } from './common.js'
import { DEFAULT_DOMAIN_ID } from './domains.js'
import { GLOBAL } from './role-tables.js'

/** The roles every cloud has, Keystone's bootstrap set; each implies the next in {@link DEFAULT_IMPLICATIONS}. */
export const DEFAULT_ROLES = ['admin', 'member', 'reader', 'service'] as const

/** admin ⇒ member ⇒ reader, as `keystone-manage bootstrap` creates them. */
export const DEFAULT_IMPLICATIONS: readonly (readonly [string, string])[] = [
  ['admin', 'member'],
  ['member', 'reader'],
]

/**
 * Creates what every cloud needs and does not have yet: the `default` domain (named `Default`), the roles
 * admin, member, reader and service, and the rules admin ⇒ member ⇒ reader. Idempotent: existing rows are
 * left as they are (an operator may have renamed the domain or given a role a description), so it can run at
 * every start. `now` is an ISO-8601 time.
 */
export async function ensureIdentityDefaults(tx: Transaction, now: string): Promise<void> {
  const domain = await tx.db
    .selectFrom('identity_domains')
    .select('id')
    .where('id', '=', DEFAULT_DOMAIN_ID)
    .executeTakeFirst()
  if (!domain) {
    await tx.db
      .insertInto('identity_domains')
      .values({
        ...newResourceColumns(DEFAULT_DOMAIN_ID, now),
        name: 'Default',
        description: 'The default domain',
        enabled: 1,
        options: '{}',
      })
      .execute()
  }

  const ids = new Map<string, string>()
  for (const name of DEFAULT_ROLES) {
    const role = await tx.db
      .selectFrom('identity_roles')
      .select('id')
      .where('domain_id', '=', GLOBAL)
      .where('name', '=', name)
      .executeTakeFirst()
    const id = role?.id ?? newHexId()
    if (!role) {
      await tx.db
        .insertInto('identity_roles')
        .values({ ...newResourceColumns(id, now), name, domain_id: GLOBAL, description: '', options: '{}' })
        .execute()
    }
    ids.set(name, id)
  }

  for (const [prior, implied] of DEFAULT_IMPLICATIONS) {
    const row = { prior_role_id: ids.get(prior)!, implied_role_id: ids.get(implied)! }
    const exists = await tx.db
      .selectFrom('identity_implied_roles')
      .select('prior_role_id')
      .where('prior_role_id', '=', row.prior_role_id)
      .where('implied_role_id', '=', row.implied_role_id)
      .executeTakeFirst()
    if (!exists) await tx.db.insertInto('identity_implied_roles').values(row).execute()
  }
}
