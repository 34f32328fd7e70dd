import type { Identity } from '@nubis/sdk'

// The SDK's identity/role-schemas.ts (roles, grants, role assignments, implication rules) is not re-exported
// from `@nubis/sdk`; until it is, its types are taken from the signatures of the Identity service.

/** A role (`getRole`'s result). */
export type Role = Awaited<ReturnType<Identity['getRole']>>

/** A role grant, as `grantRole` takes it. */
export type Grant = Parameters<Identity['grantRole']>[1]

/** The filters of `listRoleAssignments`. */
export type AssignmentFilters = NonNullable<Parameters<Identity['listRoleAssignments']>[1]>

/** One role assignment of `listRoleAssignments`. */
export type RoleAssignment = Awaited<ReturnType<Identity['listRoleAssignments']>>[number]

/** A role, actor or target of an assignment, named when `includeNames` was asked. */
export type NamedRef = RoleAssignment['role']

/** What one role implies (`getImpliedRole`'s result). */
export type RoleInference = Awaited<ReturnType<Identity['getImpliedRole']>>

/** A role as implication rules name it. */
export type InferenceRole = RoleInference['priorRole']
