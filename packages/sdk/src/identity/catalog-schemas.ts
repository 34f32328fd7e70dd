import { z } from 'zod'
import { descriptionSchema, looseIdSchema, nameSchema } from '../core/ids.js'
import { boolFilterSchema } from './schemas.js'

const ref = looseIdSchema<string>()
const timestamps = { createdAt: z.string(), updatedAt: z.string() }

/** A region; its id is the name operators choose (`RegionOne`). Regions may nest. */
export const RegionSchema = z.object({
  id: z.string(),
  description: z.string(),
  parentRegionId: z.string().nullable(),
  ...timestamps,
})
export type Region = z.output<typeof RegionSchema>

/** Creating a region; without `id` one is generated. */
export const RegionCreateSchema = z.strictObject({
  id: ref.optional(),
  description: descriptionSchema.optional(),
  parentRegionId: ref.nullable().optional(),
})
export type RegionCreate = z.input<typeof RegionCreateSchema>

/** Changing a region. */
export const RegionUpdateSchema = RegionCreateSchema.omit({ id: true }).partial()
export type RegionUpdate = z.input<typeof RegionUpdateSchema>

/** A service of the catalog (`compute`, `network` …). */
export const ServiceSchema = z.object({
  id: z.string(),
  type: z.string(),
  name: z.string(),
  description: z.string(),
  enabled: z.boolean(),
  ...timestamps,
})
export type Service = z.output<typeof ServiceSchema>

/** Creating a service. */
export const ServiceCreateSchema = z.strictObject({
  type: nameSchema,
  name: nameSchema.optional(),
  description: descriptionSchema.optional(),
  enabled: z.boolean().optional(),
})
export type ServiceCreate = z.input<typeof ServiceCreateSchema>

/** Changing a service. */
export const ServiceUpdateSchema = ServiceCreateSchema.partial()
export type ServiceUpdate = z.input<typeof ServiceUpdateSchema>

/** The three endpoint interfaces of Keystone v3. */
export const EndpointInterfaceSchema = z.enum(['public', 'internal', 'admin'])
export type EndpointInterface = z.output<typeof EndpointInterfaceSchema>

/** An endpoint: where one interface of a service answers in one region. */
export const EndpointSchema = z.object({
  id: z.string(),
  serviceId: z.string(),
  regionId: z.string().nullable(),
  interface: EndpointInterfaceSchema,
  url: z.string(),
  enabled: z.boolean(),
  ...timestamps,
})
export type Endpoint = z.output<typeof EndpointSchema>

/** Creating an endpoint. The URL may hold `$(project_id)s`, filled in with the token's project. */
export const EndpointCreateSchema = z.strictObject({
  serviceId: ref,
  regionId: ref.nullable().optional(),
  interface: EndpointInterfaceSchema,
  url: z.string().min(1).max(1024),
  enabled: z.boolean().optional(),
})
export type EndpointCreate = z.input<typeof EndpointCreateSchema>

/** Changing an endpoint. */
export const EndpointUpdateSchema = EndpointCreateSchema.partial()
export type EndpointUpdate = z.input<typeof EndpointUpdateSchema>

/** Filters of `listEndpoints`. */
export const EndpointFiltersSchema = z.object({
  serviceId: z.string().optional(),
  regionId: z.string().optional(),
  interface: EndpointInterfaceSchema.optional(),
  enabled: boolFilterSchema.optional(),
})
export type EndpointFilters = z.input<typeof EndpointFiltersSchema>

/** Filters of `listServices`. */
export const ServiceFiltersSchema = z.object({ type: z.string().optional(), name: z.string().optional() })
export type ServiceFilters = z.input<typeof ServiceFiltersSchema>

/** One service of a token's catalog with its usable endpoints. */
export interface CatalogEntry {
  id: string
  type: string
  name: string
  endpoints: { id: string; interface: EndpointInterface; regionId: string | null; url: string }[]
}
