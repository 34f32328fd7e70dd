import { z } from 'zod'
import { commonFilterSchema, networkTagSchema, routeSchema } from './schemas.js'

const name = z.string().max(255)
const description = z.string().max(255)

/** A router's gateway: an external network, SNAT on or off (admins only may turn it off), chosen addresses. */
export const externalGatewaySchema = z.strictObject({
  networkId: z.string().min(1),
  enableSnat: z.boolean().optional(),
  externalFixedIps: z
    .array(z.strictObject({ subnetId: z.string().optional(), ipAddress: z.string().optional() }))
    .optional(),
})

/** What `createRouter` accepts. */
export const RouterCreateSchema = z.strictObject({
  name: name.optional(),
  description: description.optional(),
  projectId: z.string().min(1).max(64).optional(),
  adminStateUp: z.boolean().optional(),
  externalGateway: externalGatewaySchema.nullable().optional(),
  tags: z.array(networkTagSchema).optional(),
})
/** Input of `createRouter`. */
export type RouterCreate = z.input<typeof RouterCreateSchema>

/** What `updateRouter` accepts: `externalGateway: null` clears the gateway. */
export const RouterUpdateSchema = RouterCreateSchema.omit({ projectId: true, tags: true }).extend({
  routes: z.array(routeSchema).max(30).optional(),
})
/** Input of `updateRouter`. */
export type RouterUpdate = z.input<typeof RouterUpdateSchema>

/** An interface to add or remove: by subnet (the router takes the subnet's gateway address) or by port. */
export const RouterInterfaceSchema = z
  .strictObject({ subnetId: z.string().optional(), portId: z.string().optional() })
  .refine((body) => (body.subnetId === undefined) !== (body.portId === undefined), {
    message: 'give exactly one of subnetId and portId',
  })
/** Input of `addRouterInterface` / `removeRouterInterface`. */
export type RouterInterface = z.input<typeof RouterInterfaceSchema>

/** Filters of `listRouters`. */
export const RouterFilterSchema = commonFilterSchema.extend({
  adminStateUp: z.boolean().optional(),
  status: z.string().optional(),
})
/** Input of `listRouters`. */
export type RouterFilter = z.input<typeof RouterFilterSchema>

/** What `createFloatingIp` accepts. */
export const FloatingIpCreateSchema = z.strictObject({
  floatingNetworkId: z.string().min(1),
  subnetId: z.string().optional(),
  floatingIpAddress: z.string().optional(),
  portId: z.string().nullable().optional(),
  fixedIpAddress: z.string().optional(),
  description: description.optional(),
  projectId: z.string().min(1).max(64).optional(),
  tags: z.array(networkTagSchema).optional(),
})
/** Input of `createFloatingIp`. */
export type FloatingIpCreate = z.input<typeof FloatingIpCreateSchema>

/** What `updateFloatingIp` accepts: `portId: null` disassociates. */
export const FloatingIpUpdateSchema = z.strictObject({
  portId: z.string().nullable().optional(),
  fixedIpAddress: z.string().optional(),
  description: description.optional(),
})
/** Input of `updateFloatingIp`. */
export type FloatingIpUpdate = z.input<typeof FloatingIpUpdateSchema>

/** Filters of `listFloatingIps`. */
export const FloatingIpFilterSchema = commonFilterSchema.extend({
  floatingNetworkId: z.string().optional(),
  floatingIpAddress: z.string().optional(),
  portId: z.string().optional(),
  fixedIpAddress: z.string().optional(),
  routerId: z.string().optional(),
  status: z.string().optional(),
})
/** Input of `listFloatingIps`. */
export type FloatingIpFilter = z.input<typeof FloatingIpFilterSchema>
