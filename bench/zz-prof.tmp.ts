import { createDecipheriv, randomBytes, randomUUID } from 'node:crypto'
import { aeadKey } from '../packages/sdk/src/identity/aead.js'
import { decodeToken, encodeToken, newAuditId } from '../packages/sdk/src/identity/tokens.js'
import { rateSync } from './report.js'

const key = aeadKey(7, randomBytes(32))
const keys = { find: (id: number) => (id === 7 ? key : undefined) }
const toks = Array.from({ length: 1000 }, () => {
  const iat = Date.now()
  return encodeToken(
    { u: randomUUID(), m: ['password'], p: randomUUID(), a: newAuditId(), iat, exp: iat + 3600000 },
    key,
  )
})
const raws = toks.map((t) => Buffer.from(t, 'base64url'))
const aad = Buffer.concat([Buffer.from('nubis/token'), Buffer.alloc(5)])
let bestD = 0,
  bestB = 0,
  bestE = 0
const p = decodeToken(toks[0]!, keys)!
for (let r = 0; r < 40; r++) {
  bestD = Math.max(
    bestD,
    rateSync(20000, (i) => decodeToken(toks[i % 1000]!, keys)),
  )
  bestB = Math.max(
    bestB,
    rateSync(20000, (i) => {
      const raw = raws[i % 1000]!
      raw.copy(aad, aad.length - 5, 0, 5)
      const d = createDecipheriv('aes-256-gcm', key.key, raw.subarray(5, 17))
      d.setAAD(aad)
      d.setAuthTag(raw.subarray(raw.length - 16))
      d.update(raw.subarray(17, raw.length - 16))
      d.final()
    }),
  )
  bestE = Math.max(
    bestE,
    rateSync(20000, () => encodeToken(p, key)),
  )
}
console.log(
  'best decode',
  Math.round(bestD),
  'best bare',
  Math.round(bestB),
  'best encode',
  Math.round(bestE),
)
