import { z } from 'zod'
import { isDriver } from '../core/driver.js'
import type { NetworkDriver } from './spi.js'

const isNetworkDriver = (value: unknown): value is NetworkDriver =>
  isDriver(value) && (value as { kind?: unknown }).kind === 'network'

const range = z
  .tuple([z.number().int().min(1), z.number().int().min(1)])
  .refine(([min, max]) => min <= max, { message: 'a range is [min, max] with min <= max' })

/** Options of the Network service (`createCloud({ network })`). */
export const NetworkOptionsSchema = z
  .object({
    /** The data-plane driver. Default: the state-only driver (records only, no packets flow). */
    driver: z
      .custom<NetworkDriver>(
        isNetworkDriver,
        "expected a network driver (kind 'network'), e.g. vxlanNetwork({ hosts })",
      )
      .optional(),
    /** Segment type of networks created without provider attributes (tenant networks). Default `vxlan`. */
    tenantNetworkType: z.enum(['vxlan', 'gre', 'vlan', 'local']).default('vxlan'),
    /** VNIs handed out to VXLAN tenant networks. Default [1000, 1999] (DESIGN.md's example). */
    vniRanges: z
      .array(range)
      .min(1)
      .default([[1000, 1999]]),
    /** GRE keys handed out to GRE tenant networks. */
    greRanges: z
      .array(range)
      .min(1)
      .default([[1000, 1999]]),
    /** VLAN ids per physical network for VLAN tenant networks: `{ physnet1: [[100, 199]] }`. */
    vlanRanges: z.record(z.string(), z.array(range)).default({}),
    /** The underlay's MTU; overlays get 50 bytes (VXLAN) or 42 (GRE) less. Default 1500. */
    underlayMtu: z.number().int().min(1280).max(9216).default(1500),
    /** The host that runs DHCP servers and routers; default the driver's first host. */
    gatewayHost: z.string().min(1).optional(),
    /** First three bytes of generated MAC addresses; default OpenStack's `fa:16:3e`. */
    macPrefix: z
      .string()
      .regex(/^[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}$/)
      .default('fa:16:3e'),
  })
  .strict()

/** What `createCloud({ network })` accepts; see {@link NetworkOptionsSchema}. */
export type NetworkOptions = z.input<typeof NetworkOptionsSchema>
/** The Network options after defaults; see {@link NetworkOptionsSchema}. */
export type NetworkServiceConfig = z.output<typeof NetworkOptionsSchema>
