// The events of the Identity resources. Every payload carries the resource id (also in the envelope) and the
// domain it lives in where it has one, so listeners can filter without a lookup.

export interface InDomain {
  id: string
  domainId: string
}

/** A role grant as events report it. */
export interface AssignmentEvent {
  id: string
  roleId: string
  userId?: string
  groupId?: string
  projectId?: string
  domainId?: string
  system?: 'all'
  inherited: boolean
}

declare module '../core/events.js' {
  interface CloudEventMap {
    'identity.domain.created': { id: string }
    'identity.domain.updated': { id: string }
    'identity.domain.deleted': { id: string }
    'identity.project.created': InDomain & { parentId: string }
    'identity.project.updated': InDomain
    'identity.project.deleted': InDomain
    'identity.user.created': InDomain
    'identity.user.updated': InDomain
    'identity.user.deleted': InDomain
    'identity.group.created': InDomain
    'identity.group.updated': InDomain
    'identity.group.deleted': InDomain
    'identity.group_membership.created': { id: string; userId: string }
    'identity.group_membership.deleted': { id: string; userId: string }
    'identity.role.created': { id: string; domainId: string | null }
    'identity.role.updated': { id: string; domainId: string | null }
    'identity.role.deleted': { id: string; domainId: string | null }
    'identity.implied_role.created': { id: string; impliedRoleId: string }
    'identity.implied_role.deleted': { id: string; impliedRoleId: string }
    'identity.role_assignment.created': AssignmentEvent
    'identity.role_assignment.deleted': AssignmentEvent
    'identity.region.created': { id: string }
    'identity.region.updated': { id: string }
    'identity.region.deleted': { id: string }
    'identity.service.created': { id: string; type: string }
    'identity.service.updated': { id: string; type: string }
    'identity.service.deleted': { id: string; type: string }
    'identity.endpoint.created': { id: string; serviceId: string }
    'identity.endpoint.updated': { id: string; serviceId: string }
    'identity.endpoint.deleted': { id: string; serviceId: string }
  }
}
