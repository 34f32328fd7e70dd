import type { Readable } from 'node:stream'
import { type Cloud, CloudError } from '@nubis/sdk'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { apiError } from '../api-error.js'
import { sendError } from '../error-handling.js'
import { glanceErrors } from '../formatters.js'
import { bodyStream, requireMediaType } from './media.js'
import { RangeNotSatisfiable, resolveRange } from './range.js'
import type { UploadOptions } from './sdk-types.js'

type IdParams = { Params: { id: string } }

/** The header a client names the target store in (Glance's multi-store `X-Image-Meta-Store`). */
export const STORE_HEADER = 'x-image-meta-store'

/** A single-valued request header, or undefined. */
function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name]
  return Array.isArray(value) ? value[0] : value
}

/**
 * The expected MD5 of an upload from `Content-MD5`, hex as Glance sends it on downloads or base64 as RFC 1864 has
 * it. Glance ignores the header; taking it lets a client have a corrupted upload refused rather than stored.
 */
function expectedMd5(request: FastifyRequest): string | undefined {
  const value = header(request, 'content-md5')?.trim()
  if (value === undefined || value === '') return undefined
  if (/^[0-9a-fA-F]{32}$/.test(value)) return value.toLowerCase()
  const bytes = /^[A-Za-z0-9+/]{22}==$/.test(value) ? Buffer.from(value, 'base64') : undefined
  if (bytes?.length === 16) return bytes.toString('hex')
  throw new CloudError('INVALID', `Invalid Content-MD5 header: ${value}`, {
    details: { path: 'Content-MD5' },
  })
}

/** What the request says of its data: `Content-Length` as the size hint, `Content-MD5`, the target store. */
function uploadOptions(request: FastifyRequest, withStore: boolean): UploadOptions {
  const length = header(request, 'content-length')
  const checksum = expectedMd5(request)
  const store = withStore ? header(request, STORE_HEADER)?.trim() : undefined
  return {
    ...(length !== undefined && /^\d+$/.test(length) && { sizeHint: Number(length) }),
    ...(checksum !== undefined && { expect: { checksum } }),
    ...(store && { store }),
  }
}

/**
 * Streams the request body into `write`. The body is the request stream itself, so a client that disconnects
 * makes it fail (and `request.ctx.signal` fire), which aborts the SDK's upload. When the upload fails before the
 * body was read to its end, the connection is closed rather than drained: the client may be sending gigabytes.
 */
async function receive(
  request: FastifyRequest,
  reply: FastifyReply,
  write: (source: Readable) => Promise<unknown>,
): Promise<FastifyReply> {
  const source = bodyStream(request)
  if (source === undefined)
    throw new CloudError('INVALID', 'Image data is expected as application/octet-stream')
  try {
    await write(source)
  } catch (error) {
    if (!request.raw.complete) reply.header('connection', 'close')
    throw error
  }
  return reply.code(204).send()
}

/**
 * `/v2/images/{id}/file` and `/stage`: upload (PUT, 204) and `glance-direct` staging (PUT, 204) of
 * `application/octet-stream` data, streamed; download (GET) with `Content-MD5`, and `Range` answered 206 or 416.
 */
export function imageDataRoutes(api: FastifyInstance, cloud: Cloud): void {
  const { image } = cloud
  // `imageData` hands the body over as a stream; the media type is checked before anything reads it.
  const dataRoute = {
    config: { imageData: true },
    preParsing: requireMediaType(['application/octet-stream']),
  }

  api.put<IdParams>('/v2/images/:id/file', dataRoute, (request, reply) =>
    receive(request, reply, (source) =>
      image.uploadImageData(request.ctx, request.params.id, source, uploadOptions(request, true)),
    ),
  )

  api.put<IdParams>('/v2/images/:id/stage', dataRoute, (request, reply) =>
    receive(request, reply, (source) =>
      image.stageImageData(request.ctx, request.params.id, source, uploadOptions(request, false)),
    ),
  )

  api.get<IdParams>('/v2/images/:id/file', async (request, reply) => {
    const { id } = request.params
    const current = await image.getImage(request.ctx, id)
    // No data yet (queued, saving, killed …): Glance answers 204. A deactivated image still has its data, and the
    // SDK decides who may read it.
    if (current.locations.length === 0 && current.status !== 'deactivated') return reply.code(204).send()
    const size = current.size ?? 0
    let range: ReturnType<typeof resolveRange>
    try {
      range = resolveRange(header(request, 'range'), size)
    } catch (error) {
      if (!(error instanceof RangeNotSatisfiable)) throw error
      reply.header('content-range', `bytes */${error.size}`)
      return sendError(request, reply, apiError(416, error.message), glanceErrors)
    }
    const data = await image.downloadImageData(request.ctx, id, range)
    reply.header('content-type', 'application/octet-stream')
    reply.header('content-length', String(data.length))
    if (data.checksum) reply.header('content-md5', data.checksum)
    if (range !== undefined) {
      const last = data.offset + data.length - 1
      reply.code(206).header('content-range', `bytes ${data.offset}-${last}/${data.size}`)
    }
    return reply.send(data.stream)
  })
}
