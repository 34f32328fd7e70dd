import type { Selectable } from 'kysely'
import type { Db } from '../store/types.js'
import type { AppCredentialsTable } from './auth-tables.js'
import type { AppCredentialFacts } from './token-info.js'

/** An application credential row, secret hash included: never leaves the SDK. */
export interface AppCredentialRecord extends AppCredentialFacts {
  description: string | null
  secretHash: string
  createdAt: string
}

/** Maps a row of `identity_app_credentials`. */
export function toAppCredentialRecord(row: Selectable<AppCredentialsTable>): AppCredentialRecord {
  return {
    id: row.id,
    name: row.name,
    userId: row.user_id,
    projectId: row.project_id,
    description: row.description,
    secretHash: row.secret_hash,
    expiresAt: row.expires_at,
    unrestricted: Boolean(row.unrestricted),
    roleIds: JSON.parse(row.roles) as string[],
    createdAt: row.created_at,
  }
}

/** The application credential with this id, or undefined. */
export async function findAppCredentialRecord(db: Db, id: string): Promise<AppCredentialRecord | undefined> {
  const row = await db
    .selectFrom('identity_app_credentials')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst()
  return row && toAppCredentialRecord(row)
}

/** The application credential of a user with this name, or undefined. */
export async function findAppCredentialByName(
  db: Db,
  userId: string,
  name: string,
): Promise<AppCredentialRecord | undefined> {
  const row = await db
    .selectFrom('identity_app_credentials')
    .selectAll()
    .where('user_id', '=', userId)
    .where('name', '=', name)
    .executeTakeFirst()
  return row && toAppCredentialRecord(row)
}
