import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import { newAuditId, TokenPayloadSchema } from '../packages/sdk/src/identity/tokens.js'
import { rateSync } from './report.js'

const iat = Date.now()
const payload = {
  iat,
  exp: iat + 3600000,
  a: newAuditId(),
  u: randomUUID(),
  m: ['password'],
  p: randomUUID(),
}
const P = /^[^\x00-\x1f\x7f-\x9f]{1,255}$/
const M = /^[^\x00-\x1f\x7f-\x9f]{1,64}$/
const AUD = /^[A-Za-z0-9_-]{21}[AQgw]$/
const ref = z.string().regex(P),
  aud = z.string().regex(AUD)
const isMs = (n: number) => Number.isInteger(n) && n >= 0 && n <= 2 ** 48 - 1
const shape = {
  u: ref,
  m: z.array(z.string().regex(M)).min(1).max(8),
  p: ref.optional(),
  d: ref.optional(),
  s: z.literal(1).optional(),
  a: aud,
  pa: aud.optional(),
  iat: z.number().refine(isMs),
  exp: z.number().refine(isMs),
  ac: ref.optional(),
}
const oneRefine = z.strictObject(shape).superRefine((t, ctx) => {
  if (Number(t.p !== undefined) + Number(t.d !== undefined) + Number(t.s !== undefined) > 1)
    ctx.addIssue({ code: 'custom', message: 'scope' })
  if (t.exp < t.iat) ctx.addIssue({ code: 'custom', message: 'exp', path: ['exp'] })
})
const noObjRefine = z.strictObject(shape)
const loose = z.object(shape)
const mArr = z.strictObject({
  ...shape,
  m: z.array(z.string().regex(M)).refine((m) => m.length >= 1 && m.length <= 8),
})
const V: Record<string, z.ZodType> = { current: TokenPayloadSchema, oneRefine, noObjRefine, loose, mArr }
const best: Record<string, number> = {}
for (let r = 0; r < 30; r++)
  for (const [n, s] of Object.entries(V))
    best[n] = Math.max(
      best[n] ?? 0,
      rateSync(30000, () => {
        if (!s.safeParse(payload).success) throw new Error(n)
      }),
    )
console.log(
  Object.entries(best)
    .map(([n, v]) => `${n} ${Math.round(v / 1000)}k`)
    .join('  '),
)
