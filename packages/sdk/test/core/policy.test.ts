import { describe, expect, it } from 'vitest'
import { createContext, type RequestContextInput, systemContext } from '../../src/core/context.js'
import { CloudError, isCloudError } from '../../src/core/errors.js'
import { BASE_RULES, createPolicy, credentialsOf, type PolicyTarget } from '../../src/core/policy.js'

const P1 = 'project-1'
const P2 = 'project-2'
const ctx = (input: RequestContextInput) => createContext(input)
const member = ctx({ userId: 'u1', projectId: P1, roles: ['member', 'reader'] })
const reader = ctx({ userId: 'u2', projectId: P1, roles: ['Reader'] })
const admin = ctx({ userId: 'a', projectId: P2, roles: ['admin', 'member', 'reader'] })
const sysReader = ctx({ userId: 's', system: true, roles: ['reader'] })
const anonymous = ctx({})

/** A policy with one rule `t` to try a rule string on its own. */
const allows = (
  rule: string,
  who: Parameters<ReturnType<typeof createPolicy>['check']>[0],
  target?: PolicyTarget,
) => createPolicy({ defaults: { t: rule } }).check(who, 't', target)

describe('rule checks', () => {
  it('@ always passes, ! never does, an empty rule passes', () => {
    expect(allows('@', anonymous)).toBe(true)
    expect(allows('!', admin)).toBe(false)
    expect(allows('', anonymous)).toBe(true)
  })

  it('role: compares role names case-insensitively, as given (no implication)', () => {
    expect(allows('role:reader', reader)).toBe(true)
    expect(allows('role:READER', member)).toBe(true)
    expect(allows('role:member', reader)).toBe(false)
    expect(allows('role:%(needed)s', member, { needed: 'Member' })).toBe(true)
  })

  it('credential checks compare against target fields, failing closed when the field is missing', () => {
    expect(allows('project_id:%(project_id)s', member, { project_id: P1 })).toBe(true)
    expect(allows('project_id:%(project_id)s', member, { project_id: P2 })).toBe(false)
    expect(allows('project_id:%(project_id)s', member, {})).toBe(false)
    expect(allows('project_id:%(project_id)s', member, { project_id: null })).toBe(false)
    expect(allows('project_id:%(project_id)s', anonymous, { project_id: P1 })).toBe(false)
  })

  it('targets are addressed with dotted paths, flattened keys, or Keystone-style target. prefixes', () => {
    const rule = 'user_id:%(target.user_id)s'
    expect(allows(rule, member, { user_id: 'u1' })).toBe(true)
    expect(allows(rule, member, { target: { user_id: 'u1' } })).toBe(true)
    expect(allows(rule, member, { 'target.user_id': 'u1' })).toBe(true)
    expect(allows(rule, member, { user_id: 'u2' })).toBe(false)
    expect(allows('user_id:%(owner.id)s', member, { owner: { id: 'u1' } })).toBe(true)
    expect(allows('user_id:%(owner.id)s', member, { owner: 'u1' })).toBe(false)
  })

  it('system_scope:all holds only for system-scoped contexts; domain_id reads the domain scope', () => {
    expect(allows('system_scope:all', sysReader)).toBe(true)
    expect(allows('system_scope:all', admin)).toBe(false)
    expect(allows('domain_id:%(domain_id)s', ctx({ domainId: 'd1' }), { domain_id: 'd1' })).toBe(true)
  })

  it('is_admin:True, literals and True/False compare Python str() forms', () => {
    expect(allows('is_admin:True', admin)).toBe(true)
    expect(allows('is_admin:True', member)).toBe(false)
    expect(allows('is_admin:False', member)).toBe(true)
    expect(allows("'public':%(visibility)s", anonymous, { visibility: 'public' })).toBe(true)
    expect(allows("'public':%(visibility)s", anonymous, { visibility: 'private' })).toBe(false)
    expect(allows('"a b":%(v)s', anonymous, { v: 'a b' })).toBe(true)
    expect(allows('True:%(shared)s', anonymous, { shared: true })).toBe(true)
    expect(allows('True:%(shared)s', anonymous, { shared: false })).toBe(false)
    expect(allows('False:%(shared)s', anonymous, { shared: false })).toBe(true)
    expect(allows('3:%(n)s', anonymous, { n: 3 })).toBe(true)
  })

  it('templates can mix literal text with several substitutions', () => {
    expect(allows('user_id:%(a)s-%(b)s', ctx({ userId: 'x-y' }), { a: 'x', b: 'y' })).toBe(true)
    expect(allows('user_id:100%%', ctx({ userId: '100%' }))).toBe(true)
  })
})

describe('operators', () => {
  it('binds not tighter than and, and tighter than or', () => {
    // Read as (not !) or (! and !), so true.
    expect(allows('not ! or ! and !', anonymous)).toBe(true)
    // Read as @ or (! and !): or is loosest.
    expect(allows('@ or ! and !', anonymous)).toBe(true)
    expect(allows('(@ or !) and !', anonymous)).toBe(false)
    expect(allows('not (@ and !)', anonymous)).toBe(true)
    expect(allows('not not @', anonymous)).toBe(true)
  })

  it('keywords are case-insensitive and parentheses need no spaces', () => {
    expect(allows('(role:reader)AND(project_id:%(project_id)s)', reader, { project_id: P1 })).toBe(true)
    expect(allows('role:admin OR role:reader', reader)).toBe(true)
    expect(allows('NOT role:reader', reader)).toBe(false)
  })
})

