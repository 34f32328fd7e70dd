import { z } from 'zod'
import { SecurityComplianceSchema } from './compliance.js'

/** Options of the Identity service (`createCloud({ identity })`). */
export const IdentityOptionsSchema = z
  .object({
    /** How long a token lives, in seconds. Default 3600, as Keystone. */
    tokenTtlSec: z
      .number()
      .int()
      .min(60)
      .max(7 * 24 * 3600)
      .default(3600),
    /**
     * How long a validation result is reused, in ms. Changes made by this process apply at once; changes made by
     * another control-plane process on the same PostgreSQL apply within this time. 0 disables the cache.
     */
    tokenCacheTtlMs: z.number().int().min(0).max(300_000).default(2000),
    /** Most validation results cached. */
    tokenCacheSize: z.number().int().min(1).default(10_000),
    /** How often revocation events written by other processes are picked up, in ms. */
    revocationRefreshMs: z.number().int().min(10).max(60_000).default(1000),
    /** Secondary token keys kept after rotations; a token made with an older key stops validating. */
    maxSecondaryKeys: z.number().int().min(0).max(16).default(3),
    /** argon2id cost of password hashes; the defaults take about 50 ms per hash on a 2020s server core. */
    passwordHashing: z
      .object({
        memoryCost: z.number().int().min(8).optional(),
        timeCost: z.number().int().min(1).optional(),
        parallelism: z.number().int().min(1).max(16).optional(),
      })
      .strict()
      .default({}),
    /** Keystone's `[security_compliance]`: lockout, password expiry, history and strength. All off by default. */
    securityCompliance: SecurityComplianceSchema.prefault({}),
  })
  .strict()

/** What `createCloud({ identity })` accepts; see {@link IdentityOptionsSchema}. */
export type IdentityOptions = z.input<typeof IdentityOptionsSchema>
/** Identity options with defaults applied. */
export type IdentityServiceConfig = z.output<typeof IdentityOptionsSchema>
