import { createTestClock, type TestClock, type TestStore, testStore } from '@nubis/testing'
import { isoTime } from '../../src/core/clock.js'
import { createContext, type RequestContext, type RequestContextInput } from '../../src/core/context.js'
import { type AnyCloudEvent, createEventBus } from '../../src/core/events.js'
import { createPolicy } from '../../src/core/policy.js'
import { assignmentsApi } from '../../src/identity/assignments.js'
import { authMigrations } from '../../src/identity/auth-tables.js'
import { catalogApi } from '../../src/identity/catalog.js'
import { ensureIdentityDefaults } from '../../src/identity/defaults.js'
import type { IdentityConfig, IdentityDeps, RevocationInput } from '../../src/identity/deps.js'
import { domainsApi } from '../../src/identity/domains.js'
import { groupsApi } from '../../src/identity/groups.js'
import type { PasswordHasher } from '../../src/identity/passwords.js'
import { IDENTITY_POLICY } from '../../src/identity/policy-rules.js'
import { projectTagsApi } from '../../src/identity/project-tags.js'
import { projectsApi } from '../../src/identity/projects.js'
import { regionsApi } from '../../src/identity/regions.js'
import { rolesApi } from '../../src/identity/roles.js'
import { identityMigrations } from '../../src/identity/tables.js'
import { usersApi } from '../../src/identity/users.js'
import type { Dialect } from '../../src/store/types.js'

/** A hasher that costs nothing: `fake$<password>`. Tests here check where hashes go, not how strong they are. */
export const fakeHasher = {
  hash: async (password: string) => `fake$${password}`,
  verify: async (hash: string, password: string) => hash === `fake$${password}`,
  verifyDummy: async (_password: string) => false as const,
  // PasswordHasher is a class with private state; the fake has its public shape only.
} as unknown as PasswordHasher

/** Everything a test of the resource layer needs, on a fresh store with the default domain and roles. */
export interface Fixture {
  store: TestStore
  deps: IdentityDeps
  /** The deps' clock; time moves only when a test advances it. */
  clock: TestClock
  /** Every `deps.revoke` call, in order, once its transaction committed. */
  revoked: RevocationInput[]
  /** Every event emitted. */
  events: AnyCloudEvent[]
  /** All the module APIs merged, as the facade will merge them. */
  id: ReturnType<typeof apis>
  /** The id of a default role by name. */
  role(name: 'admin' | 'member' | 'reader' | 'service'): Promise<string>
  close(): Promise<void>
}

function apis(deps: IdentityDeps) {
  return {
    ...domainsApi(deps),
    ...projectsApi(deps),
    ...projectTagsApi(deps),
    ...usersApi(deps),
    ...groupsApi(deps),
    ...rolesApi(deps),
    ...assignmentsApi(deps),
    ...regionsApi(deps),
    ...catalogApi(deps),
  }
}

/** Builds a {@link Fixture} on `dialect`. */
export async function fixture(dialect: Dialect = 'sqlite', options: IdentityConfig = {}): Promise<Fixture> {
  const clock = createTestClock(Date.parse('2030-01-01T00:00:00Z'))
  const store = await testStore(dialect, { migrations: [...identityMigrations, ...authMigrations] })
  await store.transaction((tx) => ensureIdentityDefaults(tx, isoTime(clock.now())))
  const revoked: RevocationInput[] = []
  const events: AnyCloudEvent[] = []
  const bus = createEventBus({ clock })
  bus.onAny((event) => void events.push(event))
  const deps: IdentityDeps = {
    store,
    events: bus,
    policy: createPolicy({ defaults: IDENTITY_POLICY }),
    clock,
    passwords: fakeHasher,
    options,
    // Recorded after commit, like the real revocation list sees it: a rolled-back revoke never happened.
    revoke: async (tx, event) => tx.afterCommit(() => void revoked.push(event)),
  }
  const role = async (name: string) =>
    (
      await store.db
        .selectFrom('identity_roles')
        .select('id')
        .where('name', '=', name)
        .where('domain_id', '=', '')
        .executeTakeFirstOrThrow()
    ).id
  return { store, deps, clock, revoked, events, id: apis(deps), role, close: () => store.close() }
}

const ctx = (input: RequestContextInput): RequestContext => createContext(input)

/** A cloud admin (project-scoped admin token, as Keystone's admin is). */
export const admin = ctx({
  userId: 'admin-user',
  projectId: 'admin-project',
  roles: ['admin', 'member', 'reader'],
})
/** A system-scoped reader. */
export const systemReader = ctx({ userId: 'auditor', system: true, roles: ['reader'] })
/** A member (and so reader) of `projectId`. */
export const memberOf = (projectId: string, userId = 'member-user') =>
  ctx({ userId, projectId, roles: ['member', 'reader'] })
/** A reader with a token scoped to `domainId`. */
export const domainReader = (domainId: string) =>
  ctx({ userId: 'domain-reader', domainId, roles: ['reader'] })
