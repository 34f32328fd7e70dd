import { z } from 'zod'
import { descriptionSchema, looseIdSchema, nameSchema } from '../core/ids.js'

// Keystone takes ids it made (uuid4 hex) and ids operators chose (`default`), so ids are loose strings here.
const ref = looseIdSchema<string>()
// Keystone keeps any attribute it does not know in `extra`; it comes back unchanged.
const extraSchema = z.record(z.string(), z.unknown())
const timestamps = { createdAt: z.string(), updatedAt: z.string() }

/** A boolean filter as it arrives from a query string (`enabled=true`) or from code. */
export const boolFilterSchema = z.union([
  z.boolean(),
  z
    .enum(['true', 'false', 'True', 'False', '1', '0'])
    .transform((v) => v === 'true' || v === 'True' || v === '1'),
])

/** A project tag as Keystone takes it: 1–255 characters, without `,` (list separator) or `/` (URL path). */
export const projectTagSchema = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[^,/]*$/, { message: 'tags must not contain "," or "/"' })

/** Keystone's limit of tags on one project. */
export const MAX_PROJECT_TAGS = 80

/** The tags of a project: a set of at most {@link MAX_PROJECT_TAGS}; duplicates are dropped. */
export const projectTagsSchema = z
  .array(projectTagSchema)
  .max(MAX_PROJECT_TAGS)
  .transform((tags) => [...new Set(tags)])

/** A tag filter: a list, or one comma-separated string as in `?tags=a,b`. */
export const tagFilterSchema = z
  .union([z.string().transform((s) => s.split(',')), z.array(z.string())])
  .pipe(z.array(projectTagSchema).min(1))

// ----- domains ---------------------------------------------------------------------------------------------

/** A domain: the namespace of projects, users, groups and domain roles. */
export const DomainSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  enabled: z.boolean(),
  options: extraSchema,
  ...timestamps,
})
export type Domain = z.output<typeof DomainSchema>

/** Creating a domain; `id` may be chosen, as Keystone allows for multi-site deployments. */
export const DomainCreateSchema = z.strictObject({
  id: ref.optional(),
  name: nameSchema.max(64),
  description: descriptionSchema.optional(),
  enabled: z.boolean().optional(),
  options: extraSchema.optional(),
})
export type DomainCreate = z.input<typeof DomainCreateSchema>

/** Changing a domain. */
export const DomainUpdateSchema = DomainCreateSchema.omit({ id: true }).partial()
export type DomainUpdate = z.input<typeof DomainUpdateSchema>

/** Filters of `listDomains`. */
export const DomainFiltersSchema = z.object({
  name: z.string().optional(),
  enabled: boolFilterSchema.optional(),
})
export type DomainFilters = z.input<typeof DomainFiltersSchema>

// ----- projects --------------------------------------------------------------------------------------------

/** A project. `parentId` is the domain's id for a top-level project, as Keystone shows it. */
export const ProjectSchema = z.object({
  id: z.string(),
  name: z.string(),
  domainId: z.string(),
  parentId: z.string(),
  description: z.string(),
  enabled: z.boolean(),
  isDomain: z.literal(false),
  tags: z.array(z.string()),
  options: extraSchema,
  extra: extraSchema,
  ...timestamps,
})
export type Project = z.output<typeof ProjectSchema>

/** Creating a project: under `parentId` (a project, or the domain for a top-level one). */
export const ProjectCreateSchema = z.strictObject({
  name: nameSchema.max(64),
  domainId: ref.optional(),
  parentId: ref.optional(),
  description: descriptionSchema.optional(),
  enabled: z.boolean().optional(),
  isDomain: z.literal(false).optional(),
  tags: projectTagsSchema.optional(),
  options: extraSchema.optional(),
  extra: extraSchema.optional(),
})
export type ProjectCreate = z.input<typeof ProjectCreateSchema>

/** Changing a project; its domain and parent are fixed, as in Keystone. */
export const ProjectUpdateSchema = ProjectCreateSchema.omit({
  domainId: true,
  parentId: true,
  isDomain: true,
}).partial()
export type ProjectUpdate = z.input<typeof ProjectUpdateSchema>

