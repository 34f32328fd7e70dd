import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { createLogger } from '../src/logger.js'

/** A logger writing into an array, and the array. */
function capture() {
  const lines: string[] = []
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk))
      done()
    },
  })
  return { logger: createLogger({ destination }), lines }
}

describe('createLogger', () => {
  it('redacts tokens in headers and passwords in bodies', () => {
    const { logger, lines } = capture()
    logger.info(
      {
        req: {
          headers: {
            authorization: 'Basic c2VjcmV0',
            'x-auth-token': 'gAAAAtoken1',
            accept: 'application/json',
          },
        },
        res: { headers: { 'x-subject-token': 'gAAAAtoken2' } },
        body: {
          auth: {
            identity: { methods: ['password'], password: { user: { name: 'admin', password: 'hunter2' } } },
          },
        },
        user: { name: 'admin', password: 'hunter3' },
        record: { passwordHash: '$argon2id$v=19$m=19456' },
      },
      'request',
    )
    const text = lines.join('')
    for (const secret of ['c2VjcmV0', 'gAAAAtoken1', 'gAAAAtoken2', 'hunter2', 'hunter3', 'argon2id']) {
      expect(text).not.toContain(secret)
    }
    expect(text).toContain('[redacted]')
    expect(text).toContain('application/json')
  })
})
