import type { ApiError } from '../api-error.js'
import type { ErrorFormatter } from '../formatters.js'

// The webob exception class names Neutron reports as `type` when no more specific exception applies.
const WEBOB_TYPES: Readonly<Record<number, string>> = {
  400: 'HTTPBadRequest',
  401: 'HTTPUnauthorized',
  403: 'HTTPForbidden',
  404: 'HTTPNotFound',
  405: 'HTTPMethodNotAllowed',
  409: 'HTTPConflict',
  413: 'HTTPRequestEntityTooLarge',
  415: 'HTTPUnsupportedMediaType',
  500: 'HTTPInternalServerError',
  501: 'HTTPNotImplemented',
  503: 'HTTPServiceUnavailable',
  504: 'HTTPGatewayTimeout',
}

// Neutron's exception names where they are not the PascalCase of the SDK's resource type.
const NOT_FOUND_TYPES: Readonly<Record<string, string>> = {
  subnetpool: 'SubnetPoolNotFound',
  floatingip: 'FloatingIPNotFound',
}

/** `security_group` → `SecurityGroup`. */
function pascalCase(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('')
}

/** The exception name the SDK put in `details.type` (`NetworkInUse`), when it looks like one. */
function declaredType(error: ApiError): string | undefined {
  const type = error.details?.type
  return typeof type === 'string' && /^[A-Z][A-Za-z0-9]{0,80}$/.test(type) ? type : undefined
}

/**
 * A `NOT_SUPPORTED` naming an input field is a value this cloud cannot honour (a segment type its driver lacks):
 * Neutron refuses those as bad input (400 `InvalidInput`), and keeps 501 for operations it does not implement.
 */
function isUnsupportedInput(error: ApiError): boolean {
  return error.code === 'NOT_SUPPORTED' && typeof error.details?.path === 'string'
}

/**
 * The `type` of a Neutron error: the exception name Neutron would raise — the one the SDK declared in
 * `details.type` (`IpAddressAlreadyAllocated`, `NetworkInUse`), `OverQuota`, `<Resource>NotFound`,
 * `PolicyNotAuthorized` for a policy refusal, `IpAddressGenerationFailure` for an exhausted pool — else the
 * webob class of the status (`HTTPBadRequest`).
 */
export function neutronErrorType(error: ApiError): string {
  const declared = declaredType(error)
  if (declared !== undefined) return declared
  if (error.code === 'QUOTA_EXCEEDED') return 'OverQuota'
  if (error.code === 'NOT_FOUND' && error.resource) {
    const { type } = error.resource
    return NOT_FOUND_TYPES[type] ?? `${pascalCase(type)}NotFound`
  }
  if (error.code === 'CONFLICT' && error.details?.reason === 'exhausted') return 'IpAddressGenerationFailure'
  if (error.code === 'FORBIDDEN' && typeof error.details?.action === 'string') return 'PolicyNotAuthorized'
  if (isUnsupportedInput(error)) return 'InvalidInput'
  return WEBOB_TYPES[error.status] ?? 'HTTPError'
}

/** The message as Neutron words it where clients match on it (Tempest does for quotas); else the SDK's. */
function neutronMessage(error: ApiError): string {
  const resource = error.details?.resource
  if (error.code === 'QUOTA_EXCEEDED' && typeof resource === 'string') {
    return `Quota exceeded for resources: ['${resource}'].`
  }
  return error.message
}

/**
 * Neutron 2.0: `{"NeutronError": {"type": "NetworkNotFound", "message": "…", "detail": ""}}`. Quota errors are
 * 409, as Neutron's `OverQuota` is a `Conflict`; an unsupported input value is 400 (see `neutronErrorType`).
 */
export const neutronErrors: ErrorFormatter = {
  name: 'neutron',
  statusOverrides: { QUOTA_EXCEEDED: 409 },
  format: (error) => ({
    body: { NeutronError: { type: neutronErrorType(error), message: neutronMessage(error), detail: '' } },
    ...(isUnsupportedInput(error) && { status: 400 }),
  }),
}
