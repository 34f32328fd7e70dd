import type { FastifyRequest } from 'fastify'
import { selfLinks, type View, v3Url } from './render.js'
import type { InferenceRole, NamedRef, RoleAssignment, RoleInference } from './sdk-types.js'

// The bodies of `/v3/role_assignments` and of the implied-role APIs, as Keystone writes them.

/** Keystone's inheritance marker in an assignment's scope. */
const INHERITED_TO = 'OS-INHERIT:inherited_to'

/** An actor, target or role reference: `{ id, name?, domain?: { id, name } }`, names only with include_names. */
function named(ref: NamedRef): View {
  return {
    id: ref.id,
    ...(ref.name !== undefined && { name: ref.name }),
    ...(ref.domainId !== undefined && { domain: { id: ref.domainId, name: ref.domainName } }),
  }
}

/** The path of the target a grant was made on (for an inherited one, where it was made, not where it lands). */
function targetPath(a: RoleAssignment): string {
  if (a.inheritedFrom) {
    return 'domainId' in a.inheritedFrom
      ? `/domains/${a.inheritedFrom.domainId}`
      : `/projects/${a.inheritedFrom.projectId}`
  }
  if ('project' in a.scope) return `/projects/${a.scope.project.id}`
  if ('domain' in a.scope) return `/domains/${a.scope.domain.id}`
  return '/system'
}

/** The path of the actor a grant was made to: the group an effective assignment came through, if any. */
function actorPath(a: RoleAssignment): string {
  if (a.membership !== undefined) return `/groups/${a.membership}`
  return a.user ? `/users/${a.user.id}` : `/groups/${a.group?.id}`
}

/**
 * One role assignment as Keystone's `/v3/role_assignments` shows it: `role`, `user` or `group`, `scope`
 * (`project`, `domain` or `system: { all: true }`, with `OS-INHERIT:inherited_to: 'projects'` for inherited
 * grants), and `links.assignment`, the URL of the grant behind it, plus `links.membership` for an assignment
 * that came through a group and `links.prior_role` for an implied one (Keystone's own form of that link).
 */
export function assignmentView(request: FastifyRequest, a: RoleAssignment): View {
  const inherited = a.inherited || a.inheritedFrom !== undefined
  const scope: View =
    'project' in a.scope
      ? { project: named(a.scope.project) }
      : 'domain' in a.scope
        ? { domain: named(a.scope.domain) }
        : { system: { all: true } }
  if (inherited) scope[INHERITED_TO] = 'projects'

  const grantedRole = a.priorRoleId ?? a.role.id
  let assignment = `${targetPath(a)}${actorPath(a)}/roles/${grantedRole}`
  if (inherited) assignment = `/OS-INHERIT${assignment}/inherited_to_projects`
  const links: Record<string, string> = { assignment: v3Url(request, assignment) }
  if (a.membership !== undefined && a.user) {
    links.membership = v3Url(request, `/groups/${a.membership}/users/${a.user.id}`)
  }
  if (a.priorRoleId !== undefined) {
    links.prior_role = v3Url(request, `/prior_role/${a.role.id}/implies/${a.priorRoleId}`)
  }
  return {
    role: named(a.role),
    ...(a.user ? { user: named(a.user) } : a.group ? { group: named(a.group) } : {}),
    scope,
    links,
  }
}

/** A role as an implication rule names it: `{ id, name, links }`. */
function inferenceRole(request: FastifyRequest, role: InferenceRole): View {
  return { id: role.id, name: role.name, links: selfLinks(request, `/roles/${role.id}`) }
}

/**
 * One rule prior ⇒ implied (`GET`/`PUT /v3/roles/{prior}/implies/{implied}`):
 * `{ role_inference: { prior_role, implies: {...} }, links }`.
 */
export function impliedRoleView(request: FastifyRequest, rule: RoleInference): View {
  const implied = rule.implies[0]
  return {
    role_inference: {
      prior_role: inferenceRole(request, rule.priorRole),
      implies: implied ? inferenceRole(request, implied) : null,
    },
    links: selfLinks(request, `/roles/${rule.priorRole.id}/implies/${implied?.id ?? ''}`),
  }
}

/** The roles one role implies (`GET /v3/roles/{prior}/implies`): `implies` is a list here. */
export function impliedRolesView(request: FastifyRequest, rule: RoleInference): View {
  return {
    role_inference: inferenceBody(request, rule),
    links: selfLinks(request, `/roles/${rule.priorRole.id}/implies`),
  }
}

/** Every rule (`GET /v3/role_inferences`), grouped by prior role. */
export function roleInferencesView(request: FastifyRequest, rules: readonly RoleInference[]): View {
  return {
    role_inferences: rules.map((rule) => inferenceBody(request, rule)),
    links: selfLinks(request, '/role_inferences'),
  }
}

function inferenceBody(request: FastifyRequest, rule: RoleInference): View {
  return {
    prior_role: inferenceRole(request, rule.priorRole),
    implies: rule.implies.map((role) => inferenceRole(request, role)),
  }
}
