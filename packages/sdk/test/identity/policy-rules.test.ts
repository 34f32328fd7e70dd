import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createContext } from '../../src/core/context.js'
import { createPolicy } from '../../src/core/policy.js'
import { IDENTITY_POLICY } from '../../src/identity/policy-rules.js'

const policy = createPolicy({ defaults: IDENTITY_POLICY })
const modules = [
  'domains',
  'projects',
  'project-tags',
  'users',
  'groups',
  'roles',
  'implied-roles',
  'regions',
]
  .concat(['catalog', 'role-assignments', 'assignments'])
  .map((name) => readFileSync(new URL(`../../src/identity/${name}.ts`, import.meta.url), 'utf8'))

describe('IDENTITY_POLICY', () => {
  it('defines every action the resource layer enforces', () => {
    const literal = modules.flatMap((text) => [...text.matchAll(/'(identity:[a-z_]+)'/g)].map((m) => m[1]!))
    // Built from parts in roles.ts and assignments.ts.
    const built = ['get', 'create', 'update', 'delete'].flatMap((v) => [
      `identity:${v}_role`,
      `identity:${v}_domain_role`,
    ])
    const grants = ['create', 'revoke', 'check'].flatMap((v) => [
      `identity:${v}_grant`,
      `identity:${v}_system_grant`,
    ])
    const actions = [...literal, ...built, ...grants, 'identity:list_grants', 'identity:list_system_grants']
    expect(literal.length).toBeGreaterThan(40)
    expect(actions.filter((action) => !policy.has(action))).toEqual([])
  })

  it('gives admins everything, system readers reads, domain readers their domain, members little', () => {
    const adminCtx = createContext({ userId: 'a', projectId: 'p', roles: ['admin'] })
    const sysReader = createContext({ userId: 's', system: true, roles: ['reader'] })
    const domReader = createContext({ userId: 'd', domainId: 'd1', roles: ['reader'] })
    const member = createContext({ userId: 'm', projectId: 'p', roles: ['member', 'reader'] })
    const inD1 = { domain_id: 'd1' }
    expect(policy.check(adminCtx, 'identity:create_grant', inD1)).toBe(true)
    expect(policy.check(sysReader, 'identity:list_users', inD1)).toBe(true)
    expect(policy.check(sysReader, 'identity:create_user', inD1)).toBe(false)
    expect(policy.check(domReader, 'identity:list_users', inD1)).toBe(true)
    expect(policy.check(domReader, 'identity:list_users', { domain_id: 'd2' })).toBe(false)
    expect(policy.check(member, 'identity:list_users', inD1)).toBe(false)
    expect(policy.check(member, 'identity:create_grant', { project_id: 'p' })).toBe(false)
    expect(policy.check(member, 'identity:get_project', { project_id: 'p', domain_id: 'd1' })).toBe(true)
    expect(policy.check(member, 'identity:get_user', { user_id: 'm', domain_id: 'd1' })).toBe(true)
    expect(policy.check(member, 'identity:get_user', { user_id: 'x', domain_id: 'd1' })).toBe(false)
  })
})
