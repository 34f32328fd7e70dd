import type { Migration, Store } from '../store/types.js'
import type { Clock } from './clock.js'
import { isoTime } from './clock.js'

/** Row of the `settings` table: small, cloud-wide values such as bootstrap data or key material ids. */
export interface SettingsTable {
  key: string
  value: string
  revision: number
  updated_at: string
}

declare module '../store/types.js' {
  interface Tables {
    settings: SettingsTable
  }
}

/** Creates the `settings` table. */
export const settingsMigrations: readonly Migration[] = [
  {
    id: 'core/002-settings',
    async up(db) {
      await db.schema
        .createTable('settings')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('revision', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute()
    },
  },
]

/** Cloud-wide key/value settings kept in the state store, shared by every control-plane process. */
export class Settings {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /** The value of `key`, or undefined. */
  async get(key: string): Promise<string | undefined> {
    const row = await this.store.db
      .selectFrom('settings')
      .select('value')
      .where('key', '=', key)
      .executeTakeFirst()
    return row?.value
  }

  /** Sets `key` to `value`, creating or replacing it. */
  async set(key: string, value: string): Promise<void> {
    const now = isoTime(this.clock.now())
    await this.store.transaction(async ({ db }) => {
      await db
        .insertInto('settings')
        .values({ key, value, revision: 1, updated_at: now })
        .onConflict((oc) =>
          oc
            .column('key')
            .doUpdateSet((eb) => ({ value, revision: eb('settings.revision', '+', 1), updated_at: now })),
        )
        .execute()
    })
  }

  /**
   * Sets `key` only if it has no value yet; returns whether this call set it. Two processes racing on first
   * start agree on one value this way.
   */
  async setIfAbsent(key: string, value: string): Promise<boolean> {
    const now = isoTime(this.clock.now())
    return this.store.transaction(async ({ db }) => {
      const inserted = await db
        .insertInto('settings')
        .values({ key, value, revision: 1, updated_at: now })
        .onConflict((oc) => oc.column('key').doNothing())
        .returning('key')
        .executeTakeFirst()
      return inserted !== undefined
    })
  }
}
