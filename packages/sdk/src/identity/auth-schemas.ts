import { z } from 'zod'

const ref = z.string().min(1).max(255)

/** A domain named by id or by name (the id wins when both are given). */
export const DomainRefSchema = z
  .object({ id: ref.optional(), name: ref.optional() })
  .strict()
  .refine((domain) => domain.id !== undefined || domain.name !== undefined, 'a domain needs an id or a name')

/** A user named by id, or by name within a domain (Keystone's `user` object). */
export const UserRefSchema = z
  .object({ id: ref.optional(), name: ref.optional(), domain: DomainRefSchema.optional() })
  .strict()
  .refine(
    (user) => user.id !== undefined || (user.name !== undefined && user.domain !== undefined),
    'a user needs an id, or a name and a domain',
  )

/** A project named by id, or by name within a domain. */
export const ProjectRefSchema = z
  .object({ id: ref.optional(), name: ref.optional(), domain: DomainRefSchema.optional() })
  .strict()
  .refine(
    (project) => project.id !== undefined || (project.name !== undefined && project.domain !== undefined),
    'a project needs an id, or a name and a domain',
  )

/** What a token is scoped to: one project, one domain, the whole system, or nothing. */
export const ScopeSchema = z.union([
  z
    .object({
      project: ProjectRefSchema,
    })
    .strict(),
  z.object({ domain: DomainRefSchema }).strict(),
  z.object({ system: z.object({ all: z.literal(true) }).strict() }).strict(),
])

/**
 * An authentication request, Keystone v3's `auth` object in camelCase: the methods used and their proofs, and
 * an optional scope. Without a scope the token is scoped to the user's default project when it has a role
 * there, else unscoped.
 */
export const AuthRequestSchema = z
  .object({
    identity: z
      .object({
        methods: z.array(z.enum(['password', 'token', 'application_credential'])).min(1),
        password: z
          .object({
            user: z
              .object({
                id: ref.optional(),
                name: ref.optional(),
                domain: DomainRefSchema.optional(),
                password: z.string().max(4096),
              })
              .strict()
              .refine(
                (user) => user.id !== undefined || (user.name !== undefined && user.domain !== undefined),
                {
                  message: 'a user needs an id, or a name and a domain',
                },
              ),
          })
          .optional(),
        token: z.object({ id: z.string().min(1).max(4096) }).optional(),
        applicationCredential: z
          .object({
            id: ref.optional(),
            name: ref.optional(),
            user: UserRefSchema.optional(),
            secret: z.string().min(1).max(4096),
          })
          .strict()
          .refine((cred) => cred.id !== undefined || (cred.name !== undefined && cred.user !== undefined), {
            message: 'an application credential needs an id, or a name and a user',
          })
          .optional(),
      })
      .strict(),
    scope: z.union([ScopeSchema, z.literal('unscoped')]).optional(),
  })
  .strict()

/** See {@link AuthRequestSchema}. */
export type AuthRequest = z.input<typeof AuthRequestSchema>
/** A domain named by id or name. */
export type DomainRef = z.output<typeof DomainRefSchema>
/** A user named by id, or by name and domain. */
export type UserRef = z.output<typeof UserRefSchema>
/** A project named by id, or by name and domain. */
export type ProjectRef = z.output<typeof ProjectRefSchema>
/** A token's scope, as requested. */
export type ScopeRequest = z.output<typeof ScopeSchema>

/** A role as tokens carry it. */
export interface TokenRole {
  id: string
  name: string
}

/** A named object with its domain, as tokens carry users and projects. */
export interface NamedInDomain {
  id: string
  name: string
  domain: { id: string; name: string }
}

/** Everything known about a valid token: what validation returns and what the REST token body shows. */
export interface TokenInfo {
  /** The token string itself. */
  token: string
  methods: string[]
  user: NamedInDomain & { passwordExpiresAt: string | null }
  /** Epoch ms. */
  issuedAt: number
  /** Epoch ms. */
  expiresAt: number
  /** The token's audit id, then the one of the token it was rescoped from. */
  auditIds: string[]
  project?: NamedInDomain
  domain?: { id: string; name: string }
  system?: true
  /** Effective roles in the scope, implied roles included; empty for unscoped tokens. */
  roles: TokenRole[]
  /** Set when the token was issued for an application credential. */
  applicationCredential?: { id: string; name: string; restricted: boolean }
}
