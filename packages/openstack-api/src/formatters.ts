import type { ErrorCode } from '@nubis/sdk'
import type { ApiError } from './api-error.js'

/** An error response body: a JSON object, or text sent with its `contentType` (Swift, some Glance answers). */
export interface FormattedError {
  /** A JSON-serialisable object, or the text of the body. */
  body: string | Readonly<Record<string, unknown>>
  /** Content type of a text body; default `text/plain; charset=utf-8`. JSON bodies are always JSON. */
  contentType?: string
  /**
   * The status to answer with when the API's rule depends on more than the code (Neutron answers a
   * `NOT_SUPPORTED` input value 400, an unsupported operation 501); default the error's own status.
   */
  status?: number
}

/**
 * How one OpenStack API writes its errors. Every API plugin picks one (see `useErrorFormat` and `defineApi`);
 * a later API adds its own by implementing this interface.
 */
export interface ErrorFormatter {
  /** Short name for logs, e.g. `keystone`. */
  readonly name: string
  /** Statuses this API answers differently from `STATUS_BY_CODE` (Neutron: `QUOTA_EXCEEDED` → 409). */
  readonly statusOverrides?: Readonly<Partial<Record<ErrorCode, number>>>
  /** The body of an error response. */
  format(error: ApiError): FormattedError
}

/** Keystone v3: `{"error": {"code": 401, "message": "…", "title": "Unauthorized"}}`. */
export const keystoneErrors: ErrorFormatter = {
  name: 'keystone',
  format: (error) => ({
    body: { error: { code: error.status, message: error.message, title: error.title } },
  }),
}

// nova.api.openstack.wsgi.Fault._fault_names; anything else is a computeFault.
const NOVA_FAULTS: Readonly<Record<number, string>> = {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'itemNotFound',
  405: 'badMethod',
  409: 'conflictingRequest',
  413: 'overLimit',
  415: 'badMediaType',
  429: 'overLimit',
  501: 'notImplemented',
  503: 'serviceUnavailable',
}

/** The key of Nova's error body for a status (`404` → `itemNotFound`). */
export function novaFaultName(status: number): string {
  return NOVA_FAULTS[status] ?? 'computeFault'
}

/**
 * Nova 2.1 (and Cinder v3, which shares its fault shape): `{"itemNotFound": {"code": 404, "message": "…"}}`,
 * keyed by the fault name of the status. Quota errors are 403 `forbidden`, as Nova's 2.1 API answers them.
 */
export const novaErrors: ErrorFormatter = {
  name: 'nova',
  format: (error) => ({
    body: { [novaFaultName(error.status)]: { code: error.status, message: error.message } },
  }),
}

// webob's titles where they differ from Node's reason phrases.
const WEBOB_TITLES: Readonly<Record<number, string>> = {
  416: 'Request Range Not Satisfiable',
}

/**
 * The `message` of a webob error body: Glance raises `webob.exc.HTTPNotFound(explanation=msg)` and webob renders
 * the explanation through its body template, so the text carries the template's `<br /><br />` and blank lines.
 */
export function webobMessage(message: string): string {
  return `${message}<br /><br />\n\n\n`
}

/**
 * Glance v2: webob's JSON error body, `{"message": "No image found with ID x<br /><br />\n\n\n", "code": "404 Not
 * Found", "title": "Not Found"}` (`code` is the status line, not a number). A 401 comes from keystonemiddleware in
 * front of Glance, so it has Keystone's shape. Quota errors are 413, as Glance raises
 * `HTTPRequestEntityTooLarge` for its storage and count limits.
 *
 * webob would answer HTML or plain text to a client that does not accept JSON; this formatter always writes JSON,
 * which every OpenStack client asks for.
 */
export const glanceErrors: ErrorFormatter = {
  name: 'glance',
  statusOverrides: { QUOTA_EXCEEDED: 413 },
  format: (error) => {
    if (error.status === 401) return keystoneErrors.format(error)
    const title = WEBOB_TITLES[error.status] ?? error.title
    return {
      body: { message: webobMessage(error.message), code: `${error.status} ${title}`, title },
    }
  },
}
