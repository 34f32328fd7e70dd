import type { AttributeMap } from './body.js'

/** A Neutron object as the client reads it: snake_case and namespaced (`router:external`) members. */
export type NeutronView = Record<string, unknown>

/**
 * A time as Neutron writes its `created_at`/`updated_at` (the standard-attr-timestamp extension): UTC to the
 * second with `Z`, `2025-01-01T12:00:00Z`.
 */
export function neutronTime(value: string): string {
  return new Date(value).toISOString().replace(/\.\d+Z$/, 'Z')
}

/** What every tracked Neutron resource has: an id, an owner, times, a revision and (most) tags. */
export interface StandardRecord {
  id: string
  projectId: string
  createdAt: string
  updatedAt: string
  revisionNumber: number
  tags?: string[]
}

/**
 * The standard attributes of a resource: `id`, the owner under both of its names (`tenant_id` is what older
 * clients read, `project_id` the project-id extension's), the timestamps, `revision_number` and `tags`.
 */
export function standardAttributes(record: StandardRecord): NeutronView {
  return {
    id: record.id,
    tenant_id: record.projectId,
    project_id: record.projectId,
    created_at: neutronTime(record.createdAt),
    updated_at: neutronTime(record.updatedAt),
    revision_number: record.revisionNumber,
    ...(record.tags !== undefined && { tags: record.tags }),
  }
}

/** Attributes Neutron shows but no body may set on any resource. */
export const STANDARD_READ_ONLY = [
  'id',
  'status',
  'created_at',
  'updated_at',
  'revision_number',
  'tags',
] as const

/** `tenant_id` and `project_id`: the owner, settable on create (by administrators for another project). */
export const OWNER_ATTRIBUTES: AttributeMap = { tenant_id: 'projectId', project_id: 'projectId' }

/**
 * `view` trimmed to the attributes `fields=` names, as Neutron answers `?fields=id&fields=name`: only those
 * members, in the order the resource has them; none named means the whole object.
 */
export function pickFields(view: NeutronView, fields: readonly string[] | undefined): NeutronView {
  if (fields === undefined || fields.length === 0) return view
  return Object.fromEntries(Object.entries(view).filter(([key]) => fields.includes(key)))
}
