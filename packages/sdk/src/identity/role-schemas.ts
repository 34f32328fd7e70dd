import { z } from 'zod'
import { descriptionSchema, looseIdSchema, nameSchema } from '../core/ids.js'
import { boolFilterSchema } from './schemas.js'

const ref = looseIdSchema<string>()

/** A role; `domainId` is null for a global role and set for a domain-specific one. */
export const RoleSchema = z.object({
  id: z.string(),
  name: z.string(),
  domainId: z.string().nullable(),
  description: z.string(),
  options: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  updatedAt: z.string(),
})
export type Role = z.output<typeof RoleSchema>

/** Creating a role, global unless `domainId` is given. */
export const RoleCreateSchema = z.strictObject({
  name: nameSchema.max(255),
  domainId: ref.nullable().optional(),
  description: descriptionSchema.optional(),
  options: z.strictObject({ immutable: z.boolean().optional() }).optional(),
})
export type RoleCreate = z.input<typeof RoleCreateSchema>

/** Changing a role; its domain is fixed. */
export const RoleUpdateSchema = RoleCreateSchema.omit({ domainId: true }).partial()
export type RoleUpdate = z.input<typeof RoleUpdateSchema>

/** Filters of `listRoles`: global roles unless `domainId` is given. */
export const RoleFiltersSchema = z.object({ name: z.string().optional(), domainId: z.string().optional() })
export type RoleFilters = z.input<typeof RoleFiltersSchema>

/** A role as implication rules and assignments name it. */
export interface RoleRef {
  id: string
  name: string
  domainId: string | null
}

/** What one role implies (Keystone's `role_inference`). */
export interface RoleInference {
  priorRole: RoleRef
  implies: RoleRef[]
}

/** Where a role is granted: one project, one domain, or the whole system. */
export const GrantTargetSchema = z.union([
  z.strictObject({ projectId: ref }),
  z.strictObject({ domainId: ref }),
  z.strictObject({ system: z.literal('all') }),
])

/** A role grant (`PUT /v3/projects/{p}/users/{u}/roles/{r}` and friends) in one object. */
export const GrantSchema = z
  .object({
    roleId: ref,
    userId: ref.optional(),
    groupId: ref.optional(),
    projectId: ref.optional(),
    domainId: ref.optional(),
    system: z.literal('all').optional(),
    /** Keystone's OS-INHERIT: the grant applies to the projects below the target, not to the target. */
    inherited: z.boolean().optional(),
  })
  .strict()
  .refine((g) => (g.userId === undefined) !== (g.groupId === undefined), {
    message: 'exactly one of userId and groupId is required',
  })
  .refine((g) => [g.projectId, g.domainId, g.system].filter((v) => v !== undefined).length === 1, {
    message: 'exactly one of projectId, domainId and system is required',
  })
  .refine((g) => !(g.inherited && g.system), { message: 'system grants cannot be inherited' })
export type Grant = z.input<typeof GrantSchema>

/** Filters of `listRoleAssignments`, Keystone's `/v3/role_assignments` query in camelCase. */
export const AssignmentFiltersSchema = z.object({
  userId: z.string().optional(),
  groupId: z.string().optional(),
  roleId: z.string().optional(),
  projectId: z.string().optional(),
  domainId: z.string().optional(),
  system: z.literal('all').optional(),
  /** Expand groups into their members, inherited grants onto the projects they reach, and implied roles. */
  effective: boolFilterSchema.optional(),
  /** With `projectId`: also the assignments on every project below it. */
  includeSubtree: boolFilterSchema.optional(),
  /** Add names (and domains) of the roles, actors and targets. */
  includeNames: boolFilterSchema.optional(),
  /** Only inherited (true) or only direct (false) grants. */
  inherited: boolFilterSchema.optional(),
})
export type AssignmentFilters = z.input<typeof AssignmentFiltersSchema>

/** A named reference, as `includeNames` fills it in. */
export interface NamedRef {
  id: string
  name?: string
  /** The domain the object lives in (not set for domains, nor for global roles). */
  domainId?: string
  domainName?: string
}

/** One role assignment as `/v3/role_assignments` reports it. */
export interface RoleAssignment {
  role: NamedRef
  user?: NamedRef
  group?: NamedRef
  scope: { project: NamedRef } | { domain: NamedRef } | { system: 'all' }
  /** The grant is inherited by the projects below its target (Keystone's `OS-INHERIT:inherited_to`). */
  inherited: boolean
  /** For an effective assignment: the group membership it came through. */
  membership?: string
  /** For an effective assignment: the role that implied this one. */
  priorRoleId?: string
  /** For an effective assignment: the target the inherited grant was made on. */
  inheritedFrom?: { projectId: string } | { domainId: string }
}
