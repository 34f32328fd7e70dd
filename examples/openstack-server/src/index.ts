/**
 * The example Nubis server as a library: the fastify app factory, the CloudError → HTTP mapping the OpenStack
 * API packages reuse, the redacting logger and the back-end doctor. The `nubis` command lives in `bin.ts`.
 *
 * @packageDocumentation
 */

export { formatDoctor, PROBES, type Probe, type ProbeResult, runDoctor } from './doctor.js'
export {
  errorBody,
  type HttpError,
  httpStatusOf,
  INTERNAL_MESSAGE,
  STATUS_BY_CODE,
  toHttpError,
} from './http-errors.js'
export { type CreateLoggerOptions, createLogger, REDACT_PATHS } from './logger.js'
export { type RunningServer, type ServeOptions, StartupError, serve } from './serve.js'
export { type CreateServerOptions, createServer, REQUEST_ID_HEADER } from './server.js'
