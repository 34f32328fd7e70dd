import { type Cloud, CloudError, ERROR_CODES } from '@nubis/sdk'
import type { FastifyInstance } from 'fastify'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  apiError,
  INTERNAL_MESSAGE,
  keystoneErrors,
  neutronErrors,
  novaErrors,
  toApiError,
} from '../src/index.js'
import { captureLogs, testCloud, testServer } from './fixtures.js'

let cloud: Cloud
let app: FastifyInstance
let logs: ReturnType<typeof captureLogs>

beforeEach(async () => {
  cloud = await testCloud()
  logs = captureLogs()
  app = await testServer(cloud, { logger: logs.logger, bodyLimit: 1024 })
})

afterEach(async () => {
  await app.close()
  await cloud.close()
})

// Status per code and API: Nova answers quota errors 403 (2.1), Neutron 409 (OverQuota is a Conflict).
const EXPECTED = {
  INVALID: [400, 'badRequest', 'HTTPBadRequest'],
  UNAUTHORIZED: [401, 'unauthorized', 'HTTPUnauthorized'],
  FORBIDDEN: [403, 'forbidden', 'HTTPForbidden'],
  NOT_FOUND: [404, 'itemNotFound', 'SecurityGroupNotFound'],
  CONFLICT: [409, 'conflictingRequest', 'HTTPConflict'],
  QUOTA_EXCEEDED: [403, 'forbidden', 'OverQuota'],
  NOT_SUPPORTED: [501, 'notImplemented', 'HTTPNotImplemented'],
  UNAVAILABLE: [503, 'serviceUnavailable', 'HTTPServiceUnavailable'],
  TIMEOUT: [504, 'computeFault', 'HTTPGatewayTimeout'],
  ABORTED: [503, 'serviceUnavailable', 'HTTPServiceUnavailable'],
  DRIVER_FAILED: [500, 'computeFault', 'HTTPInternalServerError'],
  INTERNAL: [500, 'computeFault', 'HTTPInternalServerError'],
} as const

describe.each(ERROR_CODES)('CloudError %s', (code) => {
  const [status, fault, type] = EXPECTED[code]
  const exposed = status < 500 || status === 501
  const checkMessage = (message: string) => {
    if (exposed) expect(message).toBe(`thrown ${code}`)
    else expect(message).not.toContain('thrown')
  }

  it('comes out of Keystone as { error: { code, message, title } }', async () => {
    const response = await app.inject({ method: 'GET', url: `/identity/throw/${code}` })
    expect(response.statusCode).toBe(status)
    const body = response.json().error
    expect(Object.keys(body).sort()).toEqual(['code', 'message', 'title'])
    expect(body).toMatchObject({ code: status, title: expect.any(String) })
    checkMessage(body.message)
    expect(response.body).not.toContain('password')
  })

  it(`comes out of Nova as { ${fault}: { code, message } }`, async () => {
    const response = await app.inject({ method: 'GET', url: `/compute/throw/${code}` })
    expect(response.statusCode).toBe(status)
    expect(Object.keys(response.json())).toEqual([fault])
    expect(response.json()[fault]).toEqual({ code: status, message: expect.any(String) })
    checkMessage(response.json()[fault].message)
  })

  it(`comes out of Neutron as NeutronError ${type}`, async () => {
    const response = await app.inject({ method: 'GET', url: `/network/throw/${code}` })
    expect(response.statusCode).toBe(code === 'QUOTA_EXCEEDED' ? 409 : status)
    expect(response.json()).toEqual({ NeutronError: { type, message: expect.any(String), detail: '' } })
    checkMessage(response.json().NeutronError.message)
  })
})

