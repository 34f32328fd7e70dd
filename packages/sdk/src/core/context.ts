import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import { parseOrThrow } from './errors.js'

/** Who is asking and in which scope: the first argument of every service call. */
export const RequestContextSchema = z.object({
  /** Request id, echoed as `X-Openstack-Request-Id` over REST; generated when absent. */
  requestId: z.string().min(1),
  /** Authenticated user; absent for the trusted system context. */
  userId: z.string().optional(),
  /** Domain of the user. */
  userDomainId: z.string().optional(),
  /** Project scope of the token, if project-scoped. */
  projectId: z.string().optional(),
  /** Domain scope of the token, if domain-scoped. */
  domainId: z.string().optional(),
  /** True for a system-scoped token (`system: all`). */
  system: z.boolean().default(false),
  /** Role names effective in this scope (implied roles already expanded). */
  roles: z.array(z.string()).default([]),
  /**
   * Set when the token came from an application credential; a restricted one may not create other application
   * credentials.
   */
  applicationCredential: z.object({ id: z.string(), restricted: z.boolean() }).optional(),
  /** The host application's own trusted jobs: every policy check passes. Only `cloud.system()` sets it. */
  trusted: z.boolean().default(false),
  /** Cancels the request's work. */
  signal: z.instanceof(AbortSignal).optional(),
})

/** See {@link RequestContextSchema}. */
export type RequestContext = z.output<typeof RequestContextSchema>
/** What {@link createContext} accepts: a {@link RequestContext} whose defaults may be left out. */
export type RequestContextInput = Omit<z.input<typeof RequestContextSchema>, 'requestId' | 'trusted'> & {
  requestId?: string
}

/** Makes a request id in OpenStack's form (`req-<uuid>`). */
export function newRequestId(): string {
  return `req-${randomUUID()}`
}

/** Builds a validated, untrusted {@link RequestContext}; a request id is generated when none is given. */
export function createContext(input: RequestContextInput): RequestContext {
  return parseOrThrow(
    RequestContextSchema,
    { ...input, requestId: input.requestId ?? newRequestId(), trusted: false },
    'context',
  )
}

/** The trusted context for the host application's own jobs (what `cloud.system()` returns). */
export function systemContext(signal?: AbortSignal): RequestContext {
  return { requestId: newRequestId(), system: true, roles: ['admin'], trusted: true, signal }
}
