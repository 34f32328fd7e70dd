/**
 * The plumbing every Nubis OpenStack API reuses: the fastify app factory with request ids, `/healthcheck` and
 * the versions document; CloudError → status mapping with each API's error body format (Keystone, Nova,
 * Neutron, Glance); the `X-Auth-Token` authentication hook; body validation; links, paging links and version
 * documents; a logger that never writes a token or a password; and the Keystone v3, Glance v2 and Neutron v2.0
 * plugins.
 *
 * @packageDocumentation
 */

export {
  type ApiError,
  apiError,
  hiddenMessageOf,
  httpStatusOf,
  INTERNAL_MESSAGE,
  isExposedStatus,
  reasonPhrase,
  STATUS_BY_CODE,
  toApiError,
} from './api-error.js'
export {
  AUTH_TOKEN_HEADER,
  type AuthenticateHook,
  authenticate,
  headerToken,
  MISSING_TOKEN_MESSAGE,
  type TokenValidator,
} from './auth.js'
export { parseBody } from './body.js'
export { type ApiDefinition, defineApi } from './define-api.js'
export { ErrorFormatRegistry, sendError, useErrorFormat } from './error-handling.js'
export {
  type ErrorFormatter,
  type FormattedError,
  glanceErrors,
  keystoneErrors,
  novaErrors,
  novaFaultName,
  webobMessage,
} from './formatters.js'
export { type GlanceApiOptions, glanceApi } from './glance/index.js'
export { GLANCE_NEWEST_MINOR, GLANCE_V2, GLANCE_VERSIONS } from './glance/versions.js'
export { KEYSTONE_V3, type KeystoneApiOptions, keystoneApi } from './keystone/index.js'
export { catalogBody, keystoneTime, tokenBody } from './keystone/token-body.js'
export { type CreateLoggerOptions, createLogger, REDACT_PATHS } from './logger.js'
export { neutronErrors, neutronErrorType } from './neutron/errors.js'
export { NEUTRON_EXTENSIONS, type NeutronExtension } from './neutron/extensions.js'
export { type NeutronApiOptions, neutronApi } from './neutron/index.js'
export { NEUTRON_V2 } from './neutron/versions.js'
export {
  type CollectionLinks,
  collectionLinks,
  nextPageUrl,
  type PageLinks,
  type PageMarker,
  pageLinks,
} from './paging.js'
export {
  type CreateApiServerOptions,
  createApiServer,
  DEFAULT_BODY_LIMIT,
  type OpenStackState,
  REQUEST_ID_HEADER,
} from './server.js'
export { absoluteUrl, baseUrl, bookmarkLink, type Link, selfLink, splitUrl } from './urls.js'
export {
  type MediaType,
  type RegisteredVersion,
  type VersionEntry,
  type VersionInfo,
  VersionRegistry,
  versionDocument,
  versionEntry,
  versionList,
} from './versions.js'
