import type { RequestContext } from './context.js'
import { CloudError } from './errors.js'
import { type Compiled, compile, credsOf, type PolicyTarget } from './policy-compile.js'
import { type PolicyNode, parseRule, referencedRules } from './policy-parser.js'

export { credentialsOf, type PolicyCredentials, type PolicyTarget } from './policy-compile.js'

/**
 * The persona rules every service builds on, after Keystone's and Nova's defaults. `admin_or_owner` is
 * Nova's project-ownership rule; Keystone's user-ownership is `owner`.
 */
export const BASE_RULES = {
  admin_required: 'role:admin',
  context_is_admin: 'role:admin',
  service_role: 'role:service',
  service_or_admin: 'rule:admin_required or rule:service_role',
  system_admin: 'role:admin and system_scope:all',
  system_member: 'role:member and system_scope:all',
  system_reader: 'role:reader and system_scope:all',
  domain_admin: 'role:admin and domain_id:%(domain_id)s',
  domain_member: 'role:member and domain_id:%(domain_id)s',
  domain_reader: 'role:reader and domain_id:%(domain_id)s',
  project_admin: 'role:admin and project_id:%(project_id)s',
  project_member: 'role:member and project_id:%(project_id)s',
  project_reader: 'role:reader and project_id:%(project_id)s',
  owner: 'user_id:%(user_id)s',
  admin_or_owner: 'rule:admin_required or project_id:%(project_id)s',
  admin_or_member: 'rule:context_is_admin or rule:project_member',
  admin_or_reader: 'rule:context_is_admin or rule:project_reader',
} as const satisfies Record<string, string>

/** Options of {@link createPolicy}. */
export interface PolicyOptions {
  /** The service's rules by action name (`compute:servers:create`); {@link BASE_RULES} are always added. */
  defaults: Readonly<Record<string, string>>
  /** The operator's replacements. Each must name a known rule; new rules cannot be added, so typos fail. */
  overrides?: Readonly<Record<string, string>>
}

/** A compiled set of rules. Every service call checks one before it acts. */
export interface Policy {
  /** Throws `FORBIDDEN` unless `ctx` may perform `action` on `target`; trusted contexts always may. */
  enforce(ctx: RequestContext, action: string, target?: PolicyTarget): void
  /** Whether `ctx` may perform `action` on `target`; false for an unknown action. */
  check(ctx: RequestContext, action: string, target?: PolicyTarget): boolean
  /** Whether `action` is a known rule. */
  has(action: string): boolean
  /** The effective rule strings (defaults with overrides applied), for listing as `oslopolicy-list-rules` does. */
  readonly rules: Readonly<Record<string, string>>
}

/** Builds a {@link Policy}, parsing and linking every rule now so that a bad one fails at start-up. */
export function createPolicy(options: PolicyOptions): Policy {
  const defaults: Record<string, string> = { ...BASE_RULES, ...options.defaults }
  for (const name of Object.keys(options.overrides ?? {})) {
    if (!Object.hasOwn(defaults, name)) {
      throw new CloudError('INVALID', `Policy override "${name}" names no known rule`, {
        details: { rule: name },
      })
    }
  }
  const rules: Record<string, string> = { ...defaults, ...options.overrides }
  const parsed = new Map<string, PolicyNode>()
  for (const [name, text] of Object.entries(rules)) {
    try {
      parsed.set(name, parseRule(text))
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error)
      throw new CloudError('INVALID', `Policy rule "${name}" is invalid: ${reason}`, {
        details: { rule: name },
        cause: error,
      })
    }
  }
  checkReferences(parsed)
  const compiled = new Map<string, Compiled>()
  const link =
    (name: string): Compiled =>
    (creds, target) =>
      compiled.get(name)!(creds, target)
  for (const [name, node] of parsed) compiled.set(name, compile(node, link))

  const check = (ctx: RequestContext, action: string, target: PolicyTarget = {}): boolean => {
    if (ctx.trusted) return true
    // An action nobody defined is refused: fail closed.
    return compiled.get(action)?.(credsOf(ctx), target) === true
  }
  return {
    check,
    enforce(ctx, action, target) {
      if (!check(ctx, action, target)) {
        throw new CloudError('FORBIDDEN', `Policy doesn't allow ${action} to be performed.`, {
          details: { action },
        })
      }
    },
    has: (action) => compiled.has(action),
    rules: Object.freeze(rules),
  }
}

// Unknown references and cycles are configuration errors: report them at creation, naming the rule.
function checkReferences(parsed: ReadonlyMap<string, PolicyNode>): void {
  const refs = new Map([...parsed].map(([name, node]) => [name, [...referencedRules(node)]]))
  const done = new Set<string>()
  const visit = (name: string, path: string[]): void => {
    if (done.has(name)) return
    if (path.includes(name)) {
      throw new CloudError(
        'INVALID',
        `Policy rule "${name}" refers to itself: ${[...path, name].join(' -> ')}`,
        {
          details: { rule: name },
        },
      )
    }
    for (const ref of refs.get(name) ?? []) {
      if (!parsed.has(ref)) {
        throw new CloudError('INVALID', `Policy rule "${name}" refers to unknown rule "${ref}"`, {
          details: { rule: name },
        })
      }
      visit(ref, [...path, name])
    }
    done.add(name)
  }
  for (const name of parsed.keys()) visit(name, [])
}
