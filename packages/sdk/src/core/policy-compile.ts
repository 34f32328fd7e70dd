import type { RequestContext } from './context.js'
import type { PolicyNode, Template } from './policy-parser.js'

/** What a rule's `%(path)s` substitutions read: the resource acted upon, addressed with dotted paths. */
export type PolicyTarget = Readonly<Record<string, unknown>>

/**
 * What a rule's left-hand side reads, built from the {@link RequestContext} with oslo.context's names.
 * The engine sees roles exactly as given: implied roles (admin ⇒ member ⇒ reader) are expanded by Identity
 * before the context is built, so `role:reader` matches a member only because Identity said so.
 */
export interface PolicyCredentials {
  readonly user_id?: string
  readonly user_domain_id?: string
  readonly project_id?: string
  readonly domain_id?: string
  /** Role names, lower-cased as oslo.policy compares them. */
  readonly roles: readonly string[]
  /** `all` for a system-scoped token. */
  readonly system_scope?: 'all'
  /** True when the roles include `admin`, as Nova's `context_is_admin` computes it. */
  readonly is_admin: boolean
}

/** Credentials as compiled rules read them: the role names also as a set. */
export interface Creds {
  readonly flat: PolicyCredentials
  readonly roles: ReadonlySet<string>
}

/** A compiled rule. */
export type Compiled = (creds: Creds, target: PolicyTarget) => boolean

/** The credentials a rule sees for `ctx`. */
export function credentialsOf(ctx: RequestContext): PolicyCredentials {
  const roles = ctx.roles.map((role) => role.toLowerCase())
  return {
    user_id: ctx.userId,
    user_domain_id: ctx.userDomainId,
    project_id: ctx.projectId,
    domain_id: ctx.domainId,
    roles,
    system_scope: ctx.system ? 'all' : undefined,
    is_admin: roles.includes('admin'),
  }
}

// A request checks many rules against one context (a list filters every row), so credentials are built once per
// context object. Contexts are treated as immutable, as every service does.
const credsCache = new WeakMap<RequestContext, Creds>()

/** The credentials of `ctx`, built once per context object. */
export function credsOf(ctx: RequestContext): Creds {
  let creds = credsCache.get(ctx)
  if (!creds) {
    const flat = credentialsOf(ctx)
    creds = { flat, roles: new Set(flat.roles) }
    credsCache.set(ctx, creds)
  }
  return creds
}

const always: Compiled = () => true
const never: Compiled = () => false

/** Turns a parsed rule into a closure; `link` gives the compiled rule a `rule:<name>` check refers to. */
export function compile(node: PolicyNode, link: (name: string) => Compiled): Compiled {
  switch (node.kind) {
    case 'true':
      return always
    case 'false':
      return never
    case 'rule':
      return link(node.name)
    case 'not': {
      const item = compile(node.item, link)
      return (c, t) => !item(c, t)
    }
    case 'and': {
      const items = node.items.map((item) => compile(item, link))
      return (c, t) => items.every((item) => item(c, t))
    }
    case 'or': {
      const items = node.items.map((item) => compile(item, link))
      return (c, t) => items.some((item) => item(c, t))
    }
    case 'role': {
      const { match } = node
      const [only] = match
      if (match.length === 1 && typeof only === 'string') {
        const role = only.toLowerCase()
        return (c) => c.roles.has(role)
      }
      return (c, t) => {
        const role = render(match, t)
        return role !== undefined && c.roles.has(role.toLowerCase())
      }
    }
    case 'generic': {
      const { match, cred, literal } = node
      if (literal !== undefined) return (_c, t) => render(match, t) === literal
      const path = cred!
      return (c, t) => {
        const expected = render(match, t)
        const actual = lookup(c.flat, path)
        if (expected === undefined) return false
        if (Array.isArray(actual)) return actual.some((value) => pyString(value) === expected)
        return pyString(actual) === expected
      }
    }
  }
}

// oslo.policy compares Python `str()` forms: True/False for booleans. Missing, null and structured values never
// match anything, so a target that lacks a field fails closed.
function pyString(value: unknown): string | undefined {
  if (typeof value === 'string') return value
  if (typeof value === 'boolean') return value ? 'True' : 'False'
  if (typeof value === 'number' || typeof value === 'bigint') return String(value)
  return undefined
}

function render(template: Template, target: PolicyTarget): string | undefined {
  let out = ''
  for (const part of template) {
    if (typeof part === 'string') {
      out += part
      continue
    }
    // Keystone writes target fields as `target.<x>`; a bare target object serves both spellings.
    let value = lookup(target, part.ref)
    if (value === undefined && part.ref.startsWith('target.')) value = lookup(target, part.ref.slice(7))
    const text = pyString(value)
    if (text === undefined) return undefined
    out += text
  }
  return out
}

// A flattened key (`{'target.user.id': …}`, as Keystone builds targets) wins over walking nested objects.
function lookup(source: object, path: string): unknown {
  if (Object.hasOwn(source, path)) return (source as Record<string, unknown>)[path]
  let value: unknown = source
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined
    value = (value as Record<string, unknown>)[key]
  }
  return value
}
