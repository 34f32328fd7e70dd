import { createTestClock, type TestClock } from '@nubis/testing'
import { type Cloud, createCloud } from '../../src/cloud.js'
import type { IdentityOptions } from '../../src/identity/options.js'

/** A cloud with a user `alice` (member on project `web`) and an admin, for authentication tests. */
export interface AuthFixture {
  cloud: Cloud
  clock: TestClock
  aliceId: string
  projectId: string
  /** Alice's password. */
  password: string
  close(): Promise<void>
}

/** Cheap argon2 so the tests stay fast; the cost itself is measured by the bench. */
export const CHEAP_HASHING = { memoryCost: 1024, timeCost: 1, parallelism: 1 }

/** Builds an {@link AuthFixture} on a fresh in-memory cloud driven by a test clock. */
export async function authFixture(identity: IdentityOptions = {}): Promise<AuthFixture> {
  const clock = createTestClock(Date.parse('2026-01-01T00:00:00Z'))
  const cloud = await createCloud({
    clock,
    identity: { passwordHashing: CHEAP_HASHING, ...identity },
    tasks: { recoverEveryMs: 0 },
  })
  const ctx = cloud.system()
  const { identity: id } = cloud
  const project = await id.createProject(ctx, { name: 'web', domainId: 'default' })
  const password = 'correct horse battery staple'
  const alice = await id.createUser(ctx, { name: 'alice', domainId: 'default', password })
  const member = (await id.listRoles(ctx, { name: 'member' })).items[0]!
  await id.grantRole(ctx, { roleId: member.id, userId: alice.id, projectId: project.id })
  return { cloud, clock, aliceId: alice.id, projectId: project.id, password, close: () => cloud.close() }
}

/** The auth request of alice's password, scoped to `web`. */
export function alicePassword(f: AuthFixture, password = f.password) {
  return {
    identity: {
      methods: ['password' as const],
      password: { user: { name: 'alice', domain: { id: 'default' }, password } },
    },
    scope: { project: { name: 'web', domain: { name: 'Default' } } },
  }
}
