import { Readable } from 'node:stream'
import { errorCodes, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { apiError } from '../api-error.js'
import { sendError } from '../error-handling.js'
import { glanceErrors } from '../formatters.js'
import { DEFAULT_BODY_LIMIT } from '../server.js'
import { PATCH_MEDIA_TYPES } from './patch.js'

// The request media types Glance takes beside JSON: image data as `application/octet-stream` and its two
// JSON-patch types. Registered on the plugin's own instances, so other APIs on the server are not affected.

/** The media type of a request without its parameters, lower case (`application/json`), or ''. */
export function mediaTypeOf(request: FastifyRequest): string {
  return (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route takes image data: an `application/octet-stream` body reaches it as the request stream. */
    imageData?: boolean
  }
}

/** Reads a body of at most `limit` bytes as text; FST_ERR_CTP_BODY_TOO_LARGE (413) beyond. */
async function readText(payload: AsyncIterable<Uint8Array>, limit: number): Promise<string> {
  const chunks: Buffer[] = []
  let length = 0
  for await (const chunk of payload) {
    length += chunk.length
    if (length > limit) throw new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE()
    chunks.push(Buffer.from(chunk))
  }
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * Lets `api` take `application/octet-stream`. A route marked `config: { imageData: true }` receives the request
 * stream itself, never buffered (an image can be many gigabytes), so fastify's `bodyLimit`, which applies only
 * to bodies it reads, does not cap it: the Image service's `maxImageBytes` does. Any other route reads the body
 * as JSON, as Glance does whatever the declared type: glanceclient labels every request octet-stream, even a
 * tag's bodiless PUT.
 */
export function acceptImageData(api: FastifyInstance): void {
  const parseJson = api.getDefaultJsonParser('error', 'error')
  const limit = api.initialConfig.bodyLimit ?? DEFAULT_BODY_LIMIT
  api.addContentTypeParser('application/octet-stream', (request, payload, done) => {
    if (request.routeOptions.config.imageData === true) return done(null, payload)
    readText(payload, limit).then(
      (text) => (text.trim() === '' ? done(null, undefined) : parseJson(request, text, done)),
      (error: Error) => done(error, undefined),
    )
  })
}

/** Lets `api` take Glance's JSON-patch media types, parsed with fastify's guard against prototype poisoning. */
export function acceptJsonPatch(api: FastifyInstance): void {
  const parseJson = api.getDefaultJsonParser('error', 'error')
  api.addContentTypeParser(Object.keys(PATCH_MEDIA_TYPES), { parseAs: 'string' }, (request, body, done) => {
    if (body === '' || body.length === 0) return done(null, undefined)
    return parseJson(request, body as string, done)
  })
}

/**
 * A `preParsing` hook that answers 415 for a request whose media type is not in `types`, before its body is read,
 * as Glance's deserializers do. `acceptPatch` adds Glance's `Accept-Patch` header, listing the PATCH types.
 */
export function requireMediaType(types: readonly string[], acceptPatch = false) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const type = mediaTypeOf(request)
    if (types.includes(type)) return undefined
    if (acceptPatch) reply.header('accept-patch', [...types].sort().join(', '))
    // The body will not be read: closing the connection stops a client from streaming it for nothing.
    reply.header('connection', 'close')
    const message = `The request media type ${type || 'None'} is not supported by this server.`
    return sendError(request, reply, apiError(415, message), glanceErrors)
  }
}

/** The request body as the stream the octet-stream parser passed through, or undefined for another body. */
export function bodyStream(request: FastifyRequest): Readable | undefined {
  return request.body instanceof Readable ? request.body : undefined
}
