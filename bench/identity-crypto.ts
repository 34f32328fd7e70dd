import { createDecipheriv, randomUUID } from 'node:crypto'
import { PasswordHasher } from '../packages/sdk/src/identity/passwords.js'
import { type KeyringSettings, TokenKeyring } from '../packages/sdk/src/identity/token-keys.js'
import {
  decodeToken,
  encodeToken,
  newAuditId,
  type TokenPayload,
} from '../packages/sdk/src/identity/tokens.js'
import { best, type Figure, rateSync } from './report.js'

const TOKENS = 50_000 // per run; the best of RUNS short runs is the least disturbed by other work
const RUNS = 10
const HASHES = 15

// Settings in a Map: the keyring code is what is measured, not the store.
function memorySettings(): KeyringSettings {
  const values = new Map<string, string>()
  return {
    get: async (key) => values.get(key),
    set: async (key, value) => void values.set(key, value),
    setIfAbsent: async (key, value) => {
      if (values.has(key)) return false
      values.set(key, value)
      return true
    },
  }
}

function projectToken(): TokenPayload {
  const iat = Date.now()
  return { u: randomUUID(), m: ['password'], p: randomUUID(), a: newAuditId(), iat, exp: iat + 3_600_000 }
}

/** The median of `runs` timings of `op`, in milliseconds. */
async function medianMs(runs: number, op: () => Promise<unknown>): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint()
    await op()
    times.push(Number(process.hrtime.bigint() - start) / 1e6)
  }
  times.sort((a, b) => a - b)
  return times[Math.floor(times.length / 2)] ?? Number.NaN
}

/**
 * Token encodes and decodes per second on one core (a project-scoped token, its key found in a real keyring),
 * the length of that token, and the time of one argon2id hash at the default cost.
 */
export async function benchIdentityCrypto(): Promise<Figure[]> {
  const keyring = await TokenKeyring.loadOrCreate(memorySettings())
  const payloads = Array.from({ length: 1000 }, projectToken)
  const tokens = payloads.map((payload) => encodeToken(payload, keyring.primary))
  let sink = 0
  const encodes = await best(RUNS, async () =>
    rateSync(TOKENS, (i) => {
      sink += encodeToken(payloads[i % payloads.length] as TokenPayload, keyring.primary).length
    }),
  )
  const decodes = await best(RUNS, async () =>
    rateSync(TOKENS, (i) => {
      sink += decodeToken(tokens[i % tokens.length] as string, keyring)?.exp ?? 0
    }),
  )
  // The floor: decrypting the same envelopes with node:crypto alone, no parsing, lookup or validation.
  const raws = tokens.map((token) => Buffer.from(token, 'base64url'))
  const aad = Buffer.concat([Buffer.from('nubis/token'), Buffer.alloc(5)])
  const bare = await best(RUNS, async () =>
    rateSync(TOKENS, (i) => {
      const raw = raws[i % raws.length] as Buffer
      raw.copy(aad, aad.length - 5, 0, 5)
      const decipher = createDecipheriv('aes-256-gcm', keyring.primary.key, raw.subarray(5, 17))
      decipher.setAAD(aad)
      decipher.setAuthTag(raw.subarray(raw.length - 16))
      sink += decipher.update(raw.subarray(17, raw.length - 16)).length
      decipher.final()
    }),
  )
  if (sink === 0) throw new Error('no token was encoded or decoded')

  const hasher = new PasswordHasher()
  await hasher.hash('warm up the thread pool')
  const hashMs = await medianMs(HASHES, () => hasher.hash('correct horse battery staple'))
  const verifyMs = await medianMs(HASHES, () => hasher.verifyDummy('correct horse battery staple'))
  const { memoryCost, timeCost, parallelism } = hasher.cost
  return [
    { name: 'token encodes/s (one core)', value: encodes, unit: '/s' },
    { name: 'token decodes/s (one core)', value: decodes, unit: '/s' },
    {
      name: 'token decodes/s vs bare AES-256-GCM decryption',
      value: decodes,
      unit: '/s',
      reference: { name: 'node:crypto alone', value: bare },
    },
    { name: 'project-scoped token length', value: tokens[0]?.length ?? 0, unit: 'chars' },
    {
      name: `argon2id hash (m=${memoryCost} t=${timeCost} p=${parallelism}), median`,
      value: hashMs,
      unit: 'ms',
    },
    { name: 'argon2id verifyDummy, median', value: verifyMs, unit: 'ms' },
  ]
}
