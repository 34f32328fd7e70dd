import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino'

/** Request and response headers that carry credentials. */
const SECRET_HEADERS = [
  'authorization',
  'cookie',
  'set-cookie',
  'x-auth-token',
  'x-subject-token',
  'x-service-token',
]

/**
 * Body fields that carry credentials, wherever they sit: Keystone's passwords (`auth.identity.password.user.
 * password`, a user's `password` and `original_password`), application credential and EC2 `secret`s, a
 * credential's `blob`, the token of token-method auth (`auth.identity.token.id`), Nova's `adminPass`, and our
 * own stored `passwordHash`.
 */
const SECRET_FIELDS = [
  'password',
  'original_password',
  'passwordHash',
  'secret',
  'blob',
  'adminPass',
  'admin_password',
  'token.id',
]

/** How deep below the logged object a secret field is still found; pino's wildcards match one level each. */
const MAX_DEPTH = 6

function headerPaths(): string[] {
  const owners = ['headers', 'req.headers', 'res.headers', 'request.headers', 'response.headers']
  return owners.flatMap((owner) => SECRET_HEADERS.map((header) => `${owner}["${header}"]`))
}

function fieldPaths(): string[] {
  return SECRET_FIELDS.flatMap((field) =>
    Array.from({ length: MAX_DEPTH + 1 }, (_, depth) => `${'*.'.repeat(depth)}${field}`),
  )
}

/**
 * Log paths pino replaces with `[redacted]`: credential headers wherever a request, response or bare headers
 * object is logged, and credential body fields at any depth up to six levels below the logged object.
 *
 * Fastify itself never logs headers or bodies (its request serializer keeps method, URL, host and address);
 * these paths catch what handlers and services log on purpose or by mistake.
 */
export const REDACT_PATHS: readonly string[] = [...headerPaths(), ...fieldPaths()]

/** Options of {@link createLogger}. */
export interface CreateLoggerOptions {
  /** pino level; default `info`. */
  level?: LoggerOptions['level']
  /** Where the JSON lines go; default stdout. Tests pass a stream to read them back. */
  destination?: DestinationStream
}

/** A pino logger with Nubis's redaction rules, suitable as `createApiServer`'s `logger`. */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const config: LoggerOptions = {
    name: 'nubis',
    level: options.level ?? 'info',
    redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
  }
  return options.destination ? pino(config, options.destination) : pino(config)
}
