import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino'

/**
 * Log paths pino replaces with `[redacted]`. Tokens travel in headers (`X-Auth-Token`, `X-Subject-Token`,
 * `Authorization`) and passwords in Keystone's auth body and in our own bootstrap records; pino's wildcards
 * match one level each, hence the explicit depths.
 */
export const REDACT_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers["x-auth-token"]',
  'req.headers["x-subject-token"]',
  'res.headers["x-subject-token"]',
  'headers.authorization',
  'headers["x-auth-token"]',
  'headers["x-subject-token"]',
  'password',
  '*.password',
  '*.*.password',
  '*.*.*.password',
  'passwordHash',
  '*.passwordHash',
  'auth.identity.password.user.password',
  'body.auth.identity.password.user.password',
  'req.body.auth.identity.password.user.password',
]

/** Options of {@link createLogger}. */
export interface CreateLoggerOptions {
  /** pino level; default `info`, or `NUBIS_LOG_LEVEL` when the CLI passes it through. */
  level?: LoggerOptions['level']
  /** Where the JSON lines go; default stdout. Tests pass a stream to read them back. */
  destination?: DestinationStream
}

/** A pino logger with Nubis's redaction rules, suitable as fastify's `loggerInstance`. */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const config: LoggerOptions = {
    name: 'nubis',
    level: options.level ?? 'info',
    redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
  }
  return options.destination ? pino(config, options.destination) : pino(config)
}