describe('BASE_RULES personas', () => {
  const policy = createPolicy({ defaults: {} })
  const own = { project_id: P1, user_id: 'u1' }
  const other = { project_id: P2, user_id: 'u9' }

  it.each([
    ['project_member', member, own, true],
    ['project_member', member, other, false],
    ['project_member', reader, own, false],
    ['project_reader', reader, own, true],
    ['project_reader', reader, other, false],
    ['admin_required', admin, other, true],
    ['admin_or_owner', member, own, true],
    ['admin_or_owner', member, other, false],
    ['admin_or_owner', admin, other, true],
    ['admin_or_member', admin, other, true],
    ['admin_or_reader', reader, own, true],
    ['owner', member, own, true],
    ['system_reader', sysReader, other, true],
    ['system_reader', reader, own, false],
    ['system_admin', admin, own, false],
    ['system_admin', systemContext(), own, true],
  ] as const)('%s for %o on %o is %s', (rule, who, target, expected) => {
    expect(policy.check(who, rule, target)).toBe(expected)
  })

  it('every base rule is exposed and credentials use oslo.context names', () => {
    for (const name of Object.keys(BASE_RULES)) expect(policy.has(name)).toBe(true)
    expect(credentialsOf(sysReader)).toMatchObject({ user_id: 's', system_scope: 'all', roles: ['reader'] })
    expect(credentialsOf(admin).is_admin).toBe(true)
  })
})

describe('createPolicy', () => {
  const defaults = {
    'compute:servers:show': 'rule:admin_or_reader',
    'compute:servers:delete': 'rule:admin_or_member',
  }

  it('enforce throws FORBIDDEN with OpenStack wording; check returns false', () => {
    const policy = createPolicy({ defaults })
    const target = { project_id: P1 }
    expect(() => policy.enforce(reader, 'compute:servers:show', target)).not.toThrow()
    expect(policy.check(reader, 'compute:servers:delete', target)).toBe(false)
    const error = (() => {
      try {
        policy.enforce(reader, 'compute:servers:delete', target)
      } catch (e) {
        return e
      }
    })()
    expect(error).toBeInstanceOf(CloudError)
    expect(error).toMatchObject({
      code: 'FORBIDDEN',
      message: "Policy doesn't allow compute:servers:delete to be performed.",
    })
  })

  it('an unknown action is refused, except for the trusted context', () => {
    const policy = createPolicy({ defaults })
    expect(policy.check(admin, 'compute:nope')).toBe(false)
    expect(() => policy.enforce(admin, 'compute:nope')).toThrow(/compute:nope/)
    expect(policy.check(systemContext(), 'compute:nope')).toBe(true)
    expect(() => createPolicy({ defaults: { x: '!' } }).enforce(systemContext(), 'x')).not.toThrow()
  })

  it('overrides replace defaults and rule: references follow them', () => {
    const policy = createPolicy({ defaults, overrides: { admin_or_reader: 'rule:admin_required' } })
    expect(policy.check(reader, 'compute:servers:show', { project_id: P1 })).toBe(false)
    expect(policy.check(admin, 'compute:servers:show', { project_id: P1 })).toBe(true)
    expect(policy.rules.admin_or_reader).toBe('rule:admin_required')
    expect(policy.rules['compute:servers:delete']).toBe('rule:admin_or_member')
  })

  it.each([
    [{ overrides: { 'compute:servers:shwo': '@' } }, /"compute:servers:shwo" names no known rule/],
    [{ overrides: { 'compute:servers:show': 'role:admin and' } }, /"compute:servers:show" is invalid/],
    [
      { overrides: { 'compute:servers:show': 'rule:nope' } },
      /"compute:servers:show" refers to unknown rule "nope"/,
    ],
    [
      { overrides: { 'compute:servers:show': 'frobnicate' } },
      /"compute:servers:show" is invalid: .*not a check/,
    ],
    [{ overrides: { context_is_admin: 'rule:admin_or_member' } }, /refers to itself: .*context_is_admin/],
  ])('reports %o as INVALID naming the rule', (extra, message) => {
    let error: unknown
    try {
      createPolicy({ defaults, ...extra })
    } catch (e) {
      error = e
    }
    expect(isCloudError(error, 'INVALID')).toBe(true)
    expect((error as Error).message).toMatch(message)
  })

  it('rules are compiled once: checking is fast', () => {
    const policy = createPolicy({ defaults })
    const started = performance.now()
    let allowed = 0
    for (let i = 0; i < 100_000; i++)
      if (policy.check(member, 'compute:servers:delete', { project_id: P1 })) allowed++
    expect(allowed).toBe(100_000)
    expect(performance.now() - started).toBeLessThan(2000)
  })
})
