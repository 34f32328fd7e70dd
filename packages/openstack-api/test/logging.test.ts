import { type Cloud, CloudError, createContext } from '@nubis/sdk'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authenticate, createApiServer, defineApi, keystoneErrors } from '../src/index.js'
import { captureLogs, testCloud } from './fixtures.js'

const TOKEN = 'gAAAAABtoken-in-header'
const SUBJECT = 'gAAAAABsubject-token'
const PASSWORD = 'hunter2-in-body'
const SECRET = 'app-cred-secret'
const SECRETS = [TOKEN, SUBJECT, PASSWORD, SECRET, 'Basic c2VjcmV0', 'gAAAAABbody-token']

describe('createLogger', () => {
  it('redacts tokens in headers and credentials in bodies at any depth', () => {
    const { logger, text } = captureLogs()
    logger.info(
      {
        req: {
          headers: { authorization: 'Basic c2VjcmV0', 'x-auth-token': TOKEN, accept: 'application/json' },
        },
        res: { headers: { 'x-subject-token': SUBJECT } },
        body: {
          auth: {
            identity: {
              methods: ['password', 'token'],
              password: { user: { name: 'admin', domain: { id: 'default' }, password: PASSWORD } },
              token: { id: 'gAAAAABbody-token' },
            },
          },
        },
        application_credential: { name: 'ci', secret: SECRET },
        user: { name: 'admin', password: 'hunter3', original_password: 'hunter4' },
        server: { name: 'web', adminPass: 'hunter5' },
        record: { passwordHash: '$argon2id$v=19$m=19456' },
      },
      'request',
    )
    for (const secret of [...SECRETS, 'hunter3', 'hunter4', 'hunter5', 'argon2id']) {
      expect(text()).not.toContain(secret)
    }
    expect(text()).toContain('[redacted]')
    expect(text()).toContain('application/json')
    expect(text()).toContain('"name":"admin"')
  })
})

describe('a server logging at debug', () => {
  let cloud: Cloud
  let app: FastifyInstance
  const logs = captureLogs('trace')

  beforeAll(async () => {
    cloud = await testCloud()
    app = createApiServer({ cloud, logger: logs.logger })
    const api = defineApi({
      name: 'identity',
      formatter: keystoneErrors,
      routes(instance) {
        instance.addHook(
          'onRequest',
          authenticate(async (token) => {
            if (token !== TOKEN)
              throw new CloudError('UNAUTHORIZED', 'The request you have made requires authentication.')
            return createContext({ userId: 'u-1' })
          }),
        )
        instance.post('/v3/auth/tokens', { config: { auth: false } }, async (_request, reply) => {
          return reply.header('x-subject-token', SUBJECT).code(201).send({ token: {} })
        })
        // A careless handler that logs everything it got.
        instance.post('/v3/users', async (request) => {
          request.log.debug({ headers: request.headers, body: request.body }, 'creating a user')
          return { user: { id: 'u-2' } }
        })
      },
    })
    await app.register(api, { prefix: '/identity' })
  })

  afterAll(async () => {
    await app.close()
    await cloud.close()
  })

  it('never writes a token or password sent in headers or bodies', async () => {
    const auth = {
      auth: {
        identity: { methods: ['password'], password: { user: { name: 'admin', password: PASSWORD } } },
      },
    }
    const json = { 'content-type': 'application/json' }
    const requests = [
      { url: '/identity/v3/auth/tokens', headers: json, payload: JSON.stringify(auth) },
      { url: '/identity/v3/auth/tokens', headers: json, payload: `{"auth": {"password": "${PASSWORD}", ` },
      {
        url: '/identity/v3/users',
        headers: { ...json, 'x-auth-token': TOKEN, authorization: 'Basic c2VjcmV0' },
        payload: JSON.stringify({ user: { name: 'bob', password: PASSWORD }, secret: SECRET }),
      },
      { url: '/identity/v3/users', headers: { ...json, 'x-auth-token': `${TOKEN}-wrong` }, payload: '{}' },
      {
        url: '/identity/v3/users?x=1',
        headers: { ...json, 'x-auth-token': TOKEN },
        payload: `{"password": "${PASSWORD}`,
      },
    ]
    const statuses = []
    for (const request of requests)
      statuses.push((await app.inject({ method: 'POST', ...request })).statusCode)
    expect(statuses).toEqual([201, 400, 200, 401, 400])
    const text = logs.text()
    expect(text).toContain('creating a user')
    expect(text).toContain('"name":"bob"')
    for (const secret of SECRETS) expect(text).not.toContain(secret)
    expect(text).not.toContain('hunter2')
  })
})
