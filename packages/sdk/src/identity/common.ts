import { isoTime } from '../core/clock.js'
import type { RequestContext } from '../core/context.js'
import { CloudError } from '../core/errors.js'
import type { IdentityDeps } from './deps.js'

// Small helpers every Identity module shares: error shapes, row decoding, and the time of a change.

/** NOT_FOUND in Keystone's words: "Could not find user: <id>." */
export function notFound(type: string, id: string): CloudError {
  return new CloudError('NOT_FOUND', `Could not find ${type}: ${id}.`, { resource: { type, id } })
}

/** CONFLICT for a duplicate, as Keystone reports it (409 "Duplicate entry"). */
export function duplicate(type: string, what: string): CloudError {
  return new CloudError(
    'CONFLICT',
    `Conflict occurred attempting to store ${type} - Duplicate entry: ${what}.`,
    {
      resource: { type, id: what },
    },
  )
}

/** Decodes a JSON object column; a damaged value reads as empty rather than breaking every list. */
export function jsonObject(text: string | null | undefined): Record<string, unknown> {
  if (!text) return {}
  try {
    const value: unknown = JSON.parse(text)
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {}
  } catch {
    return {}
  }
}

/** The ISO time of now on the deps' clock, so tests with a test clock get stable timestamps. */
export function nowIso(deps: Pick<IdentityDeps, 'clock'>): string {
  return isoTime(deps.clock.now())
}

/** Hex ids, as Keystone writes them (`uuid4().hex`). */
export function newHexId(): string {
  return crypto.randomUUID().replaceAll('-', '')
}

/** Splits a list into chunks, so `in (…)` lists stay under SQLite's and PostgreSQL's parameter limits. */
export function chunks<T>(items: readonly T[], size = 500): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/**
 * The domain a list call is confined to. Admins and system readers may list everything (or the domain they
 * ask for); a domain reader sees their own domain only, as Keystone narrows such lists to the token's domain.
 */
export function listDomainScope(
  deps: Pick<IdentityDeps, 'policy'>,
  ctx: RequestContext,
  action: string,
  requested: string | undefined,
): string | undefined {
  if (requested !== undefined) {
    deps.policy.enforce(ctx, action, { domain_id: requested })
    return requested
  }
  if (deps.policy.check(ctx, action, {})) return undefined
  deps.policy.enforce(ctx, action, { domain_id: ctx.domainId })
  return ctx.domainId
}