/** Filters of `listProjects`, with Keystone's tag filters (`tags` all of, `tagsAny`, `notTags`, `notTagsAny`). */
export const ProjectFiltersSchema = z.object({
  domainId: z.string().optional(),
  parentId: z.string().optional(),
  name: z.string().optional(),
  enabled: boolFilterSchema.optional(),
  tags: tagFilterSchema.optional(),
  tagsAny: tagFilterSchema.optional(),
  notTags: tagFilterSchema.optional(),
  notTagsAny: tagFilterSchema.optional(),
})
export type ProjectFilters = z.input<typeof ProjectFiltersSchema>

// ----- users -----------------------------------------------------------------------------------------------

/** Keystone's per-user options (snake_case as in its API). */
export const UserOptionsSchema = z.strictObject({
  ignore_change_password_upon_first_use: z.boolean().optional(),
  ignore_password_expiry: z.boolean().optional(),
  ignore_lockout_failure_attempts: z.boolean().optional(),
  ignore_user_inactivity: z.boolean().optional(),
  lock_password: z.boolean().optional(),
  multi_factor_auth_enabled: z.boolean().optional(),
  multi_factor_auth_rules: z.array(z.array(z.string())).optional(),
})
export type UserOptions = z.output<typeof UserOptionsSchema>

/** A user. The password hash never leaves the store; `passwordExpiresAt` is null for non-expiring passwords. */
export const UserSchema = z.object({
  id: z.string(),
  name: z.string(),
  domainId: z.string(),
  enabled: z.boolean(),
  defaultProjectId: z.string().optional(),
  description: z.string().optional(),
  email: z.string().optional(),
  options: UserOptionsSchema,
  passwordExpiresAt: z.string().nullable(),
  extra: extraSchema,
  ...timestamps,
})
export type User = z.output<typeof UserSchema>

/** Creating a user, with an optional first password. */
export const UserCreateSchema = z.strictObject({
  name: nameSchema,
  domainId: ref.optional(),
  enabled: z.boolean().optional(),
  password: z.string().min(1).max(4096).nullable().optional(),
  defaultProjectId: ref.nullable().optional(),
  description: descriptionSchema.nullable().optional(),
  email: z.string().max(255).nullable().optional(),
  options: UserOptionsSchema.optional(),
  extra: extraSchema.optional(),
})
export type UserCreate = z.input<typeof UserCreateSchema>

/** Changing a user as an administrator; a null value clears the field. The domain cannot change. */
export const UserUpdateSchema = UserCreateSchema.omit({ domainId: true }).partial()
export type UserUpdate = z.input<typeof UserUpdateSchema>

/** Filters of `listUsers`. */
export const UserFiltersSchema = z.object({
  domainId: z.string().optional(),
  name: z.string().optional(),
  enabled: boolFilterSchema.optional(),
})
export type UserFilters = z.input<typeof UserFiltersSchema>

// ----- groups ----------------------------------------------------------------------------------------------

/** A group of users of one domain; roles granted to it reach its members. */
export const GroupSchema = z.object({
  id: z.string(),
  name: z.string(),
  domainId: z.string(),
  description: z.string(),
  ...timestamps,
})
export type Group = z.output<typeof GroupSchema>

/** Creating a group. */
export const GroupCreateSchema = z.strictObject({
  name: nameSchema.max(64),
  domainId: ref.optional(),
  description: descriptionSchema.optional(),
})
export type GroupCreate = z.input<typeof GroupCreateSchema>

/** Changing a group. */
export const GroupUpdateSchema = GroupCreateSchema.omit({ domainId: true }).partial()
export type GroupUpdate = z.input<typeof GroupUpdateSchema>

/** Filters of `listGroups`. */
export const GroupFiltersSchema = z.object({ domainId: z.string().optional(), name: z.string().optional() })
export type GroupFilters = z.input<typeof GroupFiltersSchema>
