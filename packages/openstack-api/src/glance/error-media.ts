import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

// webob chooses the representation of an error from the request's Accept header: HTML or JSON, whichever the
// client ranks higher (HTML on a tie, so `*/*` gets HTML), plain text when it accepts neither. Clients depend on
// it: openstacksdk and Tempest send `Accept: application/json` and read JSON; glanceclient sends requests'
// `Accept: */*` and parses an HTML body, but fails on webob's JSON one (its values are not objects). The
// formatter writes JSON; this hook turns it into HTML or text where webob would have.

const OFFERS = ['text/html', 'application/json'] as const

/** The quality the Accept header gives `offer` (0 when it refuses it), from its most specific matching range. */
function quality(accept: string, offer: string): number {
  const [type] = offer.split('/')
  let best = { specificity: -1, q: 0 }
  for (const part of accept.split(',')) {
    const [range = '', ...params] = part.split(';').map((item) => item.trim().toLowerCase())
    const q = Number(params.find((param) => param.startsWith('q='))?.slice(2) ?? '1')
    const specificity = range === offer ? 2 : range === `${type}/*` ? 1 : range === '*/*' ? 0 : -1
    if (specificity > best.specificity) best = { specificity, q: Number.isFinite(q) ? q : 0 }
  }
  return best.q
}

/** The media type webob would answer an error in for this Accept header. */
export function errorMediaType(accept: string | undefined): 'text/html' | 'application/json' | 'text/plain' {
  const header = accept?.trim() || '*/*'
  let chosen: (typeof OFFERS)[number] | undefined
  let top = 0
  for (const offer of OFFERS) {
    const q = quality(header, offer)
    if (q > top) {
      chosen = offer
      top = q
    }
  }
  return chosen ?? 'text/plain'
}

const escapeHtml = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;')

/** webob's HTML error page for a status line and message. */
function htmlBody(status: string, message: string): string {
  const body = `${escapeHtml(message)}<br /><br />\n\n\n`
  return `<html>\n <head>\n  <title>${status}</title>\n </head>\n <body>\n  <h1>${status}</h1>\n  ${body}\n </body>\n</html>`
}

/** webob's plain-text error: the status line, a blank line, the message with its template's trailing spaces. */
function plainBody(status: string, message: string): string {
  return `${status}\n\n${message}\n\n   `
}

/** The members of webob's JSON error body, or undefined for another body (Keystone's 401). */
function webobError(payload: string): { code: string; message: string } | undefined {
  try {
    const body: unknown = JSON.parse(payload)
    if (body === null || typeof body !== 'object') return undefined
    const { code, message, title } = body as Record<string, unknown>
    if (typeof code !== 'string' || typeof message !== 'string' || typeof title !== 'string') return undefined
    return { code, message: message.replace(/<br \/><br \/>\n\n\n$/, '') }
  } catch {
    return undefined
  }
}

/** Adds the `onSend` hook that renders the plugin's error bodies in the representation the client accepts. */
export function negotiateErrorMedia(api: FastifyInstance): void {
  api.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    if (reply.statusCode < 400 || typeof payload !== 'string') return payload
    if (!String(reply.getHeader('content-type') ?? '').startsWith('application/json')) return payload
    const media = errorMediaType(request.headers.accept)
    if (media === 'application/json') return payload
    const error = webobError(payload)
    if (error === undefined) return payload
    reply.header('content-type', `${media}; charset=UTF-8`)
    return media === 'text/html' ? htmlBody(error.code, error.message) : plainBody(error.code, error.message)
  })
}