describe('server faults', () => {
  it('hide the message of a 500 from the client and log it with the request id', async () => {
    const response = await app.inject({ method: 'GET', url: '/compute/crash' })
    expect(response.statusCode).toBe(500)
    expect(response.json()).toEqual({ computeFault: { code: 500, message: INTERNAL_MESSAGE } })
    expect(response.body).not.toContain('secret')
    const line = logs.lines.map((text) => JSON.parse(text)).find((entry) => entry.msg === 'request failed')
    expect(line).toMatchObject({
      level: 50,
      requestId: response.headers['x-openstack-request-id'],
      status: 500,
    })
    expect(line.err.message).toContain('/var/lib/secret')
  })

  it('hide store and driver details behind generic 503 and 504 messages', () => {
    const store = toApiError(
      new CloudError('UNAVAILABLE', 'The database cannot be reached: db.internal:5432'),
    )
    expect(store).toMatchObject({ status: 503, serverFault: true, code: 'UNAVAILABLE' })
    expect(store.message).not.toContain('db.internal')
    const ssh = toApiError(new CloudError('TIMEOUT', 'The command on root@hv1 timed out'))
    expect(ssh.message).not.toContain('hv1')
    // A 5xx statusCode on a foreign error is no reason to trust its message either.
    expect(toApiError(Object.assign(new Error('x'), { statusCode: 503 }))).toMatchObject({ status: 500 })
    // A message a route chose for clients goes out through apiError as is.
    expect(keystoneErrors.format(apiError(503, 'The service is down')).body).toEqual({
      error: { code: 503, message: 'The service is down', title: 'Service Unavailable' },
    })
  })
})

describe("fastify's own errors come out in the API's format, never as a 500", () => {
  const post = (url: string, payload: string, contentType = 'application/json') =>
    app.inject({ method: 'POST', url, headers: { 'content-type': contentType }, payload })

  it('malformed JSON is a 400 in Keystone format', async () => {
    const response = await post('/identity/echo', '{"auth": {"password": "hunter2", ')
    expect(response.statusCode).toBe(400)
    expect(response.json()).toEqual({
      error: { code: 400, title: 'Bad Request', message: expect.stringMatching(/not valid JSON/) },
    })
    expect(response.body).not.toContain('hunter2')
  })

  it('an empty JSON body is no body, a body over the limit a 413, another media type a 415', async () => {
    // OpenStack clients PUT grants with a JSON content type and nothing in the body; that must not be a 400.
    const empty = await post('/compute/echo', '')
    expect(empty.statusCode).toBe(200)
    expect(empty.json()).toEqual({ echo: null })
    expect((await post('/compute/echo', '{"a": ')).json()).toMatchObject({ badRequest: { code: 400 } })
    const large = await post('/compute/echo', JSON.stringify({ pad: 'x'.repeat(2000) }))
    expect(large.statusCode).toBe(413)
    expect(large.json()).toMatchObject({ overLimit: { code: 413 } })
    const media = await post('/network/echo', '<xml/>', 'application/xml')
    expect(media.statusCode).toBe(415)
    expect(media.json().NeutronError.type).toBe('HTTPUnsupportedMediaType')
  })

  it('schema validation failures are a 400 with the failing field', async () => {
    const response = await post('/identity/validated', '{}')
    expect(response.statusCode).toBe(400)
    expect(response.json().error.message).toMatch(/name/)
  })

  it('a malformed URL is a 400 in the format of the API it falls under', async () => {
    const nova = await app.inject({ method: 'GET', url: '/compute/servers/%E0%A4%A' })
    expect(nova.statusCode).toBe(400)
    expect(nova.json()).toMatchObject({ badRequest: { code: 400 } })
    const root = await app.inject({ method: 'GET', url: '/%zz' })
    expect(root.json()).toMatchObject({ error: { code: 400, title: 'Bad Request' } })
  })

  it('other errors with a 4xx statusCode keep it, with the reason phrase as message', () => {
    const error = toApiError(Object.assign(new Error('internal detail'), { statusCode: 429 }))
    expect(error).toMatchObject({ status: 429, message: 'Too Many Requests', serverFault: false })
    expect(novaErrors.format(error).body).toEqual({ overLimit: { code: 429, message: 'Too Many Requests' } })
    expect(neutronErrors.statusOverrides).toEqual({ QUOTA_EXCEEDED: 409 })
  })
})
